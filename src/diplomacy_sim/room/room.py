"""One training session: its settings, its log, its running place and its counterfactual.

A :class:`Room` is rebuilt from its settings and its log every time it is loaded: the log
entries are applied in order by the same code that applies them live (``_apply``), so a
session after a server restart is the session before it, to the bit. Every live action is
checked (token, key, state), written to the store, then applied; pages subscribed to the room
are told after every change.

Time only moves when the trainer closes a round: the participants' moves are applied
through the model's move rules, then the round's weeks are run, on the session's model and
on the counterfactual's. A role nobody plays has no override: the model's own doctrine (its
autopilot, ``domain/doctrines.py``) decides for that organisation, exactly as in a run with
no room; the counterfactual is the same place, seed and shocks with no participant moves.
"""

from __future__ import annotations

import copy
import hashlib
import os
import sqlite3
import threading
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence, Set
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from functools import cache
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from diplomacy_sim.domain.events import week_number
from diplomacy_sim.domain.outcomes import OUTCOMES
from diplomacy_sim.model import views
from diplomacy_sim.model.model import DiplomacyModel
from diplomacy_sim.room import actions
from diplomacy_sim.room.codes import hash_secret, new_token, same_secret
from diplomacy_sim.room.errors import NotSaved, PermissionDenied, Removed, RoomError
from diplomacy_sim.room.roles import RoleSpec, roles_of
from diplomacy_sim.room.store import Entry, LogConflict, SessionRecord, Store, StoreWriteError
from diplomacy_sim.scenario import schema
from diplomacy_sim.scenario.loader import (
    ScenarioError,
    explain_validation_error,
    list_scenarios,
    load_shipped,
    scenario_from_dict,
)
from diplomacy_sim.untrusted import parse_int

MAX_ROUNDS = 40
"""Rounds a session can reach, extensions included (the model's horizon is set from it)."""
NAME_MAX = 40
MESSAGE_MAX = 280
MESSAGES_PER_ROUND = 20
PARTICIPANTS_MAX = 60
"""People in one session at once (the trainer's removed participants do not count)."""
JOINS_MAX = 4 * PARTICIPANTS_MAX
"""Joins one session takes in all, removed participants' included (keeps its log bounded)."""
JOINS_PER_CLIENT = 4
"""Participants one client (a network address) may add to a session unless the server is
told otherwise (:func:`joins_per_client`): a person with the code must not be able to fill a
session by joining again and again."""
JOINS_ENV = "DIPLOMACY_SIM_JOINS_PER_ADDRESS"
"""Set by ``diplomacy-sim dashboard --joins-per-address N`` for its server process."""


def joins_per_client() -> int:
    """Participants one network address may add to a session: :data:`JOINS_PER_CLIENT`, or
    what the server was started with (``--joins-per-address``, for a room whose laptops reach
    the server through one shared address). Only the server's own command sets it; a value
    that is not a whole number from 1 to :data:`PARTICIPANTS_MAX` counts as unset."""
    value, _problem = parse_int(os.environ.get(JOINS_ENV, ""), 1, PARTICIPANTS_MAX,
                                "joins per address")
    return JOINS_PER_CLIENT if value is None else value
SHOCKS_MAX = 50
"""Shocks the trainer may inject into one session (as many as a shared set-up may carry)."""
REMOVED_MESSAGE = ("The trainer has removed you from this session, so this browser can no "
                   "longer act in it. If that is a mistake, ask the trainer.")
KEY_REFUSED = ("This page holds no facilitator key that opens the session; if the key was "
               "replaced (`diplomacy-sim room key CODE`), resume the session with the new one.")
"""Said with every refusal of a trainer's action: the same words whatever key was sent (a
replaced key and a guessed one are told apart by nothing)."""
SUBMISSIONS_PER_ROUND = 100
"""Times one participant may change their moves in a round (keeps the log bounded)."""
SHOCK_KINDS = ("reorganisation", "budget_cut", "demand_surge", "leadership_turnover",
               "national_mandate")
"""Shocks the trainer may inject (as in the explorer's shock panel; elections are scheduled)."""
SCREEN_OUTCOMES = ("integration", "trust", "engagement", "user_outcome", "strain")
Status = Literal["lobby", "open", "closed", "paused", "ended"]


class RoomSettings(BaseModel):
    """A session's settings, each with its bounds (checked when the session is created)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    scenario: str = Field(min_length=1, max_length=60, description="Catalogue name")
    seed: int = Field(ge=0, le=2**63 - 1)
    autopilot: Literal["command", "stewardship", "diplomacy", "fatalism"]
    weeks_per_round: int = Field(13, ge=1, le=52, description="Weeks run when a round closes")
    rounds: int = Field(8, ge=1, le=20, description="Rounds planned (the trainer may extend)")
    open_roles: tuple[str, ...] = Field(description="Roles participants may take")
    idle_policy: Literal["autopilot", "idle"] = Field(
        "autopilot", description="What a participant who submitted nothing does")
    action_points: int = Field(6, ge=1, le=30, description="Action points per role per round")
    costs: dict[str, int] = Field(default_factory=dict, description="Points per move kind")
    balcony_cost: int = Field(2, ge=0, le=30, description="Points to go to the balcony")
    message_cost: int = Field(1, ge=0, le=30, description="Points per message sent")


def setting_range(name: str) -> tuple[int, int, int]:
    """A whole-number setting's default and bounds, as :class:`RoomSettings` checks them
    (for a form that offers it)."""
    f = RoomSettings.model_fields[name]
    low = next(m.ge for m in f.metadata if hasattr(m, "ge"))
    high = next(m.le for m in f.metadata if hasattr(m, "le"))
    return int(f.default), int(low), int(high)


def not_saved(exc: StoreWriteError) -> NotSaved:
    """What a page shows when the database could not take a write (the store's sentence
    already says that nothing was saved)."""
    return NotSaved(str(exc))


def _problems(exc: ValidationError) -> list[str]:
    return explain_validation_error(RoomSettings, exc)


RAW_TEXT_FACTOR = 4
"""Text over this many times its limit is refused before it is cleaned (cleaning costs time
in proportion to the text: a page can send megabytes; spaces squeezed or control
characters dropped never shorten a real name or message that much)."""


def clean_text(text: Any, limit: int, what: str) -> str:
    """Plain text from a page: control characters dropped, spaces squeezed, bounded (the
    length is checked before any work is done on the text, and again after cleaning)."""
    if not isinstance(text, str):
        raise RoomError(f"The {what} must be text.")
    if len(text) > RAW_TEXT_FACTOR * limit:
        raise RoomError(f"The {what} is too long: at most {limit} characters "
                        f"({len(text):,} given).")
    s = "".join(ch for ch in unicodedata.normalize("NFC", text)
                if unicodedata.category(ch)[0] != "C" or ch == " ")
    s = " ".join(s.split())
    if not s:
        raise RoomError(f"Enter a {what}.")
    if len(s) > limit:
        raise RoomError(f"The {what} is too long: at most {limit} characters ({len(s)} given).")
    return s


def _spoof_checker(checks: int = 0) -> Any:
    """ICU's checker of UTS #39 (Unicode security mechanisms), through PyICU: skeletons of
    look-alike strings and the restriction level of a word's scripts. A new one each call
    (about a microsecond): ICU's checkers are not to be shared between threads while set."""
    import icu

    checker = icu.SpoofChecker()
    if checks:
        checker.setChecks(checks)
        checker.setRestrictionLevel(icu.URestrictionLevel.HIGHLY_RESTRICTIVE)
    return checker


def _invisible(ch: str) -> bool:
    """A character a reader cannot see or that changes how text around it shows: control,
    format (zero-width, bidirectional), private-use, surrogate or unassigned characters, line
    and paragraph separators, and every Default_Ignorable_Code_Point (fillers such as U+3164,
    variation selectors, the combining grapheme joiner), as ICU's Unicode data says."""
    import icu

    return (unicodedata.category(ch)[0] == "C" or unicodedata.category(ch) in ("Zl", "Zp")
            or icu.Char.hasBinaryProperty(ch, icu.UProperty.DEFAULT_IGNORABLE_CODE_POINT))


def _codepoint(ch: str) -> str:
    import icu

    name = icu.Char.charName(ch) or unicodedata.name(ch, "")
    return f"U+{ord(ch):04X}" + (f" {name}" if name else "")


def clean_name(text: Any, what: str = "name") -> str:
    """A display name from a page, cleaned and checked: the one place names are made plain.

    Compatibility forms are folded (NFKC: full-width "ａｎａ" is "ana"), runs of white space
    become one space; refused with a sentence naming the field and what is allowed: a name
    with an invisible, format or control character (zero-width spaces, bidirectional
    controls, fillers), a word that mixes scripts (Latin "A" with Cyrillic "а" in one word;
    Latin beside Han and kana, as Japanese names are written, is one script, as UTS #39's
    "highly restrictive" level says), a repeated or stacked-up combining mark, digits of
    different systems, and more than :data:`NAME_MAX` characters."""
    import icu

    if not isinstance(text, str):
        raise RoomError(f"The {what} must be text.")
    if len(text) > RAW_TEXT_FACTOR * NAME_MAX:
        raise RoomError(f"The {what} is too long: at most {NAME_MAX} characters "
                        f"({len(text):,} given).")
    s = " ".join(unicodedata.normalize("NFKC", text).split())
    bad = next((ch for ch in s if _invisible(ch)), None)
    if bad is not None:
        raise RoomError(f"The {what} contains an invisible or control character "
                        f"({_codepoint(bad)}): use letters, digits, spaces and punctuation "
                        "only.")
    if not s:
        raise RoomError(f"Enter a {what}.")
    if len(s) > NAME_MAX:
        raise RoomError(f"The {what} is too long: at most {NAME_MAX} characters ({len(s)} "
                        "given).")
    checks = icu.USpoofChecks
    checker = _spoof_checker(checks.RESTRICTION_LEVEL | checks.INVISIBLE | checks.MIXED_NUMBERS)
    for word in s.split(" "):
        found = checker.check(word)
        if found & checks.RESTRICTION_LEVEL:
            scripts = sorted({icu.Script.getScript(ch).getName() for ch in word}
                             - {"Common", "Inherited"})
            raise RoomError(f"The {what} mixes scripts in one word (“{word}”: "
                            f"{' and '.join(scripts)}): write each word in one script.")
        if found & checks.INVISIBLE:
            raise RoomError(f"The {what} repeats a combining mark on one letter (“{word}”): "
                            "type each accent once.")
        if found & checks.MIXED_NUMBERS:
            raise RoomError(f"The {what} mixes digits of different number systems "
                            f"(“{word}”): use one.")
    return s


def name_skeletons(name: str) -> frozenset[str]:
    """What a name looks like, as UTS #39 skeletons (ICU's confusable mapping: Cyrillic "а"
    and Latin "a" have one skeleton, so do "rn" and "m"), of the name as written and of its
    case-folded form ("ANA" and "ana"; "Ian" and "lan" meet as written, since a capital I
    looks like a small L). Two names that share one look the same."""
    s = " ".join(unicodedata.normalize("NFKC", name).split())
    checker = _spoof_checker()
    return frozenset({checker.getSkeleton(0, s), checker.getSkeleton(0, s.casefold())})


def same_name(a: str, b: str) -> bool:
    """Whether two display names read as one: compatibility forms, case, and characters
    that look alike aside (:func:`name_skeletons`), so no one joins under another's name
    or one that only looks like it."""
    return bool(name_skeletons(a) & name_skeletons(b))


@cache
def _catalogue() -> tuple[tuple[str, str], ...]:
    return tuple((name, title) for name, title, _ in list_scenarios())


def catalogue_names() -> list[str]:
    """The shipped scenarios' names: the only scenarios a session may use."""
    return [name for name, _ in _catalogue()]


def catalogue() -> list[tuple[str, str]]:
    return list(_catalogue())


@cache
def _base_scenario(name: str) -> schema.Scenario:
    return load_shipped(name)  # by catalogue name (load_scenario would prefer a local file)


def base_scenario(name: str) -> schema.Scenario:
    """A shipped scenario by its catalogue name (never a path)."""
    if name not in catalogue_names():
        raise RoomError(f"No scenario called {name[:60]!r}; choose one of: "
                        f"{', '.join(catalogue_names())}.")
    return _base_scenario(name)


def scenario_spec(settings: RoomSettings) -> schema.Scenario:
    """The session's scenario: the catalogue's, with the session's seed and autopilot
    doctrine, and a horizon that covers every round a session can reach."""
    base = base_scenario(settings.scenario)
    steps = min(max(base.steps, settings.weeks_per_round * MAX_ROUNDS), 5200)
    return base.model_copy(update={"seed": settings.seed, "doctrine": settings.autopilot,
                                   "steps": steps})


def rows_bytes(model: DiplomacyModel) -> bytes:
    """The outcome timeseries as bytes (what "the same bits" is checked on)."""
    keys = ["step", *OUTCOMES]
    return np.array([[r[k] for k in keys] for r in model.rows], dtype=np.float64).tobytes()


def digest(model: DiplomacyModel) -> str:
    return hashlib.sha256(rows_bytes(model)).hexdigest()[:16]


@dataclass
class Participant:
    id: str
    name: str
    token_hash: str
    role: str | None = None
    removed: bool = False
    """Removed by the trainer (:meth:`Room.remove`): their token is revoked for good."""


@dataclass(frozen=True)
class RoleInfo:
    id: str
    label: str
    org_id: str
    org_name: str
    kind: str
    open: bool
    taken_by: str | None
    alive: bool
    button: str


@dataclass(frozen=True)
class ParticipantInfo:
    id: str
    name: str
    role_id: str | None


class Room:
    """A session (see the module docstring). Build it with :meth:`RoomRegistry.create`."""

    def __init__(self, record: SessionRecord, store: Store, entries: Sequence[Entry] = ()) -> None:
        self.store = store
        self.code = record.code
        self.parent = (record.parent, record.branch_round) if record.parent else None
        self.settings = RoomSettings(**record.settings)
        self.spec = scenario_spec(self.settings)
        self.model = DiplomacyModel(self.spec)
        self.cf = DiplomacyModel(self.spec)
        self._roles = roles_of(self.model)
        self._role = {r.id: r for r in self._roles}
        self.registry = dict(actions.DEFAULT_MOVES)
        self.costs = {k: int(self.settings.costs.get(k, c))
                      for k, c in actions.default_costs(self.model).items()}
        self.lock = threading.RLock()
        self.version = 0
        self._subscribers: list[Callable[[int], None]] = []
        self.status: Status = "lobby"
        self._before_pause: Status = "lobby"
        self.round = 0
        self.rounds = self.settings.rounds
        self.participants: dict[str, Participant] = {}
        self._by_token: dict[str, str] = {}
        self._revoked: set[str] = set()  # token hashes of removed participants
        self._joins_by_client: dict[str, int] = {}  # memory only, never logged
        self.holder: dict[str, str] = {}
        self.pending: dict[str, list[dict[str, Any]]] = {}
        self._submissions: dict[str, int] = {}
        self._catalogues: dict[tuple[str, int], list[dict[str, Any]]] = {}
        self.balcony: set[str] = set()
        self.balcony_log: list[tuple[str, int, str | None]] = []
        """(participant, round, the role they held then) of every balcony visit."""
        self.spent: dict[str, dict[str, int]] = {}
        """Points spent this round on the balcony and messages, by role (a role's points are
        its own: a role handed to someone else mid-round keeps what was spent on it)."""
        self.messages: list[dict[str, Any]] = []
        self.shocks: list[dict[str, Any]] = []
        self.timeline: list[dict[str, Any]] = []
        self.debrief_open = False
        self.replay_mismatch: list[int] = []
        self.lineage: Callable[[], list[dict[str, Any]]] = lambda: []
        """This session and its ancestors' rows (set by the registry; see RoomRegistry.lineage)."""
        for e in entries:
            self._apply(e.kind, e.payload, replaying=True)
        self._logged = len(entries)
        """Entries of the log this room has applied (the next one it writes is numbered so)."""

    # ------------------------------------------------------------------ reading
    @property
    def week(self) -> int:
        return self.model.week

    @property
    def weeks_per_round(self) -> int:
        return self.settings.weeks_per_round

    @property
    def seed(self) -> int:
        return self.settings.seed

    @property
    def autopilot(self) -> str:
        return self.settings.autopilot

    @property
    def idle_policy(self) -> str:
        return self.settings.idle_policy

    @property
    def scenario_name(self) -> str:
        return self.settings.scenario

    @property
    def title(self) -> str:
        return self.spec.title

    @property
    def action_points(self) -> int:
        return self.settings.action_points

    @property
    def round_text(self) -> str:
        """ "Round N of M": the current round (in the lobby, the first one to come); once the
        session has ended, the rounds played ("Ended after N of M rounds": a round open
        when the trainer ended the session was not played)."""
        if self.status == "ended":
            n = self.rounds_played
            return f"Ended after {n} of {self.rounds} round{'s' if self.rounds != 1 else ''}"
        return f"Round {max(self.round, 1)} of {self.rounds}"

    @property
    def rounds_played(self) -> int:
        """Rounds the model has run (closed rounds: their moves played, their weeks run)."""
        return max((int(t["round"]) for t in self.timeline), default=0)

    @property
    def round_played(self) -> bool:
        """Whether the current round's moves were played (it was closed; a round open when
        the session ended was not)."""
        return self.round > 0 and self.rounds_played >= self.round

    def check_key(self, key: str | None) -> bool:
        """The facilitator key? It is checked against the key stored now, read at every
        check: a key replaced from the command line (``diplomacy-sim room key``) takes over
        at once in a running server, and the old one stops working at once."""
        if not isinstance(key, str) or not key:
            return False
        try:
            stored = self.store.key_hash(self.code)
        except sqlite3.Error:  # a database that cannot be read grants nothing
            return False
        if stored is None:
            return False
        return same_secret(key, stored)

    def roles(self) -> list[RoleInfo]:
        o = self.model.state.orgs
        p = self.model.state.people
        with self.lock:
            return [RoleInfo(
                r.id, r.label, r.org_id, r.org_name, r.kind, r.id in self.settings.open_roles,
                self.participants[self.holder[r.id]].name if r.id in self.holder else None,
                bool(o.alive[r.org] and p.active[r.person]), r.button) for r in self._roles]

    def role_spec(self, role_id: Any) -> RoleSpec:
        """The role with this id (a value from a page: anything that is not one of the
        session's role ids is refused with the list of them)."""
        if not isinstance(role_id, str) or role_id not in self._role:
            raise RoomError(f"No role {str(role_id)[:60]!r}; roles: {', '.join(self._role)}.")
        return self._role[role_id]

    def me(self, token: str | None) -> ParticipantInfo:
        p = self._participant(token)
        return ParticipantInfo(p.id, p.name, p.role)

    def _participant(self, token: str | None) -> Participant:
        if isinstance(token, str) and token:
            hashed = hash_secret(token[:200])
            pid = self._by_token.get(hashed)
            if pid is not None:
                return self.participants[pid]
            if hashed in self._revoked:
                raise Removed(REMOVED_MESSAGE)
        raise PermissionDenied("This browser is not part of the session: join with the code.")

    def _player(self, token: str | None) -> tuple[Participant, RoleSpec]:
        p = self._participant(token)
        if p.role is None:
            raise RoomError("Take a role first.")
        return p, self._role[p.role]

    def _require_key(self, key: str | None, what: str) -> None:
        if not self.check_key(key):
            raise PermissionDenied(f"Only the trainer can {what}. {KEY_REFUSED}")

    # ------------------------------------------------------------------ push
    def subscribe(self, callback: Callable[[int], None]) -> Callable[[], None]:
        """Call ``callback(version)`` after every change; returns the unsubscribe function."""
        with self.lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self.lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)
        return unsubscribe

    def _notify(self, version: int) -> None:
        with self.lock:
            subs = list(self._subscribers)
        for cb in subs:
            try:
                cb(version)
            except Exception:  # a broken page must not break the room
                with self.lock:
                    if cb in self._subscribers:
                        self._subscribers.remove(cb)

    @contextmanager
    def _acting(self) -> Iterator[None]:
        with self.lock:
            before = self.version
            yield
            after = self.version
        if after != before:
            self._notify(after)

    def _commit(self, kind: str, payload: dict[str, Any]) -> Any:
        """Write an entry to the log, then apply it (under the lock, already validated).

        Closing a round is run first and written after, with its record: if running it fails
        (or the disk does), the room is rebuilt from its log, as it was before the close."""
        if kind != "close_round":
            self._append(kind, payload)
            out = self._apply(kind, payload, replaying=False)
            self.version += 1
            return out
        try:
            rec = self._apply(kind, payload, replaying=False)
            self._append(kind, payload)
        except Exception as exc:
            self._reload()
            why = str(exc) if isinstance(exc, RoomError) else \
                f"{type(exc).__name__}: {str(exc)[:200]}"
            raise RoomError("The round could not be closed; the session is as it was before. "
                            f"({why})") from exc
        try:  # the record of what happened, for audit (a replay recomputes and compares it)
            self._append("round_record", {
                "round": rec["round"], "digest": rec["digest"], "cf_digest": rec["cf_digest"],
                "moves": [{k: m[k] for k in ("role", "by", "move", "ok")} for m in rec["moves"]]})
        except RoomError as exc:
            raise RoomError(f"The round was closed, but its audit record was not kept: {exc}"
                            ) from None
        finally:
            self.version += 1
        return rec

    def _append(self, kind: str, payload: dict[str, Any]) -> None:
        """Write one entry after the last this room applied; if another process has written
        to the log since, this room is rebuilt from the log and the action is refused."""
        try:
            self.store.append(self.code, kind, payload, expect=self._logged)
        except StoreWriteError as exc:
            raise not_saved(exc) from None
        except LogConflict:
            self._reload()
            self.version += 1  # the pages re-read what the log now holds
            raise RoomError("This session was changed by another server using the same room "
                            "database; the page now shows the session as stored: try again. "
                            "(Run one server per room database.)") from None
        self._logged += 1

    def _reload(self) -> None:
        """Rebuild this room's state from the store (keeping its lock and subscribers)."""
        rec = self.store.session(self.code)
        assert rec is not None
        fresh = Room(rec, self.store, self.store.entries(self.code))
        keep = {"lock": self.lock, "_subscribers": self._subscribers, "version": self.version,
                "lineage": self.lineage, "_joins_by_client": self._joins_by_client}
        self.__dict__.update(fresh.__dict__)
        self.__dict__.update(keep)

    def _require_status(self, *allowed: str, doing: str) -> None:
        if self.status not in allowed:
            why = {"ended": "the session has ended", "paused": "the trainer has paused the session",
                   "lobby": "no round has been opened yet", "open": "a round is open",
                   "closed": "the round is closed"}[self.status]
            raise RoomError(f"Cannot {doing}: {why}.")

    # ------------------------------------------------------------------ participants
    def join(self, name: str, client: str | None = None) -> str:
        """Join with a display name; returns the participant's token (keep it in the browser).
        ``client``: who asks, as the page's server sees it (None: a test or the command
        line); one client adds at most :func:`joins_per_client` participants."""
        name = clean_name(name)
        with self._acting():
            self._require_status("lobby", "open", "closed", "paused", doing="join")
            present = sum(1 for p in self.participants.values() if not p.removed)
            if present >= PARTICIPANTS_MAX:
                raise RoomError(f"The session is full: {PARTICIPANTS_MAX} people are in it.")
            if len(self.participants) >= JOINS_MAX:
                raise RoomError(f"This session has taken {JOINS_MAX} joins, the most one "
                                "session takes: the trainer can start a new session.")
            clash = next((p.name for p in self.participants.values()
                          if not p.removed and same_name(name, p.name)), None)
            if clash is not None:
                looks = "" if clash == name else f" (or a name that looks the same: {clash})"
                raise RoomError(f"Someone in the session is already called {name}{looks}: "
                                "the name must differ from the others by more than case or "
                                "look-alike letters; add an initial or a surname. If that is "
                                "you on another browser or laptop, join under another name "
                                "and ask the trainer to hand your role to it (Reassign).")
            who = None if client is None else str(client)[:200]
            limit = joins_per_client()
            if who is not None and self._joins_by_client.get(who, 0) >= limit:
                raise RoomError(f"This computer has already joined {limit} people to the "
                                "session: ask the trainer (a room whose laptops share one "
                                "address starts the server with --joins-per-address).")
            token = new_token()
            self._commit("join", {"pid": f"p{len(self.participants) + 1}", "name": name,
                                  "token_hash": hash_secret(token)})
            if who is not None:
                self._joins_by_client[who] = self._joins_by_client.get(who, 0) + 1
        return token

    def take_role(self, token: str, role_id: str) -> None:
        with self._acting():
            p = self._participant(token)
            self._require_status("lobby", "open", "closed", "paused", doing="take a role")
            r = self.role_spec(role_id)
            if r.id not in self.settings.open_roles:
                raise RoomError(f"The role {r.button} is not open to participants.")
            if r.id in self.holder:
                raise RoomError(f"{r.button} is already taken.")
            if not (self.model.state.orgs.alive[r.org] and self.model.state.people.active[r.person]):
                raise RoomError(f"{r.org_name} no longer exists: choose another role.")
            if p.role is not None:
                raise RoomError(f"You already play {self._role[p.role].button}; ask the trainer "
                                "to reassign you.")
            self._commit("take_role", {"pid": p.id, "role": r.id})

    def move_catalogue(self, token: str) -> list[dict[str, Any]]:
        """The moves this participant's role may make now (see ``actions.catalogue``); the
        same for every call until the place changes (a round closes)."""
        with self.lock:
            _, role = self._player(token)
            if not (self.model.state.orgs.alive[role.org]
                    and self.model.state.people.active[role.person]):
                return []
            key = (role.id, len(self.timeline))
            if key not in self._catalogues:
                if len(self._catalogues) > 4 * len(self._roles):
                    self._catalogues.clear()
                self._catalogues[key] = actions.catalogue(self.registry, self.costs, self.model,
                                                          role, self._roles)
            return copy.deepcopy(self._catalogues[key])

    def _spent(self, pid: str) -> dict[str, int]:
        s = self.spent.get(self.participants[pid].role or "", {})
        moves = sum(self.costs[m["kind"]] for m in self.pending.get(pid, []))
        used = moves + s.get("balcony", 0) + s.get("messages", 0)
        return {"budget": self.action_points, "moves": moves, "balcony": s.get("balcony", 0),
                "messages": s.get("messages", 0), "left": self.action_points - used}

    def points(self, token: str) -> dict[str, int]:
        with self.lock:
            return self._spent(self._participant(token).id)

    def submit_moves(self, token: str, moves: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Replace this participant's moves for the open round (validated through the model's
        move rules on a scratch copy; the total cost must fit the points left)."""
        with self._acting():
            p, role = self._player(token)
            self._require_status("open", doing="submit moves")
            if not (self.model.state.orgs.alive[role.org]
                    and self.model.state.people.active[role.person]):
                raise RoomError(f"{role.org_name} no longer exists: your role has no moves.")
            if self._submissions.get(p.id, 0) >= SUBMISSIONS_PER_ROUND:
                raise RoomError(f"Moves can be changed at most {SUBMISSIONS_PER_ROUND} times a "
                                "round.")
            clean = actions.check(self.registry, moves, self.model, role, self._roles)
            cost = sum(self.costs[m["kind"]] for m in clean)
            s = self._spent(p.id)
            room = s["budget"] - s["balcony"] - s["messages"]
            if cost > room:
                raise actions.MoveRejected(
                    len(clean) - 1, f"These moves cost {cost} points; you have {room} left "
                                    f"this round.")
            self._commit("submit", {"pid": p.id, "round": self.round, "moves": clean})
            return clean

    def pending_moves(self, token: str) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(m) for m in self.pending.get(self._participant(token).id, [])]

    def go_to_balcony(self, token: str) -> None:
        with self._acting():
            p, _ = self._player(token)
            self._require_status("open", doing="go to the balcony")
            if p.id in self.balcony:
                raise RoomError("You are already on the balcony this round.")
            if self._spent(p.id)["left"] < self.settings.balcony_cost:
                raise RoomError(f"The balcony costs {self.settings.balcony_cost} points; you have "
                                f"{self._spent(p.id)['left']} left this round.")
            self._commit("balcony", {"pid": p.id, "round": self.round})

    def send_message(self, token: str, to_roles: Sequence[str], text: str) -> None:
        text = clean_text(text, MESSAGE_MAX, "message")
        with self._acting():
            p, role = self._player(token)
            self._require_status("open", doing="send a message")
            if isinstance(to_roles, str | bytes) or not isinstance(to_roles, Sequence | Set) \
                    or not to_roles:
                raise RoomError("Choose who the message is for.")
            to = sorted({self.role_spec(str(r)[:80]).id for r in list(to_roles)[:50]} - {role.id})
            if not to:
                raise RoomError("Choose someone other than yourself.")
            sent = sum(1 for m in self.messages if m["from"] == role.id and m["round"] == self.round)
            if sent >= MESSAGES_PER_ROUND:
                raise RoomError(f"At most {MESSAGES_PER_ROUND} messages a round.")
            if self._spent(p.id)["left"] < self.settings.message_cost:
                raise RoomError(f"A message costs {self.settings.message_cost} point(s); you have "
                                f"{self._spent(p.id)['left']} left this round.")
            self._commit("message", {"pid": p.id, "role": role.id, "round": self.round, "to": to,
                                     "text": text})

    def private_view(self, token: str) -> dict[str, Any]:
        """What this participant's role can see: own organisation and person (the model's
        partial view), the messages to and from them, their moves and points, and the balcony
        if they paid for it this round. Nothing private to another role."""
        with self.lock:
            p = self._participant(token)
            base = {"round": self.round, "rounds": self.rounds, "week": self.week,
                    "status": self.status, "round_text": self.round_text, "name": p.name,
                    "role": None, "round_played": self.round_played}
            if p.role is None:
                return base
            role = self._role[p.role]
            st = self.model.state
            o = st.orgs
            j = role.org
            person = views.person_view(self.model, role.person)
            since = self.week - self.weeks_per_round  # what they heard in the last weeks run
            person["events"] = [e for e in person["events"] if e["step"] >= since][-40:]
            target = int(o.target[j])
            base.update({
                "role": {"id": role.id, "label": role.label, "kind": role.kind,
                         "button": role.button},
                "organisation": {
                    "id": o.ids[j], "name": o.names[j], "kind": o.kinds[j],
                    "alive": bool(o.alive[j]), "at_the_table": bool(o.engaged[j]),
                    "agenda": {st.issue_labels[k]: float(o.agenda[j, k]) for k in range(st.K)},
                    "budget": float(o.budget[j]), "discretionary": float(o.discretionary()[j]),
                    "target": st.issue_labels[target] if target >= 0 else None,
                    "pressure": float(o.pressure[j]),
                },
                "person": person,
                "messages": [dict(m, from_label=self._role[m["from"]].button)
                             for m in self.messages if m["from"] == role.id or role.id in m["to"]],
                "pending": [dict(m) for m in self.pending.get(p.id, [])],
                "submitted": p.id in self.pending,
                "points": self._spent(p.id),
                "balcony": views.balcony_view(self.model) if p.id in self.balcony else None,
            })
            return base

    # ------------------------------------------------------------------ facilitator
    def open_round(self, key: str) -> None:
        with self._acting():
            self._require_key(key, "open a round")
            self._require_status("lobby", "closed", doing="open a round")
            if self.round >= self.rounds:
                raise RoomError(f"All {self.rounds} rounds have been played: extend the session "
                                "by a round, or end it.")
            self._commit("open_round", {"round": self.round + 1})

    def close_round(self, key: str) -> dict[str, Any]:
        """Apply every move, then run the round's weeks (session and counterfactual)."""
        with self._acting():
            self._require_key(key, "close a round")
            self._require_status("open", doing="close the round")
            return self._commit("close_round", {"round": self.round})  # type: ignore[no-any-return]

    def inject(self, key: str, shock: Mapping[str, Any], when: str = "now") -> dict[str, Any]:
        """Inject a shock: ``now`` lands at the first week run next (when this round closes,
        or the next round's first week between rounds); ``next_round`` at the start of the
        next round's weeks. The counterfactual gets it at the same week."""
        with self._acting():
            self._require_key(key, "inject a shock")
            self._require_status("lobby", "open", "closed", "paused", doing="inject a shock")
            if when not in ("now", "next_round"):
                raise RoomError("When must be 'now' or 'next_round'.")
            if not isinstance(shock, Mapping) or shock.get("kind") not in SHOCK_KINDS:
                raise RoomError(f"Choose a shock kind: {', '.join(SHOCK_KINDS)}.")
            if len(self.shocks) >= SHOCKS_MAX:
                raise RoomError(f"A session takes at most {SHOCKS_MAX} injected shocks.")
            running = self.status == "open" or (self.status == "paused"
                                                and self._before_pause == "open")
            week = self.week + (self.weeks_per_round if when == "next_round" and running else 0)
            clean = self._validate_shock(dict(shock), week)
            self._commit("inject", {"shock": clean, "week": week, "when": when,
                                    "round": self.round})
            return clean

    def _validate_shock(self, shock: dict[str, Any], week: int) -> dict[str, Any]:
        shock.pop("at", None)
        if "label" in shock and shock["label"] is not None:
            shock["label"] = clean_text(shock["label"], 80, "shock label")
        data = self.spec.model_dump(mode="json")
        data["shocks"] = [{**shock, "at": week}]
        try:
            parsed = scenario_from_dict(data, source="shock").shocks[0]
        except ScenarioError as exc:
            raise RoomError("; ".join(exc.problems) if hasattr(exc, "problems") else str(exc)
                            ) from None
        out = parsed.model_dump(mode="json")
        problems = self.model.landing_problems(  # with the shocks injected and not yet run
            out, week, [(s["week"], s["shock"]) for s in self.shocks
                        if s["week"] >= self.model.week])
        if problems:
            raise RoomError("; ".join(problems) + ".")
        out.pop("at", None)
        return dict(out)

    def pause(self, key: str) -> None:
        with self._acting():
            self._require_key(key, "pause the session")
            self._require_status("lobby", "open", "closed", doing="pause")
            self._commit("pause", {})

    def resume(self, key: str) -> None:
        with self._acting():
            self._require_key(key, "resume the session")
            self._require_status("paused", doing="resume")
            self._commit("resume", {})

    def extend(self, key: str) -> None:
        with self._acting():
            self._require_key(key, "extend the session")
            self._require_status("lobby", "open", "closed", "paused", doing="extend")
            if self.rounds >= MAX_ROUNDS:
                raise RoomError(f"A session has at most {MAX_ROUNDS} rounds.")
            self._commit("extend", {"rounds": self.rounds + 1})

    def reassign(self, key: str, role_id: str, participant_id: str | None) -> None:
        """Give a role to a participant (who leaves any role they had), or free it (None)."""
        with self._acting():
            self._require_key(key, "reassign a role")
            self._require_status("lobby", "open", "closed", "paused", doing="reassign a role")
            r = self.role_spec(role_id)
            if participant_id is not None:
                self._present(participant_id)
            self._commit("reassign", {"role": r.id, "pid": participant_id})

    def remove(self, key: str, participant_id: str) -> None:
        """Take a participant out of the session (a prank name, a second laptop, someone who
        left): their token is revoked for good (every action checks it: :meth:`_participant`),
        their role is free for someone else, their moves for the open round are dropped;
        what they did before stays in the record. They may join again under a new token, as
        anyone with the code may."""
        with self._acting():
            self._require_key(key, "remove a participant")
            self._require_status("lobby", "open", "closed", "paused",
                                 doing="remove a participant")
            self._commit("remove", {"pid": self._present(participant_id).id})

    def _present(self, participant_id: Any) -> Participant:
        """The participant with this id (a value from a page), if still in the session."""
        p = self.participants.get(participant_id) if isinstance(participant_id, str) else None
        if p is None or p.removed:
            raise RoomError(f"No participant {str(participant_id)[:20]!r} in the session.")
        return p

    def end(self, key: str) -> None:
        with self._acting():
            self._require_key(key, "end the session")
            self._require_status("lobby", "open", "closed", "paused", doing="end the session")
            self._commit("end", {})

    def allow_debrief(self, key: str, allow: bool = True) -> None:
        with self._acting():
            self._require_key(key, "open the debrief to participants")
            self._commit("allow_debrief", {"allow": bool(allow)})

    def facilitator_view(self, key: str) -> dict[str, Any]:
        with self.lock:
            self._require_key(key, "see the trainer's console")
            o = self.model.state.orgs
            subs = {}
            for r in self._roles:
                pid = self.holder.get(r.id)
                subs[r.id] = {
                    "role": r.button, "participant": pid,
                    "name": self.participants[pid].name if pid else None,
                    "submitted": pid in self.pending if pid else False,
                    "moves": [{"kind": m["kind"], "text": self._describe(r, m)}
                              for m in self.pending.get(pid or "", [])] if pid in self.pending
                    else None,
                    "points": self._spent(pid) if pid else None,
                    "on_balcony": pid in self.balcony if pid else False,
                }
            return {
                "code": self.code, "status": self.status, "round": self.round,
                "rounds": self.rounds, "week": self.week, "round_text": self.round_text,
                "participants": [{"id": p.id, "name": p.name, "role_id": p.role}
                                 for p in self.participants.values() if not p.removed],
                "removed": [p.name for p in self.participants.values() if p.removed],
                "roles": [asdict(r) for r in self.roles()],
                "submissions": subs,
                "balcony": views.balcony_view(self.model),
                "shocks": [self._shock_public(s) for s in self.shocks],
                "messages_sent": len(self.messages),
                "choices": {  # for the shock form
                    "organisations": [(o.ids[j], o.names[j], o.kinds[j]) for j in range(o.m)
                                      if o.alive[j]],
                    "issues": list(zip(self.model.state.issue_ids, self.model.state.issue_labels,
                                       strict=True)),
                },
                "debrief_open": self.debrief_open,
                "replay_mismatch": list(self.replay_mismatch),
            }

    def screen_view(self) -> dict[str, Any]:
        """The projector: round, week, key outcome series (session and autopilot), shocks
        labelled, what happened in the last round. Nothing private to a role."""
        with self.lock:
            last = self.timeline[-1] if self.timeline else None
            return {
                "code": self.code, "title": self.title, "status": self.status,
                "round": self.round, "rounds": self.rounds, "week": self.week,
                "round_text": self.round_text,
                "series": {k: [r[k] for r in self.model.rows] for k in SCREEN_OUTCOMES},
                "counterfactual": {k: [r[k] for r in self.cf.rows] for k in SCREEN_OUTCOMES},
                "shocks": self.shock_marks(),
                "narrative": last["narrative"] if last else [],
                "joined": sum(1 for p in self.participants.values() if p.role),
            }

    def shock_marks(self) -> list[tuple[int, str]]:
        """(week, label) of every shock that has landed or is announced (scheduled ones too)."""
        out = [(int(s.at), s.label or s.kind.replace("_", " ")) for s in self.spec.shocks
               if s.at <= self.week + self.weeks_per_round]
        out += [(int(s["week"]), s["shock"].get("label") or s["shock"]["kind"].replace("_", " "))
                for s in self.shocks]
        return sorted(out)

    def debrief(self, key: str | None = None, token: str | None = None) -> dict[str, Any]:
        from diplomacy_sim.room.debrief import debrief_data

        with self.lock:
            if not self.check_key(key):
                p = self._participant(token)
                if not self.debrief_open:
                    raise PermissionDenied("The trainer has not opened the debrief yet.")
                return debrief_data(self, viewer_role=p.role)
            return debrief_data(self, viewer_role=None)

    def _shock_public(self, s: Mapping[str, Any]) -> dict[str, Any]:
        o = self.model.state.orgs
        names = dict(zip(o.ids, o.names, strict=True))
        hit: list[str] = []  # the organisations its fields name, in the order they name them
        for v in s["shock"].values():
            for x in v if isinstance(v, list) else [v]:
                if isinstance(x, str) and x in names and names[x] not in hit:
                    hit.append(names[x])
        return {"week": s["week"], "round": s["week"] // self.weeks_per_round + 1,
                "kind": s["shock"]["kind"],
                "label": s["shock"].get("label") or s["shock"]["kind"].replace("_", " "),
                "organisations": hit}

    def _describe(self, role: RoleSpec, move: Mapping[str, Any]) -> str:
        return self.registry[move["kind"]].describe(self.model, role, dict(move))

    # ------------------------------------------------------------------ applying the log
    def _apply(self, kind: str, pl: dict[str, Any], replaying: bool) -> Any:
        handler = getattr(self, f"_on_{kind}", None)
        if handler is None:
            raise RoomError(f"unknown log entry {kind!r} in session {self.code}")
        return handler(pl, replaying)

    def _on_join(self, pl: dict[str, Any], replaying: bool) -> None:
        if not all(isinstance(pl.get(k), str) for k in ("pid", "name", "token_hash")) or \
                len(pl["name"]) > 4 * NAME_MAX:
            raise RoomError(f"a join entry of session {self.code} is not one this program "
                            "writes (pid, name and token hash are text)")
        self.participants[pl["pid"]] = Participant(pl["pid"], pl["name"], pl["token_hash"])
        self._by_token[pl["token_hash"]] = pl["pid"]

    def _on_take_role(self, pl: dict[str, Any], replaying: bool) -> None:
        self.participants[pl["pid"]].role = pl["role"]
        self.holder[pl["role"]] = pl["pid"]

    def _on_reassign(self, pl: dict[str, Any], replaying: bool) -> None:
        role, pid = pl["role"], pl["pid"]
        old = self.holder.pop(role, None)
        if old is not None:
            self.participants[old].role = None
            self.pending.pop(old, None)
        if pid is not None:
            prev = self.participants[pid].role
            if prev is not None:
                self.holder.pop(prev, None)
            self.pending.pop(pid, None)
            self.participants[pid].role = role
            self.holder[role] = pid

    def _on_remove(self, pl: dict[str, Any], replaying: bool) -> None:
        p = self.participants[pl["pid"]]
        if p.role is not None:
            self.holder.pop(p.role, None)
        p.role = None
        p.removed = True
        self.pending.pop(p.id, None)
        self._by_token.pop(p.token_hash, None)
        self._revoked.add(p.token_hash)

    def _on_submit(self, pl: dict[str, Any], replaying: bool) -> None:
        moves = pl.get("moves")
        if pl.get("pid") not in self.participants or not isinstance(moves, list) or not all(
                isinstance(m, dict) and m.get("kind") in self.registry for m in moves):
            raise RoomError(f"a submit entry of session {self.code} is not one this program "
                            f"writes (moves of the kinds {', '.join(self.registry)})")
        self.pending[pl["pid"]] = [dict(m) for m in pl["moves"]]
        self._submissions[pl["pid"]] = self._submissions.get(pl["pid"], 0) + 1

    def _on_balcony(self, pl: dict[str, Any], replaying: bool) -> None:
        role = self.participants[pl["pid"]].role
        self.balcony.add(pl["pid"])
        self.balcony_log.append((pl["pid"], int(pl["round"]), role))
        s = self.spent.setdefault(role or "", {})
        s["balcony"] = s.get("balcony", 0) + self.settings.balcony_cost

    def _on_message(self, pl: dict[str, Any], replaying: bool) -> None:
        s = self.spent.setdefault(pl["role"], {})
        s["messages"] = s.get("messages", 0) + self.settings.message_cost
        self.messages.append({"from": pl["role"], "to": list(pl["to"]), "round": pl["round"],
                              "week": self.week, "text": pl["text"],
                              "name": self.participants[pl["pid"]].name})

    def _on_inject(self, pl: dict[str, Any], replaying: bool) -> None:
        self.shocks.append({"shock": dict(pl["shock"]), "week": int(pl["week"]),
                            "when": pl["when"], "round": pl["round"]})

    def _on_open_round(self, pl: dict[str, Any], replaying: bool) -> None:
        self.round = int(pl["round"])
        self.status = "open"
        self.pending = {}
        self._submissions = {}
        self.balcony = set()
        self.spent = {}

    def _on_pause(self, pl: dict[str, Any], replaying: bool) -> None:
        self._before_pause = self.status
        self.status = "paused"

    def _on_resume(self, pl: dict[str, Any], replaying: bool) -> None:
        self.status = self._before_pause

    def _on_extend(self, pl: dict[str, Any], replaying: bool) -> None:
        self.rounds = int(pl["rounds"])

    def _on_end(self, pl: dict[str, Any], replaying: bool) -> None:
        self.status = "ended"

    def _on_allow_debrief(self, pl: dict[str, Any], replaying: bool) -> None:
        self.debrief_open = bool(pl["allow"])

    def _on_close_round(self, pl: dict[str, Any], replaying: bool) -> dict[str, Any]:
        rec = self._run_round()
        self.status = "closed"
        return rec

    def _on_round_record(self, pl: dict[str, Any], replaying: bool) -> None:
        rec = next((t for t in self.timeline if t["round"] == pl["round"]), None)
        if rec is not None and rec["digest"] != pl["digest"]:
            self.replay_mismatch.append(int(pl["round"]))

    def _run_round(self) -> dict[str, Any]:
        m, cf, wpr = self.model, self.cf, self.weeks_per_round
        r, w0 = self.round, m.week
        landing = [s for s in self.shocks if s["week"] == w0]
        for s in landing:
            m.inject(dict(s["shock"]))
            cf.inject(dict(s["shock"]))
        ev0, cf_ev0 = len(m.events), len(cf.events)
        records: list[dict[str, Any]] = []
        for role in self._roles:  # a role nobody plays has no override: its doctrine decides
            pid = self.holder.get(role.id)
            if pid is not None and pid in self.pending:
                name = self.participants[pid].name
                for move in self.pending[pid]:
                    records.append(self._apply_move(role, move, "participant", name))
            elif pid is not None and self.idle_policy == "idle" and m.state.orgs.alive[role.org] \
                    and role.kind == "leader":
                name = self.participants[pid].name
                actions.hold_idle(m, role, wpr, by=actions.who(role, name))
                records.append({"role": role.id, "by": "idle", "name": name, "move": None,
                                "ok": True, "reason": None, "week": w0, "round": r, "cost": 0,
                                "text": f"{name} ({role.button}) submitted no moves: "
                                        f"{role.org_name} made nothing discretionary this round."})
        for _ in range(wpr):
            if m.done:
                break
            m.step()
            cf.step()
        rec = {
            "round": r, "start_week": w0, "end_week": m.week, "moves": records,
            "shocks": self._landed(landing, w0, m.week),
            "events": [e.to_dict() for e in m.events[ev0:]],
            "cf_events": [e.to_dict() for e in cf.events[cf_ev0:]],
            "digest": digest(m), "cf_digest": digest(cf),
        }
        rec["narrative"] = narrative(rec)
        self.timeline.append(rec)
        return rec

    def _landed(self, injected: list[dict[str, Any]], start: int, end: int
                ) -> list[dict[str, Any]]:
        """Every shock that landed in weeks ``start`` to ``end - 1``: the scenario's own
        (scheduled) and the trainer's, in the order they landed."""
        scheduled = [{"week": int(s.at), "shock": s.model_dump(exclude_none=True)}
                     for s in self.spec.shocks if start <= s.at < end]
        return [self._shock_public(s) for s in sorted([*scheduled, *injected],
                                                      key=lambda s: int(s["week"]))]

    def _apply_move(self, role: RoleSpec, move: dict[str, Any], by: str, name: str | None
                    ) -> dict[str, Any]:
        spec = self.registry[move["kind"]]
        try:
            spec.call(self.model, role, move, by=actions.who(role, name),
                      weeks=self.weeks_per_round)  # a move holds for the round it is made in
        except Exception as exc:  # a refused move is recorded, never a crash of the round
            return self._record(role, move, by, name, False,
                                actions.readable(self.model, str(exc)[:300]), self.model.week)
        return self._record(role, move, by, name, True, None, self.model.week)

    def _record(self, role: RoleSpec, move: dict[str, Any], by: str, name: str | None, ok: bool,
                reason: str | None, week: int) -> dict[str, Any]:
        what = self._describe(role, move)
        who = f"{name} ({role.button})"
        why = (reason or "").rstrip()
        text = f"{who} {what}." if ok else f"{who} tried to {what.split(' ', 1)[0]} " \
            f"{what.split(' ', 1)[1] if ' ' in what else ''}, but it did not happen: {why}" \
            + ("" if why.endswith((".", "!", "?")) else ".")
        return {"role": role.id, "by": by, "name": name, "move": dict(move), "ok": ok,
                "reason": reason, "week": week, "round": self.round, "text": text,
                "cost": self.costs[move["kind"]]}


NOTABLE = ("went_cold", "came_back", "live", "abandoned", "agreed", "slipped",
           "leadership_turnover")


def narrative(rec: Mapping[str, Any]) -> list[str]:
    """What happened in a round, in a few sentences (for the projector)."""
    moves = [m for m in rec["moves"] if m["by"] == "participant"]
    out = []
    ok = sum(1 for m in moves if m["ok"])
    if moves:
        n = len(moves)
        out.append(f"Participants made {n} move{'s' if n != 1 else ''}"
                   + (f": {ok} happened, {n - ok} did not." if ok < n else "."))
    for s in rec["shocks"]:
        out.append(f"Shock in week {week_number(s['week'])}: {s['label']}.")
    seen = set()
    for e in rec["events"]:
        if e["kind"] in NOTABLE or (e["injected"] and e["kind"] != "move"):
            if e["text"] not in seen:
                seen.add(e["text"])
                out.append(f"Week {week_number(e['step'])}: {e['text']}")
    return out[:6]
