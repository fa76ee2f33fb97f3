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
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StoreError(f"{self.path}: room database schema version {version} is newer "
                                 f"than this program's ({SCHEMA_VERSION}); upgrade diplomacy-sim.")
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.executescript(_SCHEMA)
            self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: not a usable room database ({exc}).") from exc

    @property
    def journal_mode(self) -> str:
        with self._lock:
            return str(self._db.execute("PRAGMA journal_mode").fetchone()[0])

    def create_session(self, code: str, settings: dict[str, Any], key_hash: str,
                       parent: str | None = None, branch_round: int | None = None,
                       entries: list[Entry] | None = None) -> None:
        """A new session (with an initial log, for a branch), in one transaction."""
        now = time.time()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(
                    "INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?)",
                    (code, now, json.dumps(settings, sort_keys=True), key_hash, parent,
                     branch_round))
                for i, e in enumerate(entries or []):
                    self._db.execute("INSERT INTO log (code, n, kind, payload, at) VALUES "
                                     "(?, ?, ?, ?, ?)",
                                     (code, i, e.kind, json.dumps(e.payload, sort_keys=True), e.at))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def append(self, code: str, kind: str, payload: dict[str, Any],
               expect: int | None = None) -> int:
        """Add an entry to a session's log (committed before returning); its number.

        ``expect``: the number the writer believes comes next (the entries it has applied).
        If the log has grown past what it has seen, nothing is written and
        :class:`LogConflict` is raised: a log has one writer, or its replay would mix two
        sessions' states (two joins both named ``p1``, one token taking the other's place)."""
        text = json.dumps(payload, sort_keys=True)
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                n = self._db.execute("SELECT COALESCE(MAX(n) + 1, 0) FROM log WHERE code = ?",
                                     (code,)).fetchone()[0]
                if expect is not None and n != expect:
                    raise LogConflict(f"session {code}: its log has {n} entries, this process "
                                      f"has applied {expect}; another process writes to it.")
                self._db.execute("INSERT INTO log (code, n, kind, payload, at) VALUES "
                                 "(?, ?, ?, ?, ?)", (code, n, kind, text, time.time()))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return int(n)

    def entries(self, code: str) -> list[Entry]:
        with self._lock:
            rows = self._db.execute("SELECT n, kind, payload, at FROM log WHERE code = ? "
                                    "ORDER BY n", (code,)).fetchall()
        return [Entry(int(n), k, json.loads(p), float(a)) for n, k, p, a in rows]

    def session(self, code: str) -> SessionRecord | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM sessions WHERE code = ?", (code,)).fetchone()
        return None if row is None else _record(row)

    def sessions(self) -> list[SessionRecord]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM sessions ORDER BY created").fetchall()
        return [_record(r) for r in rows]

    def key_hash(self, code: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT key_hash FROM sessions WHERE code = ?",
                                   (code,)).fetchone()
        return None if row is None else str(row[0])

    def set_key_hash(self, code: str, key_hash: str) -> None:
        """Replace a session's facilitator key (the old one stops working)."""
        with self._lock:
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
    code, created, settings, key_hash, parent, branch_round = row
    return SessionRecord(code, float(created), json.loads(settings), key_hash, parent,
                         None if branch_round is None else int(branch_round))
