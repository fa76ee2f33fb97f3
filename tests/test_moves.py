"""Participants' moves: thin functions over the model's rules, validated and logged."""

from __future__ import annotations

import numpy as np
import pytest

import diplomacy_sim as ds
from diplomacy_sim.domain.state import Stage
from diplomacy_sim.model import moves
from diplomacy_sim.model.moves import MOVES, MoveError


@pytest.fixture
def model(discharge):
    return ds.DiplomacyModel(discharge, seed=3)


def test_proposing_puts_an_initiative_on_the_table_by_the_participant(model):
    ev = moves.propose(model, "reablement", "city_council")
    q = model.state.initiatives.ids.index("reablement")
    assert model.state.initiatives.stage[q] == Stage.NEGOTIATING
    assert ev.kind == "move" and ev.injected and "Home reablement" in ev.text
    assert ev.text.startswith("City Council")
    with pytest.raises(MoveError, match="already negotiating"):
        moves.propose(model, "reablement", "city_council")
    with pytest.raises(MoveError, match="allowed: joint_discharge_team"):
        moves.propose(model, "nothing", "city_council")
    with pytest.raises(MoveError, match="not a party"):
        moves.propose(model, "joint_discharge_team", "shelter_link")


def test_a_proposal_with_no_free_workstream_waits_for_one(model):
    for q in range(3):
        model.put_on_table(q, int(np.flatnonzero(model.state.initiatives.parties[q])[0]))
    ev = moves.propose(model, "reablement", "city_council")
    assert "as soon as a workstream is free" in ev.text
    q = model.state.initiatives.ids.index("reablement")
    assert model.state.initiatives.stage[q] == Stage.PROPOSED
    model.state.initiatives.stage[0] = Stage.ABANDONED  # a workstream frees up
    model.step()
    assert model.state.initiatives.stage[q] == Stage.NEGOTIATING


def test_courting_sets_the_courting_decision_and_works_through_the_courting_rule(model):
    j, b = model.org_index["shelter_link"], model.org_index["city_council"]
    with pytest.raises(MoveError, match="already at the table"):
        moves.court(model, "shelter_link", "city_council")
    model.state.orgs.engaged[j] = False
    model.state.orgs.ignored_weeks[j] = 0
    moves.court(model, "shelter_link", "city_council")
    assert model.decisions.court[b] == j
    back = 0
    for _ in range(8):
        model.step()
        back += bool(model.state.orgs.engaged[j])
        if back:
            break
    assert back  # 3 contacts a week at 10% each: back within 8 weeks with odds > 0.99


def test_ceding_shifts_cost_to_the_party_that_cedes(model):
    moves.propose(model, "joint_discharge_team", "northgate_hospital")
    q = model.state.initiatives.ids.index("joint_discharge_team")
    j = model.org_index["northgate_hospital"]
    before = model.state.initiatives.shares[q].copy()
    moves.cede(model, "joint_discharge_team", "northgate_hospital", 0.1)
    after = model.state.initiatives.shares[q]
    assert after[j] == pytest.approx(before[j] + 0.1)
    assert after.sum() == pytest.approx(1.0)
    assert model.decisions.cede[j] == 1.0
    with pytest.raises(MoveError, match="not a party"):
        moves.cede(model, "joint_discharge_team", "shelter_link", 0.1)
    with pytest.raises(MoveError, match="from 0 to 1"):
        moves.cede(model, "joint_discharge_team", "northgate_hospital", 1.5)


def test_meeting_for_coffee_forms_an_informal_tie_both_ways(model):
    t = model.state.ties
    a, b = 0, model.state.people.n - 1
    had = ((t.src == a) & (t.dst == b)).any()
    moves.meet(model, a, b)
    t = model.state.ties
    assert ((t.src == a) & (t.dst == b)).any() and ((t.src == b) & (t.dst == a)).any()
    assert had or t.channel[(t.src == a) & (t.dst == b)][0] == 1
    assert np.all(np.diff(t.src) >= 0)  # ties stay sorted for the influence rule
    with pytest.raises(MoveError, match="themselves"):
        moves.meet(model, a, a)


def test_meeting_again_uses_the_encounter_trust_rule(model):
    a, b = 0, model.state.people.n - 1
    moves.meet(model, a, b)
    t = model.state.ties
    e = int(np.flatnonzero((t.src == a) & (t.dst == b))[0])
    before = float(t.trust[e])
    moves.meet(model, a, b)
    after = float(model.state.ties.trust[e])
    assert after != before  # it moves as an informal encounter does (up among like minds)


def test_the_decision_moves_override_the_autopilot_for_the_hold_period(model):
    j = model.org_index["northgate_hospital"]
    moves.set_joint_capacity(model, "northgate_hospital", 0.2)
    moves.attend_board(model, "city_council", False)
    moves.agree_to_disagree(model, "joint_discharge_team", "northgate_hospital")
    moves.ask_mandate(model, "city_council", "reablement")
    c = model.org_index["city_council"]
    hold = model.params.moves.hold_weeks
    for _ in range(hold - 1):
        model.step()
    d = model.decisions
    assert d.joint_share[j] == 0.2 and d.agree_to_disagree[j] == 1.0
    assert not d.attend[c] and d.mandate[c]
    assert not model.state.orgs.engaged[c]
    for _ in range(2):
        model.step()
    assert d.joint_share[j] == 1.0  # the diplomacy autopilot resumes


def test_every_registered_move_validates_its_arguments_and_has_a_cost(model):
    assert set(MOVES) == {"propose", "court", "cede", "meet", "attend_board",
                          "set_joint_capacity", "agree_to_disagree", "ask_mandate", "stay_idle"}
    for spec in MOVES.values():
        lo, hi = spec.cost_bounds()
        assert lo <= spec.cost(model) <= hi and spec.description and spec.label and spec.roles
        assert sum(a.self_arg for a in spec.args) == 1  # the room binds the acting role
    with pytest.raises(MoveError, match="allowed: propose"):
        moves.apply(model, "bribe", {})
    with pytest.raises(MoveError, match="takes initiative, by_org"):
        moves.apply(model, "propose", {"initiative": "reablement"})
    ev = moves.apply(model, "set_joint_capacity", {"org": "city_council", "share": 0.5})
    assert ev.kind == "move"


def test_moves_do_not_touch_runs_without_moves(discharge):
    a = ds.DiplomacyModel(discharge, seed=5)
    b = ds.DiplomacyModel(discharge, seed=5)
    for _ in range(30):
        a.step()
        b.step()
    assert a.rows == b.rows


def test_the_trust_network_exports_to_networkx(model):
    g = moves.trust_network(model)
    assert g.number_of_nodes() == model.state.people.n
    assert g.number_of_edges() == model.state.ties.m
    *_, data = next(iter(g.edges(data=True)))
    assert 0 <= data["trust"] <= 1 and data["channel"] in {"formal", "informal", "frontline", "within"}


def test_a_dry_run_validates_without_changing_anything(model):
    before = (model.state.initiatives.stage.copy(), len(model.events))
    assert MOVES["propose"].check(model, initiative="reablement", by_org="city_council") is None
    assert (model.state.initiatives.stage == before[0]).all() and len(model.events) == before[1]
    with pytest.raises(MoveError, match="not a party"):
        MOVES["propose"].check(model, initiative="reablement", by_org="shelter_link")


def test_a_move_can_name_who_made_it_and_hold_for_the_rooms_round(model):
    j = model.org_index["city_council"]
    ev = moves.set_joint_capacity(model, "city_council", 0.4, by="Sam, council executive",
                                  weeks=13)
    assert ev.text.startswith("City Council (Sam, council executive):")
    assert model.decisions.held_until["joint_share"][j] == model.week + 13
    with pytest.raises(MoveError, match="weeks must be a whole number from 1 to 520"):
        moves.set_joint_capacity(model, "city_council", 0.4, weeks=0)


def test_staying_idle_holds_every_discretionary_decision_at_doing_nothing(model):
    j = model.org_index["northgate_hospital"]
    moves.stay_idle(model, "northgate_hospital", weeks=13)
    for _ in range(12):
        model.step()
    d = model.decisions
    assert d.proposal[j] == -1 and d.court[j] == -1 and d.cede[j] == 0.0
    assert d.agree_to_disagree[j] == 0.0 and not d.mandate[j]
    assert d.cede[model.org_index["city_council"]] == 1.0  # the others follow the autopilot
