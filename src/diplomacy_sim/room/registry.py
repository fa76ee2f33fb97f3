"""The process-wide registry of rooms: one :class:`Room` per session, shared by its pages.

On start-up it rebuilds every session that has not ended from its settings and log (ended
ones are rebuilt when asked for, for the debrief and the export, and only the most recently
asked for stay in memory). It hands out join
codes, slows down clients that type wrong ones, and branches a session from a round.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from diplomacy_sim.room import codes
from diplomacy_sim.room.errors import PermissionDenied, RoomError, Throttled
from diplomacy_sim.room.room import (
    MAX_ROUNDS,
    RoleInfo,
    Room,
    RoomSettings,
    _problems,
    base_scenario,
    catalogue,
    catalogue_names,
    not_saved,
    scenario_spec,
)
from diplomacy_sim.room.store import DamagedSession, Entry, SessionRecord, Store, StoreWriteError
from diplomacy_sim.scenario.schema import DOCTRINES

DB_ENV = "DIPLOMACY_SIM_ROOM_DB"
MAX_LIVE_SESSIONS = 40
"""Sessions not yet ended that one server runs at once (each holds two models in memory)."""
SERVER_MACHINE_RESERVE = 8
"""Sessions beyond :data:`MAX_LIVE_SESSIONS` that only the server's own machine (its
operator, the command line) may start: clients on the network that filled the server must not
lock its operator out."""
SESSIONS_PER_CLIENT = 4
"""Sessions not yet ended that one client (a network address) may have started from the
page: anyone on the room's network can open ``/room``, and must not be able to fill the
server."""
ENDED_IN_MEMORY = 8
"""Ended sessions kept rebuilt in memory (for their debriefs and exports), the most recently
asked for; an older one is rebuilt from its log when next asked for. Ended sessions stay in
the database for ever, so without this bound a long-running server would hold every
session it ever ran."""
STARTS_PER_CLIENT_PER_HOUR = 12
"""Sessions one client may start in an hour, ended ones included (ending each session at
once must not give a client an endless supply: every session stays in the database)."""


def default_db_path() -> Path:
    """Where the server keeps its rooms unless told otherwise: the per-user data folder
    (``$XDG_DATA_HOME/diplomacy_sim/rooms.sqlite``, else ``~/.local/share/...``)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "diplomacy_sim" / "rooms.sqlite"


class RoomRegistry:
    """All the sessions of one store (see the module docstring). Thread-safe."""

    def __init__(self, store: Store | str | Path) -> None:
        self.store = store if isinstance(store, Store) else Store(store)
        self._lock = threading.RLock()
        self._rooms: dict[str, Room] = {}
        self._throttle = codes.Throttle()
        self._started_by: dict[str, tuple[str, float]] = {}
        """code -> (the client that started it, when); memory only, never stored."""
        self._clock = time.monotonic
        ended = self.store.ended()
        records, broken = self.store.read_sessions()
        self.broken: dict[str, str] = broken
        """Sessions that could not be read or rebuilt from their log (code -> why); the
        others run."""
        self._known = {s.code for s in records} | set(self.broken)
        for rec in records:
            if rec.code not in ended:
                room = self._try_rebuild(rec)
                if room is not None:
                    self._rooms[rec.code] = room

    _default: RoomRegistry | None = None
    _default_lock = threading.Lock()

    @classmethod
    def default(cls) -> RoomRegistry:
        """The server process's registry (its database from ``$DIPLOMACY_SIM_ROOM_DB``)."""
        with cls._default_lock:
            if cls._default is None:
                cls._default = cls(Path(os.environ.get(DB_ENV) or default_db_path()))
            return cls._default

    def _rebuild(self, rec: SessionRecord) -> Room:
        return self._adopt(Room(rec, self.store, self.store.entries(rec.code)))

    def _adopt(self, room: Room) -> Room:
        room.lineage = lambda: self.lineage(room.code)  # for the pack's branch chart
        return room

    def _try_rebuild(self, rec: SessionRecord) -> Room | None:
        try:
            return self._rebuild(rec)
        except Exception as exc:  # one damaged session must not keep the others down
            self.broken[rec.code] = f"{type(exc).__name__}: {str(exc)[:300]}"
            return None

    # ------------------------------------------------------------------ catalogue
    @staticmethod
    def scenario_choices() -> list[tuple[str, str]]:
        return catalogue()

    @staticmethod
    def role_choices(scenario: str) -> list[RoleInfo]:
        """The roles a session of ``scenario`` would have (no session made); ``open`` marks
        the default open roles (every organisation's leader)."""
        from diplomacy_sim.model.model import DiplomacyModel
        from diplomacy_sim.room.roles import roles_of

        if not isinstance(scenario, str):
            raise RoomError(f"Choose a scenario: {', '.join(catalogue_names())}.")
        roles = roles_of(DiplomacyModel(base_scenario(scenario)))
        return [RoleInfo(r.id, r.label, r.org_id, r.org_name, r.kind, r.kind == "leader", None,
                         True, r.button) for r in roles]

    @staticmethod
    def autopilot_choices() -> tuple[str, ...]:
        return DOCTRINES

    # ------------------------------------------------------------------ sessions
    def create(self, scenario: str, seed: int | None = None, autopilot: str | None = None,
               weeks_per_round: int = 13, rounds: int = 8, open_roles: Sequence[str] | None = None,
               idle_policy: str = "autopilot", client_id: str | None = None, **more: Any
               ) -> tuple[Room, str]:
        """A new session; returns the room and the facilitator key (shown once, to the trainer).

        ``scenario`` is a catalogue name (never a path). ``seed`` and ``autopilot`` default
        to the scenario's own; ``open_roles`` to every organisation's leader. ``more`` may set
        ``action_points``, ``costs``, ``balcony_cost``, ``message_cost`` (bounded).
        ``client_id``: who asks, as the page's server sees it (None: the command line or a
        test): at most :data:`SESSIONS_PER_CLIENT` of theirs run at once, and at most
        :data:`MAX_LIVE_SESSIONS` in all.
        """
        client = None if client_id is None else str(client_id)[:200]
        self._check_room_for(client)
        if not isinstance(scenario, str):
            raise RoomError(f"Choose a scenario: {', '.join(catalogue_names())}.")
        base = base_scenario(scenario)
        try:
            settings = RoomSettings(
                scenario=scenario, seed=base.seed if seed is None else seed,
                autopilot=autopilot or base.doctrine, weeks_per_round=weeks_per_round,
                rounds=rounds, open_roles=tuple(open_roles or ()), idle_policy=idle_policy, **more)
        except ValidationError as exc:
            raise RoomError("; ".join(_problems(exc))) from None
        spec = scenario_spec(settings)
        from diplomacy_sim.model.model import DiplomacyModel
        from diplomacy_sim.room.actions import DEFAULT_MOVES
        from diplomacy_sim.room.roles import roles_of

        roles = roles_of(DiplomacyModel(spec))
        ids = [r.id for r in roles]
        unknown = [r for r in settings.open_roles if r not in ids]
        if unknown:
            raise RoomError(f"No role {unknown[0][:60]!r}; roles: {', '.join(ids)}.")
        bad_cost = [k for k, v in settings.costs.items() if k not in DEFAULT_MOVES or not 0 <= v <= 30]
        if bad_cost:
            raise RoomError(f"costs: {bad_cost[0][:30]!r} must be a move ({', '.join(DEFAULT_MOVES)}) "
                            "with a cost from 0 to 30 points.")
        if not settings.open_roles:
            settings = settings.model_copy(update={
                "open_roles": tuple(r.id for r in roles if r.kind == "leader")})
        key = codes.new_key()
        with self._lock:
            self._check_room_for(client)  # again, under the lock: two pages at once
            code = self._fresh_code()
            _saved(self.store.create_session, code, settings.model_dump(mode="json"),
                   codes.hash_secret(key))
            if client is not None:
                self._started_by[code] = (client, self._clock())
            rec = self.store.session(code)
            assert rec is not None
            room = self._adopt(Room(rec, self.store))
            self._rooms[code] = room
            self._known.add(code)
            self._forget_ended()
        return room, key

    def _check_room_for(self, client: str | None) -> None:
        """Refuse a new session past :data:`MAX_LIVE_SESSIONS` (plus
        :data:`SERVER_MACHINE_RESERVE` for ``client`` None, the server's own machine), or past
        :data:`SESSIONS_PER_CLIENT` started by this client."""
        with self._lock:
            live = {r.code for r in self.live()}
            cap = MAX_LIVE_SESSIONS + (SERVER_MACHINE_RESERVE if client is None else 0)
            if len(live) >= cap:
                raise RoomError(f"This server already runs {cap} sessions that have not "
                                "ended: end one from its console first" + (
                                    "." if client is None else
                                    ", or start this one on the server's own machine."))
            if client is None:
                return
            hour_ago = self._clock() - 3600.0
            for c, (_, at) in list(self._started_by.items()):  # forget what no longer counts
                if at < hour_ago and c not in live:
                    del self._started_by[c]
            mine = [(c, at) for c, (who, at) in self._started_by.items() if who == client]
            if sum(1 for c, _ in mine if c in live) >= SESSIONS_PER_CLIENT:
                raise RoomError(f"This computer has started {SESSIONS_PER_CLIENT} sessions that "
                                "have not ended: end one from its console first.")
            recent = sorted(at for _, at in mine if at >= hour_ago)
            if len(recent) >= STARTS_PER_CLIENT_PER_HOUR:
                wait = recent[-STARTS_PER_CLIENT_PER_HOUR] + 3600.0 - self._clock()
                raise RoomError(f"This computer has started {STARTS_PER_CLIENT_PER_HOUR} "
                                f"sessions in the last hour: wait {wait / 60:.0f} min.")

    def _fresh_code(self) -> str:
        while True:  # codes are never reused, so an old code never reaches a new session
            code = codes.new_code()
            if code not in self._known:
                return code

    def get(self, code: str) -> Room | None:
        """The session with this code (ended ones too: debrief, export), or None.

        An ended session not in memory is rebuilt from its log outside the registry's lock,
        so a replay never holds up the lookups of other sessions; at most
        :data:`ENDED_IN_MEMORY` ended sessions are kept (:meth:`_forget_ended`)."""
        c = codes.normalise(code) if isinstance(code, str) else ""
        with self._lock:
            room = self._rooms.get(c)
            known = c in self._known
            if room is not None and room.status == "ended":
                self._rooms[c] = self._rooms.pop(c)  # the most recently asked for goes last
            self._forget_ended()  # sessions that ended since the last lookup count too
        if room is not None or not known:
            return room
        try:
            rec = self.store.session(c)
        except DamagedSession as exc:
            self.broken[c] = str(exc)
            return None
        built = self._try_rebuild(rec) if rec is not None else None
        if built is None:
            return None
        with self._lock:  # another thread may have rebuilt it meanwhile: one Room a session
            room = self._rooms.setdefault(c, built)
            self._forget_ended()
            return room

    def _forget_ended(self) -> None:
        """Drop the ended sessions asked for least recently beyond :data:`ENDED_IN_MEMORY`
        (pages that hold one keep their copy; the database keeps the session)."""
        ended = [c for c, r in self._rooms.items() if r.status == "ended"]
        for c in ended[:max(len(ended) - ENDED_IN_MEMORY, 0)]:
            del self._rooms[c]

    def find(self, code: Any, client_id: str) -> Room | None:
        """The session a code from a page names (a URL, a field, a browser's storage), or
        None. Every page that looks a session up by a code it was sent comes through here,
        so wrong codes count against the client wherever they are tried (the join form, the
        projector's and the debrief's addresses, resuming as the trainer): after
        :data:`codes.FREE_TRIES` wrong ones the client must wait (:class:`Throttled`).
        ``client_id`` names the client as the server sees it (its address), never by
        something the client chooses."""
        return self._lookup(code, client_id, live_only=False)

    def join_lookup(self, code: str, client_id: str) -> Room:
        """The live session a participant's code names; wrong codes from one client are
        slowed down (:class:`Throttled`); an ended session's code no longer works."""
        room = self._lookup(code, client_id, live_only=True)
        if room is None:
            raise RoomError("No session with that code: check it with your trainer.")
        return room

    def _lookup(self, code: Any, client_id: str, live_only: bool) -> Room | None:
        client = str(client_id)[:200]
        wait = self._throttle.wait_left(client)
        if wait > 0:
            raise Throttled(wait)
        c = codes.normalise(code) if isinstance(code, str) else ""
        room = self.get(c) if codes.wellformed(c) else None
        if room is None and self.damaged(c):  # a right code: said so, not counted as wrong
            raise self.missing(c)
        if room is None or (live_only and room.status == "ended"):
            delay = self._throttle.failed(client)
            if delay > 0:
                raise Throttled(delay)
            return None
        return room  # a right code leaves the count of wrong ones as it is (codes.FORGET_AFTER)

    def live(self) -> list[Room]:
        with self._lock:
            return [r for r in self._rooms.values() if r.status != "ended"]

    def branch(self, code: str, key: str, round_k: int, client_id: str | None = None
               ) -> tuple[Room, str]:
        """A new session that keeps everything of ``code`` before round ``round_k`` (its
        participants keep their tokens and roles); it waits to open round ``round_k``.
        ``client_id``: who asks, as for :meth:`create` (a branch is a new live session and
        counts against the same bounds)."""
        client = None if client_id is None else str(client_id)[:200]
        parent = self.get(code)
        if parent is None:
            raise self.missing(code)
        if not parent.check_key(key):
            raise PermissionDenied("Only the trainer can replay a session from a round.")
        if not isinstance(round_k, int) or not 1 <= round_k <= min(parent.round, MAX_ROUNDS):
            raise RoomError(f"Replay from a round that has been played: 1 to {parent.round}.")
        entries = self.store.entries(parent.code)
        cut = next((i for i, e in enumerate(entries)
                    if e.kind == "open_round" and e.payload["round"] >= round_k), len(entries))
        keep = [e for e in entries[:cut] if e.kind != "end"]
        keep += revocations_after(keep, entries[cut:])
        try:
            rec = self.store.session(parent.code)
        except DamagedSession as exc:
            raise RoomError(f"This session cannot be replayed: {exc}.") from None
        if rec is None:
            raise self.missing(code)
        new_key = codes.new_key()
        with self._lock:
            self._check_room_for(client)
            new = self._fresh_code()
            _saved(self.store.create_session, new, rec.settings, codes.hash_secret(new_key),
                   parent=parent.code, branch_round=round_k, entries=keep)
            if client is not None:
                self._started_by[new] = (client, self._clock())
            nrec = self.store.session(new)
            assert nrec is not None
            room = self._rebuild(nrec)
            self._rooms[new] = room
            self._forget_ended()
            self._known.add(new)
        return room, new_key

    def new_key(self, code: str) -> str:
        """A new facilitator key for a session (for a trainer who lost theirs; the command
        line calls this, since whoever holds the database file is trusted). The old key
        stops working."""
        room = self.get(code)
        if room is None:
            raise self.missing(code)
        key = codes.new_key()
        _saved(self.store.set_key_hash, room.code, codes.hash_secret(key))
        return key

    def damaged(self, code: Any) -> bool:
        """Whether a session with this code is in the database but cannot be rebuilt."""
        return isinstance(code, str) and (code in self.broken
                                          or codes.normalise(code) in self.broken)

    def missing(self, code: Any) -> RoomError:
        """Why :meth:`get` found no session for ``code``: none has it, or its record cannot
        be read or rebuilt (said with the reason; the other sessions are unaffected)."""
        c = codes.normalise(code) if isinstance(code, str) else ""
        why = self.broken.get(code) if isinstance(code, str) else None
        why = why or self.broken.get(c)
        if why is not None:
            return RoomError(f"Session {c} is in the database but cannot be rebuilt from it "
                             f"({why[:300]}).")
        return RoomError("No session with that code.")

    def lineage(self, code: str) -> list[dict[str, Any]]:
        """This session and the sessions it was branched from (nearest first), with their
        outcome rows, for charting the branches together."""
        out = []
        room = self.get(code)
        seen = set()
        while room is not None and room.code not in seen:
            seen.add(room.code)
            with room.lock:
                out.append({"code": room.code,
                            "from_round": room.parent[1] if room.parent else None,
                            "rows": [dict(r) for r in room.model.rows]})
            room = self.get(room.parent[0]) if room.parent else None
        return out

    def close(self) -> None:
        self.store.close()


def revocations_after(kept: Sequence[Entry], later: Sequence[Entry]) -> list[Entry]:
    """The trainer's removals, made after the entries a branch keeps, of participants it
    keeps: a removed participant's token is revoked for good, in every branch made since
    (their role is free from the branch's first round on)."""
    joined = {e.payload["pid"] for e in kept if e.kind == "join"}
    gone = {e.payload["pid"] for e in kept if e.kind == "remove"}
    out: list[Entry] = []
    for e in later:
        pid = e.payload.get("pid") if e.kind == "remove" else None
        if pid in joined and pid not in gone:
            gone.add(pid)
            out.append(e)
    return out


def _saved(write: Callable[..., None], *args: Any, **kwargs: Any) -> None:
    """A write to the store, whose failure in the database (a full disk) is a
    :class:`RoomError` saying that nothing was saved."""
    try:
        write(*args, **kwargs)
    except StoreWriteError as exc:
        raise not_saved(exc) from None


def process_registry() -> RoomRegistry:
    """The server's registry (created once per process, on first use)."""
    return RoomRegistry.default()
