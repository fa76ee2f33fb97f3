"""Roles nobody took follow the autopilot (the session's doctrine); the counterfactual plays
every role so; a session rebuilt from its seed and log is the same to the bit, after a server
restart too; a branch equals its parent up to round k."""

from __future__ import annotations

import pytest

from diplomacy_sim.model.model import DiplomacyModel
from diplomacy_sim.room import RoomRegistry
from diplomacy_sim.room.room import rows_bytes

from .conftest import CHARITY, COUNCIL, HOSPITAL, make_session


def play_round(s, moves_by_role):
    s.room.open_round(s.key)
    for role, moves in moves_by_role.items():
        s.room.submit_moves(s.t(role), moves)
    return s.room.close_round(s.key)


def test_with_nobody_playing_the_session_is_a_plain_run_and_its_counterfactual(registry):
    s = make_session(registry, roles=(), autopilot="command")
    for _ in range(3):
        play_round(s, {})
    assert s.room.model.doctrine.name == s.room.cf.doctrine.name == "command"
    plain = DiplomacyModel(s.room.spec)
    for _ in range(39):
        plain.step()
    assert rows_bytes(s.room.model) == rows_bytes(s.room.cf) == rows_bytes(plain)
    assert [e.to_dict() for e in s.room.model.events] == [e.to_dict() for e in plain.events]


def test_participants_who_submitted_nothing_follow_the_autopilot_by_default(session):
    rec = play_round(session, {})
    assert rec["moves"] == []  # no overrides: the model's doctrine decides for every role
    assert rows_bytes(session.room.model) == rows_bytes(session.room.cf)


def test_a_participant_who_submitted_nothing_stays_idle_if_the_trainer_chose(registry):
    s = make_session(registry, idle_policy="idle")
    play_round(s, {CHARITY: []})  # an empty list is a choice: no moves, no idle hold
    rec = s.room.timeline[-1]
    assert {m["role"]: m["by"] for m in rec["moves"]} == {HOSPITAL: "idle", COUNCIL: "idle"}
    held = s.room.model.decisions.held_until["proposal"]
    idx = s.room.model.org_index
    assert held[idx["northgate_hospital"]] == held[idx["city_council"]] == 13  # the round
    assert held[idx["home_first_charity"]] == held[idx["shelter_link"]] == 0
    assert "submitted no moves" in rec["moves"][0]["text"]


def test_participants_moves_make_the_session_differ_from_the_counterfactual(session):
    play_round(session, {HOSPITAL: [{"kind": "propose", "initiative": "housing_first"}],
                         COUNCIL: [{"kind": "propose", "initiative": "pooled_prevention"}]})
    play_round(session, {})
    assert rows_bytes(session.room.model) != rows_bytes(session.room.cf)


def a_played_session(registry):
    s = make_session(registry)
    play_round(s, {HOSPITAL: [{"kind": "propose", "initiative": "housing_first"}]})
    s.room.inject(s.key, {"kind": "budget_cut", "organisations": ["city_council"],
                          "fraction": 0.3}, when="now")
    play_round(s, {COUNCIL: [{"kind": "cede", "initiative": "housing_first", "share": 0.2}]})
    s.room.inject(s.key, {"kind": "demand_surge", "multiplier": 1.5}, when="next_round")
    play_round(s, {CHARITY: [{"kind": "meet", "person_b": s.room.role_spec(HOSPITAL).person}]})
    return s


def test_a_replay_from_the_store_equals_the_live_session_bit_for_bit(registry, db):
    s = a_played_session(registry)
    again = RoomRegistry(db).get(s.room.code)
    assert again is not s.room and again.week == s.room.week == 39
    assert rows_bytes(again.model) == rows_bytes(s.room.model)
    assert rows_bytes(again.cf) == rows_bytes(s.room.cf)
    assert again.timeline == s.room.timeline and again.replay_mismatch == []
    assert [e.to_dict() for e in again.model.events] == [e.to_dict() for e in s.room.model.events]


def test_a_restart_mid_round_restores_week_roles_and_pending_moves(registry, db):
    s = a_played_session(registry)
    s.room.open_round(s.key)
    moves = [{"kind": "meet", "person_b": s.room.role_spec(COUNCIL).person},
             {"kind": "cede", "initiative": "housing_first", "share": 0.05}]
    s.room.submit_moves(s.t(HOSPITAL), moves)
    s.room.send_message(s.t(COUNCIL), [HOSPITAL], "Coffee on Tuesday?")
    registry.close()  # the server is killed
    fresh = RoomRegistry(db)
    room = fresh.get(s.room.code)
    assert (room.status, room.round, room.week) == ("open", 4, 39)
    assert room.me(s.t(HOSPITAL)).role_id == HOSPITAL  # the browser's token still works
    assert room.pending_moves(s.t(HOSPITAL)) == s.room.pending_moves(s.t(HOSPITAL))
    assert room.private_view(s.t(HOSPITAL))["messages"][0]["text"] == "Coffee on Tuesday?"
    assert room.points(s.t(COUNCIL))["left"] == 5
    room.close_round(s.key)  # the new registry's room carries on
    assert room.week == 52
    fresh.close()


def test_a_branch_keeps_everything_before_round_k_and_can_go_another_way(registry):
    s = a_played_session(registry)
    wpr = s.room.weeks_per_round
    branch, bkey = registry.branch(s.room.code, s.key, 3)
    assert branch.code != s.room.code and bkey != s.key
    assert (branch.status, branch.round, branch.week) == ("closed", 2, 2 * wpr)
    assert branch.parent == (s.room.code, 3)
    assert rows_bytes(branch.model) == rows_bytes(s.room.model)[: len(rows_bytes(branch.model))]
    assert branch.model.rows == s.room.model.rows[: 2 * wpr]
    assert branch.me(s.t(HOSPITAL)).role_id == HOSPITAL  # same people, same roles
    branch.open_round(bkey)
    branch.submit_moves(s.t(HOSPITAL), [{"kind": "cede", "initiative": "housing_first",
                                         "share": 0.3}])
    branch.close_round(bkey)
    assert branch.model.rows[: 2 * wpr] == s.room.model.rows[: 2 * wpr]
    assert branch.model.rows != s.room.model.rows
    lineage = registry.lineage(branch.code)
    assert [x["code"] for x in lineage] == [branch.code, s.room.code]
    with pytest.raises(Exception, match="Only the trainer"):
        registry.branch(s.room.code, s.t(HOSPITAL), 2)
    with pytest.raises(Exception, match="1 to 3"):
        registry.branch(s.room.code, s.key, 7)


@pytest.mark.parametrize("doctrine", ["command", "stewardship", "diplomacy", "fatalism"])
def test_every_shipped_scenario_plays_under_every_autopilot(registry, doctrine):
    for name, _title in registry.scenario_choices():
        room, key = registry.create(name, seed=3, autopilot=doctrine, weeks_per_round=26,
                                    rounds=3)
        leaders = [r for r in room.roles() if r.kind == "leader"]
        assert leaders and all(r.label for r in room.roles())
        assert len({r.id for r in room.roles()}) == len(room.roles())
        tok = room.join("Sam")
        room.take_role(tok, leaders[0].id)
        for _ in range(3):
            room.open_round(key)
            if next(r for r in room.roles() if r.id == leaders[0].id).alive:
                cat = {m["kind"]: m for m in room.move_catalogue(tok)}
                people = cat["meet"]["fields"][0]["options"]
                room.submit_moves(tok, [{"kind": "meet", "person_b": people[0][0]}] if people
                                  else [])
            room.close_round(key)
            assert room.private_view(tok)["role"]["id"] == leaders[0].id
            assert room.screen_view()["week"] == room.week
            assert room.facilitator_view(key)["round"] == room.round
        assert room.week == 78 and len(room.cf.rows) == 78
        assert room.debrief(key)["gap"]


def test_a_move_holds_its_decision_for_the_round_it_is_made_in(session):
    session.room.open_round(session.key)
    session.room.submit_moves(session.t(HOSPITAL), [{"kind": "attend_board", "attend": False}])
    session.room.close_round(session.key)
    j = session.room.model.org_index["northgate_hospital"]
    assert session.room.model.decisions.held_until["attend"][j] == 13  # weeks_per_round
