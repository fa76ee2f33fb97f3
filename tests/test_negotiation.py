"""Negotiation and delivery rules, as specifications."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from diplomacy_sim.domain import delivery as dl
from diplomacy_sim.domain import negotiation as ng
from diplomacy_sim.domain.doctrines import DOCTRINES


def view(agendas, belief=0.8, trust=0.5, disc=(10.0, 10.0), skill=0.8):
    m = len(agendas)
    return ng.TableView(
        table_agenda=np.array(agendas, float),
        box_agenda=np.array(agendas, float),
        belief=np.full(m, belief),
        trust=np.full((m, m), trust),
        discretionary=np.array(disc, float),
        skill=np.full(m, skill),
        present=np.ones(m, bool),
    )


ARGS = dict(deadline=10, exponent=1.0, ceding_rate=0.5, purpose_consensus=0.2,
            cost_sensitivity=1.0, trust_weight=0.5, compliance=0.8)


def round_(v, doctrine, shares=(0.5, 0.5), round_no=0, advances=(1.0, 0.0), cost=0.5,
           draws=(0.0, 0.0), authority=(0.9, 0.3)):
    return ng.negotiation_round(
        v, np.array([0, 1]), np.array(advances), cost, np.array(shares, float), round_no,
        DOCTRINES[doctrine], 0, compliance_draws=np.array(draws), authority=np.array(authority),
        **ARGS,
    )


def test_aspiration_concedes_over_time_boulware_slowly_conceder_quickly():
    u = np.array([1.0])
    boulware = [float(ng.aspiration(u, t, 10, 0.3)[0]) for t in range(11)]
    conceder = [float(ng.aspiration(u, t, 10, 3.0)[0]) for t in range(11)]
    assert boulware[0] == conceder[0] == 1.0 and boulware[-1] == conceder[-1] == 0.0
    assert all(a >= b for a, b in itertools.pairwise(boulware))
    assert boulware[5] > conceder[5]


def test_a_deal_that_serves_both_agendas_is_agreed_once_aspirations_fall():
    v = view([[0.9, 0.1], [0.8, 0.2]])
    first, _ = round_(v, "diplomacy", round_no=0)
    assert not first.agreed  # at round 0 everyone aspires to pay nothing
    late, _ = round_(v, "diplomacy", round_no=9)
    assert late.agreed and not late.agree_to_disagree


def test_diplomats_can_agree_to_disagree_where_others_cannot():
    # both value the initiative, for different reasons: it advances both issues
    v = view([[1.0, 0.0], [0.0, 1.0]])
    adv = (1.0, 1.0)
    dip, _ = round_(v, "diplomacy", round_no=9, advances=adv)
    stew, _ = round_(v, "stewardship", round_no=9, advances=adv)
    assert dip.agreed and dip.agree_to_disagree
    assert not stew.agreed  # purpose gap 1.0 > purpose_consensus and no agreeing to disagree


def test_ceding_moves_cost_toward_the_party_with_surplus():
    # party 0 loves the deal, party 1 barely values it: a diplomat cedes share to party 1
    v = view([[1.0, 0.0], [0.3, 0.7]])
    res, shares = round_(v, "diplomacy", round_no=5, shares=(0.5, 0.5), cost=0.6)
    assert not res.agreed and res.moved > 0
    assert shares[0] > 0.5 > shares[1]
    assert shares.sum() == pytest.approx(1.0)


def test_command_agrees_by_compliance_not_by_value():
    v = view([[1.0, 0.0], [0.0, 1.0]])
    complied, _ = round_(v, "command", draws=(0.0, 0.0))
    refused, _ = round_(v, "command", draws=(0.0, 0.99))
    assert complied.agreed and not complied.agree_to_disagree
    assert not refused.agreed and list(refused.rejecting) == [1]


def test_back_in_the_box_effort_follows_the_organisations_own_agenda():
    box = np.array([[1.0, 0.0], [0.0, 1.0]])
    effort = dl.party_effort(box, np.array([1.0, 0.0]), np.array([0, 1]), np.ones(2),
                             np.ones(2), np.ones(2), 1.0)
    assert effort[0] == pytest.approx(1.0)
    assert effort[1] == pytest.approx(0.25)
    assert list(dl.review(effort, 0.4)) == [True, False]


def test_regulator_pressure_tilts_the_box_toward_the_target():
    agenda = np.array([[0.5, 0.5]])
    tilted = dl.box_agenda(agenda, np.array([1]), np.array([0.5]))
    assert tilted[0, 1] > tilted[0, 0] and tilted.sum() == pytest.approx(1.0)
