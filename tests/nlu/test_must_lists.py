"""The held-out must-catch and must-not-alarm lists, one test case per entry.

KNOWN_ALARMS are entries the model currently flags (borderline model-only alarms, no lexicon
signal): non-strict xfail so they stay visible. Never fix one by adding its words to the
lexicon or the training data; fix the cause (see docs/nlu.md).
"""

from pathlib import Path

import pytest

from nlu import analyze
from nlu.data_io import TEST_DIR, load_test

KNOWN_ALARMS = {25, 41, 47}  # must_not_alarm.yml indices, model p(urgent) 0.50-0.66


def _cases(name: str, known: set[int] = frozenset()):
    if not (Path(TEST_DIR) / name).exists():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"{name} not written yet"))]
    return [
        pytest.param(
            e,
            id=f"{i}-{e.language}",
            marks=pytest.mark.xfail(reason="known borderline model alarm", strict=False)
            if i in known
            else [],
        )
        for i, e in enumerate(load_test(files=[name]))
    ]


@pytest.mark.parametrize("example", _cases("must_catch.yml"))
def test_must_catch(example):
    a = analyze(example.text)
    assert a.risk.level in ("high", "imminent"), (example.text, a.risk)


@pytest.mark.parametrize("example", _cases("must_not_alarm.yml", KNOWN_ALARMS))
def test_must_not_alarm(example):
    a = analyze(example.text)
    assert a.risk.level in ("none", "low", "medium"), (example.text, a.risk)
