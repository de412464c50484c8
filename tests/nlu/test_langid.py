import pytest

from nlu import analyze


@pytest.mark.parametrize(
    "text,lang",
    [
        ("Salam, mən çox darıxıram", "az"),
        ("salam men cox darixiram evde hec kim yoxdu", "az"),
        ("menim anam meni basa dusmur", "az"),
        ("привет, мне очень грустно", "ru"),
        ("privet mne ochen grustno segodnya", "ru"),
        ("ya ne znayu chto delat", "ru"),
        ("hi, i feel really lonely at school", "en"),
        ("my parents dont understand me", "en"),
        ("Hi, can I talk to someone? I feel bad", "en"),
        ("مرحبا كيف حالك", "other"),
        ("😂😂😂", "other"),
    ],
)
def test_language(text, lang):
    assert analyze(text).language == lang


def test_mixed_messages_get_one_of_their_languages():
    assert analyze("salam, ya ne znayu chto delat, anam meni basa dusmur").language in ("az", "ru")
    assert analyze("mama meni döyür, ya zakrylas v tualete").language in ("az", "ru")


def test_language_never_gates_risk():
    # whatever the language call, explicit ideation is caught
    for text in ("ozumu oldurmek isteyirem", "hochu umeret", "i want to die"):
        assert analyze(text).risk.is_urgent
