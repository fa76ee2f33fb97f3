"""The per-person rules, as specifications: each rule, its invariants, and its oracle."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from diplomacy_sim.domain import people as vec
from diplomacy_sim.domain import reference as ref

unit = st.floats(0.0, 1.0, allow_nan=False)


def random_world(seed: int, n: int = 30, k: int = 4, m_ties: int = 120):
    rng = np.random.default_rng(seed)
    agenda = rng.dirichlet(np.ones(k), n)
    anchor = rng.dirichlet(np.ones(k), n)
    src = rng.integers(0, n, m_ties)
    dst = (src + 1 + rng.integers(0, n - 1, m_ties)) % n
    order = np.lexsort((dst, src))
    src, dst = src[order], dst[order]
    return {
        "agenda": agenda,
        "anchor": anchor,
        "anchoring": rng.random(n),
        "eps": rng.random(n),
        "src": src,
        "dst": dst,
        "weight": rng.random(m_ties) * (rng.random(m_ties) < 0.6),
        "trust": rng.random(m_ties),
    }


# ---------------------------------------------------------------- influence
def test_a_fully_anchored_person_never_moves():
    w = random_world(1)
    w["anchoring"][:] = 1.0
    w["agenda"] = w["anchor"].copy()
    new, _ = vec.influence(w["agenda"], w["anchor"], w["anchoring"], w["eps"], w["src"],
                           w["dst"], w["weight"], 1.0)
    np.testing.assert_array_equal(new, w["anchor"])


def test_a_person_with_no_anchor_and_nobody_heard_keeps_their_view():
    w = random_world(2)
    w["anchoring"][:] = 0.0
    w["weight"][:] = 0.0
    new, _ = vec.influence(w["agenda"], w["anchor"], w["anchoring"], w["eps"], w["src"],
                           w["dst"], w["weight"], 1.0)
    np.testing.assert_allclose(new, w["agenda"])


def test_views_beyond_the_confidence_bound_are_not_heard():
    agenda = np.array([[1.0, 0.0], [0.0, 1.0], [0.9, 0.1]])
    src, dst = np.array([0, 0]), np.array([1, 2])
    new, dist = vec.influence(agenda, agenda.copy(), np.zeros(3), np.full(3, 0.5), src, dst,
                              np.ones(2), 1.0)
    np.testing.assert_allclose(dist, [1.0, 0.1])
    # person 0 hears only person 2 (distance 0.1 < 0.5), not person 1 (distance 1.0)
    np.testing.assert_allclose(new[0], [0.95, 0.05])


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), self_weight=st.floats(0.0, 5.0))
def test_agendas_stay_on_the_simplex(seed, self_weight):
    w = random_world(seed)
    new, _ = vec.influence(w["agenda"], w["anchor"], w["anchoring"], w["eps"], w["src"],
                           w["dst"], w["weight"], max(self_weight, 1e-6))
    assert np.all(new >= -1e-12)
    np.testing.assert_allclose(new.sum(axis=1), 1.0)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_vectorised_influence_equals_the_per_agent_reference(seed):
    w = random_world(seed)
    args = (w["agenda"], w["anchor"], w["anchoring"], w["eps"], w["src"], w["dst"],
            w["weight"], 1.0)
    a, da = vec.influence(*args)
    b, db = ref.influence(*args)
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
    np.testing.assert_allclose(da, db, rtol=0, atol=1e-12)


def test_identity_pulls_people_toward_their_organisation_but_not_the_fully_anchored():
    agenda = np.array([[1.0, 0.0], [1.0, 0.0]])
    box = np.array([[0.0, 1.0], [0.0, 1.0]])
    out = vec.identity_pull(agenda, box, np.array([0.0, 1.0]), np.array([0.5, 0.5]))
    np.testing.assert_allclose(out, [[0.5, 0.5], [1.0, 0.0]])
    np.testing.assert_allclose(out, ref.identity_pull(agenda, box, np.array([0.0, 1.0]),
                                                      np.array([0.5, 0.5])))


# ---------------------------------------------------------------- trust
def _review(t, gain, ratio, kept=1.0, broken=-1.0):
    trust = np.array([t, t])
    verdict = np.array([[0.0, kept], [broken, 0.0]])  # org 0 saw 1 keep; org 1 saw 0 break
    out = vec.trust_after_reviews(trust, np.array([0, 1]), np.array([1, 0]), verdict, gain, ratio)
    return out[0] - t, t - out[1]


@settings(max_examples=80, deadline=None)
@given(t=st.floats(0.05, 0.95), gain=st.floats(0.01, 0.2), ratio=st.floats(1.5, 10.0))
def test_trust_falls_faster_on_a_broken_promise_than_it_rises_on_a_kept_one(t, gain, ratio):
    rise, fall = _review(t, gain, ratio)
    assert rise > 0 and fall > 0
    # in log-odds the loss is exactly `ratio` times the gain, at every trust level
    logit = lambda x: np.log(x / (1 - x))  # noqa: E731
    assert logit(t + rise) - logit(t) == pytest.approx(gain)
    assert logit(t) - logit(t - fall) == pytest.approx(gain * ratio)


@pytest.mark.parametrize("t", [0.15, 0.2, 0.3, 0.5, 0.8])
def test_a_broken_promise_costs_three_to_five_times_a_kept_one_across_the_range(t):
    # the default gain and loss ratio, from new ties (0.15) to high trust (0.8)
    rise, fall = _review(t, 0.1, 4.0)
    assert 3.0 <= fall / rise <= 5.0


def test_a_partly_kept_promise_moves_trust_in_proportion():
    full_rise, full_fall = _review(0.4, 0.1, 4.0)
    half_rise, half_fall = _review(0.4, 0.1, 4.0, kept=0.5, broken=-0.5)
    assert 0.45 < half_rise / full_rise < 0.55
    assert 0.45 < half_fall / full_fall < 0.6


def test_reviews_match_the_reference_twin():
    rng = np.random.default_rng(3)
    trust = rng.random(50)
    src_org, dst_org = rng.integers(0, 3, 50), rng.integers(0, 3, 50)
    verdict = rng.uniform(-1, 1, (3, 3))
    verdict[0, 1] = 0.0
    args = (trust, src_org, dst_org, verdict, 0.1, 4.0)
    np.testing.assert_allclose(vec.trust_after_reviews(*args), ref.trust_after_reviews(*args),
                               atol=1e-12)
    shift = rng.normal(0, 1, 50)
    np.testing.assert_allclose(vec.logodds_shift(trust, shift), ref.logodds_shift(trust, shift),
                               atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), gain=st.floats(0.0, 0.5), friction=unit)
def test_trust_stays_in_range_and_matches_the_reference(seed, gain, friction):
    w = random_world(seed)
    rng = np.random.default_rng(seed)
    dist = rng.random(w["src"].size)
    met = rng.random(w["src"].size) < 0.5
    chw = rng.random(w["src"].size)
    args = (w["trust"], dist, w["eps"][w["src"]], met, chw, gain, friction)
    a = vec.trust_after_encounters(*args)
    assert np.all((a >= 0) & (a <= 1))
    np.testing.assert_allclose(a, ref.trust_after_encounters(*args), atol=1e-15)
    np.testing.assert_array_equal(a[~met], w["trust"][~met])  # no encounter, no change


def test_agreeing_encounters_build_trust_and_clashing_ones_wear_it():
    trust = np.array([0.5, 0.5])
    out = vec.trust_after_encounters(trust, np.array([0.1, 0.9]), np.array([0.3, 0.3]),
                                     np.array([True, True]), np.ones(2), 0.1, 0.5)
    assert out[0] > 0.5 > out[1]


# ---------------------------------------------------------------- affect and beliefs
def test_openness_is_an_inverted_u_in_anxiety():
    a = np.linspace(0, 1, 101)
    g = vec.openness_factor(a, 0.4, 0.25)
    assert a[np.argmax(g)] == pytest.approx(0.4)
    assert g[0] < g[40] and g[100] < g[40]
    np.testing.assert_allclose(g, ref.openness_factor(a, 0.4, 0.25))


@settings(max_examples=60, deadline=None)
@given(
    anx=arrays(np.float64, 20, elements=unit),
    dist=arrays(np.float64, 20, elements=st.floats(0.0, 2.0)),
    base=unit, rate=unit,
)
def test_anxiety_stays_in_range_and_matches_the_reference(anx, dist, base, rate):
    out = vec.anxiety_update(anx, dist, base, rate)
    assert np.all((out >= 0) & (out <= 1))
    np.testing.assert_allclose(out, ref.anxiety_update(anx, dist, base, rate))


@settings(max_examples=60, deadline=None)
@given(
    beliefs=arrays(np.float64, (10, 3), elements=unit),
    signals=arrays(np.float64, (10, 3), elements=st.floats(-1.0, 2.0)),
    rate=unit,
)
def test_beliefs_follow_signals_within_range(beliefs, signals, rate):
    out = vec.belief_update(beliefs, signals, rate)
    assert np.all((out >= 0) & (out <= 1))
    np.testing.assert_allclose(out, ref.belief_update(beliefs, signals, rate))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_people_see_others_commitment_through_trusted_ties(seed):
    w = random_world(seed)
    commit = np.random.default_rng(seed).random(30)
    a = vec.neighbour_commitment(commit, w["src"], w["dst"], w["trust"], 30)
    np.testing.assert_allclose(a, ref.neighbour_commitment(commit, w["src"], w["dst"],
                                                           w["trust"], 30), atol=1e-12)
    assert np.all((a >= 0) & (a <= 1))


@settings(max_examples=60, deadline=None)
@given(
    strain=arrays(np.float64, 10, elements=unit),
    unprod=arrays(np.float64, 10, elements=st.floats(0.0, 5.0)),
    anx=arrays(np.float64, 10, elements=unit),
    gain=unit, rec=unit,
)
def test_strain_stays_in_range_and_matches_the_reference(strain, unprod, anx, gain, rec):
    out = vec.strain_update(strain, unprod, anx, gain, rec)
    assert np.all((out >= 0) & (out <= 1))
    np.testing.assert_allclose(out, ref.strain_update(strain, unprod, anx, gain, rec))


def test_with_no_self_weight_a_person_who_hears_no_one_keeps_their_view():
    w = random_world(3)
    w["anchoring"][:] = 0.0
    w["weight"][:] = 0.0
    args = (w["agenda"], w["anchor"], w["anchoring"], w["eps"], w["src"], w["dst"],
            w["weight"], 0.0)
    new, _ = vec.influence(*args)
    assert np.isfinite(new).all()
    np.testing.assert_allclose(new, w["agenda"])
    np.testing.assert_allclose(ref.influence(*args)[0], new)


def test_new_ties_keep_the_order_and_an_existing_tie_is_kept_as_it_is():
    from diplomacy_sim.domain.state import Ties

    t = Ties(src=np.array([0, 1, 2]), dst=np.array([1, 2, 0]), trust=np.array([0.9, 0.5, 0.4]),
             channel=np.array([1, 1, 1]), age=np.array([5, 5, 5]))
    t.append(np.array([2, 0, 0, 2]), np.array([1, 1, 2, 1]), np.array([0.1, 0.1, 0.1, 0.2]),
             np.array([2, 2, 2, 2]))
    assert list(zip(t.src.tolist(), t.dst.tolist(), strict=True)) == [
        (0, 1), (0, 2), (1, 2), (2, 0), (2, 1)]
    assert t.trust[0] == 0.9 and t.age[0] == 5  # (0, 1) was already tied: unchanged
    assert t.trust[4] == 0.1  # the first of two new (2, 1) ties is the one made


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), k=st.integers(1, 5))
def test_organisation_aggregates_match_the_per_agent_reference(seed, k):
    rng = np.random.default_rng(seed)
    n, m = 40, 6
    org = rng.integers(0, m, n)
    weight = (rng.random(n) < 0.7).astype(float)
    values = rng.random((n, k))
    for v in (values, values[:, 0]):
        a_num, a_den = vec.org_sums(v, org, weight, m)
        b_num, b_den = ref.org_sums(v, org, weight, m)
        np.testing.assert_allclose(a_num, b_num, atol=1e-12)
        np.testing.assert_array_equal(a_den, b_den)
    w = random_world(seed)
    so, do = org[w["src"] % n], org[w["dst"] % n]
    a, b = vec.org_pair_sums(so, do, w["trust"], m), ref.org_pair_sums(so, do, w["trust"], m)
    np.testing.assert_allclose(a[0], b[0], atol=1e-12)
    np.testing.assert_array_equal(a[1], b[1])


def test_anxiety_past_the_productive_zone_raises_anchoring_and_matches_the_reference():
    a = np.array([0.3, 0.3, 0.3])
    anx = np.array([0.2, 0.6, 2.0])
    out = vec.anxious_anchoring(a, anx, 0.4, 1.0)
    # below the zone unchanged; 0.2 past it moves a fifth of the way to 1; far past, fully
    assert out == pytest.approx(np.array([0.3, 0.3 + 0.7 * 0.2, 1.0]))
    np.testing.assert_allclose(out, ref.anxious_anchoring(a, anx, 0.4, 1.0))


@pytest.mark.parametrize(("n", "noun", "text"), [(1, "week", "1 week"), (0, "week", "0 weeks"),
                                                 (2, "round", "2 rounds"), (52, "week", "52 weeks")])
def test_a_count_in_the_models_sentences_agrees_with_its_noun(n, noun, text):
    from diplomacy_sim.domain.events import counted

    assert counted(n, noun) == text and counted(np.int64(n), noun) == text


def test_every_role_name_takes_its_article():
    from diplomacy_sim.domain.events import with_article
    from diplomacy_sim.domain.state import ROLE_NAMES

    expected = {"executive": "an executive", "enabler": "an enabler", "manager": "a manager",
                "councillor": "a councillor", "frontline": "a frontline"}
    assert {r: with_article(r) for r in ROLE_NAMES} == {r: expected[r] for r in ROLE_NAMES}
