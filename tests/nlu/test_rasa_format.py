import yaml

from nlu.data_io import parse_rasa_yaml
from nlu.rasa_format import to_rasa_yaml


def test_round_trip_through_the_rasa_reader():
    pairs = [
        ("greeting", "salam"),
        ("ask_human", "insanla danışmaq istəyirəm"),
        ("greeting", "привет"),
        ("greeting", "salam"),
        ("violence__cyberbullying", 'he wrote "you: nobody" #sad\nagain'),
    ]
    text = to_rasa_yaml(pairs)
    doc = yaml.safe_load(text)
    assert doc["version"] == "3.1"
    back = [(e.intent, e.text) for e in parse_rasa_yaml(text)]
    assert back == [
        ("greeting", "salam"),
        ("greeting", "привет"),
        ("ask_human", "insanla danışmaq istəyirəm"),
        ("violence__cyberbullying", 'he wrote "you: nobody" #sad again'),
    ]


def test_training_files_parse():
    from nlu.data_io import load_training

    examples = load_training()
    assert examples and all(e.intent and e.text for e in examples)
