"""The trainer removes a participant (a prank name, a second laptop, someone who left): a
logged trainer action, checked with the key, that revokes the participant's token for good
(every call that takes a token refuses it), frees their role and their moves; the session
rebuilt from its log, the removal in it, is the same to the bit."""

from __future__ import annotations

import inspect

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diplomacy_sim.room import PermissionDenied, Room, RoomError, RoomRegistry
from diplomacy_sim.room.errors import Removed
from diplomacy_sim.room.room import rows_bytes

from .conftest import CHARITY, COUNCIL, HOSPITAL, make_session
from .test_attacks import JSON_VALUES

# every public call of a Room that takes a participant's token, with the rest of its
# arguments (a new one must be added here, so the test below covers it)
TOKEN_CALLS = {
    "me": lambda room, tok: room.me(tok),
    "take_role": lambda room, tok: room.take_role(tok, CHARITY),
    "move_catalogue": lambda room, tok: room.move_catalogue(tok),
    "points": lambda room, tok: room.points(tok),
    "submit_moves": lambda room, tok: room.submit_moves(tok, []),
    "pending_moves": lambda room, tok: room.pending_moves(tok),
    "go_to_balcony": lambda room, tok: room.go_to_balcony(tok),
    "send_message": lambda room, tok: room.send_message(tok, [HOSPITAL], "still here?"),
    "private_view": lambda room, tok: room.private_view(tok),
    "debrief": lambda room, tok: room.debrief(token=tok),
}


def test_every_call_that_takes_a_token_is_listed_here():
    takes_token = {name for name, fn in inspect.getmembers(Room, inspect.isfunction)
                   if not name.startswith("_") and "token" in inspect.signature(fn).parameters}
    assert takes_token == set(TOKEN_CALLS)


@pytest.mark.parametrize("status", ["lobby", "open", "closed", "paused"])
def test_a_removed_participants_token_never_acts_again(session, status):
    room, key = session.room, session.key
    if status != "lobby":
        room.open_round(key)
    room.allow_debrief(key)  # so that only the removal stands in the way
    gone = session.t(COUNCIL)
    room.submit_moves(gone, []) if status != "lobby" else None
    if status in ("closed", "paused"):
        room.close_round(key)
    if status == "paused":
        room.pause(key)
    pid = room.me(gone).id
    room.remove(key, pid)
    log = len(room.store.entries(room.code))
    for name, call in TOKEN_CALLS.items():
        with pytest.raises(Removed, match="removed you from this session"):
            call(room, gone)
        assert len(room.store.entries(room.code)) == log, name  # nothing written
    assert room.me(session.t(HOSPITAL)).role_id == HOSPITAL  # the others carry on


def test_a_removed_participants_role_is_free_for_someone_else(session):
    room, key = session.room, session.key
    room.open_round(key)
    room.submit_moves(session.t(COUNCIL), [{"kind": "propose", "initiative": "housing_first"}])
    room.remove(key, room.me(session.t(COUNCIL)).id)
    council = next(r for r in room.roles() if r.id == COUNCIL)
    assert council.taken_by is None
    fv = room.facilitator_view(key)
    assert fv["submissions"][COUNCIL]["participant"] is None  # their moves are dropped
    assert "Player 2" not in [p["name"] for p in fv["participants"]]
    assert fv["removed"] == ["Player 2"]
    newcomer = room.join("Player 2")  # the name is free again, under a new token
    room.take_role(newcomer, COUNCIL)
    assert room.me(newcomer).role_id == COUNCIL
    late = room.join("Late")
    room.remove(key, room.me(late).id)
    with pytest.raises(RoomError, match="No participant"):
        room.reassign(key, CHARITY, "p99")
    with pytest.raises(RoomError, match="No participant"):  # a removed one cannot be given a role
        room.reassign(key, CHARITY, next(p.id for p in room.participants.values()
                                         if p.name == "Late"))


@settings(derandomize=True, max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(forged=JSON_VALUES | st.sampled_from(["", "x" * 10_000]))
def test_only_the_trainers_key_removes_a_participant(session, forged):
    room = session.room
    before = (room.version, len(room.store.entries(room.code)))
    pid = room.me(session.t(COUNCIL)).id
    for key in (forged, session.t(HOSPITAL), session.t(COUNCIL), session.key[:-1]):
        with pytest.raises(PermissionDenied, match="Only the trainer can remove"):
            room.remove(key, pid)
    assert (room.version, len(room.store.entries(room.code))) == before
    assert room.me(session.t(COUNCIL)).role_id == COUNCIL


@settings(derandomize=True, max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=JSON_VALUES | st.sampled_from(["p0", "p99", "P1", " p1", "p1\x00"]))
def test_a_removal_of_anyone_not_in_the_session_is_refused_with_a_sentence(session, value):
    room = session.room
    before = len(room.store.entries(room.code))
    if isinstance(value, str) and value in room.participants:
        return  # a real participant: removed, as it should be (tested above)
    with pytest.raises(RoomError, match="No participant"):
        room.remove(session.key, value)
    assert len(room.store.entries(room.code)) == before


def test_a_participant_is_removed_once_and_not_from_an_ended_session(session):
    room, key = session.room, session.key
    pid = room.me(session.t(HOSPITAL)).id
    room.remove(key, pid)
    with pytest.raises(RoomError, match="No participant"):
        room.remove(key, pid)
    room.end(key)
    with pytest.raises(RoomError, match="Cannot remove a participant: the session has ended"):
        room.remove(key, room.me(session.t(COUNCIL)).id)


def _play(s, moves_by_role):
    s.room.open_round(s.key)
    for role, moves in moves_by_role.items():
        s.room.submit_moves(s.t(role), moves)
    return s.room.close_round(s.key)


def test_a_session_with_removals_rebuilds_from_its_log_to_the_bit(registry, db):
    s = make_session(registry)
    room, key = s.room, s.key
    _play(s, {HOSPITAL: [{"kind": "propose", "initiative": "housing_first"}],
              COUNCIL: [{"kind": "propose", "initiative": "pooled_prevention"}]})
    room.open_round(key)
    room.submit_moves(s.t(COUNCIL), [{"kind": "cede", "initiative": "housing_first",
                                      "share": 0.2}])
    room.remove(key, room.me(s.t(COUNCIL)).id)  # mid-round: their moves do not count
    newcomer = room.join("Nadia")
    room.take_role(newcomer, COUNCIL)
    room.submit_moves(newcomer, [{"kind": "cede", "initiative": "pooled_prevention",
                                  "share": 0.1}])
    room.close_round(key)
    room.remove(key, room.me(s.t(CHARITY)).id)  # between rounds: the autopilot plays it
    _play(s, {HOSPITAL: []})
    room.open_round(key)
    room.submit_moves(s.t(HOSPITAL), [{"kind": "meet", "person_b": room.role_spec(COUNCIL).person}])
    registry.close()  # the server is killed mid-round
    fresh = RoomRegistry(db)
    again = fresh.get(room.code)
    assert again is not room and (again.status, again.round, again.week) == ("open", 4, 39)
    assert rows_bytes(again.model) == rows_bytes(room.model)
    assert rows_bytes(again.cf) == rows_bytes(room.cf)
    assert again.timeline == room.timeline and again.replay_mismatch == []
    assert again.holder == room.holder and again.pending == room.pending
    assert {p.id: (p.name, p.role, p.removed) for p in again.participants.values()} == \
        {p.id: (p.name, p.role, p.removed) for p in room.participants.values()}
    for gone in (s.t(COUNCIL), s.t(CHARITY)):  # still revoked after the restart
        with pytest.raises(Removed):
            again.private_view(gone)
    assert again.me(newcomer).role_id == COUNCIL
    again.close_round(key)
    room_after = RoomRegistry(db)
    assert rows_bytes(room_after.get(room.code).model) == rows_bytes(again.model)
    room_after.close()
    fresh.close()
    # the removal made a difference: the same session without it is another session
    assert again.timeline[1]["moves"] != [] and all(
        m["name"] != "Player 2" for m in again.timeline[1]["moves"] if m["by"] == "participant")


def test_a_removal_holds_in_every_branch_made_after_it(registry):
    s = make_session(registry)
    _play(s, {})
    removed = s.room.me(s.t(COUNCIL)).id
    s.room.remove(s.key, removed)
    _play(s, {})
    before, bkey = registry.branch(s.room.code, s.key, 1)  # from before the removal
    after, _ = registry.branch(s.room.code, s.key, 2)
    for branch in (before, after):
        with pytest.raises(Removed):
            branch.me(s.t(COUNCIL))
        assert branch.me(s.t(HOSPITAL)).role_id == HOSPITAL  # the others keep their places
    assert before.participants[removed].removed
    assert COUNCIL not in before.holder  # the role is free from the branch's first round
    before.open_round(bkey)
    with pytest.raises(Removed):
        before.submit_moves(s.t(COUNCIL), [])
    again = RoomRegistry(registry.store).get(before.code)  # and so when rebuilt from its log
    with pytest.raises(Removed):
        again.me(s.t(COUNCIL))
