"""Delivery and review, graded: effort, progress, promises kept by degrees, upkeep of live work."""

from __future__ import annotations

import math

import numpy as np
import pytest

from diplomacy_sim.domain import delivery as dl
from diplomacy_sim.scenario.schema import DeliveryParams


def test_regulator_pressure_tilts_the_box_toward_the_target_by_its_size():
    box = dl.box_agenda(np.array([[0.5, 0.5], [0.5, 0.5]]), np.array([0, -1]),
                        np.array([0.5, 0.9]))
    np.testing.assert_allclose(box, [[1.0 / 1.5, 0.5 / 1.5], [0.5, 0.5]])


def test_attention_is_split_over_the_load_and_cut_by_a_reorganisation_and_absence():
    a = dl.attention(np.array([True, True, False, True]), np.array([False, True, False, False]),
                     np.array([1.0, 4.0, 1.0, 0.0]), 0.4)
    np.testing.assert_allclose(a, [1.0, 0.4 / 2.0, 0.0, 1.0])


def test_effort_is_own_value_times_will_attention_capacity_and_joint_share():
    effort = dl.party_effort(
        np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([1.0, 0.0]), np.array([0, 1]),
        commitment=np.array([0.5, 0.5]), attention=np.array([1.0, 1.0]),
        capacity=np.array([0.5, 1.0]), joint_share=np.array([0.8, 0.4]),
        value_floor=0.25, will_floor=0.4)
    will = 0.4 + 0.6 * 0.5
    # party 0: the deal serves its top priority (own value held at 1); party 1: nothing of
    # its own, so it works at the value floor
    np.testing.assert_allclose(effort, [1.0 * will * 0.5 * 0.8, 0.25 * will * 1.0 * 0.4])


def test_people_who_neither_believe_nor_see_commitment_work_at_the_will_floor():
    effort = dl.party_effort(np.array([[1.0, 0.0]]), np.array([1.0, 0.0]), np.array([0]),
                             np.zeros(1), np.ones(1), np.ones(1), np.ones(1), 0.25, 0.4)
    assert effort[0] == pytest.approx(0.4)


def test_progress_is_share_weighted_effort_boosted_by_frontline_trust():
    inc = dl.progress_increment(np.array([0.5, 1.0]), np.array([0.25, 0.75]), 0.03, 0.2, 0.5)
    assert inc == pytest.approx(0.03 * (0.125 + 0.75) * 1.1)


def test_a_bigger_initiative_takes_longer_in_proportion_to_its_size():
    args = (np.array([0.5, 1.0]), np.array([0.5, 0.5]), 0.03, 0.2, 0.5)
    one, two = dl.progress_increment(*args, size=1.0), dl.progress_increment(*args, size=2.0)
    assert two == pytest.approx(one / 2.0)
    weeks = [math.ceil(1.0 / dl.progress_increment(*args, size=s)) for s in (0.5, 1.0, 2.0)]
    assert weeks[0] < weeks[1] < weeks[2]


def test_a_promise_is_the_effort_a_party_can_give_at_agreement_but_never_below_the_floor():
    np.testing.assert_allclose(dl.promise(np.array([0.6, 0.01]), 0.05), [0.6, 0.05])


@pytest.mark.parametrize(("share", "degree"), [
    (1.0, 1.0), (1.5, 1.0), (0.85, 0.5), (0.7, 0.0), (0.35, -0.5), (0.0, -1.0)])
def test_a_promise_is_kept_or_broken_by_degrees(share, degree):
    got = dl.keeping(np.array([share * 0.4]), np.array([0.4]), 0.7)
    assert got[0] == pytest.approx(degree, abs=1e-12)


def test_any_effort_at_all_keeps_some_of_a_promise_compared_with_none():
    k = dl.keeping(np.array([0.0, 0.01, 0.02]), np.full(3, 0.4), 0.7)
    assert k[0] == -1.0 and k[0] < k[1] < k[2]


def test_no_engagement_factor_of_a_doctrine_makes_a_kept_promise_impossible():
    """Fatalism's low joint share scales effort and promise alike: it can still keep."""
    p = DeliveryParams()
    effort = np.array([0.3 * 0.5])
    assert dl.keeping(effort, dl.promise(effort, p.min_promise), p.promise_tolerance)[0] == 1.0


def test_upkeep_saturates_with_the_share_of_the_promise_given_and_absent_parties_give_none():
    got = dl.upkeep(np.array([0.4, 0.2]), np.array([0.4, 0.4]), np.array([True, True]), 3.0)
    assert got == pytest.approx(((1 - math.exp(-3.0)) + (1 - math.exp(-1.5))) / 2)
    away = dl.upkeep(np.array([0.4, 0.4]), np.array([0.4, 0.4]), np.array([True, False]), 3.0)
    assert away == pytest.approx((1 - math.exp(-3.0)) / 2)


def test_live_work_moves_its_rate_of_the_way_toward_its_upkeep():
    assert dl.live_progress(0.8, 0.95, 0.02) == pytest.approx(0.803)
    assert dl.live_progress(0.95, 0.5, 0.1) == pytest.approx(0.905)


def test_a_board_below_the_unproductive_pace_was_unproductive_and_at_it_was_not():
    assert dl.unproductive(0.0299, 0.12, 0.25)
    assert not dl.unproductive(0.03, 0.12, 0.25)


def test_commitment_is_the_geometric_mean_of_two_beliefs_less_strain():
    beliefs = np.array([[0.5, 0.64, 0.25], [0.9, 1.0, 1.0]])
    np.testing.assert_allclose(dl.commitment(beliefs, np.array([0.5, 0.0])), [0.2, 1.0])


def test_spare_capacity_is_discretionary_money_left_against_before_any_cut():
    got = dl.spare_capacity(np.array([1.0, 3.0, 0.0]), np.array([10.0, 10.0, 10.0]),
                            np.array([0.8, 0.8, 0.8]))
    np.testing.assert_allclose(got, [0.5, 1.0, 0.0])


def test_an_experiment_fails_with_the_appetite_for_risk_the_bosses_do_not_tolerate():
    assert dl.experiment_fail_chance(0.5, 0.2) == pytest.approx(0.4)
    assert dl.experiment_fail_chance(0.0, 0.0) == 0.0
    assert dl.experiment_fail_chance(1.0, 1.0) == 0.0
