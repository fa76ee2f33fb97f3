"""A round: the trainer opens it, participants submit moves (changeable until close), closing
applies every move and runs the round's weeks; pause, extend and end are the trainer's."""

from __future__ import annotations

import pytest

from diplomacy_sim.domain.state import Stage
from diplomacy_sim.room import Room, RoomError, RoomRegistry

from .conftest import CHARITY, COUNCIL, HOSPITAL, make_session


def test_a_session_starts_in_the_lobby_with_the_leaders_open(session):
    room = session.room
    assert (room.status, room.round, room.week, room.round_text) == ("lobby", 0, 0, "Round 1 of 8")
    leaders = [r for r in room.roles() if r.kind == "leader"]
    assert [r.label for r in leaders] == ["Hospital chief executive",
                                          "Director of adult social care", "Charity lead",
                                          "Charity lead"]
    assert all(r.open for r in leaders)
    assert {r.kind for r in room.roles()} == {"leader", "councillor", "frontline"}
    assert not any(r.open for r in room.roles() if r.kind != "leader")
    assert leaders[0].button == "Hospital chief executive, Northgate Hospital"
    assert leaders[0].taken_by == "Player 1"


def test_the_round_lifecycle_runs_the_rounds_weeks_on_close(session):
    room, key = session.room, session.key
    with pytest.raises(RoomError, match="no round has been opened"):
        room.submit_moves(session.t(HOSPITAL), [])
    room.open_round(key)
    assert (room.status, room.round, room.round_text) == ("open", 1, "Round 1 of 8")
    room.submit_moves(session.t(HOSPITAL), [{"kind": "propose", "initiative": "housing_first"}])
    assert room.week == 0  # time moves only when the round closes
    report = room.close_round(key)
    assert (room.status, room.week, len(room.model.rows)) == ("closed", 13, 13)
    assert report["start_week"] == 0 and report["end_week"] == 13
    with pytest.raises(RoomError, match="the round is closed"):
        room.submit_moves(session.t(HOSPITAL), [])
    with pytest.raises(RoomError, match="the round is closed"):
        room.close_round(key)
    room.open_round(key)
    room.close_round(key)
    assert (room.round, room.week, len(room.cf.rows)) == (2, 26, 26)


def test_moves_can_be_changed_until_the_trainer_closes_the_round(session):
    room, key = session.room, session.key
    room.open_round(key)
    tok = session.t(HOSPITAL)
    room.submit_moves(tok, [{"kind": "propose", "initiative": "pooled_prevention"}])
    room.submit_moves(tok, [{"kind": "propose", "initiative": "housing_first"}])
    assert room.pending_moves(tok) == [{"kind": "propose", "initiative": "housing_first"}]
    room.close_round(key)
    ini = room.model.state.initiatives
    made = [m for m in room.timeline[0]["moves"] if m["by"] == "participant"]
    assert [m["move"]["initiative"] for m in made] == ["housing_first"]
    assert ini.stage[ini.ids.index("housing_first")] != Stage.PROPOSED


def test_all_rounds_played_then_extend_adds_one(registry):
    s = make_session(registry, rounds=2, weeks_per_round=4)
    for _ in range(2):
        s.room.open_round(s.key)
        s.room.close_round(s.key)
    with pytest.raises(RoomError, match="All 2 rounds have been played"):
        s.room.open_round(s.key)
    s.room.extend(s.key)
    assert s.room.round_text == "Round 2 of 3"
    s.room.open_round(s.key)
    s.room.close_round(s.key)
    assert s.room.week == 12


def test_pause_stops_moves_and_rounds_until_resumed(session):
    room, key = session.room, session.key
    room.open_round(key)
    room.pause(key)
    with pytest.raises(RoomError, match="paused"):
        room.submit_moves(session.t(HOSPITAL), [])
    with pytest.raises(RoomError, match="paused"):
        room.close_round(key)
    room.resume(key)
    assert room.status == "open"
    room.submit_moves(session.t(HOSPITAL), [])


def test_the_trainer_reassigns_a_role_and_one_person_plays_each_role(session):
    room, key = session.room, session.key
    newcomer = room.join("Newcomer")
    with pytest.raises(RoomError, match="already taken"):
        room.take_role(newcomer, HOSPITAL)
    with pytest.raises(RoomError, match="not open"):
        room.take_role(newcomer, "city_council.councillor")
    with pytest.raises(RoomError, match="already play"):
        room.take_role(session.t(COUNCIL), "shelter_link.leader")
    pid = room.me(newcomer).id
    room.reassign(key, HOSPITAL, pid)
    assert room.me(newcomer).role_id == HOSPITAL
    assert room.me(session.t(HOSPITAL)).role_id is None
    room.reassign(key, CHARITY, None)
    assert next(r for r in room.roles() if r.id == CHARITY).taken_by is None


def test_a_roles_points_stay_spent_when_the_role_changes_hands_mid_round(session):
    """Points are the role's, a round at a time: a role handed to someone else mid-round
    keeps what its first holder spent on the balcony and messages (the newcomer had all 6
    again), and what the newcomer spends adds to it."""
    room, key = session.room, session.key
    room.open_round(key)
    first = session.t(CHARITY)
    room.go_to_balcony(first)
    room.send_message(first, [HOSPITAL], "Shall we talk?")
    assert room.points(first)["left"] == room.action_points - 3
    newcomer = room.join("Chloé M")
    room.reassign(key, CHARITY, room.me(newcomer).id)
    assert room.points(newcomer) == {"budget": room.action_points, "moves": 0, "balcony": 2,
                                     "messages": 1, "left": room.action_points - 3}
    room.go_to_balcony(newcomer)  # their own visit, paid from what the role has left
    assert room.points(newcomer)["left"] == room.action_points - 5
    room.close_round(key)
    room.open_round(key)  # a new round: the role's points are whole again
    assert room.points(newcomer)["left"] == room.action_points


def test_an_ended_session_refuses_everything_but_reading(session):
    room, key = session.room, session.key
    room.open_round(key)
    room.end(key)
    for act in (lambda: room.submit_moves(session.t(HOSPITAL), []), lambda: room.close_round(key),
                lambda: room.open_round(key), lambda: room.join("x")):
        with pytest.raises(RoomError, match="ended"):
            act()
    assert room.debrief(key)["round"] == 1


@pytest.mark.parametrize("closed", [0, 1, 2])
def test_a_session_ended_during_an_open_round_says_that_round_was_not_played(registry, closed):
    """The trainer ends the session while a round is open: its submitted moves were never
    played and its weeks never ran, and every page says so."""
    s = make_session(registry, rounds=4, weeks_per_round=3)
    for _ in range(closed):
        s.room.open_round(s.key)
        s.room.close_round(s.key)
    s.room.open_round(s.key)
    s.room.submit_moves(s.t(HOSPITAL), [])
    assert s.room.round_played is False and s.room.rounds_played == closed
    s.room.end(s.key)
    assert (s.room.week, s.room.rounds_played, s.room.round_played) == (3 * closed, closed, False)
    assert s.room.round_text == f"Ended after {closed} of 4 rounds"
    view = s.room.private_view(s.t(HOSPITAL))
    assert (view["round_text"], view["round_played"]) == (s.room.round_text, False)


def test_a_session_ended_after_a_closed_round_says_every_round_was_played(registry):
    s = make_session(registry, rounds=3, weeks_per_round=2)
    s.room.open_round(s.key)
    s.room.close_round(s.key)
    assert (s.room.round_played, s.room.private_view(s.t(HOSPITAL))["round_played"]) == (True,
                                                                                        True)
    s.room.end(s.key)
    assert (s.room.round_text, s.room.round_played) == ("Ended after 1 of 3 rounds", True)


def test_every_change_is_pushed_to_subscribers_outside_the_lock(session):
    room, key = session.room, session.key
    seen: list[int] = []

    def page(version: int) -> None:
        assert room.lock.acquire(blocking=False)  # not called while the room is locked
        room.lock.release()
        seen.append(version)

    def broken(version: int) -> None:
        raise RuntimeError("a page went away")

    unsubscribe = room.subscribe(page)
    room.subscribe(broken)
    room.open_round(key)
    room.close_round(key)
    assert seen == [room.version - 1, room.version]
    unsubscribe()
    room.open_round(key)
    assert len(seen) == 2


def test_settings_are_bounded_and_the_scenario_comes_from_the_catalogue(registry):
    with pytest.raises(RoomError, match="weeks_per_round"):
        registry.create("integrated_discharge", weeks_per_round=0)
    with pytest.raises(RoomError, match="No scenario called"):
        registry.create("../../etc/passwd")
    with pytest.raises(RoomError, match="No role"):
        registry.create("integrated_discharge", open_roles=["nobody.leader"])
    with pytest.raises(RoomError, match="idle_policy"):
        registry.create("integrated_discharge", idle_policy="sleep")
    assert ("integrated_discharge", "Integrated discharge") in registry.scenario_choices()


def test_the_trainer_sees_roles_before_and_submissions_during_a_round(registry):
    choices = registry.role_choices("integrated_discharge")
    assert [r.id for r in choices if r.open] == [
        "northgate_hospital.leader", "city_council.leader", "home_first_charity.leader",
        "shelter_link.leader"]
    s = make_session(registry)
    s.room.open_round(s.key)
    s.room.submit_moves(s.t(HOSPITAL), [{"kind": "propose", "initiative": "housing_first"}])
    view = s.room.facilitator_view(s.key)
    assert view["submissions"][HOSPITAL]["moves"] == [
        {"kind": "propose", "text": "put Housing First for frequent attenders on the table"}]
    assert view["submissions"][COUNCIL]["moves"] is None  # not submitted yet
    assert {"id": "p1", "name": "Player 1", "role_id": HOSPITAL} in view["participants"]


def test_a_role_whose_organisation_is_gone_cannot_be_taken_or_played(registry):
    s = make_session(registry, roles=(HOSPITAL,))
    j = s.room.model.org_index["shelter_link"]
    s.room.model.state.orgs.alive[j] = False  # as after an abolition
    tok = s.room.join("Late")
    with pytest.raises(RoomError, match=r"Shelter Link \(charity\) no longer exists"):
        s.room.take_role(tok, "shelter_link.leader")
    assert not next(r for r in s.room.roles() if r.id == "shelter_link.leader").alive


def test_a_long_running_server_keeps_only_the_recently_read_ended_sessions_in_memory(registry):
    from diplomacy_sim.room import registry as registry_mod

    cap = registry_mod.ENDED_IN_MEMORY
    ended = []
    for _ in range(cap + 3):
        s = make_session(registry, roles=(HOSPITAL,))
        s.room.open_round(s.key)
        s.room.end(s.key)
        ended.append(s)
    debrief = ended[0].room.debrief(ended[0].key)
    assert registry.get(ended[-1].room.code) is ended[-1].room
    held = [c for c, r in registry._rooms.items() if r.status == "ended"]
    assert len(held) == cap and ended[0].room.code not in held
    # the oldest is rebuilt from its log when asked for again, the same session as before
    again = registry.get(ended[0].room.code)
    assert again is not None and again is not ended[0].room
    assert again.status == "ended" and again.debrief(ended[0].key) == debrief
    held = [c for c, r in registry._rooms.items() if r.status == "ended"]
    assert len(held) == cap and held[-1] == ended[0].room.code
    assert registry.get(ended[0].room.code) is again  # kept while among the recent ones


def test_rebuilding_an_ended_session_does_not_hold_up_lookups_of_the_others(db):
    import threading

    first = RoomRegistry(db)
    done = make_session(first, roles=(HOSPITAL,))
    done.room.open_round(done.key)
    done.room.end(done.key)
    live = make_session(first, roles=(COUNCIL,))
    first.close()

    reg = RoomRegistry(db)  # ended sessions are rebuilt only when asked for
    release, started = threading.Event(), threading.Event()
    rebuild = reg._rebuild

    def slow_rebuild(rec):
        started.set()
        assert release.wait(30)
        return rebuild(rec)

    reg._rebuild = slow_rebuild  # type: ignore[method-assign]
    got: list[Room | None] = []
    reader = threading.Thread(target=lambda: got.append(reg.get(done.room.code)))
    reader.start()
    other: list[Room | None] = []
    asker = threading.Thread(target=lambda: other.append(reg.get(live.room.code)))
    try:
        assert started.wait(30)
        asker.start()
        asker.join(10)
        answered_during_replay = not asker.is_alive()
    finally:
        release.set()
        reader.join(30)
        asker.join(30)
    assert answered_during_replay, "a lookup waited for another session's replay"
    assert other[0] is not None and other[0].status != "ended"
    assert got and got[0] is not None and got[0].status == "ended"
    assert reg.get(done.room.code) is got[0]
    reg.close()


def test_a_rounds_record_names_every_shock_that_landed_in_it_the_scenarios_own_too(registry):
    """The scenario's winter surge lands at model week 30 (week 31), inside round 3 of 13
    weeks: the round's record (the debrief's timeline, the pack, the projector) names it
    beside the trainer's shocks (it named only the trainer's)."""
    s = make_session(registry, rounds=3, weeks_per_round=13)
    for _ in range(2):
        s.room.open_round(s.key)
        s.room.close_round(s.key)
    s.room.open_round(s.key)
    s.room.inject(s.key, {"kind": "demand_surge", "label": "Flu"})
    s.room.close_round(s.key)
    third = s.room.timeline[2]
    assert [(x["week"], x["label"]) for x in third["shocks"]] == [(26, "Flu"),
                                                                  (30, "Winter pressures")]
    assert "Shock in week 31: Winter pressures." in third["narrative"]
    assert all(rec["shocks"] == [] for rec in s.room.timeline[:2])
