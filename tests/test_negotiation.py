"""Negotiation and delivery rules, as specifications (issue 14: a protocol, not a gate)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from diplomacy_sim.domain import delivery as dl
from diplomacy_sim.domain import negotiation as ng


def view(agendas, belief=0.8, trust=0.5, disc=(10.0, 10.0), skill=0.8, authority=(0.9, 0.3),
         grievance=(0.0, 0.0), concession=(1.0, 1.0), cede=(0.0, 0.0), atd=(0.0, 0.0)):
    m = len(agendas)
    return ng.TableView(
        table_agenda=np.array(agendas, float),
        box_agenda=np.array(agendas, float),
        belief=np.full(m, belief),
        trust=np.full((m, m), trust),
        discretionary=np.array(disc, float),
        skill=np.full(m, skill),
        present=np.ones(m, bool),
        authority=np.array(authority, float),
        grievance=np.array(grievance, float),
        concession=np.array(concession, float),
        cede=np.array(cede, float),
        agree_to_disagree=np.array(atd, float),
    )


TERMS = ng.Terms(deadline=10, ceding_rate=0.5, consensus_norm=0.5, cost_sensitivity=1.0,
                 trust_weight=0.5, trust_reference=0.5, poverty_floor=0.05,
                 compliance_authority=4.0, compliance_utility=4.0, compliance_grievance=1.0)


NO_NORM = ng.Terms(**{**TERMS.__dict__, "consensus_norm": 0.0})


def round_(v, shares=(0.5, 0.5), round_no=0, advances=(1.0, 0.0), cost=0.5, led=False,
           draws=(0.0, 0.0), terms=TERMS):
    return ng.negotiation_round(
        v, np.array([0, 1]), np.array(advances), cost, np.array(shares, float), round_no,
        led, 0, terms, np.array(draws, float),
    )


def test_reservation_concedes_over_time_boulware_slowly_conceder_quickly():
    u = np.array([1.0])
    boulware = [float(ng.reservation(u, t, 10, np.array([0.3]))[0]) for t in range(11)]
    conceder = [float(ng.reservation(u, t, 10, np.array([3.0]))[0]) for t in range(11)]
    assert boulware[0] == conceder[0] == 1.0 and boulware[-1] == conceder[-1] == 0.0
    assert all(a >= b for a, b in itertools.pairwise(boulware))
    assert boulware[5] > conceder[5]
    # u(t) = 1 - t^(1/e): at half time a conceder (e = 3) holds 1 - 0.5^(1/3)
    assert conceder[5] == pytest.approx(1 - 0.5 ** (1 / 3))


def test_a_deal_that_serves_both_agendas_is_agreed_once_reservations_fall():
    v = view([[0.9, 0.1], [0.8, 0.2]])
    first, _ = round_(v, round_no=0)
    assert not first.agreed  # at round 0 everyone aspires to pay nothing
    late, _ = round_(v, round_no=9)
    assert late.agreed and not late.agree_to_disagree


def test_a_boulware_party_holds_out_longer_than_a_conceder():
    agendas = [[0.9, 0.1], [0.8, 0.2]]
    def first_agreed(e):
        v = view(agendas, concession=(e, e))
        return next(r for r in range(11) if round_(v, round_no=r)[0].agreed)
    assert first_agreed(0.3) > first_agreed(3.0)


def test_the_consensus_norm_makes_different_reasons_costly_by_degrees():
    adv = np.array([1.0, 1.0])
    parties = np.array([0, 1])
    near = ng.values(view([[0.6, 0.4], [0.4, 0.6]]), parties, adv, 0.5, np.zeros(2), TERMS)
    far = ng.values(view([[1.0, 0.0], [0.0, 1.0]]), parties, adv, 0.5, np.zeros(2), TERMS)
    free = ng.values(view([[1.0, 0.0], [0.0, 1.0]]), parties, adv, 0.5, np.zeros(2),
                     ng.Terms(**{**TERMS.__dict__, "consensus_norm": 0.0}))
    # the gap costs consensus_norm x distance: 0.5 x 1.0 when reasons differ wholly
    assert free - far == pytest.approx(np.full(2, 0.5))
    # a smaller gap costs less (0.5 x 0.2), never a cliff
    gap_cost_near = ng.values(view([[0.6, 0.4], [0.4, 0.6]]), parties, adv, 0.5, np.zeros(2),
                              ng.Terms(**{**TERMS.__dict__, "consensus_norm": 0.0})) - near
    assert gap_cost_near == pytest.approx(np.full(2, 0.1))


def test_agreeing_to_disagree_sets_the_norm_aside_so_each_accepts_for_its_own_reasons():
    adv = (1.0, 1.0)
    apart = [[1.0, 0.0], [0.0, 1.0]]
    strict = ng.Terms(**{**TERMS.__dict__, "consensus_norm": 2.0})
    dip, _ = round_(view(apart, atd=(1.0, 1.0)), round_no=9, advances=adv, terms=strict)
    other, _ = round_(view(apart), round_no=9, advances=adv, terms=strict)
    assert dip.agreed and dip.agree_to_disagree
    assert not other.agreed  # the gap costs each more than the deal is worth


def test_ceding_moves_cost_toward_the_party_with_surplus():
    # party 0 loves the deal, party 1 barely values it: the proposer takes on cost share
    v = view([[1.0, 0.0], [0.3, 0.7]], cede=(1.0, 1.0))
    res, shares = round_(v, round_no=5, shares=(0.5, 0.5), cost=0.6, terms=NO_NORM)
    assert not res.agreed and res.moved > 0
    assert shares[0] > 0.5 > shares[1]
    assert shares.sum() == pytest.approx(1.0)


def test_a_ceding_non_proposer_gives_part_of_its_surplus_and_a_non_ceder_none():
    # round 7: party 1 proposes; party 0 has the surplus; only if it cedes does cost move
    agendas = [[1.0, 0.0], [0.3, 0.7]]
    _, keep = round_(view(agendas, cede=(0.0, 0.0)), round_no=7, cost=0.6, terms=NO_NORM)
    res, ceded = round_(view(agendas, cede=(1.0, 0.0)), round_no=7, cost=0.6, terms=NO_NORM)
    assert keep == pytest.approx(np.array([0.5, 0.5]))
    assert res.moved > 0 and ceded[0] > 0.5


def test_compliance_rises_with_authority_gap_and_own_value_and_falls_with_grievance():
    p = lambda gap, u, g: float(ng.compliance_probability(  # noqa: E731
        0.5 + gap, np.array([0.5]), np.array([u]), np.array([g]), TERMS)[0])
    assert p(0.0, 0.0, 0.0) == pytest.approx(0.5)
    assert p(0.4, 0.0, 0.0) > p(0.2, 0.0, 0.0) > p(0.0, 0.0, 0.0)
    assert p(0.0, 0.3, 0.0) > p(0.0, 0.0, 0.0)
    assert p(0.0, 0.0, 1.0) < p(0.0, 0.0, 0.0)
    # logistic: authority gap 0.25 at 4 log-odds per unit gives odds e^1
    assert p(0.25, 0.0, 0.0) == pytest.approx(1 / (1 + np.exp(-1.0)))


def test_under_a_lead_others_agree_by_compliance_not_by_their_own_reservation():
    v = view([[1.0, 0.0], [0.0, 1.0]])
    complied, _ = round_(v, led=True, draws=(0.0, 0.0))
    refused, _ = round_(v, led=True, draws=(0.0, 0.99))
    assert complied.agreed
    assert not refused.agreed and list(refused.rejecting) == [1]


def test_a_mandate_adds_authority_the_lead_lacks():
    a = ng.mandated_authority(np.array([0.6, 0.6]), np.array([True, False]), 0.5)
    assert a == pytest.approx(np.array([0.8, 0.6]))


def test_back_in_the_box_effort_follows_what_its_people_value_and_its_joint_share():
    value = np.array([[1.0, 0.0], [0.0, 1.0]])
    args = (value, np.array([1.0, 0.0]), np.array([0, 1]), np.ones(2), np.ones(2), np.ones(2))
    effort = dl.party_effort(*args, np.ones(2), 0.25, 0.4)
    assert effort == pytest.approx(np.array([1.0, 0.25]))
    half = dl.party_effort(*args, np.full(2, 0.5), 0.25, 0.4)
    assert half == pytest.approx(effort * 0.5)


def test_keeping_is_graded_from_broken_through_neutral_to_kept():
    promised = np.full(5, 0.4)
    effort = np.array([0.0, 0.14, 0.28, 0.34, 0.4])
    k = dl.keeping(effort, promised, 0.7)
    assert k == pytest.approx(np.array([-1.0, -0.5, 0.0, 0.5, 1.0]))
    assert dl.keeping(np.array([0.8]), np.array([0.4]), 0.7) == pytest.approx([1.0])


def test_a_low_effort_party_can_keep_a_low_promise():
    # fatalism gives joint work a small share: it promises little and can keep it
    promised = dl.promise(np.array([0.09]), 0.05)
    assert dl.keeping(np.array([0.09]), promised, 0.7)[0] == pytest.approx(1.0)
    assert dl.promise(np.array([0.01]), 0.05)[0] == pytest.approx(0.05)


def test_live_work_follows_its_upkeep_and_is_never_held_at_complete():
    full = dl.upkeep(np.array([0.5, 0.5]), np.array([0.5, 0.5]), np.ones(2, bool), 3.0)
    assert full == pytest.approx(1 - np.exp(-3.0))
    gone = dl.upkeep(np.array([0.5, 0.5]), np.array([0.5, 0.5]), np.array([True, False]), 3.0)
    assert gone == pytest.approx(full / 2)
    p = 1.0
    for _ in range(20):
        p = dl.live_progress(p, full, 0.02)
    assert full < p < 1.0


def test_regulator_pressure_tilts_the_box_toward_the_target():
    agenda = np.array([[0.5, 0.5]])
    tilted = dl.box_agenda(agenda, np.array([1]), np.array([0.5]))
    assert tilted[0, 1] > tilted[0, 0] and tilted.sum() == pytest.approx(1.0)


def test_commitment_needs_belief_in_both_possibility_and_delivery_and_falls_with_strain():
    beliefs = np.array([[0.5, 0.64, 1.0], [0.5, 0.64, 0.0], [0.5, 0.64, 1.0]])
    c = dl.commitment(beliefs, np.array([0.0, 0.0, 0.5]))
    assert c == pytest.approx(np.array([0.8, 0.0, 0.4]))


def test_spare_capacity_is_the_share_of_discretionary_budget_left_after_cuts():
    cap = dl.spare_capacity(np.array([2.0, 1.0, 0.0]), np.full(3, 10.0), np.full(3, 0.8))
    assert cap == pytest.approx(np.array([1.0, 0.5, 0.0]))
    assert dl.experiment_fail_chance(0.5, 0.2) == pytest.approx(0.4)


def test_cede_share_takes_from_the_others_in_proportion_and_never_more_than_they_hold():
    out, take = ng.cede_share(np.array([0.2, 0.5, 0.3]), 0, 0.4)
    assert take == pytest.approx(0.4)
    assert out == pytest.approx(np.array([0.6, 0.25, 0.15]))
    out, take = ng.cede_share(np.array([0.9, 0.1]), 0, 0.5)
    assert take == pytest.approx(0.1) and out == pytest.approx(np.array([1.0, 0.0]))


def test_proposal_drive_grows_with_joint_share_and_belief():
    base = ng.proposal_drive(0.5, 1.0, 0.5, 0.5, 0.0)
    assert base == pytest.approx(0.5)
    assert ng.proposal_drive(0.5, 0.3, 0.5, 0.5, 0.0) == pytest.approx(0.15)
    assert ng.proposal_drive(0.5, 1.0, 0.5, 0.9, 0.0) > base
    assert ng.proposal_drive(1.0, 1.0, 2.0, 1.0, 1.0) == 1.0


def test_trust_in_the_others_raises_a_deals_value_around_the_reference():
    parties = np.array([0, 1])
    warm = ng.trust_confidence(view([[1, 0], [0, 1]], trust=0.9), parties, 0.5, 0.5)
    cold = ng.trust_confidence(view([[1, 0], [0, 1]], trust=0.1), parties, 0.5, 0.5)
    assert warm == pytest.approx(np.full(2, 1.2)) and cold == pytest.approx(np.full(2, 0.8))


def test_the_reasons_gap_is_each_partys_distance_to_the_others():
    gap = ng.reasons_gap(np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]]), np.array([0, 1, 2]))
    assert gap == pytest.approx(np.array([1.0, 0.5, 0.5]))


def test_poorer_parties_feel_a_cost_share_more_down_to_the_poverty_floor():
    units = ng.cost_units(0.3, np.array([0, 1, 2]), np.array([10.0, 5.0, 0.0]), 0.05)
    mean = 5.0
    assert units == pytest.approx(np.array([0.3 * mean / 10, 0.3, 0.3 * mean / (0.05 * mean)]))
