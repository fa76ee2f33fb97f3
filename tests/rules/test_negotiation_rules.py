"""Negotiation as a protocol, stated with hand-computed values.

Each party values a deal by its own utility (benefit to the agenda it argues from, times
its belief the deal will happen and its confidence in the others, less its cost share
against its budget and any consensus-norm penalty), against a reservation value that falls
over the rounds by its concession curve. Offers move cost share; under a lead, others
comply with a probability. Each rule is checked on a case small enough to work by hand.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from diplomacy_sim.domain import negotiation as ng

TERMS = ng.Terms(deadline=10, ceding_rate=0.5, consensus_norm=0.5, cost_sensitivity=1.0,
                 trust_weight=0.5, trust_reference=0.5, poverty_floor=0.05,
                 compliance_authority=4.0, compliance_utility=4.0, compliance_grievance=1.0)


def view(**kw):
    m = kw.pop("m", 2)
    base = dict(
        table_agenda=np.array([[0.6, 0.4], [0.4, 0.6], [0.5, 0.5]])[:m],
        box_agenda=np.array([[0.6, 0.4], [0.4, 0.6], [0.5, 0.5]])[:m],
        belief=np.ones(m), trust=np.full((m, m), 0.5), discretionary=np.full(m, 10.0),
        skill=np.ones(m), present=np.ones(m, bool), authority=np.full(m, 0.5),
        grievance=np.zeros(m), concession=np.ones(m), cede=np.zeros(m),
        agree_to_disagree=np.zeros(m),
    )
    base.update(kw)
    return ng.TableView(**base)


# ---------------------------------------------------------------- the parts of a party's value
def test_benefit_counts_the_top_priority_as_one():
    agenda = np.array([[0.6, 0.4], [0.5, 0.5]])
    np.testing.assert_allclose(ng.benefit(agenda, np.array([1.0, 0.0])), [1.0, 1.0])
    np.testing.assert_allclose(ng.benefit(agenda, np.array([0.0, 1.0])), [0.4 / 0.6, 1.0])
    np.testing.assert_allclose(ng.benefit(agenda, np.array([0.0, 0.0])), [0.0, 0.0])


def test_a_cost_share_weighs_more_on_a_poorer_party():
    units = ng.cost_units(0.3, np.array([0, 1]), np.array([10.0, 30.0]), 0.05)
    np.testing.assert_allclose(units, [0.3 * 20 / 10, 0.3 * 20 / 30])


def test_a_party_with_no_money_for_joint_work_minds_cost_only_down_to_the_poverty_floor():
    units = ng.cost_units(0.3, np.array([0, 1]), np.array([0.0, 40.0]), 0.05)
    # mean 20; the broke party is treated as having 5% of it
    np.testing.assert_allclose(units, [0.3 * 20 / 1.0, 0.3 * 20 / 40])


def test_the_reasons_gap_is_the_distance_to_the_other_parties_mean_agenda():
    agenda = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]])
    gap = ng.reasons_gap(agenda, np.array([0, 1, 2]))
    np.testing.assert_allclose(gap, [0.75, 0.75, 0.0], atol=1e-15)
    np.testing.assert_array_equal(ng.reasons_gap(agenda, np.array([0])), [0.0])


def test_trust_above_the_reference_adds_to_a_deals_worth_and_below_it_takes_away():
    trust = np.array([[1.0, 0.8], [0.2, 1.0]])
    conf = ng.trust_confidence(view(trust=trust), np.array([0, 1]), 0.5, 0.5)
    np.testing.assert_allclose(conf, [1.15, 0.85])
    conf = ng.trust_confidence(view(trust=trust), np.array([0, 1]), 5.0, 0.5)
    np.testing.assert_allclose(conf, [2.5, 0.0])  # never below nothing


def test_a_partys_value_is_belief_times_benefit_times_confidence_less_cost_and_norm():
    v = view(belief=np.array([0.8, 0.5]), trust=np.array([[1.0, 0.7], [0.5, 1.0]]),
             discretionary=np.array([10.0, 30.0]))
    u = ng.values(v, np.array([0, 1]), np.array([1.0, 0.0]), 0.3, np.array([0.5, 0.5]), TERMS)
    benefit = np.array([1.0, 0.4 / 0.6])
    conf = np.array([1.0 + 0.5 * 0.2, 1.0])
    unit = np.array([0.6, 0.2])
    gap = np.array([0.2, 0.2])  # [0.6, 0.4] against [0.4, 0.6]
    want = np.array([0.8, 0.5]) * benefit * conf - unit * 0.5 - 0.5 * gap
    np.testing.assert_allclose(u, want, atol=1e-15)


def test_agreeing_to_disagree_sets_the_consensus_norm_aside_in_proportion():
    parties, adv, shares = np.array([0, 1]), np.array([1.0, 0.0]), np.array([0.5, 0.5])
    strict = ng.values(view(), parties, adv, 0.3, shares, TERMS)
    half = ng.values(view(agree_to_disagree=np.array([0.5, 0.5])), parties, adv, 0.3, shares,
                     TERMS)
    free = ng.values(view(agree_to_disagree=np.ones(2)), parties, adv, 0.3, shares, TERMS)
    np.testing.assert_allclose(half - strict, 0.5 * 0.5 * 0.2, atol=1e-15)
    np.testing.assert_allclose(free - strict, 0.5 * 0.2, atol=1e-15)


# ---------------------------------------------------------------- concession over rounds
def test_the_reservation_value_falls_from_the_best_value_to_nothing_by_the_deadline():
    e = np.ones(1)
    assert ng.reservation(np.ones(1), 0, 10, e)[0] == 1.0
    assert ng.reservation(np.ones(1), 5, 10, e)[0] == pytest.approx(0.5)
    assert ng.reservation(np.ones(1), 10, 10, e)[0] == 0.0
    assert ng.reservation(np.ones(1), 15, 10, e)[0] == 0.0


def test_a_boulware_holds_out_and_a_conceder_gives_early():
    r = ng.reservation(np.ones(3), 5, 10, np.array([0.5, 1.0, 2.0]))
    np.testing.assert_allclose(r, [1 - 0.5**2, 0.5, 1 - 0.5**0.5])


def test_a_deal_worth_nothing_reserves_nothing():
    assert ng.reservation(np.array([-0.3]), 0, 10, np.ones(1))[0] == 0.0


# ---------------------------------------------------------------- compliance under a lead
def test_compliance_is_even_odds_with_no_authority_gap_no_value_and_no_grievance():
    p = ng.compliance_probability(0.5, np.array([0.5]), np.zeros(1), np.zeros(1), TERMS)
    assert p[0] == pytest.approx(0.5)


def test_compliance_rises_with_the_authority_gap_and_own_value_and_falls_with_grievance():
    p = ng.compliance_probability(1.0, np.array([0.5, 0.5, 0.5, 1.0]),
                                  np.array([0.0, 0.5, 0.0, 0.0]),
                                  np.array([0.0, 0.0, 2.0, 0.0]), TERMS)
    logistic = lambda z: 1.0 / (1.0 + math.exp(-z))  # noqa: E731
    np.testing.assert_allclose(p, [logistic(2.0), logistic(4.0), logistic(0.0), 0.5])


# ---------------------------------------------------------------- offers
def test_the_proposer_takes_on_the_cost_share_a_rejecting_party_needs_shed():
    shares, moved = ng.counter_offer(
        np.array([0.5, 0.5]), np.array([True, False]), np.array([0.6, 0.1]),
        np.array([0.2, 0.3]), np.ones(2), 0, np.zeros(2), np.ones(2), 0.5)
    assert moved == pytest.approx(0.2)
    np.testing.assert_allclose(shares, [0.7, 0.3])


def test_the_proposer_gives_at_most_its_own_surplus():
    shares, moved = ng.counter_offer(
        np.array([0.5, 0.5]), np.array([True, False]), np.array([0.25, 0.0]),
        np.array([0.2, 0.3]), np.ones(2), 0, np.zeros(2), np.ones(2), 0.5)
    assert moved == pytest.approx(0.05)
    np.testing.assert_allclose(shares, [0.55, 0.45])


def test_a_ceding_party_gives_ceding_rate_times_skill_of_its_surplus():
    # proposer 0 has no surplus; party 1 cedes 0.5 * 0.8 * 1 of its surplus 0.5 = 0.2
    shares, moved = ng.counter_offer(
        np.array([0.4, 0.3, 0.3]), np.array([True, True, False]), np.array([0.2, 0.7, 0.0]),
        np.array([0.2, 0.2, 0.3]), np.ones(3), 0, np.array([0.0, 1.0, 0.0]),
        np.array([1.0, 0.8, 1.0]), 0.5)
    assert moved == pytest.approx(0.2)
    np.testing.assert_allclose(shares, [0.4, 0.5, 0.1])


def test_nobody_with_surplus_means_no_share_moves():
    start = np.array([0.5, 0.5])
    shares, moved = ng.counter_offer(start, np.array([True, False]), np.array([0.2, 0.0]),
                                     np.array([0.2, 0.3]), np.ones(2), 0, np.ones(2),
                                     np.ones(2), 1.0)
    assert moved == 0.0
    np.testing.assert_array_equal(shares, start)


# ---------------------------------------------------------------- a round
def test_a_deal_every_party_values_above_its_reservation_is_agreed_as_it_stands():
    v = view(table_agenda=np.array([[0.6, 0.4], [0.6, 0.4]]))
    shares = np.array([0.5, 0.5])
    res, new = ng.negotiation_round(v, np.array([0, 1]), np.array([1.0, 0.0]), 0.3, shares,
                                    10, False, 0, TERMS, np.zeros(2))
    assert res.agreed and not res.agree_to_disagree and res.rejecting.size == 0
    np.testing.assert_array_equal(new, shares)


def test_early_in_the_talks_a_party_holds_out_for_more_and_the_offer_moves():
    res, new = ng.negotiation_round(view(), np.array([0, 1]), np.array([1.0, 0.0]), 0.3,
                                    np.array([0.5, 0.5]), 0, False, 0, TERMS, np.zeros(2))
    assert not res.agreed
    np.testing.assert_allclose(new.sum(), 1.0)


def test_parties_agreeing_for_different_reasons_are_recorded_as_agreeing_to_disagree():
    v = view(agree_to_disagree=np.ones(2))
    res, _ = ng.negotiation_round(v, np.array([0, 1]), np.array([0.5, 0.5]), 0.01,
                                  np.array([0.5, 0.5]), 10, False, 0, TERMS, np.zeros(2))
    assert res.agreed and res.agree_to_disagree


def test_under_a_lead_the_others_comply_by_their_draws():
    v = view(authority=np.array([1.0, 0.0]))
    p = ng.compliance_probability(1.0, np.array([0.0]), np.zeros(1), np.zeros(1), TERMS)[0]
    yes, _ = ng.negotiation_round(v, np.array([0, 1]), np.array([1.0, 0.0]), 0.01,
                                  np.array([0.5, 0.5]), 10, True, 0, TERMS,
                                  np.array([0.0, 0.0]))
    assert yes.agreed
    no, _ = ng.negotiation_round(v, np.array([0, 1]), np.array([1.0, 0.0]), 0.01,
                                 np.array([0.5, 0.5]), 10, True, 0, TERMS,
                                 np.array([0.0, 0.9999999]))
    assert p < 0.9999999 and not no.agreed and list(no.rejecting) == [1]


# ---------------------------------------------------------------- authority and drive
def test_a_mandate_adds_its_share_of_the_authority_a_lead_lacks():
    a = ng.mandated_authority(np.array([0.6, 0.6]), np.array([True, False]), 0.5)
    np.testing.assert_allclose(a, [0.8, 0.6])


def test_the_drive_to_propose_grows_with_joint_share_and_belief_and_is_a_probability():
    assert ng.proposal_drive(0.5, 1.0, 0.5, 0.6, 0.0) == pytest.approx(0.55)
    assert ng.proposal_drive(0.5, 0.3, 0.5, 0.6, 0.0) == pytest.approx(0.165)
    assert ng.proposal_drive(0.5, 1.0, 0.5, 0.6, 1.0) == pytest.approx(1.0)
    assert ng.proposal_drive(1.0, 1.0, 2.0, 1.0, 1.0) == 1.0
