"""Kill the server mid-round (SIGKILL, no clean-up) and start it again: the session is back at
the same week, with the same roles and pending moves."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap

from diplomacy_sim.room import RoomRegistry

SERVER = textwrap.dedent("""
    import json, sys, time
    from diplomacy_sim.room import RoomRegistry
    reg = RoomRegistry(sys.argv[1])
    room, key = reg.create("integrated_discharge", seed=11, weeks_per_round=13)
    tok = room.join("Sam")
    room.take_role(tok, "city_council.leader")
    room.open_round(key)
    room.close_round(key)
    room.open_round(key)
    person = room.role_spec("northgate_hospital.leader").person
    room.submit_moves(tok, [{"kind": "meet", "person_b": person}])
    print(json.dumps({"code": room.code, "key": key, "token": tok, "week": room.week,
                      "rows": room.model.rows}), flush=True)
    time.sleep(600)
""")


def test_a_killed_server_comes_back_at_the_same_week_with_the_same_pending_moves(tmp_path):
    db = tmp_path / "rooms.sqlite"
    proc = subprocess.Popen([sys.executable, "-c", SERVER, str(db)], stdout=subprocess.PIPE,
                            text=True)
    try:
        state = json.loads(proc.stdout.readline())
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        proc.stdout.close()
    room = RoomRegistry(db).get(state["code"])
    assert (room.status, room.round, room.week) == ("open", 2, state["week"]) == ("open", 2, 13)
    assert room.me(state["token"]).role_id == "city_council.leader"
    assert room.pending_moves(state["token"]) == [
        {"kind": "meet", "person_b": room.role_spec("northgate_hospital.leader").person}]
    assert room.model.rows == state["rows"]
    assert room.check_key(state["key"])
    room.close_round(state["key"])
    assert room.week == 26
