"""The issue's quality targets, measured on the held-out set (never trained on).

Where the model does not reach the issue's target yet, BELOW_TARGET records the measured level
and the test guards that level instead (so a regression still fails); the gap is reported in
the README and on the issue. Raise a floor, or remove it, whenever the model improves.
"""

import pytest

from nlu import analyze
from nlu.cli import EVAL_FILES
from nlu.data_io import load_test
from nlu.evaluate import TARGETS, evaluate

BELOW_TARGET: dict[str, float] = {}  # measured levels below the targets (TARGETS)


def required(name: str, target: float) -> float:
    return min(target, BELOW_TARGET.get(name, target))


@pytest.fixture(scope="module")
def result():
    examples = load_test(files=EVAL_FILES)
    assert examples, "the held-out set nlu/data/test/ is part of the repository"
    return evaluate(examples, analyze)


@pytest.mark.parametrize("language", ["az", "ru", "en"])
def test_risk_recall_high_and_imminent_per_language(result, language):
    figures = result["risk_by_language"][language]
    floor = required(f"risk_recall[{language}]", TARGETS["risk_recall"])
    assert figures["risk_recall"] >= floor, figures


def test_false_alarms_on_calm_messages(result):
    assert result["risk"]["false_alarm_rate"] <= TARGETS["false_alarm_rate"], result["risk"]


@pytest.mark.parametrize("language", ["az", "ru", "en"])
def test_false_alarms_per_language(result, language):
    figures = result["risk_by_language"][language]
    assert figures["false_alarm_rate"] <= TARGETS["false_alarm_rate"], figures


def test_category_accuracy(result):
    floor = required("category_accuracy", TARGETS["category_accuracy"])
    assert result["category_accuracy"] >= floor


def test_language_identification(result):
    assert result["language_accuracy"] >= 0.95
