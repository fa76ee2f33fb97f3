"""The room under stress: checking moves touches nothing; many pages at once; a round whose
run fails leaves the session as it was; one damaged session does not keep the others down."""

from __future__ import annotations

import copy
import threading

import numpy as np
import pytest

from diplomacy_sim.room import RoomError, RoomRegistry
from diplomacy_sim.room.room import rows_bytes

from .conftest import COUNCIL, HOSPITAL, make_session


def snapshot(model):
    st = copy.deepcopy(model.state)
    arrays = {}
    for part in ("people", "ties", "orgs", "initiatives"):
        for k, v in vars(getattr(st, part)).items():
            arrays[f"{part}.{k}"] = copy.deepcopy(v)
    dec = {k: copy.deepcopy(v) for k, v in vars(model.decisions).items()}
    return arrays, dec, [e.to_dict() for e in model.events], model.week


def same(a, b):
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, np.ndarray):
        return np.array_equal(a, b)
    return a == b


def test_checking_every_kind_of_move_touches_nothing(session):
    room, tok = session.room, session.t(HOSPITAL)
    room.open_round(session.key)
    before = snapshot(room.model)
    other = room.role_spec(COUNCIL).person
    room.submit_moves(tok, [
        {"kind": "propose", "initiative": "housing_first"},
        {"kind": "cede", "initiative": "housing_first", "share": 0.1},
        {"kind": "agree_to_disagree", "initiative": "housing_first"},
        {"kind": "ask_mandate", "initiative": "pooled_prevention"},
    ])
    room.submit_moves(tok, [{"kind": "meet", "person_b": other},
                            {"kind": "attend_board", "attend": False},
                            {"kind": "set_joint_capacity", "share": 0.4}])
    after = snapshot(room.model)
    assert all(same(x, y) for x, y in zip(before, after, strict=True))


def test_many_pages_acting_at_once_leave_a_consistent_replayable_log(registry, db):
    s = make_session(registry)
    extra = {}
    for rid in ("shelter_link.leader",):
        extra[rid] = s.room.join("Late")
        s.room.take_role(extra[rid], rid)
    s.tokens.update(extra)
    s.room.open_round(s.key)
    errors = []
    views = []

    def player(role):
        try:
            for i in range(20):
                person = s.room.role_spec(COUNCIL if role != COUNCIL else HOSPITAL).person
                s.room.submit_moves(s.t(role), [{"kind": "meet", "person_b": person}] * (i % 3))
                views.append(s.room.private_view(s.t(role))["role"]["id"] == role)
                s.room.screen_view()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=player, args=(r,)) for r in s.tokens]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == [] and all(views) and len(views) == 20 * len(s.tokens)
    s.room.close_round(s.key)
    again = RoomRegistry(db).get(s.room.code)
    assert rows_bytes(again.model) == rows_bytes(s.room.model)
    assert again.timeline == s.room.timeline


def test_a_round_whose_run_fails_leaves_the_session_as_it_was(session, monkeypatch):
    room, key = session.room, session.key
    room.open_round(key)
    room.submit_moves(session.t(HOSPITAL), [{"kind": "propose", "initiative": "housing_first"}])

    def broken_step():
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(room.model, "step", broken_step)
    with pytest.raises(RoomError, match=r"could not be closed; the session is as it was before\. "
                                        r"\(RuntimeError: disk on fire\)"):
        room.close_round(key)
    assert (room.status, room.week) == ("open", 0)
    assert room.pending_moves(session.t(HOSPITAL)) == [
        {"kind": "propose", "initiative": "housing_first"}]
    assert [e.kind for e in room.store.entries(room.code)].count("close_round") == 0
    room.close_round(key)  # the rebuilt room has its own, working model
    assert room.week == 13


def test_one_damaged_session_does_not_keep_the_others_down(registry, db):
    good = make_session(registry)
    bad = make_session(registry)
    registry.store.append(bad.room.code, "from_the_future", {})
    fresh = RoomRegistry(db)
    assert fresh.get(good.room.code) is not None
    assert fresh.get(bad.room.code) is None
    assert "from_the_future" in fresh.broken[bad.room.code]
