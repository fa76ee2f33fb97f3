"""Every trainer's action is checked with the facilitator key; a token acts only for its own
role; private views and messages hold nothing private to another role; text stays text."""

from __future__ import annotations

import json

import pytest

from diplomacy_sim.room import PermissionDenied, RoomError
from diplomacy_sim.room.room import MESSAGE_MAX

from .conftest import CHARITY, COUNCIL, HOSPITAL


def trainer_actions(room):
    return {
        "open a round": lambda k: room.open_round(k),
        "close a round": lambda k: room.close_round(k),
        "inject a shock": lambda k: room.inject(k, {"kind": "demand_surge"}),
        "pause": lambda k: room.pause(k),
        "extend": lambda k: room.extend(k),
        "reassign": lambda k: room.reassign(k, HOSPITAL, None),
        "end": lambda k: room.end(k),
        "console": lambda k: room.facilitator_view(k),
        "debrief access": lambda k: room.allow_debrief(k, True),
    }


@pytest.mark.parametrize("what", list(trainer_actions(None)))
def test_a_participant_cannot_take_a_trainers_action(session, what):
    room = session.room
    room.open_round(session.key) if what == "close a round" else None
    before = room.version
    near = session.key[:-1] + ("B" if session.key.endswith("A") else "A")  # one character off
    for fake in (session.t(HOSPITAL), None, "", "x" * 10_000, near):
        with pytest.raises(PermissionDenied, match="Only the trainer"):
            trainer_actions(room)[what](fake)
    assert room.version == before  # nothing changed, nothing logged


def test_a_token_acts_only_for_its_own_role(session):
    room = session.room
    room.open_round(session.key)
    with pytest.raises(PermissionDenied, match="not part of the session"):
        room.submit_moves("made-up-token", [])
    # a council token ceding on the hospital's behalf is impossible: cede binds the role's org
    room.submit_moves(session.t(COUNCIL), [{"kind": "propose", "initiative": "housing_first"},
                                           {"kind": "cede", "initiative": "housing_first",
                                            "share": 0.1}])
    room.close_round(session.key)
    made = [m for m in room.timeline[0]["moves"] if m["by"] == "participant"]
    assert [m["role"] for m in made] == [COUNCIL, COUNCIL]
    assert "City Council" in made[0]["text"]
    ev = [e for e in room.timeline[0]["events"] if e["kind"] == "move" and "took on" in e["text"]]
    assert [e["actors"] for e in ev] == [["city_council"]]
    assert ev[0]["text"].startswith("City Council (Player 2, Director of adult social care): "
                                    "took on 10% more of the cost of Housing First")


def test_private_views_hold_no_other_roles_private_data(session):
    room = session.room
    room.open_round(session.key)
    room.submit_moves(session.t(COUNCIL), [{"kind": "propose", "initiative": "pooled_prevention"}])
    room.send_message(session.t(COUNCIL), [CHARITY], "Only for the charity")
    room.go_to_balcony(session.t(COUNCIL))
    mine = room.private_view(session.t(HOSPITAL))
    text = json.dumps(mine)
    assert "Only for the charity" not in text and "pooled_prevention" not in json.dumps(
        mine["pending"])
    assert mine["balcony"] is None and mine["pending"] == []
    assert mine["person"]["person"] == room.role_spec(HOSPITAL).person
    council = room.role_spec(COUNCIL).person
    p = room.model.state.people
    assert mine["person"]["anxiety"] == float(p.anxiety[room.role_spec(HOSPITAL).person])
    assert council not in [mine["person"]["person"]]
    assert mine["organisation"]["id"] == "northgate_hospital"
    theirs = room.private_view(session.t(COUNCIL))
    assert theirs["balcony"]["perspective"] == "balcony"  # paid for: the whole system
    assert theirs["pending"] == [{"kind": "propose", "initiative": "pooled_prevention"}]
    charity = room.private_view(session.t(CHARITY))
    assert [m["text"] for m in charity["messages"]] == ["Only for the charity"]
    assert "Only for the charity" not in json.dumps(room.screen_view())


def test_the_balcony_lasts_until_the_next_round_opens(session):
    room = session.room
    room.open_round(session.key)
    room.go_to_balcony(session.t(HOSPITAL))
    room.close_round(session.key)
    assert room.private_view(session.t(HOSPITAL))["balcony"] is not None
    room.open_round(session.key)
    assert room.private_view(session.t(HOSPITAL))["balcony"] is None


def test_names_and_messages_are_bounded_plain_text(session):
    room = session.room
    with pytest.raises(RoomError, match="too long: at most 40"):
        room.join("x" * 41)
    with pytest.raises(RoomError, match="Enter a name"):
        room.join(" \t ")
    for hidden in ("\x00\x1b ", "  Dr   <b>Evil</b>\x07 "):  # refused, not dropped unseen
        with pytest.raises(RoomError, match="invisible or control character"):
            room.join(hidden)
    tok = room.join("  Dr   <b>Evil</b> ")
    assert room.me(tok).name == "Dr <b>Evil</b>"  # stored as plain text; pages show it as text
    room.open_round(session.key)
    with pytest.raises(RoomError, match=f"at most {MESSAGE_MAX}"):
        room.send_message(session.t(HOSPITAL), [COUNCIL], "x" * (MESSAGE_MAX + 1))
    with pytest.raises(RoomError, match="No role"):
        room.send_message(session.t(HOSPITAL), ["../../etc"], "hi")
    with pytest.raises(RoomError, match="someone other than yourself"):
        room.send_message(session.t(HOSPITAL), [HOSPITAL], "hi")
    room.send_message(session.t(HOSPITAL), [COUNCIL], "hi")
    assert room.points(session.t(HOSPITAL))["left"] == 5


def test_the_debrief_is_the_trainers_until_opened_to_participants(session):
    room = session.room
    with pytest.raises(PermissionDenied, match="not opened the debrief"):
        room.debrief(token=session.t(HOSPITAL))
    room.allow_debrief(session.key, True)
    room.open_round(session.key)
    room.send_message(session.t(COUNCIL), [CHARITY], "secret plan")
    room.close_round(session.key)
    assert room.debrief(token=session.t(HOSPITAL))["messages"] == []
    assert [m["text"] for m in room.debrief(session.key)["messages"]] == ["secret plan"]


def test_an_injected_shock_is_checked_and_lands_in_both_runs(session):
    room, key = session.room, session.key
    with pytest.raises(RoomError, match="Choose a shock kind"):
        room.inject(key, {"kind": "meteor"})
    with pytest.raises(RoomError, match="fraction"):
        room.inject(key, {"kind": "budget_cut", "organisations": ["city_council"],
                          "fraction": 5})
    with pytest.raises(RoomError, match="nobody_council"):
        room.inject(key, {"kind": "budget_cut", "organisations": ["nobody_council"]})
    room.open_round(key)
    room.inject(key, {"kind": "budget_cut", "organisations": ["city_council"], "fraction": 0.4,
                      "label": "Council cut"}, when="now")
    room.inject(key, {"kind": "demand_surge", "label": "Winter"}, when="next_round")
    room.close_round(key)
    cut = [e for e in room.model.events if e.kind == "budget_cut"]
    assert cut and {e.step for e in cut} == {0}
    assert [e.to_dict() for e in cut] == [e.to_dict() for e in room.cf.events
                                          if e.kind == "budget_cut"]
    assert (13, "Winter") in room.shock_marks() and (0, "Council cut") in room.shock_marks()
    room.open_round(key)
    room.close_round(key)
    assert [e.step for e in room.model.events if e.kind == "demand_surge"][:1] == [13]
