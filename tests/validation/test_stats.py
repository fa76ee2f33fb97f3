"""The statistics module (scipy.stats underneath) gives the textbook answers.

Holm's adjustment is checked against a worked example; the intervals and tests against
scipy's own functions called directly and against hand-checkable cases.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from diplomacy_sim.analysis import stats as st

pytestmark = pytest.mark.validation


def test_holm_matches_the_worked_example_and_keeps_the_order():
    # p = 0.01, 0.04, 0.03, 0.005 (m = 4): sorted 0.005*4, 0.01*3, 0.03*2, 0.04*1 -> running max
    assert st.holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert st.holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])  # capped at 1
    out = st.holm([float("nan"), 0.02])
    assert math.isnan(out[0]) and out[1] == pytest.approx(0.02)  # NaN is not counted


def test_holm_never_rejects_more_than_unadjusted_and_at_least_bonferroni():
    p = np.random.default_rng(1).uniform(0, 0.2, 25)
    adj = np.array(st.holm(p))
    assert (adj >= p).all() and (adj <= np.minimum(1, p * len(p)) + 1e-15).all()


def test_paired_difference_is_scipys_paired_t_test():
    rng = np.random.default_rng(2)
    a = rng.normal(1.0, 1.0, 40)
    b = a - 0.3 + rng.normal(0, 0.5, 40)
    r = st.paired(a, b, "greater")
    t = sps.ttest_rel(a, b, alternative="greater")
    ci = sps.ttest_rel(a, b).confidence_interval(0.95)
    assert r.p == pytest.approx(t.pvalue) and (r.low, r.high) == pytest.approx((ci.low, ci.high))
    assert r.mean == pytest.approx(float(np.mean(a - b)))
    assert r.dz == pytest.approx(float(np.mean(a - b) / np.std(a - b, ddof=1)))
    assert st.paired(a, b, "less").p == pytest.approx(1 - t.pvalue)


def test_degenerate_differences_are_no_evidence_or_decisive():
    zero = st.paired([0.2, 0.2, 0.2], [0.2, 0.2, 0.2], "greater")
    assert zero.p == 1.0 and (zero.low, zero.high) == (0.0, 0.0)
    constant = st.paired([0.3, 0.3, 0.3], [0.1, 0.1, 0.1], "greater")
    assert constant.p == 0.0 and constant.mean == pytest.approx(0.2)
    assert st.paired([0.3, 0.3], [0.1, 0.1], "less").p == 1.0
    assert st.paired([1.0], [0.0]).p == 1.0  # one pair: no test


def test_proportion_is_the_exact_binomial_test_with_a_two_sided_wilson_interval():
    r = st.proportion(30, 40, 0.5, "greater")
    t = sps.binomtest(30, 40, 0.5, alternative="greater")
    ci = sps.binomtest(30, 40, 0.5).proportion_ci(0.95, method="wilson")
    assert r.p == pytest.approx(t.pvalue) and (r.low, r.high) == pytest.approx((ci.low, ci.high))
    assert r.high < 1.0  # two-sided, not the one-sided bound of the test's direction


def test_mean_ci_is_the_t_interval():
    x = np.array([0.1, 0.4, 0.35, 0.8, 0.5])
    m, lo, hi = st.mean_ci(x)
    half = sps.t.ppf(0.975, 4) * x.std(ddof=1) / math.sqrt(5)
    assert (m, lo, hi) == pytest.approx((x.mean(), x.mean() - half, x.mean() + half))


def test_bootstrap_is_seeded_covers_the_statistic_and_gives_a_one_sided_p():
    x = np.random.default_rng(3).normal(2.0, 1.0, 60)
    lo, hi, p = st.bootstrap_ci(x, np.median, null=0.0)
    assert (lo, hi, p) == st.bootstrap_ci(x, np.median, null=0.0)  # repeatable
    assert lo < float(np.median(x)) < hi and p < 0.01
    _, _, p_less = st.bootstrap_ci(x, np.median, null=0.0, alternative="less")
    assert p_less > 0.99
    a, b = x, x * 0.5
    lo2, hi2, _ = st.bootstrap_ci((a, b), lambda u, w: w.mean() / u.mean(), samples=2)
    assert lo2 == pytest.approx(0.5) and hi2 == pytest.approx(0.5)  # paired resampling
