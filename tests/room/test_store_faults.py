"""The room's database as it is found, and as it fails: a replaced key takes over at once,
a file that is not this program's is refused untouched, a damaged session row is named
while the others run, and a write the disk refuses changes nothing and says so."""

from __future__ import annotations

import shutil
import sqlite3

import pytest
from click.testing import CliRunner

from diplomacy_sim.cli import main
from diplomacy_sim.room import RoomError, RoomRegistry, Store, StoreError, codes
from diplomacy_sim.room import registry as registry_mod
from diplomacy_sim.room.store import StoreWriteError

from .conftest import COUNCIL, HOSPITAL, make_session


def _cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


# --------------------------------------------------------------------------- the trainer's key
def test_a_replaced_key_locks_the_old_one_out_at_once_even_if_it_is_tried_first(registry, db):
    s = make_session(registry)
    assert s.room.check_key(s.key)
    res = _cli("room", "key", s.room.code, "--db", db)
    assert res.exit_code == 0, res.output
    new = res.output.strip()
    assert not s.room.check_key(s.key)  # tried before anyone presents the new key
    with pytest.raises(RoomError, match="trainer") as refused:
        s.room.open_round(s.key)
    # the trainer whose page still holds the old key is told what to do about it
    assert "replaced" in str(refused.value) and "room key" in str(refused.value)
    with pytest.raises(RoomError) as guessed:  # in the same words as a key never valid
        s.room.open_round(codes.new_key())
    assert str(guessed.value) == str(refused.value)
    s.room.open_round(new)
    assert s.room.status == "open"


# --------------------------------------------------------------------------- whose file it is
def _foreign(path, tables):
    con = sqlite3.connect(path)
    for t in tables:
        con.execute(f"CREATE TABLE {t} (id INTEGER PRIMARY KEY, text TEXT)")
        con.execute(f"INSERT INTO {t} (text) VALUES ('a row of someone else')")
    con.commit()
    con.close()


@pytest.mark.parametrize("tables", [["moz_places"], ["notes"], ["sessions"], ["sessions", "log"]],
                         ids=["browser history", "notes", "one table by our name",
                              "both our names, other columns"])
def test_another_program_s_database_is_refused_and_left_exactly_as_it_was(tmp_path, tables):
    path = tmp_path / "theirs.sqlite"
    _foreign(path, tables)
    before = path.read_bytes()
    with pytest.raises(StoreError, match=r"not a room database of this program.*nothing in it "
                                          r"was changed"):
        Store(path)
    for args in (("room", "list"), ("room", "key", "ABCDEF"), ("room", "export", "ABCDEF",
                                                                "--out", tmp_path / "pack")):
        res = _cli(*args, "--db", path)
        assert res.exit_code == 2, res.output
        assert "--db" in res.output and "not a room database of this program" in res.output
        assert "Traceback" not in res.output
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["theirs.sqlite"]  # no journal left


def test_a_room_database_without_a_schema_version_is_not_stamped_as_current(db, tmp_path):
    Store(db).close()
    old = tmp_path / "old.sqlite"
    shutil.copy(db, old)
    con = sqlite3.connect(old)
    con.execute("PRAGMA user_version=0")
    con.commit()
    con.close()
    with pytest.raises(StoreError, match="schema version 0"):
        Store(old)
    con = sqlite3.connect(old)
    assert con.execute("PRAGMA user_version").fetchone()[0] == 0
    con.close()


def test_sqlite_s_own_tables_and_our_indexes_leave_a_room_database_ours(registry, db):
    s = make_session(registry)
    registry.close()
    con = sqlite3.connect(db)
    con.execute("ANALYZE")  # adds sqlite_stat1
    con.execute("CREATE INDEX log_kind ON log (kind)")
    con.commit()
    con.close()
    assert RoomRegistry(db).get(s.room.code) is not None


@pytest.mark.parametrize("code", [
    "CREATE TRIGGER t AFTER INSERT ON log BEGIN UPDATE sessions SET key_hash = 'x'; END",
    "CREATE TRIGGER t BEFORE INSERT ON log BEGIN SELECT RAISE(ABORT, 'no'); END",
    "CREATE VIEW v AS SELECT code FROM sessions",
], ids=["a trigger that takes the key", "a trigger that refuses every write", "a view"])
def test_a_room_database_with_code_of_its_own_is_refused_untouched(db, code):
    Store(db).close()
    con = sqlite3.connect(db)
    con.execute(code)
    con.commit()
    con.close()
    before = db.read_bytes()
    with pytest.raises(StoreError, match=r"not a room database of this program.*it has"):
        Store(db)
    assert db.read_bytes() == before


@pytest.mark.parametrize(("error", "cause"), [
    ("unable to open database file", "could not be opened.*are the file and its folder writable"),
    ("attempt to write a readonly database", "could not be opened.*writable"),
    ("disk I/O error", "could not be opened.*is the disk full"),
    ("file is not a database", "not a usable room database"),
])
def test_a_database_that_cannot_be_opened_names_the_likely_cause(tmp_path, monkeypatch,
                                                                   error, cause):
    from diplomacy_sim.room import store as store_mod

    def failing(*args, **kwargs):  # what SQLite raises for each (OperationalError is a kind
        kind = sqlite3.DatabaseError if error.startswith("file is") else sqlite3.OperationalError
        raise kind(error)  # of DatabaseError)

    monkeypatch.setattr(store_mod.sqlite3, "connect", failing)
    with pytest.raises(StoreError, match=cause):
        Store(tmp_path / "rooms.sqlite")


def test_a_new_or_empty_file_becomes_a_room_database(tmp_path):
    empty = tmp_path / "empty.sqlite"
    empty.touch()
    for path in (empty, tmp_path / "new.sqlite"):
        store = Store(path)
        store.create_session("ABCDEF", {"x": 1}, "hash")
        store.close()
        assert Store(path).session("ABCDEF").settings == {"x": 1}


# --------------------------------------------------------------------------- damaged rows
DAMAGE = {
    "settings": "UPDATE sessions SET settings = '{not json' WHERE code = ?",
    "settings as a list": "UPDATE sessions SET settings = '[1, 2]' WHERE code = ?",
    "created": "UPDATE sessions SET created = 'yesterday' WHERE code = ?",
    "branch_round": "UPDATE sessions SET branch_round = 'x' WHERE code = ?",
    "key_hash": "UPDATE sessions SET key_hash = X'0102' WHERE code = ?",
    "a bad payload": "UPDATE log SET payload = '{' WHERE code = ? AND n = 0",
    "a gap in the log": "DELETE FROM log WHERE code = ? AND n = 1",
}


@pytest.mark.parametrize("code", ["abcdef", "ab c!<script>", "Z" * 5000])
def test_a_session_whose_code_is_not_a_join_code_is_named_as_damaged(registry, db, code):
    s = make_session(registry)
    registry.close()
    con = sqlite3.connect(db)
    con.execute("UPDATE log SET code = ? WHERE code = ?", (code, s.room.code))
    con.execute("UPDATE sessions SET code = ? WHERE code = ?", (code, s.room.code))
    con.commit()
    con.close()
    fresh = RoomRegistry(db)
    assert fresh.live() == []
    assert fresh.damaged(code[:40]) and "is not a join code" in fresh.broken[code[:40]]
    fresh.close()
    listed = _cli("room", "list", "--db", db)
    assert listed.exit_code == 0 and "damaged: session" in listed.output, listed.output


@pytest.mark.parametrize("damage", DAMAGE.values(), ids=DAMAGE.keys())
def test_a_damaged_session_is_named_and_the_others_run(registry, db, damage, tmp_path):
    good = make_session(registry)
    bad = make_session(registry)
    registry.close()
    con = sqlite3.connect(db)
    con.execute(damage, (bad.room.code,))
    con.commit()
    con.close()
    fresh = RoomRegistry(db)
    assert fresh.get(good.room.code) is not None
    assert fresh.get(bad.room.code) is None
    assert bad.room.code in fresh.broken
    with pytest.raises(RoomError, match=f"Session {bad.room.code} is in the database but "
                                        "cannot be rebuilt"):
        fresh.new_key(bad.room.code)
    fresh.close()
    listed = _cli("room", "list", "--db", db)
    assert listed.exit_code == 0, listed.output
    assert good.room.code in listed.output
    assert f"{bad.room.code}  damaged: " in listed.output
    assert "Traceback" not in listed.output
    export = _cli("room", "export", bad.room.code, "--out", tmp_path / "pack", "--db", db)
    assert export.exit_code == 2 and "cannot be rebuilt" in export.output, export.output


# --------------------------------------------------------------------------- a full disk
class FullDisk:
    """A connection whose writes fail as SQLite's do on a full disk (it rolls back itself)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def execute(self, sql: str, *args):
        if sql.startswith(("INSERT", "UPDATE")):
            if self._db.in_transaction:  # SQLite ends the transaction on SQLITE_FULL
                self._db.execute("ROLLBACK")
            raise sqlite3.OperationalError("database or disk is full")
        return self._db.execute(sql, *args)

    def __getattr__(self, name):
        return getattr(self._db, name)


@pytest.mark.parametrize("action", ["join", "message", "submit", "open", "close", "create",
                                    "key"])
def test_a_write_the_disk_refuses_changes_nothing_and_says_so(registry, db, action):
    s = make_session(registry)
    s.room.open_round(s.key)
    before = [e.n for e in registry.store.entries(s.room.code)]
    status = s.room.status
    real = registry.store._db
    registry.store._db = FullDisk(real)
    calls = {
        "join": lambda: s.room.join("Late Comer"),
        "message": lambda: s.room.send_message(s.t(COUNCIL), [HOSPITAL], "hello"),
        "submit": lambda: s.room.submit_moves(s.t(COUNCIL), []),
        "open": lambda: s.room.pause(s.key),
        "close": lambda: s.room.close_round(s.key),
        "create": lambda: registry.create("integrated_discharge", seed=1),
        "key": lambda: registry.new_key(s.room.code),
    }
    with pytest.raises(RoomError, match=r"could not (save|be closed)") as caught:
        calls[action]()
    assert "disk" in str(caught.value) and "rollback" not in str(caught.value)
    registry.store._db = real
    assert [e.n for e in registry.store.entries(s.room.code)] == before
    assert s.room.status == status
    assert s.room.check_key(s.key)  # the key was not replaced
    assert len(registry.live()) == 1
    rebuilt = RoomRegistry(db).get(s.room.code)
    assert rebuilt.model.rows == s.room.model.rows and rebuilt.status == s.room.status


def test_a_key_the_disk_refuses_is_an_exit_2_that_says_the_old_key_still_works(
        registry, db, monkeypatch):
    s = make_session(registry)
    opened = Store.__init__

    def full(self, *args, **kwargs):  # every store the command opens is on a full disk
        opened(self, *args, **kwargs)
        self._db = FullDisk(self._db)

    monkeypatch.setattr(Store, "__init__", full)
    res = _cli("room", "key", s.room.code, "--db", db)
    assert res.exit_code == 2, res.output
    assert "--db" in res.output and "disk is full" in res.output
    assert "the old key still opens the session" in res.output
    assert "tell the person running the server" not in res.output.lower()
    assert "Traceback" not in res.output
    monkeypatch.undo()
    assert RoomRegistry(db).get(s.room.code).check_key(s.key)


def test_the_store_reports_a_full_disk_as_nothing_saved(db):
    store = Store(db)
    store.create_session("ABCDEF", {}, "hash")
    store._db = FullDisk(store._db)
    with pytest.raises(StoreWriteError, match="nothing was saved"):
        store.append("ABCDEF", "join", {})
    store._db = store._db._db
    assert store.entries("ABCDEF") == []


# --------------------------------------------------------------------------- places
def test_removed_participants_do_not_keep_a_session_full(registry, monkeypatch):
    monkeypatch.setattr("diplomacy_sim.room.room.PARTICIPANTS_MAX", 5)
    monkeypatch.setattr("diplomacy_sim.room.room.JOINS_MAX", 12)
    s = make_session(registry, roles=())
    room = s.room
    pranks = [room.join(f"Prank {i}") for i in range(5)]
    with pytest.raises(RoomError, match="The session is full"):
        room.join("Real Person")
    for tok in pranks:
        room.remove(s.key, room.me(tok).id)
    room.join("Real Person")  # their places are free again
    for i in range(6):
        room.remove(s.key, room.me(room.join(f"Again {i}")).id)
    with pytest.raises(RoomError, match="taken 12 joins"):  # the log stays bounded
        room.join("One Too Many")


def test_the_server_s_own_machine_can_start_a_session_when_the_network_filled_it(
        registry, monkeypatch):
    monkeypatch.setattr(registry_mod, "MAX_LIVE_SESSIONS", 3)
    monkeypatch.setattr(registry_mod, "SERVER_MACHINE_RESERVE", 2)
    for i in range(3):
        registry.create("integrated_discharge", seed=1, client_id=f"address:10.0.0.{i}")
    with pytest.raises(RoomError, match=r"already runs 3 sessions.*server's own machine"):
        registry.create("integrated_discharge", seed=1, client_id="address:10.0.0.9")
    registry.create("integrated_discharge", seed=1)  # the operator (client None)
    registry.create("integrated_discharge", seed=1)
    with pytest.raises(RoomError, match="already runs 5 sessions"):  # still bounded
        registry.create("integrated_discharge", seed=1)


# --------------------------------------------------------------------------- round 6
def test_a_database_with_damaged_pages_is_refused_at_open(registry, db):
    for _ in range(6):
        make_session(registry)
    registry.close()
    con = sqlite3.connect(db)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    raw = bytearray(db.read_bytes())
    assert len(raw) >= 5 * 4096, "the database spans several pages"
    raw[3 * 4096:5 * 4096] = bytes(range(256)) * 32  # two pages of garbage
    db.write_bytes(bytes(raw))
    with pytest.raises(StoreError, match=r"the room database is damaged.*Restore it from a copy"):
        Store(db)
    res = _cli("room", "list", "--db", db)
    assert res.exit_code == 2 and "is damaged" in res.output and "Traceback" not in res.output


@pytest.mark.parametrize(("kind", "payload"), [
    ("join", {"pid": "p9", "name": 12345, "token_hash": "x"}),
    ("submit", {"pid": "p1", "round": 1, "moves": [{"kind": "teleport"}]}),
    ("submit", {"pid": "nobody", "round": 1, "moves": []}),
], ids=["a name that is not text", "a move of no kind", "a participant who never joined"])
def test_a_log_entry_this_program_never_writes_marks_the_session_damaged(registry, db, kind,
                                                                          payload):
    s = make_session(registry)
    s.room.open_round(s.key)
    registry.store.append(s.room.code, kind, payload)
    fresh = RoomRegistry(db)
    assert fresh.get(s.room.code) is None and fresh.damaged(s.room.code)
    assert "is not one this program writes" in fresh.broken[s.room.code]


def test_a_damaged_session_s_code_is_said_to_be_damaged_and_never_counted_as_wrong(registry,
                                                                                    db):
    from diplomacy_sim.room import codes

    s = make_session(registry)
    registry.store.append(s.room.code, "from_the_future", {})
    fresh = RoomRegistry(db)
    for _ in range(codes.FREE_TRIES + 2):
        with pytest.raises(RoomError, match="is in the database but cannot be rebuilt"):
            fresh.find(s.room.code, "address:10.0.0.4")
    assert fresh._throttle.wait_left("address:10.0.0.4") == 0
