"""Each move: a clear message for a bad one, and its effect through the model's own rules;
the action-point budget; moves that collide at close are recorded as not happening."""

from __future__ import annotations

import numpy as np
import pytest

from diplomacy_sim.domain.state import Stage
from diplomacy_sim.model.moves import MOVES
from diplomacy_sim.room import MoveRejected, RoomError

from .conftest import COUNCIL, HOSPITAL, make_session


@pytest.fixture
def open_session(registry):
    s = make_session(registry, open_roles=[HOSPITAL, COUNCIL, "city_council.frontline"],
                     roles=(HOSPITAL, COUNCIL, "city_council.frontline"))
    s.room.open_round(s.key)
    return s


def call(room, role_id, move):
    """Apply a move through the room's dispatch now (as closing the round does)."""
    role = room.role_spec(role_id)
    return room.registry[move["kind"]].call(room.model, role, move)


def test_propose_puts_an_own_initiative_on_the_table(open_session):
    room, tok = open_session.room, open_session.t(HOSPITAL)
    with pytest.raises(MoveRejected, match="reablement is not one of the initiative choices; "
                                           "allowed: Joint discharge team"):
        room.submit_moves(tok, [{"kind": "propose", "initiative": "reablement"}])
    with pytest.raises(MoveRejected, match=r"Move 2 .*already negotiating") as exc:
        room.submit_moves(tok, [{"kind": "propose", "initiative": "housing_first"},
                                {"kind": "propose", "initiative": "housing_first"}])
    assert exc.value.index == 1
    ini = room.model.state.initiatives
    q = ini.ids.index("housing_first")
    assert ini.stage[q] == Stage.PROPOSED  # checking touched nothing
    ev = call(room, HOSPITAL, {"kind": "propose", "initiative": "housing_first"})
    assert ini.stage[q] == Stage.NEGOTIATING and ev.kind == "move"


def test_court_brings_a_cold_partner_back(open_session):
    room, tok = open_session.room, open_session.t(HOSPITAL)
    with pytest.raises(MoveRejected, match="already at the table"):
        room.submit_moves(tok, [{"kind": "court", "org": "shelter_link"}])
    o = room.model.state.orgs
    j = room.model.org_index["shelter_link"]
    o.engaged[j] = False  # the shelter has gone cold
    room.submit_moves(tok, [{"kind": "court", "org": "shelter_link"}])
    assert not o.engaged[j]
    room.close_round(open_session.key)
    made = next(m for m in room.timeline[0]["moves"] if m["by"] == "participant")
    assert made["ok"] and made["text"] == ("Player 1 (Hospital chief executive, Northgate "
                                           "Hospital) courted Shelter Link (charity).")
    assert any(e["text"].startswith("Shelter Link (charity) is back at the table")
               for e in room.timeline[0]["events"])


def test_cede_takes_on_cost_from_the_other_parties(open_session):
    room, tok = open_session.room, open_session.t(COUNCIL)
    for bad, msg in ((1.5, "must be a number from 0 to 1, not 1.5"),
                     ("lots", "must be a number"), (float("nan"), "must be a number from"),
                     ("٠٫٥", "must be a number"), ("０.5", "must be a number"),
                     (10**400, "not a number that large"), (True, "must be a number"),
                     ([0.5], "must be a number"), ("0.5" * 1000, "must be a number")):
        with pytest.raises(MoveRejected, match=msg):
            room.submit_moves(tok, [{"kind": "cede", "initiative": "joint_discharge_team",
                                     "share": bad}])
    with pytest.raises(MoveRejected, match="cost can only be ceded while it is negotiating"):
        room.submit_moves(tok, [{"kind": "cede", "initiative": "joint_discharge_team",
                                 "share": 0.1}])
    # proposing first, then ceding, in one list: checked in order on a scratch copy
    room.submit_moves(tok, [{"kind": "propose", "initiative": "joint_discharge_team"},
                            {"kind": "cede", "initiative": "joint_discharge_team", "share": 0.1}])
    call(room, HOSPITAL, {"kind": "propose", "initiative": "joint_discharge_team"})
    ini = room.model.state.initiatives
    q = ini.ids.index("joint_discharge_team")
    j = room.model.org_index["city_council"]
    before = ini.shares[q].copy()
    call(room, COUNCIL, {"kind": "cede", "initiative": "joint_discharge_team", "share": 0.1})
    assert ini.shares[q, j] == pytest.approx(before[j] + 0.1)
    assert ini.shares[q].sum() == pytest.approx(1.0)


def test_meet_warms_an_informal_tie_with_someone_reachable(open_session):
    room, tok = open_session.room, open_session.t(HOSPITAL)
    me = room.role_spec(HOSPITAL).person
    other = room.role_spec(COUNCIL).person
    with pytest.raises(MoveRejected, match="is not one of the person choices"):
        room.submit_moves(tok, [{"kind": "meet", "person_b": me}])
    t = room.model.state.ties
    e = np.flatnonzero((t.src == me) & (t.dst == other))
    before = float(t.trust[e[0]]) if e.size else 0.0
    room.submit_moves(tok, [{"kind": "meet", "person_b": str(other)}])  # a page sends text
    call(room, HOSPITAL, {"kind": "meet", "person_b": other})
    t = room.model.state.ties
    e = np.flatnonzero((t.src == me) & (t.dst == other))
    back = np.flatnonzero((t.src == other) & (t.dst == me))
    assert e.size == 1 and back.size == 1  # a tie both ways, used as an informal encounter
    assert float(t.trust[e[0]]) != before
    assert room.model.events[-1].kind == "move" and "for coffee" in room.model.events[-1].text


def test_who_may_make_which_move_and_bad_requests_are_named(open_session):
    room = open_session.room
    nurse = open_session.t("city_council.frontline")
    with pytest.raises(MoveRejected, match="a social worker cannot put an initiative on the table"):
        room.submit_moves(nurse, [{"kind": "propose", "initiative": "joint_discharge_team"}])
    assert [m["kind"] for m in room.move_catalogue(nurse)] == ["meet"]
    tok = open_session.t(HOSPITAL)
    with pytest.raises(MoveRejected, match="no move `fly`; allowed: propose, court, cede, meet, "
                                           "attend_board"):
        room.submit_moves(tok, [{"kind": "fly"}])
    with pytest.raises(MoveRejected, match="unknown field `org`"):
        room.submit_moves(tok, [{"kind": "propose", "initiative": "housing_first", "org": "x"}])
    with pytest.raises(MoveRejected, match="choose the initiative"):
        room.submit_moves(tok, [{"kind": "propose"}])
    with pytest.raises(MoveRejected, match="must be a list"):
        room.submit_moves(tok, "propose")


def test_moves_must_fit_the_action_points_left(open_session):
    room, tok = open_session.room, open_session.t(HOSPITAL)
    assert room.costs == {name: spec.cost(room.model) for name, spec in MOVES.items()
                          if name != "stay_idle"}  # the room's own, for the idle policy
    assert (room.costs["propose"], room.costs["meet"]) == (2, 1)  # parameters.moves.*_cost
    assert room.points(tok) == {"budget": 6, "moves": 0, "balcony": 0, "messages": 0, "left": 6}
    three = [{"kind": "propose", "initiative": q} for q in
             ("joint_discharge_team", "pooled_prevention", "housing_first")]
    coffee = {"kind": "meet", "person_b": room.role_spec(COUNCIL).person}
    with pytest.raises(MoveRejected, match="cost 7 points; you have 6 left"):
        room.submit_moves(tok, [*three, coffee])
    room.go_to_balcony(tok)
    with pytest.raises(MoveRejected, match="cost 6 points; you have 4 left"):
        room.submit_moves(tok, three)
    room.submit_moves(tok, three[:1])
    assert room.points(tok)["left"] == 2
    with pytest.raises(RoomError, match="already on the balcony"):
        room.go_to_balcony(tok)


def test_the_trainer_may_set_other_costs_within_bounds(registry):
    s = make_session(registry, costs={"propose": 5})
    assert s.room.costs["propose"] == 5 and s.room.costs["meet"] == 1
    with pytest.raises(RoomError, match="costs"):
        make_session(registry, costs={"propose": 99})
    with pytest.raises(RoomError, match="costs"):
        make_session(registry, costs={"fly": 1})


def test_a_move_that_collides_at_close_is_recorded_as_not_happening(open_session):
    room = open_session.room
    both = [{"kind": "propose", "initiative": "joint_discharge_team"}]
    room.submit_moves(open_session.t(HOSPITAL), both)
    room.submit_moves(open_session.t(COUNCIL), both)
    room.close_round(open_session.key)
    made = [m for m in room.timeline[0]["moves"] if m["by"] == "participant"]
    assert [m["ok"] for m in made] == [True, False]
    assert "did not happen: Joint discharge team is already negotiating" in made[1]["text"]
    assert made[1]["text"].endswith(".") and "`" not in made[1]["text"]


def test_the_move_catalogue_offers_only_own_work_and_reachable_people(open_session):
    room = open_session.room
    cat = {m["kind"]: m for m in room.move_catalogue(open_session.t(HOSPITAL))}
    # a leader may make every move of the model; at week 0 nobody is cold and nothing is
    # under negotiation, so courting and ceding are not offered yet
    assert set(cat) == set(MOVES) - {"court", "cede", "stay_idle"}
    # who may make which move is the model's rule (MoveSpec.roles), by the person's role
    assert room.registry["cede"].roles == set(MOVES["cede"].roles)
    assert "frontline" not in room.registry["cede"].roles
    assert room.registry["ask_mandate"].roles == {"executive"}
    assert cat["propose"]["cost"] == 2 and cat["meet"]["cost"] == 1
    assert cat["attend_board"]["fields"][0]["options"] == [(True, "Attend"), (False, "Skip")]
    assert [f.name for f in room.registry["cede"].fields] == ["initiative", "share"]  # org: self
    ids = [v for v, _ in cat["propose"]["fields"][0]["options"]]
    assert ids == ["joint_discharge_team", "pooled_prevention", "housing_first"]
    people = [v for v, _ in cat["meet"]["fields"][0]["options"]]
    p = room.model.state.people
    assert people and all(p.org[i] != room.role_spec(HOSPITAL).org for i in people)


def test_a_number_field_is_named_for_its_move_and_starts_from_the_value_now(open_session):
    """Setting the capacity given to joint work starts from the share given now (it started
    from 0: a participant adding the move untouched gave none of the spare capacity), and
    each share field says what it is a share of."""
    room = open_session.room
    tok = open_session.t(HOSPITAL)
    j = room.role_spec(HOSPITAL).org
    room.model.decisions.joint_share[j] = 0.7
    cat = {m["kind"]: m for m in room.move_catalogue(tok)}
    (share,) = cat["set_joint_capacity"]["fields"]
    assert (share["label"], share["default"], share["low"], share["high"]) == (
        "Share of spare capacity", 0.7, 0.0, 1.0)
    from diplomacy_sim.room.actions import DEFAULT_MOVES

    ceded = next(f for f in DEFAULT_MOVES["cede"].fields if f.name == "share")
    assert (ceded.label, ceded.current) == ("Share of the cost taken on", None)


def test_a_models_message_names_initiatives_and_organisations_as_people_know_them(
        open_session):
    from diplomacy_sim.room.actions import readable

    model = open_session.room.model
    assert readable(model, "`housing_first` is already negotiating; `city_council` is cold; "
                           "`share` must be a number; `not_an_id` stays") == (
        "Housing First for frequent attenders is already negotiating; City Council is cold; "
        "`share` must be a number; `not_an_id` stays")
    tok = open_session.t(HOSPITAL)
    open_session.room.submit_moves(tok, [{"kind": "propose", "initiative": "housing_first"}])
    open_session.room.close_round(open_session.key)
    open_session.room.open_round(open_session.key)
    with pytest.raises(MoveRejected, match=r"\(put an initiative on the table\): Housing First "
                                           r"for frequent attenders is already"):
        open_session.room.submit_moves(tok, [{"kind": "propose",
                                              "initiative": "housing_first"}])
