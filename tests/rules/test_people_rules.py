"""The per-person rules, stated with hand-computed values, in both engines.

Each test states one rule's direction and size on a tiny case worked out by hand. Every
test runs against the vectorised rules *and* their per-agent twins: the twin-equality
oracle in tests/test_rules.py cannot see a bug made the same way in both, but an
independently stated expected value can.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from diplomacy_sim.domain import people as vectorised
from diplomacy_sim.domain import reference

ENGINES = [pytest.param(vectorised, id="vectorised"), pytest.param(reference, id="reference")]


def _one(x: float) -> np.ndarray:
    return np.array([x], dtype=float)


# ---------------------------------------------------------------- agenda distance
@pytest.mark.parametrize("rules", ENGINES)
def test_agenda_distance_is_half_the_sum_of_absolute_differences(rules):
    a = np.array([[0.5, 0.5, 0.0], [1.0, 0.0, 0.0], [0.2, 0.3, 0.5]])
    b = np.array([[0.0, 0.5, 0.5], [0.0, 0.0, 1.0], [0.2, 0.3, 0.5]])
    np.testing.assert_allclose(rules.agenda_distance(a, b), [0.5, 1.0, 0.0], atol=1e-15)


# ---------------------------------------------------------------- openness (productive zone)
@pytest.mark.parametrize("rules", ENGINES)
def test_openness_peaks_at_the_productive_anxiety_and_falls_by_e_one_width_away(rules):
    anxiety = np.array([0.4, 0.65, 0.15, 0.9, 0.0])
    got = rules.openness_factor(anxiety, 0.4, 0.25)
    want = [1.0, math.exp(-1.0), math.exp(-1.0), math.exp(-4.0), math.exp(-(1.6**2))]
    np.testing.assert_allclose(got, want, rtol=1e-12)


@pytest.mark.parametrize("rules", ENGINES)
def test_a_narrower_productive_zone_closes_people_faster(rules):
    wide = rules.openness_factor(np.array([0.6]), 0.4, 0.4)[0]
    narrow = rules.openness_factor(np.array([0.6]), 0.4, 0.1)[0]
    assert wide == pytest.approx(math.exp(-0.25))
    assert narrow == pytest.approx(math.exp(-4.0))


# ---------------------------------------------------------------- influence
def _pair(agenda1, eps0=0.5, weight=0.5, anchoring=0.2, self_weight=1.0):
    agenda = np.array([[1.0, 0.0], list(agenda1)])
    anchor = np.array([[0.5, 0.5], [0.5, 0.5]])
    return (agenda, anchor, np.full(2, anchoring), np.array([eps0, 0.0]),
            np.array([0]), np.array([1]), np.array([weight]), self_weight)


@pytest.mark.parametrize("rules", ENGINES)
def test_influence_mixes_self_heard_view_and_anchor_by_their_weights(rules):
    # person 0 hears person 1 (distance 0.2 < 0.5) with weight 0.5 against self weight 1:
    # mixed = (1*[1, 0] + 0.5*[0.8, 0.2]) / 1.5; new = 0.2*anchor + 0.8*mixed
    new, dist = rules.influence(*_pair([0.8, 0.2]))
    mixed = np.array([1.4, 0.1]) / 1.5
    np.testing.assert_allclose(dist, [0.2], atol=1e-15)
    np.testing.assert_allclose(new[0], 0.2 * np.array([0.5, 0.5]) + 0.8 * mixed, atol=1e-15)
    # person 1 hears no one: only the anchor pulls
    np.testing.assert_allclose(new[1], 0.2 * np.array([0.5, 0.5]) + 0.8 * np.array([0.8, 0.2]),
                               atol=1e-15)


@pytest.mark.parametrize("rules", ENGINES)
def test_a_view_exactly_at_the_confidence_bound_is_not_heard_and_just_inside_it_is(rules):
    # distance [1, 0] to [0.5, 0.5] is exactly 0.5
    at, _ = rules.influence(*_pair([0.5, 0.5], eps0=0.5, anchoring=0.0))
    np.testing.assert_array_equal(at[0], [1.0, 0.0])
    inside, _ = rules.influence(*_pair([0.5, 0.5], eps0=np.nextafter(0.5, 1.0), anchoring=0.0))
    # heard with weight 0.5 against self weight 1: ([1, 0] + 0.5 * [0.5, 0.5]) / 1.5
    np.testing.assert_allclose(inside[0], [1.25 / 1.5, 0.25 / 1.5], atol=1e-15)


@pytest.mark.parametrize("rules", ENGINES)
def test_more_trusted_others_pull_further_but_never_past_their_own_view(rules):
    moves = []
    for w in (0.1, 0.5, 2.0, 100.0):
        new, _ = rules.influence(*_pair([0.8, 0.2], weight=w, anchoring=0.0))
        # the move is w / (1 + w) of the gap toward the heard view
        assert new[0, 1] == pytest.approx(0.2 * w / (1.0 + w))
        moves.append(new[0, 1])
    assert moves == sorted(moves) and moves[-1] < 0.2


@pytest.mark.parametrize("rules", ENGINES)
def test_anchoring_holds_people_to_their_starting_view(rules):
    free, _ = rules.influence(*_pair([0.8, 0.2], anchoring=0.0))
    held, _ = rules.influence(*_pair([0.8, 0.2], anchoring=1.0))
    np.testing.assert_allclose(held, [[0.5, 0.5], [0.5, 0.5]], atol=1e-15)
    np.testing.assert_allclose(free[0], np.array([1.4, 0.1]) / 1.5, atol=1e-15)


@pytest.mark.parametrize("rules", ENGINES)
def test_with_no_self_weight_a_listener_takes_the_heard_view(rules):
    new, _ = rules.influence(*_pair([0.8, 0.2], anchoring=0.0, self_weight=0.0))
    np.testing.assert_allclose(new[0], [0.8, 0.2], atol=1e-15)


# ---------------------------------------------------------------- identity pull
@pytest.mark.parametrize("rules", ENGINES)
def test_identity_pull_moves_members_toward_their_organisations_agenda_by_its_size(rules):
    agenda = np.array([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0]])
    box = np.array([[0.0, 1.0], [0.0, 1.0], [0.0, 1.0]])
    # step = (1 - anchoring) * pull: 0.5 * 0.2 = 0.1; 1.0 * 0.0 = 0; 0 * 0.3 = 0
    out = rules.identity_pull(agenda, box, np.array([0.5, 0.0, 1.0]), np.array([0.2, 0.0, 0.3]))
    np.testing.assert_allclose(out, [[0.9, 0.1], [1.0, 0.0], [1.0, 0.0]], atol=1e-15)


@pytest.mark.parametrize("rules", ENGINES)
def test_full_identity_pull_puts_an_unanchored_member_in_the_box(rules):
    out = rules.identity_pull(np.array([[0.7, 0.3]]), np.array([[0.2, 0.8]]), _one(0.0), _one(1.0))
    np.testing.assert_allclose(out, [[0.2, 0.8]], atol=1e-15)


# ---------------------------------------------------------------- trust from encounters
@pytest.mark.parametrize("rules", ENGINES)
def test_an_agreeing_encounter_builds_trust_by_gain_weight_closeness_and_headroom(rules):
    # up = t + gain * w * (1 - d) * (1 - t) = 0.5 + 0.1 * 0.5 * 0.9 * 0.5
    out = rules.trust_after_encounters(_one(0.5), _one(0.1), _one(0.3), np.array([True]),
                                       _one(0.5), 0.1, 0.5)
    assert out[0] == pytest.approx(0.5225, abs=1e-15)


@pytest.mark.parametrize("rules", ENGINES)
def test_a_clashing_encounter_wears_trust_by_friction_times_gain(rules):
    # down = t - gain * friction * w * t = 0.5 - 0.1 * 0.5 * 0.5 * 0.5
    out = rules.trust_after_encounters(_one(0.5), _one(0.9), _one(0.3), np.array([True]),
                                       _one(0.5), 0.1, 0.5)
    assert out[0] == pytest.approx(0.4875, abs=1e-15)


@pytest.mark.parametrize("rules", ENGINES)
def test_views_exactly_at_the_bound_count_as_a_clash(rules):
    out = rules.trust_after_encounters(_one(0.5), _one(0.3), _one(0.3), np.array([True]),
                                       _one(1.0), 0.1, 0.5)
    assert out[0] == pytest.approx(0.5 - 0.1 * 0.5 * 0.5)


@pytest.mark.parametrize("rules", ENGINES)
def test_no_encounter_no_change_in_trust(rules):
    out = rules.trust_after_encounters(np.array([0.5, 0.7]), np.array([0.1, 0.9]),
                                       np.array([0.3, 0.3]), np.array([False, False]),
                                       np.ones(2), 0.1, 0.5)
    np.testing.assert_array_equal(out, [0.5, 0.7])


# ---------------------------------------------------------------- anxiety
@pytest.mark.parametrize("rules", ENGINES)
def test_anxiety_moves_toward_baseline_plus_disturbance_at_its_rate(rules):
    # target 0.2 + 0.5 = 0.7; 0.2 + 0.15 * (0.7 - 0.2) = 0.275
    out = rules.anxiety_update(np.array([0.2, 0.6]), np.array([0.5, 0.0]), 0.2, 0.15)
    np.testing.assert_allclose(out, [0.275, 0.6 + 0.15 * (0.2 - 0.6)], atol=1e-15)


@pytest.mark.parametrize("rules", ENGINES)
def test_anxiety_targets_at_most_one_however_large_the_disturbance(rules):
    out = rules.anxiety_update(_one(0.5), _one(3.0), 0.2, 0.5)
    assert out[0] == pytest.approx(0.75)


@pytest.mark.parametrize("rules", ENGINES)
def test_calm_anxiety_stays_at_the_baseline(rules):
    out = rules.anxiety_update(_one(0.2), _one(0.0), 0.2, 0.9)
    assert out[0] == pytest.approx(0.2)


# ---------------------------------------------------------------- beliefs
@pytest.mark.parametrize("rules", ENGINES)
def test_beliefs_move_toward_signals_at_the_belief_rate_with_signals_clipped(rules):
    beliefs = np.full((1, 3), 0.5)
    signals = np.array([[0.9, 1.7, -0.5]])  # the last two count as 1 and 0
    out = rules.belief_update(beliefs, signals, 0.1)
    np.testing.assert_allclose(out, [[0.54, 0.55, 0.45]], atol=1e-15)


@pytest.mark.parametrize("rules", ENGINES)
def test_at_belief_rate_one_beliefs_become_the_signal(rules):
    out = rules.belief_update(np.full((1, 3), 0.2), np.array([[0.9, 0.0, 1.0]]), 1.0)
    np.testing.assert_allclose(out, [[0.9, 0.0, 1.0]], atol=1e-15)


# ---------------------------------------------------------------- others' commitment
@pytest.mark.parametrize("rules", ENGINES)
def test_others_commitment_is_the_trust_weighted_mean_over_ones_ties(rules):
    commitment = np.array([0.3, 0.1, 0.9])
    src, dst, trust = np.array([0, 0]), np.array([1, 2]), np.array([0.2, 0.6])
    out = rules.neighbour_commitment(commitment, src, dst, trust, 3)
    # person 0: (0.2 * 0.1 + 0.6 * 0.9) / 0.8 = 0.7
    assert out[0] == pytest.approx(0.7, abs=1e-15)


@pytest.mark.parametrize("rules", ENGINES)
def test_a_person_with_no_ties_sees_no_evidence_and_keeps_one_half(rules):
    commitment = np.array([0.3, 0.1, 0.9, 0.95])
    src, dst, trust = np.array([0, 3]), np.array([1, 2]), np.array([0.4, 0.0])
    out = rules.neighbour_commitment(commitment, src, dst, trust, 4)
    assert out[1] == 0.5 and out[2] == 0.5  # nobody to watch
    assert out[3] == 0.5  # ties, but none trusted at all
    assert out[0] == pytest.approx(0.1)


@pytest.mark.parametrize("rules", ENGINES)
def test_an_isolated_person_keeps_the_no_evidence_belief(rules):
    # with no ties the "will happen" signal is one half; a belief of one half then stays put
    seen = rules.neighbour_commitment(np.array([0.9, 0.1]), np.zeros(0, np.int64),
                                      np.zeros(0, np.int64), np.zeros(0), 2)
    beliefs = np.full((2, 3), 0.5)
    out = rules.belief_update(beliefs, np.column_stack([beliefs[:, :2], seen]), 0.3)
    np.testing.assert_array_equal(out[:, 2], [0.5, 0.5])


# ---------------------------------------------------------------- strain
@pytest.mark.parametrize("rules", ENGINES)
def test_strain_rises_with_unproductive_meetings_and_anxiety_by_the_stated_amounts(rules):
    # 0.1 + 0.03 * 2 + 0.5 * 0.03 * 0.4 - 0.02 * 0.1 = 0.164
    out = rules.strain_update(_one(0.1), _one(2.0), _one(0.4), 0.03, 0.02)
    assert out[0] == pytest.approx(0.164, abs=1e-15)


@pytest.mark.parametrize("rules", ENGINES)
def test_anxiety_adds_strain_as_anxiety_strain_unproductive_meetings_per_unit(rules):
    # 0.1 + 0.03 * 0 + 2.0 * 0.03 * 0.5 - 0.02 * 0.1 = 0.128
    out = rules.strain_update(_one(0.1), _one(0.0), _one(0.5), 0.03, 0.02, 2.0)
    assert out[0] == pytest.approx(0.128, abs=1e-15)
    none = rules.strain_update(_one(0.1), _one(0.0), _one(0.5), 0.03, 0.02, 0.0)
    assert none[0] == pytest.approx(0.098, abs=1e-15)


@pytest.mark.parametrize("rules", ENGINES)
def test_strain_falls_at_rest_by_the_recovery_rate(rules):
    out = rules.strain_update(_one(0.5), _one(0.0), _one(0.0), 0.03, 0.1)
    assert out[0] == pytest.approx(0.45, abs=1e-15)


@pytest.mark.parametrize("rules", ENGINES)
def test_each_unproductive_meeting_adds_the_same_strain(rules):
    out = rules.strain_update(np.zeros(4), np.arange(4.0), np.zeros(4), 0.05, 0.0)
    np.testing.assert_allclose(np.diff(out), [0.05, 0.05, 0.05], atol=1e-15)


@pytest.mark.parametrize("rules", ENGINES)
def test_strain_is_held_at_one_however_many_meetings_go_nowhere(rules):
    # 0.99 + 0.1 * 5 - 0.1 * 0.99 = 1.391, held at 1
    out = rules.strain_update(np.array([0.99]), np.array([5.0]), np.zeros(1), 0.1, 0.1)
    np.testing.assert_array_equal(out, [1.0])


# ---------------------------------------------------------------- organisation aggregates
@pytest.mark.parametrize("rules", ENGINES)
def test_organisation_sums_weight_each_member(rules):
    org = np.array([0, 0, 1, 2])
    weight = np.array([1.0, 0.5, 0.0, 2.0])
    num, den = rules.org_sums(np.array([0.2, 0.4, 0.9, 0.3]), org, weight, 3)
    np.testing.assert_allclose(num, [0.4, 0.0, 0.6], atol=1e-15)
    np.testing.assert_allclose(den, [1.5, 0.0, 2.0], atol=1e-15)
    num2, den2 = rules.org_sums(np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5], [0.3, 0.7]]),
                                org, weight, 3)
    np.testing.assert_allclose(num2, [[1.0, 0.5], [0.0, 0.0], [0.6, 1.4]], atol=1e-15)
    np.testing.assert_allclose(den2, den, atol=1e-15)


@pytest.mark.parametrize("rules", ENGINES)
def test_organisation_pair_sums_add_trust_and_count_ties(rules):
    src_org, dst_org = np.array([0, 0, 1, 0]), np.array([1, 1, 0, 2])
    num, den = rules.org_pair_sums(src_org, dst_org, np.array([0.2, 0.4, 0.7, 0.1]), 3)
    want_num = np.zeros((3, 3))
    want_num[0, 1], want_num[1, 0], want_num[0, 2] = 0.6, 0.7, 0.1
    want_den = np.zeros((3, 3))
    want_den[0, 1], want_den[1, 0], want_den[0, 2] = 2, 1, 1
    np.testing.assert_allclose(num, want_num, atol=1e-15)
    np.testing.assert_array_equal(den, want_den)


# ---------------------------------------------------------------- anxious anchoring
@pytest.mark.parametrize("rules", ENGINES)
def test_past_the_productive_zone_anxiety_adds_anchoring_in_proportion(rules):
    # 0.3 + (1 - 0.3) * 1.0 * (0.6 - 0.4) = 0.44; calmer than the peak: unchanged
    out = rules.anxious_anchoring(np.array([0.3, 0.3, 0.3]), np.array([0.6, 0.4, 0.1]), 0.4, 1.0)
    np.testing.assert_allclose(out, [0.44, 0.3, 0.3], atol=1e-15)


@pytest.mark.parametrize("rules", ENGINES)
def test_very_anxious_people_hold_fully_to_their_own_view(rules):
    out = rules.anxious_anchoring(np.array([0.2]), np.array([0.9]), 0.4, 5.0)
    np.testing.assert_array_equal(out, [1.0])
