"""The room's store: one SQLite file in WAL mode holding every session and its log.

The log is the record. A session is its settings (scenario, seed, autopilot, round length,
...) plus an append-only list of entries: joins, roles taken, moves submitted, messages,
balcony visits, injected shocks, round boundaries, pauses, extensions, the end. Rooms are
rebuilt from it (never from a pickle). Only hashes of tokens and keys are stored.

The schema is versioned with ``PRAGMA user_version``; a file from a newer version is refused
with a clear message rather than misread.
"""

from __future__ import annotations

import json
import math
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from diplomacy_sim.room.codes import normalise, wellformed

SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    code TEXT PRIMARY KEY,
    created REAL NOT NULL,
    settings TEXT NOT NULL,
    key_hash TEXT NOT NULL,
    parent TEXT,
    branch_round INTEGER
);
CREATE TABLE IF NOT EXISTS log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    code TEXT NOT NULL REFERENCES sessions(code),
    n INTEGER NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    at REAL NOT NULL,
    UNIQUE (code, n)
);
"""


class StoreError(Exception):
    """The database cannot be used (wrong file, newer schema)."""


class StoreWriteError(StoreError):
    """A write failed in the database itself (a full disk, an I/O error): nothing of it was
    saved."""


class DamagedSession(StoreError):
    """A session's row holds values this program never writes (the file was edited or
    damaged); the other sessions are unaffected."""

    def __init__(self, code: str, why: str) -> None:
        super().__init__(why)
        self.code = code


class LogConflict(StoreError):
    """A session's log holds entries its writer has not seen: another process (a second
    server on the same database file) wrote to it."""


@dataclass(frozen=True)
class SessionRecord:
    code: str
    created: float
    settings: dict[str, Any]
    key_hash: str
    parent: str | None
    branch_round: int | None


@dataclass(frozen=True)
class Entry:
    n: int
    kind: str
    payload: dict[str, Any]
    at: float


class Store:
    """The one small interface to the database (thread-safe; one connection, a lock)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            fresh = _check_schema(self._db, self.path)  # before anything is changed
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            if fresh:
                self._db.executescript(_SCHEMA)
                self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except sqlite3.DatabaseError as exc:
            self._close_quietly()
            hint = _cause(exc)
            raise StoreError(f"{self.path}: " + (
                f"could not be opened ({str(exc)[:120]}; {hint})." if hint else
                f"not a usable room database ({str(exc)[:120]}).")) from exc
        except StoreError:
            self._close_quietly()
            raise

    def _close_quietly(self) -> None:
        db = getattr(self, "_db", None)
        if db is not None:
            db.close()

    @property
    def journal_mode(self) -> str:
        with self._lock:
            return str(self._db.execute("PRAGMA journal_mode").fetchone()[0])

    def create_session(self, code: str, settings: dict[str, Any], key_hash: str,
                       parent: str | None = None, branch_round: int | None = None,
                       entries: list[Entry] | None = None) -> None:
        """A new session (with an initial log, for a branch), in one transaction."""
        now = time.time()
        with self._lock, self._writing():
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute(
                "INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?)",
                (code, now, json.dumps(settings, sort_keys=True), key_hash, parent,
                 branch_round))
            for i, e in enumerate(entries or []):
                self._db.execute("INSERT INTO log (code, n, kind, payload, at) VALUES "
                                 "(?, ?, ?, ?, ?)",
                                 (code, i, e.kind, json.dumps(e.payload, sort_keys=True), e.at))
            self._db.execute("COMMIT")

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """One write: on any failure what it began is rolled back (unless SQLite already
        did, as on a full disk) and a failure of the database itself becomes
        :class:`StoreWriteError`, which says that nothing was saved."""
        try:
            yield
        except BaseException as exc:
            if self._db.in_transaction:
                try:
                    self._db.execute("ROLLBACK")
                except sqlite3.Error:
                    pass  # the original failure is the one to report
            if isinstance(exc, sqlite3.Error):
                hint = _cause(exc)
                raise StoreWriteError(
                    f"the room database {self.path.name} could not be written "
                    f"({str(exc)[:120]}{'; ' + hint if hint else ''}); nothing was saved"
                ) from exc
            raise

    def append(self, code: str, kind: str, payload: dict[str, Any],
               expect: int | None = None) -> int:
        """Add an entry to a session's log (committed before returning); its number.

        ``expect``: the number the writer believes comes next (the entries it has applied).
        If the log has grown past what it has seen, nothing is written and
        :class:`LogConflict` is raised: a log has one writer, or its replay would mix two
        sessions' states (two joins both named ``p1``, one token taking the other's place)."""
        text = json.dumps(payload, sort_keys=True)
        with self._lock, self._writing():
            self._db.execute("BEGIN IMMEDIATE")
            n = self._db.execute("SELECT COALESCE(MAX(n) + 1, 0) FROM log WHERE code = ?",
                                 (code,)).fetchone()[0]
            if expect is not None and n != expect:
                raise LogConflict(f"session {code}: its log has {n} entries, this process "
                                  f"has applied {expect}; another process writes to it.")
            self._db.execute("INSERT INTO log (code, n, kind, payload, at) VALUES "
                             "(?, ?, ?, ?, ?)", (code, n, kind, text, time.time()))
            self._db.execute("COMMIT")
        return int(n)

    def entries(self, code: str) -> list[Entry]:
        """A session's log in order; :class:`DamagedSession` if an entry is missing (the
        numbers must run 0, 1, 2, ...: a writer expects the next one) or cannot be read."""
        with self._lock:
            rows = self._db.execute("SELECT n, kind, payload, at FROM log WHERE code = ? "
                                    "ORDER BY n", (code,)).fetchall()
        out = []
        for i, (n, kind, payload, at) in enumerate(rows):
            if n != i:
                raise DamagedSession(code, f"session {code!r}: its log has no entry {i}")
            try:
                out.append(Entry(i, str(kind), json.loads(payload), float(at)))
            except (TypeError, ValueError):
                raise DamagedSession(code, f"session {code!r}: its log entry {i} cannot be "
                                     "read") from None
        return out

    def session(self, code: str) -> SessionRecord | None:
        """The session's record, None if there is none; :class:`DamagedSession` if its row
        cannot be read."""
        with self._lock:
            row = self._db.execute("SELECT * FROM sessions WHERE code = ?", (code,)).fetchone()
        return None if row is None else _record(row)

    def sessions(self) -> list[SessionRecord]:
        """Every session whose row can be read, oldest first (see :meth:`read_sessions`)."""
        return self.read_sessions()[0]

    def read_sessions(self) -> tuple[list[SessionRecord], dict[str, str]]:
        """The sessions whose row can be read, oldest first, and those whose row cannot:
        code -> why (the others are unaffected); one read of the table."""
        with self._lock:
            rows = self._db.execute("SELECT * FROM sessions ORDER BY rowid").fetchall()
        good: list[SessionRecord] = []
        damaged: dict[str, str] = {}
        for row in rows:
            try:
                good.append(_record(row))
            except DamagedSession as exc:
                damaged[exc.code] = str(exc)
        good.sort(key=lambda r: r.created)
        return good, damaged

    def key_hash(self, code: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT key_hash FROM sessions WHERE code = ?",
                                   (code,)).fetchone()
        return None if row is None else str(row[0])

    def set_key_hash(self, code: str, key_hash: str) -> None:
        """Replace a session's facilitator key (the old one stops working)."""
        with self._lock, self._writing():
            self._db.execute("UPDATE sessions SET key_hash = ? WHERE code = ?", (key_hash, code))

    def ended(self) -> set[str]:
        """Codes of sessions whose log has an ``end`` entry."""
        with self._lock:
            rows = self._db.execute("SELECT DISTINCT code FROM log WHERE kind = 'end'").fetchall()
        return {r[0] for r in rows}

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _record(row: tuple[Any, ...]) -> SessionRecord:
    """A session's row as a record; :class:`DamagedSession` naming the column that is not
    what this program writes (the row is never half read)."""
    code, created, settings, key_hash, parent, branch_round = row
    name = (code if isinstance(code, str) else repr(code))[:40]

    def damaged(column: str, allowed: str) -> DamagedSession:
        return DamagedSession(name, f"session {name!r}: its `{column}` is not {allowed}")

    if not isinstance(code, str) or not wellformed(code) or normalise(code) != code:
        raise damaged("code", "a join code")
    if isinstance(created, bool) or not isinstance(created, int | float) or \
            not math.isfinite(created):
        raise damaged("created", "a time")
    try:
        options = json.loads(settings) if isinstance(settings, str) else None
    except ValueError:
        options = None
    if not isinstance(options, dict):
        raise damaged("settings", "a JSON object")
    if not isinstance(key_hash, str):
        raise damaged("key_hash", "text")
    if parent is not None and not isinstance(parent, str):
        raise damaged("parent", "a session code")
    if branch_round is not None and (isinstance(branch_round, bool)
                                     or not isinstance(branch_round, int)):
        raise damaged("branch_round", "a round number")
    return SessionRecord(code, float(created), options, key_hash, parent, branch_round)


def _cause(exc: sqlite3.Error) -> str:
    """What to check when SQLite fails for a reason outside the file's contents."""
    text = str(exc).lower()
    if "full" in text or "disk i/o" in text:
        return "is the disk full?"
    if "readonly" in text or "read-only" in text or "unable to open" in text:
        return "are the file and its folder writable?"
    if "locked" in text or "busy" in text:
        return "another program is writing to it"
    return ""


TABLES = {
    "sessions": ("code", "created", "settings", "key_hash", "parent", "branch_round"),
    "log": ("seq", "code", "n", "kind", "payload", "at"),
}
"""The tables (and their columns, in order) of a room database of this schema version."""


def _check_schema(db: sqlite3.Connection, path: Path) -> bool:
    """Whether the file is new (to be set up); a room database of this version is used as
    it is; anything else is refused with :class:`StoreError` before anything in it is
    changed (another program's SQLite file, an older or newer room database)."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise StoreError(f"{path}: room database schema version {version} is newer "
                         f"than this program's ({SCHEMA_VERSION}); upgrade diplomacy-sim.")
    kinds: dict[str, set[str]] = {}
    for kind, name in db.execute("SELECT type, name FROM sqlite_master").fetchall():
        if not str(name).startswith("sqlite_"):  # SQLite's own (sequence, ANALYZE's stats)
            kinds.setdefault(str(kind), set()).add(str(name))
    tables = kinds.get("table", set())
    if version == 0 and not kinds:
        return True
    columns = {t: tuple(r[1] for r in db.execute(f"PRAGMA table_info({t})").fetchall())
               for t in tables & set(TABLES)}
    code = kinds.keys() - {"table", "index"}  # triggers and views run or show what we never wrote
    if version == SCHEMA_VERSION and tables == set(TABLES) and columns == TABLES and not code:
        damage = [r[0] for r in db.execute("PRAGMA quick_check(3)").fetchall()]
        if damage != ["ok"]:  # damaged pages: every page would fail on reading them
            said = " ".join("; ".join(map(str, damage)).split())[:200]
            raise StoreError(f"{path}: the room database is damaged ({said}); nothing in it "
                             "was changed. Restore it from a copy, or start the server on "
                             "another file (--db).")
        return False
    found = ", ".join(sorted(tables))[:200] or "none"
    extra = f"; it has {', '.join(sorted(code))}s" if code else ""
    raise StoreError(
        f"{path}: not a room database of this program (schema version {version}, tables: "
        f"{found}{extra}); nothing in it was changed. Allowed: a room database diplomacy-sim "
        f"made (schema version {SCHEMA_VERSION}), or a new file.")
