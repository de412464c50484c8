"""The helpline's own contact counts nudge the topic decision, never the risk."""

import numpy as np

from nlu.analyzer import BuiltinAnalyzer, category_prior_factors
from nlu.model import load_model
from nlu.taxonomy import load_taxonomy


def test_common_topics_weigh_more_than_rare_ones():
    classes = ("psychological", "exploitation__labour", "greeting")
    counts = {"psychological": 1605, "exploitation__labour": 7}
    factors = category_prior_factors(classes, counts, 0.3)
    assert factors[0] > 1 > factors[1]
    assert factors[2] < factors[0]  # an intent with no count gets a small floor, not zero
    assert category_prior_factors(classes, counts, 0.0) is None
    assert category_prior_factors(classes, {}, 0.3) is None


def test_the_shipped_taxonomy_counts_match_the_published_2025_totals():
    counts = load_taxonomy().contact_counts
    assert counts["psychological"] == 1605
    social = sum(v for k, v in counts.items() if k.startswith("social__"))
    violence = sum(v for k, v in counts.items() if k.startswith("violence__"))
    assert (social, violence) == (823, 808)
    assert sum(counts.values()) >= 5520


def test_the_prior_changes_topics_but_not_the_risk_level():
    model = load_model()
    with_prior = BuiltinAnalyzer(model, cache_size=0)
    assert model.calibration.category_prior_weight > 0
    texts = [
        "məni heç kim başa düşmür, evdə də, məktəbdə də",
        "ögey atam hər gün məni döyür",
        "i feel lonely at my new school",
        "хочу умереть",
    ]
    before = [with_prior.analyze(t) for t in texts]
    model.calibration.category_prior_weight = 0.0
    try:
        without = BuiltinAnalyzer(model, cache_size=0)
        after = [without.analyze(t) for t in texts]
    finally:
        model.calibration.category_prior_weight = with_prior.model.calibration.category_prior_weight
    assert [a.risk for a in before] == [a.risk for a in after]
    assert np.all([a.category for a in before])
