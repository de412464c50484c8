"""How the risk model's probabilities become a level, and how its thresholds are chosen."""

import numpy as np

from nlu.model import Calibration, load_model
from nlu.train import CV_FALSE_ALARM_BUDGET, choose_thresholds, model_level

CLASSES = ("none", "low", "medium", "high", "imminent")


def _p(none=0.0, low=0.0, medium=0.0, high=0.0, imminent=0.0) -> np.ndarray:
    p = np.asarray([none, low, medium, high, imminent], dtype=np.float64)
    return p / p.sum()


def test_urgent_exactly_when_the_urgent_probability_reaches_the_threshold():
    cal = Calibration(urgent_threshold=0.4, unsure_ratio=0.5)
    # "high" is within the unsure ratio of the top level, but P(urgent) is below the line
    assert model_level(_p(medium=0.45, high=0.35, low=0.2), CLASSES, cal) == "medium"
    # above the line, even when the top level alone is calm
    assert model_level(_p(none=0.55, high=0.25, imminent=0.2), CLASSES, cal) == "high"
    assert model_level(_p(none=0.3, high=0.1, imminent=0.6), CLASSES, cal) == "imminent"


def test_when_unsure_between_two_calm_levels_the_higher_one():
    cal = Calibration(urgent_threshold=0.9, unsure_ratio=0.6)
    assert model_level(_p(none=0.5, low=0.35, medium=0.15), CLASSES, cal) == "low"
    assert model_level(_p(none=0.7, low=0.2, medium=0.1), CLASSES, cal) == "none"


def _synthetic(n: int, seed: int):
    """Out-of-fold probabilities of a model that separates urgent from calm imperfectly."""
    rng = np.random.default_rng(seed)
    levels = rng.choice(["none", "low", "high", "imminent"], size=n, p=[0.4, 0.2, 0.3, 0.1])
    oof = []
    for gold in levels:
        u = rng.beta(5, 2) if gold in ("high", "imminent") else rng.beta(2, 5)
        oof.append(np.asarray([(1 - u) * 0.6, (1 - u) * 0.3, (1 - u) * 0.1, u * 0.8, u * 0.2]))
    return oof, list(levels)


def _false_alarms(oof, levels, cal: Calibration) -> float:
    calm = [p for p, gold in zip(oof, levels, strict=True) if gold in ("none", "low")]
    return sum(model_level(p, CLASSES, cal) in ("high", "imminent") for p in calm) / len(calm)


def test_the_threshold_spends_the_false_alarm_budget_and_no_more():
    oof, levels = _synthetic(3000, seed=1)
    no_topic = [0.0] * len(oof)
    cal = choose_thresholds(oof, levels, no_topic, [1.0] * len(oof), CLASSES)
    far = _false_alarms(oof, levels, cal)
    assert CV_FALSE_ALARM_BUDGET - 0.005 <= far <= CV_FALSE_ALARM_BUDGET
    tighter = choose_thresholds(oof, levels, no_topic, [1.0] * len(oof), CLASSES, budget=0.05)
    assert tighter.urgent_threshold > cal.urgent_threshold
    assert _false_alarms(oof, levels, tighter) <= 0.05


def test_a_little_less_data_moves_the_threshold_a_little():
    # the grid search this replaced jumped between distant points when a few examples changed
    oof, levels = _synthetic(3000, seed=2)
    full = choose_thresholds(oof, levels, [0.0] * 3000, [1.0] * 3000, CLASSES)
    keep = np.random.default_rng(3).random(3000) > 0.02
    less = choose_thresholds(
        [p for p, k in zip(oof, keep, strict=True) if k],
        [g for g, k in zip(levels, keep, strict=True) if k],
        [0.0] * int(keep.sum()),
        [1.0] * int(keep.sum()),
        CLASSES,
    )
    assert abs(full.urgent_threshold - less.urgent_threshold) < 0.02


def test_a_confident_urgent_topic_counts_against_the_same_budget():
    oof, levels = _synthetic(2000, seed=4)
    # a topic classifier that is sure about a third of the calm messages: using it would
    # spend the whole budget, so the topic rule stays off
    topic = [
        0.95 if gold in ("none", "low") and i % 3 == 0 else 0.0 for i, gold in enumerate(levels)
    ]
    cal = choose_thresholds(oof, levels, topic, [1.0] * len(oof), CLASSES)
    assert cal.topic_threshold > 0.95
    assert _false_alarms(oof, levels, cal) <= CV_FALSE_ALARM_BUDGET


def test_the_shipped_model_was_calibrated_this_way():
    meta = load_model().meta["risk_cross_validation"]
    assert meta["cv_false_alarms"] <= CV_FALSE_ALARM_BUDGET


def test_what_the_topic_rule_flags_is_paid_for_by_a_higher_urgent_threshold():
    oof, levels = _synthetic(3000, seed=5)
    calm_ids = [i for i, gold in enumerate(levels) if gold in ("none", "low")]
    topic = [0.0] * len(oof)
    for i in calm_ids[::33]:  # the topic classifier is sure about 3% of the calm messages
        topic[i] = 0.9
    without = choose_thresholds(oof, levels, [0.0] * len(oof), [1.0] * len(oof), CLASSES)
    with_rule = choose_thresholds(oof, levels, topic, [1.0] * len(oof), CLASSES)
    assert with_rule.topic_threshold <= 0.9
    assert with_rule.urgent_threshold > without.urgent_threshold
    flagged = [
        topic[i] >= with_rule.topic_threshold
        or model_level(oof[i], CLASSES, with_rule) in ("high", "imminent")
        for i in calm_ids
    ]
    assert sum(flagged) / len(calm_ids) <= CV_FALSE_ALARM_BUDGET


def test_the_keyed_training_order_changes_every_epoch_and_ignores_other_examples():
    from nlu.linear import _keyed_order, key_hashes

    texts = [f"message {i}" for i in range(500)]
    hashes = key_hashes(texts)
    first, second = _keyed_order(hashes, 0), _keyed_order(hashes, 1)
    assert (first == second).mean() < 0.05  # a new order each epoch, not the same one again
    # without example 7, every other example keeps its place relative to the rest
    fewer = _keyed_order(key_hashes(texts[:7] + texts[8:]), 1)
    remaining = [i for i in second if i != 7]
    assert [i + (i >= 7) for i in fewer] == remaining
