"""Trust after reviews: a broken promise costs 3-5 times what a kept one earns, at every level.

Trust moves in log-odds, by the degree of keeping: +gain x v for a promise kept (v > 0),
+gain x loss_ratio x v for one broken (v < 0). Stated in both engines with exact values.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from diplomacy_sim.domain import people as vectorised
from diplomacy_sim.domain import reference
from diplomacy_sim.scenario.schema import TrustParams

ENGINES = [pytest.param(vectorised, id="vectorised"), pytest.param(reference, id="reference")]


def logit(t):
    return np.log(t / (1.0 - t))


def reviewed(rules, trust, degree, gain, ratio):
    """Trust of org 0's people in org 1 after a review of org 1 with this degree of keeping."""
    verdict = np.array([[0.0, degree], [0.0, 0.0]])
    n = np.size(trust)
    return rules.trust_after_reviews(np.atleast_1d(np.asarray(trust, float)), np.zeros(n, np.int64),
                                     np.ones(n, np.int64), verdict, gain, ratio)


@pytest.mark.parametrize("rules", ENGINES)
def test_a_shift_in_log_odds_moves_trust_by_exactly_that_shift(rules):
    t = np.array([0.2, 0.5, 0.9])
    out = rules.logodds_shift(t, np.array([0.3, -1.0, 0.0]))
    np.testing.assert_allclose(logit(out) - logit(t), [0.3, -1.0, 0.0], atol=1e-12)
    assert out[1] == pytest.approx(math.exp(-1) / (1 + math.exp(-1)))


@pytest.mark.parametrize("rules", ENGINES)
def test_a_kept_promise_adds_gain_times_its_degree_in_log_odds(rules):
    out = reviewed(rules, [0.5, 0.5], 1.0, 0.1, 4.0)
    assert out[0] == pytest.approx(math.exp(0.1) / (1 + math.exp(0.1)))
    half = reviewed(rules, [0.3], 0.5, 0.1, 4.0)
    assert logit(half[0]) - logit(0.3) == pytest.approx(0.05)


@pytest.mark.parametrize("rules", ENGINES)
def test_a_broken_promise_takes_loss_ratio_times_gain_times_its_degree(rules):
    out = reviewed(rules, [0.5], -1.0, 0.1, 4.0)
    assert logit(out[0]) == pytest.approx(-0.4)
    part = reviewed(rules, [0.6], -0.25, 0.1, 4.0)
    assert logit(part[0]) - logit(0.6) == pytest.approx(-0.1)


@pytest.mark.parametrize("rules", ENGINES)
def test_no_review_no_change(rules):
    np.testing.assert_array_equal(reviewed(rules, [0.15, 0.8], 0.0, 0.1, 4.0), [0.15, 0.8])


@pytest.mark.parametrize("rules", ENGINES)
def test_a_broken_promise_costs_three_to_five_times_what_a_kept_one_earns_across_trust(rules):
    """From a new tie's trust (0.15) to 0.8, at the schema's defaults."""
    p = TrustParams()
    levels = np.array([p.new_tie, 0.2, 0.3, 0.5, 0.7, 0.8])
    kept = reviewed(rules, levels, 1.0, p.promise_gain, p.loss_ratio) - levels
    broken = levels - reviewed(rules, levels, -1.0, p.promise_gain, p.loss_ratio)
    ratio = broken / kept
    assert np.all((ratio >= 3.0) & (ratio <= 5.0)), ratio
    # near T the ratio is the loss ratio to first order: exact in the small-step limit
    tiny = reviewed(rules, levels, -1.0, 1e-6, p.loss_ratio)
    small = (levels - tiny) / (reviewed(rules, levels, 1.0, 1e-6, p.loss_ratio) - levels)
    np.testing.assert_allclose(small, p.loss_ratio, rtol=1e-4)


@pytest.mark.parametrize("rules", ENGINES)
def test_trust_stays_within_zero_and_one_however_many_promises_are_broken(rules):
    t = np.array([0.5])
    for _ in range(200):
        t = reviewed(rules, t, -1.0, 1.0, 10.0)
    assert 0.0 <= t[0] < 1e-6
