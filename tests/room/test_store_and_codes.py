"""The store is a real SQLite file in WAL mode with a versioned schema; codes are easy to read
aloud and unguessable; wrong codes are slowed down with bounded memory."""

from __future__ import annotations

import sqlite3

import pytest

from diplomacy_sim.room import PermissionDenied, RoomError, Store, StoreError, Throttled, codes
from diplomacy_sim.room.codes import ALPHABET, CODE_LENGTH, Throttle

from .conftest import make_session


def test_the_store_is_a_real_file_in_wal_mode_with_a_schema_version(db):
    store = Store(db)
    assert db.is_file() and store.journal_mode == "wal"
    store.create_session("ABCDEF", {"x": 1}, "hash")
    assert store.append("ABCDEF", "join", {"name": "Sam"}) == 0
    assert store.append("ABCDEF", "take_role", {"role": "r"}) == 1
    store.close()
    again = Store(db)
    assert [(e.n, e.kind, e.payload) for e in again.entries("ABCDEF")] == [
        (0, "join", {"name": "Sam"}), (1, "take_role", {"role": "r"})]
    assert again.session("ABCDEF").settings == {"x": 1}
    again.close()
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA user_version").fetchone()[0] == 1
    con.close()


def test_a_database_from_a_newer_version_or_not_a_database_is_refused(tmp_path):
    newer = tmp_path / "newer.sqlite"
    con = sqlite3.connect(newer)
    con.execute("PRAGMA user_version=99")
    con.close()
    with pytest.raises(StoreError, match="newer than this program"):
        Store(newer)
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="not a usable room database"):
        Store(junk)


def test_join_codes_are_six_readable_characters_without_look_alikes(registry):
    assert not set("0O1I") & set(ALPHABET)
    seen = set()
    for _ in range(30):
        room, _key = registry.create("integrated_discharge")
        assert len(room.code) == CODE_LENGTH and set(room.code) <= set(ALPHABET)
        seen.add(room.code)
    assert len(seen) == 30
    assert codes.normalise(" ab-cd ef ") == "ABCDEF"
    assert codes.wellformed("abc def".replace("a", "h")) and not codes.wellformed("ABCDE0")


def test_tokens_and_keys_are_unguessable_and_stored_only_as_hashes(registry, db):
    s = make_session(registry)
    tokens = list(s.tokens.values())
    assert all(len(t) >= 32 for t in [*tokens, s.key]) and len(set(tokens)) == len(tokens)
    raw = db.read_bytes() + (db.with_name(db.name + "-wal").read_bytes()
                             if db.with_name(db.name + "-wal").exists() else b"")
    for secret in [*tokens, s.key]:
        assert secret.encode() not in raw


def test_wrong_codes_are_slowed_down_per_client():
    now = [0.0]
    th = Throttle(clock=lambda: now[0])
    delays = [th.failed("laptop-1") for _ in range(codes.FREE_TRIES + 3)]
    assert delays[: codes.FREE_TRIES] == [0.0] * codes.FREE_TRIES
    assert delays[codes.FREE_TRIES:] == [codes.FIRST_DELAY, 2 * codes.FIRST_DELAY,
                                         4 * codes.FIRST_DELAY]
    assert th.wait_left("laptop-1") == pytest.approx(4 * codes.FIRST_DELAY)
    assert th.wait_left("laptop-2") == 0.0  # another client is not slowed
    now[0] += 10.0
    assert th.wait_left("laptop-1") == 0.0
    assert th.failed("laptop-1") == 8 * codes.FIRST_DELAY  # the count goes on
    now[0] += codes.FORGET_AFTER + 1.0
    assert th.failed("laptop-1") == 0.0  # a while after the last wrong code it starts again


def test_the_throttle_remembers_a_bounded_number_of_clients():
    th = Throttle(max_clients=100)
    for i in range(1000):
        th.failed(f"client-{i}")
    assert len(th) == 100


def test_join_lookup_refuses_wrong_codes_then_throttles_that_client(registry):
    s = make_session(registry)
    assert registry.join_lookup(s.room.code.lower(), "a") is s.room
    for _ in range(codes.FREE_TRIES):
        with pytest.raises(RoomError, match="No session with that code"):
            registry.join_lookup("ZZZZZZ", "b")
    with pytest.raises(Throttled) as exc:
        registry.join_lookup("ZZZZZZ", "b")
    assert exc.value.retry_after > 0
    with pytest.raises(Throttled):  # even the right code waits until the delay is over
        registry.join_lookup(s.room.code, "b")
    assert registry.join_lookup(s.room.code, "c") is s.room


def test_a_join_code_dies_with_its_session(registry):
    s = make_session(registry)
    s.room.end(s.key)
    with pytest.raises(RoomError, match="No session with that code"):
        registry.join_lookup(s.room.code, "x")
    with pytest.raises(RoomError, match="ended"):
        s.room.join("Late")
    assert registry.get(s.room.code) is s.room  # still there for the debrief and export


def test_a_lost_facilitator_key_is_replaced_from_the_command_line(registry, db):
    from click.testing import CliRunner

    from diplomacy_sim.cli import main

    s = make_session(registry)
    res = CliRunner().invoke(main, ["room", "key", s.room.code, "--db", str(db)])
    assert res.exit_code == 0, res.output
    new = res.output.strip()
    assert s.room.check_key(new)  # the running room takes it at once
    assert not s.room.check_key(s.key)  # the old key stops working
    s.room.open_round(new)
    res = CliRunner().invoke(main, ["room", "key", "NOSUCH", "--db", str(db)])
    assert res.exit_code == 2 and "No session with that code" in res.output


def test_rooms_do_not_cross_talk(registry):
    a, b = make_session(registry), make_session(registry)
    seen = []
    b.room.subscribe(seen.append)
    a.room.open_round(a.key)
    a.room.close_round(a.key)
    assert (b.room.week, b.room.status, seen) == (0, "lobby", [])
    with pytest.raises(PermissionDenied):
        b.room.open_round(a.key)
    with pytest.raises(PermissionDenied):
        b.room.me(a.t("northgate_hospital.leader"))
