"""The room's move layer: a registry of the moves a role can make, dispatched generically.

Each entry binds a role (its organisation, its person) into one move of
:mod:`diplomacy_sim.model.moves`, which applies the model's own rules. This module adds only
room-level rules: who may make which move, the action-point cost, which targets a role is
offered (its own organisation's initiatives, people it could reach), and checking a list of
moves on a scratch copy of the state before it is accepted.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from diplomacy_sim.domain.events import Event
from diplomacy_sim.domain.state import ROLE_NAMES
from diplomacy_sim.model import moves as model_moves
from diplomacy_sim.room.errors import RoomError
from diplomacy_sim.room.roles import RoleSpec
from diplomacy_sim.untrusted import cut, parse_decimal

MAX_MOVES = 12
"""Moves one participant may list in a round (the points budget binds first in practice)."""


class MoveRejected(RoomError):
    """A bad move: ``index`` is its position in the submitted list."""

    def __init__(self, index: int, message: str) -> None:
        super().__init__(message)
        self.index = index


Options = Callable[[Any, RoleSpec, Sequence[RoleSpec]], list[tuple[Any, str]]]


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    type: str  # "choice" | "number"
    options: Options | None = None
    low: float | None = None
    high: float | None = None
    current: Callable[[Any, RoleSpec], float] | None = None
    """For a number: its value now for the role (what the form starts from)."""


@dataclass(frozen=True)
class MoveSpec:
    kind: str
    label: str
    cost: int
    roles: frozenset[str]
    fields: tuple[FieldSpec, ...]
    call: Callable[[Any, RoleSpec, dict[str, Any]], Event]
    describe: Callable[[Any, RoleSpec, dict[str, Any]], str] = field(repr=False)


# ----------------------------------------------------------------- options per role
def own_initiatives(model: Any, role: RoleSpec, _roles: Sequence[RoleSpec]) -> list[tuple[Any, str]]:
    ini = model.state.initiatives
    return [(ini.ids[q], ini.names[q]) for q in range(ini.q) if ini.parties[q, role.org]]


def other_organisations(model: Any, role: RoleSpec, _roles: Sequence[RoleSpec]
                        ) -> list[tuple[Any, str]]:
    o = model.state.orgs
    return [(o.ids[j], o.names[j]) for j in range(o.m) if j != role.org and o.alive[j]]


PERSON_WORDS = {"executive": "an executive", "manager": "a manager",
                "frontline": "a frontline worker", "councillor": "a councillor",
                "enabler": "an enabler"}


def person_words(model: Any, i: int) -> str:
    """E.g. "a frontline worker from City Council"."""
    p, o = model.state.people, model.state.orgs
    return f"{PERSON_WORDS[ROLE_NAMES[int(p.role[i])]]} from {o.names[int(p.org[i])]}"


def person_label(model: Any, i: int) -> str:
    """E.g. "Priya Okafor, Discharge Lead — manager from Northgate Hospital (#12)": the
    seeded name and title the explorer shows too (:mod:`diplomacy_sim.names`)."""
    from diplomacy_sim.names import person_name, person_title

    w = person_words(model, i)
    w = w[w.index(" ") + 1:]
    return f"{person_name(model, i)}, {person_title(model, i)} — {w} (#{i})"


def reachable_people(model: Any, role: RoleSpec, roles: Sequence[RoleSpec]
                     ) -> list[tuple[Any, str]]:
    """People in other organisations a role could meet: those holding the other roles of its
    kind (leaders know who leads the hospital; frontline workers know each other's teams),
    and the people its own person already has ties to."""
    st = model.state
    p, t = st.people, st.ties
    lo, hi = np.searchsorted(t.src, [role.person, role.person + 1])
    front = role.kind == "frontline"
    known = {int(r.person) for r in roles if (r.kind == "frontline") == front}
    known |= {int(j) for j in t.dst[lo:hi]}
    return [(i, person_label(model, i)) for i in sorted(known)
            if p.active[i] and p.org[i] != role.org]


# ----------------------------------------------------------------- the model's words
_QUOTED_ID = re.compile(r"`([A-Za-z0-9_.\-]{1,80})`")


def readable(model: Any, text: str) -> str:
    """A model's message as a participant reads it: the ids it quotes (`` `housing_first` ``,
    for an initiative, an organisation or a field) named as people know them ("Housing
    first"); anything else quoted is left as it is."""
    st = model.state
    names = {**dict(zip(st.orgs.ids, st.orgs.names, strict=True)),
             **dict(zip(st.initiatives.ids, st.initiatives.names, strict=True))}
    return _QUOTED_ID.sub(lambda m: names.get(m.group(1), m.group(0)), text)


# ----------------------------------------------------------------- the model's moves
ROOM_ONLY_FOR_IDLE = ("stay_idle",)
"""Moves the room makes itself (the trainer's "idle" policy), not offered to participants."""
FIELD_LABELS: dict[str, str] = {
    "initiative": "Initiative", "org": "Partner", "person_b": "Person",
    "share": "Share", "attend": "Board",
}
MOVE_FIELD_LABELS: dict[tuple[str, str], str] = {
    ("cede", "share"): "Share of the cost taken on",
    ("set_joint_capacity", "share"): "Share of spare capacity",
}
"""Labels of one move's field where the field's own name would be ambiguous."""
FIELD_NOW: dict[tuple[str, str], Callable[[Any, RoleSpec], float]] = {
    # the share of spare capacity the organisation gives now (the autopilot's or a
    # participant's latest decision)
    ("set_joint_capacity", "share"): lambda model, role: float(
        model.decisions.joint_share[role.org]),
}
"""A number field's value now for the role, by (move, field): the move form starts from it
(a move that sets the share should not start from 0, none of the spare capacity)."""
BOARD = [(True, "Attend"), (False, "Skip")]


def _options_for(arg: Any) -> Options | None:
    if arg.kind == "initiative":
        return own_initiatives
    if arg.kind == "organisation":
        return other_organisations
    if arg.kind == "person":
        return reachable_people
    if arg.kind == "bool":
        return lambda model, role, roles: list(BOARD)
    return None


def _field(move: str, arg: Any) -> FieldSpec:
    label = MOVE_FIELD_LABELS.get((move, arg.name)) or FIELD_LABELS.get(
        arg.name, arg.name.replace("_", " ").capitalize())
    if arg.kind in ("unit", "number"):
        return FieldSpec(arg.name, label, "number", None,
                         0.0 if arg.low is None else float(arg.low),
                         1.0 if arg.high is None else float(arg.high),
                         FIELD_NOW.get((move, arg.name)))
    return FieldSpec(arg.name, label, "choice", _options_for(arg))


def _self_args(spec: Any) -> tuple[str | None, str | None]:
    """(the organisation argument, the person argument) the acting role fills in."""
    org = next((a.name for a in spec.args if a.self_arg and a.kind == "organisation"), None)
    person = next((a.name for a in spec.args if a.self_arg and a.kind == "person"), None)
    return org, person


def who(role: RoleSpec, name: str | None) -> str:
    """How a move's event names its maker, e.g. "Sam, Director of adult social care"."""
    return f"{name}, {role.label}" if name else role.label


def _caller(name: str, self_org: str | None, self_person: str | None) -> Callable[..., Event]:
    def call(model: Any, role: RoleSpec, move: dict[str, Any], by: str | None = None,
             weeks: int | None = None) -> Event:
        args: dict[str, Any] = {k: v for k, v in move.items() if k != "kind"}
        if self_org:
            args[self_org] = role.org_id
        if self_person:
            args[self_person] = role.person
        if by is not None:
            args["by"] = by[:120]
        if weeks is not None:
            args["weeks"] = int(weeks)
        return model_moves.apply(model, name, args)
    return call


def _describe(name: str, label: str) -> Callable[[Any, RoleSpec, dict[str, Any]], str]:
    def describe(model: Any, role: RoleSpec, a: dict[str, Any]) -> str:
        ini, orgs = _names(model)
        what = ini.get(a.get("initiative", ""), a.get("initiative", ""))
        if name == "propose":
            return f"put {what} on the table"
        if name == "court":
            return f"courted {orgs.get(a['org'], a['org'])}"
        if name == "cede":
            return f"ceded {float(a['share']):.0%} of the cost on {what}"
        if name == "meet":
            return f"met {person_words(model, int(a['person_b']))} informally"
        if name == "attend_board":
            return "decided to attend the board" if a["attend"] else "decided to skip the board"
        if name == "set_joint_capacity":
            return f"gave {float(a['share']):.0%} of spare capacity to joint work"
        if name == "agree_to_disagree":
            return f"agreed to disagree on {what}"
        if name == "ask_mandate":
            return f"asked for a national mandate to lead {what}"
        return label[0].lower() + label[1:]
    return describe


def _names(model: Any) -> tuple[dict[str, str], dict[str, str]]:
    ini, o = model.state.initiatives, model.state.orgs
    return dict(zip(ini.ids, ini.names, strict=True)), dict(zip(o.ids, o.names, strict=True))


def default_costs(model: Any) -> dict[str, int]:
    """Each move's cost in action points: the scenario's ``parameters.moves.*_cost``."""
    return {name: int(spec.cost(model)) for name, spec in model_moves.MOVES.items()
            if name not in ROOM_ONLY_FOR_IDLE}


def registry() -> dict[str, MoveSpec]:
    """The room's view of :data:`diplomacy_sim.model.moves.MOVES`: the same moves and the
    model's own rule of who may make each (by the role's person's role), with the acting
    role's organisation and person bound in and the fields a participant fills."""
    out: dict[str, MoveSpec] = {}
    for name, spec in model_moves.MOVES.items():
        if name in ROOM_ONLY_FOR_IDLE:
            continue
        self_org, self_person = _self_args(spec)
        fields = tuple(_field(name, a) for a in spec.args if not a.self_arg)
        out[name] = MoveSpec(name, spec.label, 0, frozenset(spec.roles), fields,
                             _caller(name, self_org, self_person), _describe(name, spec.label))
    return out


DEFAULT_MOVES = registry()
"""The moves of :mod:`diplomacy_sim.model.moves`, as the room offers them."""
_IDLE = _caller("stay_idle", *_self_args(model_moves.MOVES["stay_idle"]))


def hold_idle(model: Any, role: RoleSpec, weeks: int, by: str | None = None) -> Event:
    """The trainer's "idle" policy for a role: the model's own ``stay_idle`` move for the
    round's weeks (nothing discretionary; attendance and joint capacity stay the
    doctrine's)."""
    return _IDLE(model, role, {"kind": "stay_idle"}, by=by, weeks=weeks)


# ----------------------------------------------------------------- checking
class _Sandbox:
    """A stand-in for a model on which moves can be tried without touching it: every
    attribute read is a private deep copy, every method runs against the copies."""

    def __init__(self, model: Any) -> None:
        object.__setattr__(self, "_model", model)
        object.__setattr__(self, "_own", {})

    def __getattr__(self, name: str) -> Any:
        own = object.__getattribute__(self, "_own")
        if name in own:
            return own[name]
        model = object.__getattribute__(self, "_model")
        cls_attr = getattr(type(model), name, None)
        if cls_attr is not None and hasattr(cls_attr, "__get__"):
            return cls_attr.__get__(self, type(model))  # methods and properties on the copies
        value = getattr(model, name)
        if callable(value) or type(value).__name__ == "module":
            return value
        own[name] = copy.deepcopy(value)
        return own[name]

    def __setattr__(self, name: str, value: Any) -> None:
        object.__getattribute__(self, "_own")[name] = value


def move_number(v: Any, low: float, high: float,
                refuse: Callable[[str], Exception]) -> float:
    """A move's number as sent by a page: a JSON number, or text read as a typed number is
    (:func:`~diplomacy_sim.untrusted.parse_decimal`: ASCII only, length-checked); finite and
    within ``[low, high]``. Anything else raises ``refuse(why)``."""
    allowed = f"must be a number from {low:g} to {high:g}"
    if isinstance(v, str):
        x, err = parse_decimal(v, low, high, "a number")
        if err or x is None:
            raise refuse(f"{allowed}, not “{cut(v.strip(), 20)}”")
        return x
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise refuse(allowed)
    try:
        x = float(v)
    except OverflowError:  # an integer past a double's range
        raise refuse(f"{allowed}, not a number that large") from None
    if not (np.isfinite(x) and low <= x <= high):
        raise refuse(f"{allowed}, not {x:g}")
    return x


def coerce(spec: MoveSpec, raw: Mapping[str, Any], model: Any, role: RoleSpec,
           roles: Sequence[RoleSpec], index: int) -> dict[str, Any]:
    """The move's arguments checked against its fields (names, choices, bounds)."""
    names = [f.name for f in spec.fields]
    extra = sorted(set(raw) - {"kind", *names})
    where = f"Move {index + 1} ({spec.label.lower()})"
    if extra:
        raise MoveRejected(index, f"{where}: unknown field `{extra[0]}`; fields: "
                                  f"{', '.join(names) or 'none'}.")
    out: dict[str, Any] = {"kind": spec.kind}
    for f in spec.fields:
        if f.name not in raw or raw[f.name] in (None, ""):
            raise MoveRejected(index, f"{where}: choose the {f.label.lower()}.")
        v = raw[f.name]
        if f.type == "number":
            out[f.name] = move_number(v, f.low or 0.0, f.high or 1.0,
                                      lambda why, f=f: MoveRejected(
                                          index, f"{where}: {f.label.lower()} {why}."))
        else:
            opts = f.options(model, role, roles) if f.options else []
            by_text = {str(val): val for val, _ in opts}
            if str(v)[:80] not in by_text:
                allowed = ", ".join(lbl for _, lbl in opts[:12]) or "none at the moment"
                raise MoveRejected(index, f"{where}: {str(v)[:40]!s} is not one of the "
                                          f"{f.label.lower()} choices; allowed: {allowed}.")
            out[f.name] = by_text[str(v)[:80]]
    return out


def check(registry: Mapping[str, MoveSpec], moves: Sequence[Mapping[str, Any]], model: Any,
          role: RoleSpec, roles: Sequence[RoleSpec]) -> list[dict[str, Any]]:
    """Validate a list of moves for a role: each one's fields, then all of them in order on a
    scratch copy of the state, through the model's own move rules. Returns the clean list."""
    if not isinstance(moves, Sequence) or isinstance(moves, str | bytes):
        raise MoveRejected(0, "Moves must be a list.")
    if len(moves) > MAX_MOVES:
        raise MoveRejected(MAX_MOVES, f"At most {MAX_MOVES} moves a round.")
    clean = []
    for i, m in enumerate(moves):
        if not isinstance(m, Mapping):
            raise MoveRejected(i, f"Move {i + 1}: not a move.")
        kind = m.get("kind")
        spec = registry.get(kind) if isinstance(kind, str) else None
        if spec is None:
            raise MoveRejected(i, f"Move {i + 1}: no move `{str(kind)[:30]}`; allowed: "
                                  f"{', '.join(registry)}.")
        if role.person_role not in spec.roles:
            raise MoveRejected(i, f"Move {i + 1}: a {role.label.lower()} cannot "
                                  f"{spec.label[0].lower()}{spec.label[1:]}.")
        clean.append(coerce(spec, m, model, role, roles, i))
    scratch = _Sandbox(model)
    for i, m in enumerate(clean):
        try:
            registry[m["kind"]].call(scratch, role, m)
        except (ValueError, IndexError, TypeError) as exc:
            raise MoveRejected(i, f"Move {i + 1} ({registry[m['kind']].label.lower()}): "
                                  f"{readable(model, str(exc))}") from None
    return clean


DRY_RUN_MAX = 16
"""A one-choice move's options are tried on a scratch copy (only those the model would
accept are offered) when there are at most this many; more are offered as they are."""


def _feasible(spec: MoveSpec, model: Any, role: RoleSpec, name: str,
              opts: list[tuple[Any, str]]) -> list[tuple[Any, str]]:
    numbers = {f.name: ((f.low or 0.0) + (f.high or 1.0)) / 2 for f in spec.fields
               if f.type == "number"}
    out = []
    for value, label in opts:
        try:
            spec.call(_Sandbox(model), role, {"kind": spec.kind, name: value, **numbers})
        except Exception:
            continue
        out.append((value, label))
    return out


def catalogue(registry: Mapping[str, MoveSpec], costs: Mapping[str, int], model: Any,
              role: RoleSpec, roles: Sequence[RoleSpec]) -> list[dict[str, Any]]:
    """The moves a role may make now, with their fields and options (for the move form).

    For a move with one choice field (every move but setting joint capacity), each option
    is tried through the model's own move on a scratch copy of the state (numbers at the
    middle of their range) and offered only if the model would accept it now: only cold
    partners to court, only deals under negotiation to cede on. A move with no such option
    is left out."""
    out = []
    for spec in registry.values():
        if role.person_role not in spec.roles:
            continue
        fields = []
        choices = [f for f in spec.fields if f.type == "choice"]
        for f in spec.fields:
            opts = f.options(model, role, roles) if f.options else []
            if len(choices) == 1 and f.type == "choice" and len(opts) <= DRY_RUN_MAX:
                opts = _feasible(spec, model, role, f.name, opts)
            fields.append({"name": f.name, "label": f.label, "type": f.type, "options": opts,
                           "low": f.low, "high": f.high,
                           **({"default": f.current(model, role)} if f.current else {})})
        if any(f["type"] == "choice" and not f["options"] for f in fields):
            continue
        out.append({"kind": spec.kind, "label": spec.label, "cost": int(costs[spec.kind]),
                    "fields": fields})
    return out
