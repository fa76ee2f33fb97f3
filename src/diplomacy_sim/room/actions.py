"""The room's move layer: a registry of the moves a role can make, dispatched generically.

Each entry binds a role (its organisation, its person) into one move of
:mod:`diplomacy_sim.model.moves`, which applies the model's own rules. This module adds only
room-level rules: who may make which move, the action-point cost, which targets a role is
offered (its own organisation's initiatives, people it could reach), and checking a list of
moves on a scratch copy of the state before it is accepted.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from diplomacy_sim.domain.events import Event
from diplomacy_sim.domain.state import ROLE_NAMES
from diplomacy_sim.model import moves as model_moves
from diplomacy_sim.room.errors import RoomError
from diplomacy_sim.room.roles import RoleSpec

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
    w = person_words(model, i)
    w = w[w.index(" ") + 1:]
    return f"{w[0].upper()}{w[1:]} (#{i})"


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


# ----------------------------------------------------------------- the four moves
def _names(model: Any) -> tuple[dict[str, str], dict[str, str]]:
    ini, o = model.state.initiatives, model.state.orgs
    return dict(zip(ini.ids, ini.names, strict=True)), dict(zip(o.ids, o.names, strict=True))


def _describe_propose(model: Any, role: RoleSpec, a: dict[str, Any]) -> str:
    return f"put {_names(model)[0].get(a['initiative'], a['initiative'])} on the table"


def _describe_court(model: Any, role: RoleSpec, a: dict[str, Any]) -> str:
    return f"courted {_names(model)[1].get(a['org'], a['org'])}"


def _describe_cede(model: Any, role: RoleSpec, a: dict[str, Any]) -> str:
    return (f"ceded {float(a['share']):.0%} of the cost on "
            f"{_names(model)[0].get(a['initiative'], a['initiative'])}")


def _describe_meet(model: Any, role: RoleSpec, a: dict[str, Any]) -> str:
    return f"met {person_words(model, int(a['person']))} informally"


LEADERS = frozenset({"leader"})
DEFAULT_MOVES: dict[str, MoveSpec] = {
    m.kind: m for m in (
        MoveSpec("propose", "Propose an initiative", 3, LEADERS,
                 (FieldSpec("initiative", "Initiative", "choice", own_initiatives),),
                 lambda model, r, a: model_moves.propose(model, a["initiative"]),
                 _describe_propose),
        MoveSpec("court", "Court a partner that has gone cold", 2,
                 frozenset({"leader", "councillor"}),
                 (FieldSpec("org", "Partner", "choice", other_organisations),),
                 lambda model, r, a: model_moves.court(model, a["org"]), _describe_court),
        MoveSpec("cede", "Cede cost share on a deal", 2, LEADERS,
                 (FieldSpec("initiative", "Initiative", "choice", own_initiatives),
                  FieldSpec("share", "Share of the cost to take on", "number", low=0.01, high=1.0)),
                 lambda model, r, a: model_moves.cede(model, a["initiative"], r.org_id,
                                                      float(a["share"])),
                 _describe_cede),
        MoveSpec("meet", "Meet someone informally (coffee, WhatsApp)", 1,
                 frozenset({"leader", "councillor", "frontline"}),
                 (FieldSpec("person", "Person", "choice", reachable_people),),
                 lambda model, r, a: model_moves.meet(model, r.person, int(a["person"])),
                 _describe_meet),
    )
}
"""The moves that exist in :mod:`diplomacy_sim.model.moves` today, with their default costs."""


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
            try:
                x = float(v)
            except (TypeError, ValueError):
                raise MoveRejected(index, f"{where}: {f.label.lower()} must be a number from "
                                          f"{f.low:g} to {f.high:g}.") from None
            if not np.isfinite(x) or not (f.low or 0.0) <= x <= (f.high or 1.0):
                raise MoveRejected(index, f"{where}: {f.label.lower()} must be from {f.low:g} "
                                          f"to {f.high:g}, not {str(v)[:20]}.")
            out[f.name] = x
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
        if role.kind not in spec.roles:
            raise MoveRejected(i, f"Move {i + 1}: a {role.label.lower()} cannot "
                                  f"{spec.label.lower()}.")
        clean.append(coerce(spec, m, model, role, roles, i))
    scratch = _Sandbox(model)
    for i, m in enumerate(clean):
        try:
            registry[m["kind"]].call(scratch, role, m)
        except (ValueError, IndexError) as exc:
            raise MoveRejected(i, f"Move {i + 1} ({registry[m['kind']].label.lower()}): "
                                  f"{exc}") from None
    return clean


def catalogue(registry: Mapping[str, MoveSpec], costs: Mapping[str, int], model: Any,
              role: RoleSpec, roles: Sequence[RoleSpec]) -> list[dict[str, Any]]:
    """The moves a role may make now, with their fields and options (for the move form)."""
    out = []
    for spec in registry.values():
        if role.kind not in spec.roles:
            continue
        out.append({
            "kind": spec.kind, "label": spec.label, "cost": int(costs[spec.kind]),
            "fields": [{"name": f.name, "label": f.label, "type": f.type,
                        "options": f.options(model, role, roles) if f.options else [],
                        "low": f.low, "high": f.high} for f in spec.fields],
        })
    return out
