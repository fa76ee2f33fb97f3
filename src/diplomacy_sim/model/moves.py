"""Moves a participant can make in a training session, between steps.

Every move is a thin function over the model's own rules: it either sets an organisation's
decision for the coming weeks (``parameters.moves.hold_weeks``), overriding what its
doctrine's autopilot would decide, or acts now through the same rule functions the
simulated leaders use (:mod:`diplomacy_sim.domain`). Each leaves a plain-words event (kind
``move``) naming who did it, so the debrief can see who did what and when. Bad arguments
raise :class:`MoveError` (a :class:`ValueError`) with a message naming what is allowed.

:data:`MOVES` is the registry the training room validates a participant's move against:
name -> :class:`MoveSpec` (the function, its arguments with types and bounds, and the
schema parameter holding its action-point cost).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np

from diplomacy_sim.domain import negotiation as ng
from diplomacy_sim.domain.events import Event
from diplomacy_sim.domain.state import ROLE_NAMES, Channel, Stage

if TYPE_CHECKING:
    from diplomacy_sim.model.model import DiplomacyModel


class MoveError(ValueError):
    """A move that cannot be made; the message says what is allowed."""


# ---------------------------------------------------------------------------- checks
def _initiative(model: DiplomacyModel, initiative: object) -> int:
    ini = model.state.initiatives
    if not isinstance(initiative, str) or initiative not in ini.ids:
        raise MoveError(f"no initiative `{initiative}`; allowed: {', '.join(ini.ids)}")
    return ini.ids.index(initiative)


def _org(model: DiplomacyModel, org: object, what: str = "organisation") -> int:
    if not isinstance(org, str) or org not in model.org_index:
        raise MoveError(f"no {what} `{org}`; allowed: {', '.join(model.org_index)}")
    j = model.org_index[org]
    if not model.state.orgs.alive[j]:
        raise MoveError(f"`{org}` no longer exists")
    return j


def _party(model: DiplomacyModel, q: int, j: int) -> None:
    ini, o = model.state.initiatives, model.state.orgs
    if not ini.parties[q, j]:
        allowed = ", ".join(o.ids[i] for i in np.flatnonzero(ini.parties[q]))
        raise MoveError(f"`{o.ids[j]}` is not a party to `{ini.ids[q]}`; its parties: {allowed}")


def _unit(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) \
            or not 0.0 <= float(value) <= 1.0:
        raise MoveError(f"{name} must be a number from 0 to 1, not {value!r}")
    return float(value)


def _until(model: DiplomacyModel) -> int:
    return model.week + model.params.moves.hold_weeks


def _log(model: DiplomacyModel, by: str, text: str, cause: str,
         actors: tuple[str, ...]) -> Event:
    ev = Event(model.week, "move", f"{by}: {text}", cause, actors, injected=True)
    model.events.append(ev)
    return ev


# ---------------------------------------------------------------------------- moves
def propose(model: DiplomacyModel, initiative: str, by_org: str) -> Event:
    """``by_org`` puts an initiative on the table (now if a workstream is free, else as
    soon as one frees up), whatever its doctrine would have chosen."""
    q = _initiative(model, initiative)
    j = _org(model, by_org)
    ini, o = model.state.initiatives, model.state.orgs
    _party(model, q, j)
    if ini.stage[q] not in (Stage.PROPOSED, Stage.ABANDONED):
        raise MoveError(f"`{initiative}` is already {model.stage_of(q)}; only proposed or "
                        "abandoned initiatives can be put on the table")
    parties = np.flatnonzero(ini.parties[q])
    if not o.alive[parties].all():
        raise MoveError(f"`{initiative}` has a party that no longer exists")
    if model.free_workstreams() > 0:
        model.put_on_table(q, j, by_participant=True)
        when = "now"
    else:
        model.decisions.hold("proposal", j, q, _until(model))
        model.decisions.score[j] = np.inf
        when = "as soon as a workstream is free"
    return _log(model, o.names[j], f"put {ini.names[q]} on the table {when}.",
                "Participant's move: propose.", tuple(o.ids[i] for i in parties))


def court(model: DiplomacyModel, org: str, by_org: str) -> Event:
    """``by_org`` courts a cold partner through informal contacts for the coming weeks
    (each week the courting rule may bring it back)."""
    j = _org(model, org)
    b = _org(model, by_org, "courting organisation")
    o = model.state.orgs
    if j == b:
        raise MoveError("an organisation cannot court itself")
    if o.engaged[j]:
        raise MoveError(f"`{org}` is already at the table; only a cold partner can be courted")
    if not o.engaged[b]:
        raise MoveError(f"`{by_org}` has itself gone cold; only an engaged partner can court")
    model.decisions.hold("court", b, j, _until(model))
    return _log(model, o.names[b], f"is courting {o.names[j]} informally.",
                "Participant's move: court a cold partner through informal channels.",
                (o.ids[b], o.ids[j]))


def cede(model: DiplomacyModel, initiative: str, org: str, share: float) -> Event:
    """``org`` takes on ``share`` more of an initiative's cost from the other parties, and
    is willing to cede in its negotiations for the coming weeks."""
    q = _initiative(model, initiative)
    j = _org(model, org)
    share = _unit(share, "share")
    ini, o = model.state.initiatives, model.state.orgs
    _party(model, q, j)
    if ini.stage[q] != Stage.NEGOTIATING:
        raise MoveError(f"`{initiative}` is {model.stage_of(q)}; cost can only be ceded while "
                        "it is negotiating")
    parties = np.flatnonzero(ini.parties[q])
    pos = int(np.flatnonzero(parties == j)[0])
    new, take = ng.cede_share(ini.shares[q, parties], pos, share)
    ini.shares[q, parties] = new
    model.decisions.hold("cede", j, 1.0, _until(model))
    return _log(model, o.names[j], f"took on {take:.0%} more of the cost of {ini.names[q]}.",
                "Participant's move: cede ground so the deal works for the others.", (o.ids[j],))


def meet(model: DiplomacyModel, person_a: int, person_b: int) -> Event:
    """Two people meet informally (a coffee): an informal tie forms, or it is used once as
    any informal encounter is (the same trust rule)."""
    st = model.state
    p = st.people
    for i in (person_a, person_b):
        if isinstance(i, bool) or not isinstance(i, int | np.integer) or not 0 <= i < p.n \
                or not p.active[i]:
            raise MoveError(f"no active person {i!r}; people are numbered 0 to {p.n - 1}")
    if person_a == person_b:
        raise MoveError("a person cannot meet themselves")
    model.encounter(int(person_a), int(person_b))
    oa, ob = st.orgs.names[p.org[person_a]], st.orgs.names[p.org[person_b]]
    return _log(
        model, oa,
        f"a {ROLE_NAMES[p.role[person_a]]} met a {ROLE_NAMES[p.role[person_b]]} from {ob} "
        "for coffee.",
        "Participant's move: use an informal channel.",
        (st.orgs.ids[p.org[person_a]], st.orgs.ids[p.org[person_b]]),
    )


def attend_board(model: DiplomacyModel, org: str, attend: bool) -> Event:
    """``org`` decides to attend the partnership board, or skip it, for the coming weeks."""
    j = _org(model, org)
    if not isinstance(attend, bool | np.bool_):
        raise MoveError(f"attend must be true or false, not {attend!r}")
    o = model.state.orgs
    model.decisions.hold("attend", j, bool(attend), _until(model))
    o.engaged[j] = bool(attend)
    o.ignored_weeks[j] = 0
    verb = "will attend" if attend else "will skip"
    return _log(model, o.names[j], f"{verb} the partnership board.",
                "Participant's move: attend or skip the board.", (o.ids[j],))


def set_joint_capacity(model: DiplomacyModel, org: str, share: float) -> Event:
    """``org`` gives ``share`` (0..1) of its discretionary capacity to joint work."""
    j = _org(model, org)
    share = _unit(share, "share")
    o = model.state.orgs
    model.decisions.hold("joint_share", j, share, _until(model))
    return _log(model, o.names[j], f"gives {share:.0%} of its spare capacity to joint work.",
                "Participant's move: set joint capacity.", (o.ids[j],))


def agree_to_disagree(model: DiplomacyModel, initiative: str, org: str) -> Event:
    """``org`` will accept a deal for its own reasons (sets the consensus norm aside)."""
    q = _initiative(model, initiative)
    j = _org(model, org)
    _party(model, q, j)
    ini, o = model.state.initiatives, model.state.orgs
    model.decisions.hold("agree_to_disagree", j, 1.0, _until(model))
    return _log(model, o.names[j], f"will sign up to {ini.names[q]} for its own reasons.",
                "Participant's move: agree to disagree.", (o.ids[j],))


def ask_mandate(model: DiplomacyModel, org: str, initiative: str) -> Event:
    """``org`` asks for a national mandate to lead ``initiative``: it leads the deal with
    more authority, and the others trust it less once the mandated deal is imposed."""
    j = _org(model, org)
    q = _initiative(model, initiative)
    _party(model, q, j)
    ini, o = model.state.initiatives, model.state.orgs
    if ini.stage[q] not in (Stage.PROPOSED, Stage.ABANDONED, Stage.NEGOTIATING):
        raise MoveError(f"`{initiative}` is already {model.stage_of(q)}; a mandate can only "
                        "back an initiative not yet agreed")
    model.decisions.hold("mandate", j, True, _until(model))
    ini.lead[q] = j
    return _log(model, o.names[j], f"asked for a national mandate to lead {ini.names[q]}.",
                "Participant's move: ask for a mandate (authority at a cost in trust).",
                (o.ids[j],))


# ---------------------------------------------------------------------------- registry
@dataclass(frozen=True)
class ArgSpec:
    """One argument of a move: its name, kind and bounds.

    kind: ``initiative`` / ``organisation`` (an id of the scenario), ``person`` (an index),
    ``unit`` (a number from 0 to 1) or ``bool``.
    """

    name: str
    kind: str
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class MoveSpec:
    name: str
    function: Callable[..., Event]
    args: tuple[ArgSpec, ...]
    cost_param: str  # dotted path of its action-point cost in the schema
    description: str

    def cost(self, model: DiplomacyModel) -> int:
        return int(getattr(model.params.moves, self.cost_param.rsplit(".", 1)[1]))


def _spec(name: str, fn: Callable[..., Event], *args: ArgSpec) -> MoveSpec:
    return MoveSpec(name, fn, args, f"parameters.moves.{name}_cost",
                    (fn.__doc__ or "").strip().split("\n\n")[0].replace("\n", " "))


_I, _O = ArgSpec("initiative", "initiative"), ArgSpec("org", "organisation")
MOVES: dict[str, MoveSpec] = {
    "propose": _spec("propose", propose, _I, ArgSpec("by_org", "organisation")),
    "court": _spec("court", court, _O, ArgSpec("by_org", "organisation")),
    "cede": _spec("cede", cede, _I, _O, ArgSpec("share", "unit", 0.0, 1.0)),
    "meet": _spec("meet", meet, ArgSpec("person_a", "person"), ArgSpec("person_b", "person")),
    "attend_board": _spec("attend_board", attend_board, _O, ArgSpec("attend", "bool")),
    "set_joint_capacity": _spec("set_joint_capacity", set_joint_capacity, _O,
                                ArgSpec("share", "unit", 0.0, 1.0)),
    "agree_to_disagree": _spec("agree_to_disagree", agree_to_disagree, _I, _O),
    "ask_mandate": _spec("ask_mandate", ask_mandate, _O, _I),
}
"""Every move a participant can make, by name."""


def apply(model: DiplomacyModel, name: str, args: dict[str, Any]) -> Event:
    """Validate and make the move ``name`` with keyword ``args`` (e.g. from the room)."""
    if name not in MOVES:
        raise MoveError(f"no move `{name}`; allowed: {', '.join(MOVES)}")
    spec = MOVES[name]
    want = [a.name for a in spec.args]
    if not isinstance(args, dict) or sorted(args) != sorted(want):
        got = ", ".join(sorted(args)) if isinstance(args, dict) else repr(args)
        raise MoveError(f"move `{name}` takes {', '.join(want)}; got {got or 'nothing'}")
    return spec.function(model, **args)


def trust_network(model: DiplomacyModel) -> nx.DiGraph:
    """The trust network as a networkx graph (people as nodes, trust and channel on edges)."""
    st = model.state
    p, t = st.people, st.ties
    g = nx.DiGraph()
    for i in np.flatnonzero(p.active):
        g.add_node(int(i), organisation=st.orgs.ids[p.org[i]], role=ROLE_NAMES[p.role[i]])
    for s, d, w, c in zip(t.src, t.dst, t.trust, t.channel, strict=True):
        g.add_edge(int(s), int(d), trust=float(w), channel=Channel(int(c)).name.lower())
    return g
