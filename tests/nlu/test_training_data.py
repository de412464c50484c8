"""The training data is clean: no held-out example in it, no message labelled two ways."""

from nlu.data_check import (
    check_training_data,
    drop_held_out_copies,
    format_data_report,
    script_of,
)
from nlu.data_io import DATA_DIR


def test_training_data_passes_its_checks():
    report = check_training_data()
    assert report.ok, format_data_report(report)


def test_a_held_out_copy_is_caught_in_any_spelling_and_dropped_alone(tmp_path):
    (tmp_path / "test").mkdir()
    (tmp_path / "test" / "az.yml").write_text(
        'version: 1\nexamples:\n  - text: "Özümü öldürmək istəyirəm"\n    category: social\n',
        encoding="utf-8",
    )
    (tmp_path / "topics.yml").write_text(
        'version: "3.1"\nnlu:\n- intent: psychological\n  examples: |\n'
        "    - ozumu oldurmek isteyirem\n    - bu gün kefim yoxdur\n",
        encoding="utf-8",
    )
    report = check_training_data(tmp_path)
    assert not report.ok
    assert report.held_out_copies == ["topics.yml: ozumu oldurmek isteyirem"]

    assert drop_held_out_copies(tmp_path) == {"topics.yml": 1}
    assert check_training_data(tmp_path).ok
    assert "bu gün kefim yoxdur" in (tmp_path / "topics.yml").read_text(encoding="utf-8")


def test_a_message_labelled_two_ways_and_an_unknown_intent_are_refused(tmp_path):
    (tmp_path / "a.yml").write_text(
        'version: "3.1"\nnlu:\n- intent: psychological\n  examples: |\n    - kefim yoxdur\n'
        "- intent: education\n  examples: |\n    - kefim yoxdur\n"
        "- intent: sports\n  examples: |\n    - futbol\n",
        encoding="utf-8",
    )
    report = check_training_data(tmp_path)
    assert report.conflicts and report.unknown_intents == ["sports"]


def test_every_topic_intent_has_examples_in_every_script():
    counts = check_training_data(DATA_DIR).counts
    topics = [i for i in counts if not i.startswith("risk_")]
    assert topics
    for intent in topics:
        assert all(counts[intent][s] > 0 for s in ("az_letters", "latin", "cyrillic")), intent


def test_script_tally():
    assert script_of("özümü") == "az_letters"
    assert script_of("хочу") == "cyrillic"
    assert script_of("ozumu") == "latin"
    assert script_of("I still miss my friend") == "latin"  # no "ı" hiding in "i"
    assert script_of("QIZ") == "latin" and script_of("ŞƏHƏR") == "az_letters"
