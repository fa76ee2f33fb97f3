"""Participants' moves in a training session act through the model and are logged."""

from __future__ import annotations

import numpy as np
import pytest

import diplomacy_sim as ds
from diplomacy_sim.domain.state import Stage
from diplomacy_sim.model import moves


@pytest.fixture
def model(discharge):
    return ds.DiplomacyModel(discharge, seed=3)


def test_proposing_puts_an_initiative_on_the_table(model):
    ev = moves.propose(model, "reablement")
    q = model.state.initiatives.ids.index("reablement")
    assert model.state.initiatives.stage[q] == Stage.NEGOTIATING
    assert ev.kind == "move" and ev.injected and "Home reablement" in ev.text
    with pytest.raises(ValueError, match="already negotiating"):
        moves.propose(model, "reablement")
    with pytest.raises(ValueError, match="allowed: joint_discharge_team"):
        moves.propose(model, "nothing")


def test_courting_brings_a_cold_partner_back(model):
    j = model.org_index["shelter_link"]
    with pytest.raises(ValueError, match="already at the table"):
        moves.court(model, "shelter_link")
    model.state.orgs.engaged[j] = False
    moves.court(model, "shelter_link")
    assert model.state.orgs.engaged[j]


def test_ceding_shifts_cost_to_the_party_that_cedes(model):
    moves.propose(model, "joint_discharge_team")
    q = model.state.initiatives.ids.index("joint_discharge_team")
    j = model.org_index["northgate_hospital"]
    before = model.state.initiatives.shares[q].copy()
    moves.cede(model, "joint_discharge_team", "northgate_hospital", 0.1)
    after = model.state.initiatives.shares[q]
    assert after[j] == pytest.approx(before[j] + 0.1)
    assert after.sum() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="not a party"):
        moves.cede(model, "joint_discharge_team", "shelter_link", 0.1)


def test_meeting_for_coffee_forms_an_informal_tie_both_ways(model):
    t = model.state.ties
    a, b = 0, model.state.people.n - 1
    had = ((t.src == a) & (t.dst == b)).any()
    moves.meet(model, a, b)
    t = model.state.ties
    assert ((t.src == a) & (t.dst == b)).any() and ((t.src == b) & (t.dst == a)).any()
    assert had or t.channel[(t.src == a) & (t.dst == b)][0] == 1
    assert np.all(np.diff(t.src) >= 0)  # ties stay sorted for the influence rule
    with pytest.raises(ValueError, match="themselves"):
        moves.meet(model, a, a)


def test_the_trust_network_exports_to_networkx(model):
    g = moves.trust_network(model)
    assert g.number_of_nodes() == model.state.people.n
    assert g.number_of_edges() == model.state.ties.m
    *_, data = next(iter(g.edges(data=True)))
    assert 0 <= data["trust"] <= 1 and data["channel"] in {"formal", "informal", "frontline", "within"}
