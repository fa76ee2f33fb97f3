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
from diplomacy_sim.domain.events import Event, counted, with_article
from diplomacy_sim.domain.state import ROLE_NAMES, Channel, Stage
from diplomacy_sim.scenario.schema import MoveParams

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


MAX_HOLD = 520
"""Longest a move may hold a decision, in weeks (the schema's bound on ``hold_weeks``)."""


def _weeks(model: DiplomacyModel, weeks: object) -> int:
    if weeks is None:
        return int(model.params.moves.hold_weeks)
    if isinstance(weeks, bool) or not isinstance(weeks, int | np.integer) \
            or not 1 <= int(weeks) <= MAX_HOLD:
        raise MoveError(f"weeks must be a whole number from 1 to {MAX_HOLD}, not {weeks!r}")
    return int(weeks)


def _by(by: object) -> str | None:
    if by is None:
        return None
    if not isinstance(by, str) or not 0 < len(by) <= 120:
        raise MoveError("by must be a short text of 1 to 120 characters")
    return by


def _log(model: DiplomacyModel, who: str, text: str, cause: str,
         actors: tuple[str, ...], by: str | None) -> Event:
    """The move's event: ``who`` (the organisation) did ``text``; ``by`` names the person
    or the autopilot when the caller says so."""
    head = f"{who} ({by})" if by else who
    ev = Event(model.week, "move", f"{head}: {text}", cause, actors, injected=True)
    model.events.append(ev)
    return ev


# ---------------------------------------------------------------------------- moves
def propose(model: DiplomacyModel, initiative: str, by_org: str, *, by: str | None = None,
            weeks: int | None = None, dry_run: bool = False) -> Event | None:
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
    by, hold = _by(by), _weeks(model, weeks)
    if dry_run:
        return None
    if model.free_workstreams() > 0:
        model.put_on_table(q, j, by_participant=True)
        when = "now"
    else:
        model.decisions.hold("proposal", j, q, model.week + hold)
        model.decisions.score[j] = np.inf
        when = "as soon as a workstream is free"
    return _log(model, o.names[j], f"put {ini.names[q]} on the table {when}.",
                "Move: propose.", tuple(o.ids[i] for i in parties), by)


def court(model: DiplomacyModel, org: str, by_org: str, *, by: str | None = None,
          weeks: int | None = None, dry_run: bool = False) -> Event | None:
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
    by, hold = _by(by), _weeks(model, weeks)
    if dry_run:
        return None
    model.decisions.hold("court", b, j, model.week + hold)
    return _log(model, o.names[b], f"is courting {o.names[j]} informally.",
                "Move: court a cold partner through informal channels.",
                (o.ids[b], o.ids[j]), by)


def cede(model: DiplomacyModel, initiative: str, org: str, share: float, *,
         by: str | None = None, weeks: int | None = None, dry_run: bool = False) -> Event | None:
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
    by, hold = _by(by), _weeks(model, weeks)
    if dry_run:
        return None
    new, take = ng.cede_share(ini.shares[q, parties], pos, share)
    ini.shares[q, parties] = new
    model.decisions.hold("cede", j, 1.0, model.week + hold)
    return _log(model, o.names[j], f"took on {take:.0%} more of the cost of {ini.names[q]}.",
                "Move: cede ground so the deal works for the others.", (o.ids[j],), by)


def meet(model: DiplomacyModel, person_a: int, person_b: int, *, by: str | None = None,
         weeks: int | None = None, dry_run: bool = False) -> Event | None:
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
    by = _by(by)
    _weeks(model, weeks)  # accepted for a uniform call; a meeting holds no decision
    if dry_run:
        return None
    model.encounter(int(person_a), int(person_b))
    oa, ob = st.orgs.names[p.org[person_a]], st.orgs.names[p.org[person_b]]
    return _log(
        model, oa,
        f"{with_article(ROLE_NAMES[p.role[person_a]])} met "
        f"{with_article(ROLE_NAMES[p.role[person_b]])} from {ob} "
        "for coffee.",
        "Move: use an informal channel.",
        (st.orgs.ids[p.org[person_a]], st.orgs.ids[p.org[person_b]]), by,
    )


def attend_board(model: DiplomacyModel, org: str, attend: bool, *, by: str | None = None,
                 weeks: int | None = None, dry_run: bool = False) -> Event | None:
    """``org`` decides to attend the partnership board, or skip it, for the coming weeks."""
    j = _org(model, org)
    if not isinstance(attend, bool | np.bool_):
        raise MoveError(f"attend must be true or false, not {attend!r}")
    o = model.state.orgs
    by, hold = _by(by), _weeks(model, weeks)
    if dry_run:
        return None
    model.decisions.hold("attend", j, bool(attend), model.week + hold)
    o.engaged[j] = bool(attend)
    o.ignored_weeks[j] = 0
    verb = "will attend" if attend else "will skip"
    return _log(model, o.names[j], f"{verb} the partnership board.",
                "Move: attend or skip the board.", (o.ids[j],), by)


def set_joint_capacity(model: DiplomacyModel, org: str, share: float, *, by: str | None = None,
                       weeks: int | None = None, dry_run: bool = False) -> Event | None:
    """``org`` gives ``share`` (0..1) of its discretionary capacity to joint work."""
    j = _org(model, org)
    share = _unit(share, "share")
    o = model.state.orgs
    by, hold = _by(by), _weeks(model, weeks)
    if dry_run:
        return None
    model.decisions.hold("joint_share", j, share, model.week + hold)
    return _log(model, o.names[j], f"gives {share:.0%} of its spare capacity to joint work.",
                "Move: set joint capacity.", (o.ids[j],), by)


def agree_to_disagree(model: DiplomacyModel, initiative: str, org: str, *, by: str | None = None,
                      weeks: int | None = None, dry_run: bool = False) -> Event | None:
    """``org`` will accept a deal for its own reasons (sets the consensus norm aside)."""
    q = _initiative(model, initiative)
    j = _org(model, org)
    _party(model, q, j)
    ini, o = model.state.initiatives, model.state.orgs
    by, hold = _by(by), _weeks(model, weeks)
    if dry_run:
        return None
    model.decisions.hold("agree_to_disagree", j, 1.0, model.week + hold)
    return _log(model, o.names[j], f"will sign up to {ini.names[q]} for its own reasons.",
                "Move: agree to disagree.", (o.ids[j],), by)


def ask_mandate(model: DiplomacyModel, org: str, initiative: str, *, by: str | None = None,
                weeks: int | None = None, dry_run: bool = False) -> Event | None:
    """``org`` asks for a national mandate to lead ``initiative``: it leads the deal with
    more authority, and the others trust it less once the mandated deal is imposed."""
    j = _org(model, org)
    q = _initiative(model, initiative)
    _party(model, q, j)
    ini, o = model.state.initiatives, model.state.orgs
    if ini.stage[q] not in (Stage.PROPOSED, Stage.ABANDONED, Stage.NEGOTIATING):
        raise MoveError(f"`{initiative}` is already {model.stage_of(q)}; a mandate can only "
                        "back an initiative not yet agreed")
    by, hold = _by(by), _weeks(model, weeks)
    if dry_run:
        return None
    model.decisions.hold("mandate", j, True, model.week + hold)
    ini.lead[q] = j
    return _log(model, o.names[j], f"asked for a national mandate to lead {ini.names[q]}.",
                "Move: ask for a mandate (authority at a cost in trust).", (o.ids[j],), by)


IDLE_DECISIONS: dict[str, object] = {
    "proposal": -1, "court": -1, "cede": 0.0, "agree_to_disagree": 0.0, "mandate": False,
}
"""What an idle organisation does: nothing discretionary (it still attends and delivers as
its autopilot decides)."""


def stay_idle(model: DiplomacyModel, org: str, *, by: str | None = None,
              weeks: int | None = None, dry_run: bool = False) -> Event | None:
    """``org`` makes no deliberate moves for the coming weeks: it proposes nothing, courts
    no one, cedes nothing, does not agree to disagree and asks for no mandate."""
    j = _org(model, org)
    by, hold = _by(by), _weeks(model, weeks)
    if dry_run:
        return None
    for name, value in IDLE_DECISIONS.items():
        model.decisions.hold(name, j, value, model.week + hold)
    o = model.state.orgs
    return _log(model, o.names[j], f"makes no deliberate moves for {counted(hold, 'week')}.",
                "Move: stay idle.", (o.ids[j],), by)


# ---------------------------------------------------------------------------- registry
@dataclass(frozen=True)
class ArgSpec:
    """One argument of a move: its name, kind and bounds.

    kind: ``initiative`` / ``organisation`` (an id of the scenario), ``person`` (an index),
    ``unit`` (a number from 0 to 1) or ``bool``. ``self_arg``: the room binds it to the
    acting role's own organisation (or person).
    """

    name: str
    kind: str
    low: float | None = None
    high: float | None = None
    self_arg: bool = False


LEADERS = ("executive", "manager", "councillor", "enabler")
EVERYONE = (*LEADERS, "frontline")


@dataclass(frozen=True)
class MoveSpec:
    name: str
    label: str  # plain words for a participant
    function: Callable[..., Event | None]
    args: tuple[ArgSpec, ...]
    roles: tuple[str, ...]  # who may make it
    cost_param: str  # dotted path of its action-point cost in the schema
    description: str

    def cost(self, model: DiplomacyModel) -> int:
        return int(getattr(model.params.moves, self.cost_param.rsplit(".", 1)[1]))

    def cost_bounds(self) -> tuple[int, int]:
        field = MoveParams.model_fields[self.cost_param.rsplit(".", 1)[1]]
        lo = next(m.ge for m in field.metadata if hasattr(m, "ge"))
        hi = next(m.le for m in field.metadata if hasattr(m, "le"))
        return int(lo), int(hi)

    def check(self, model: DiplomacyModel, **args: Any) -> None:
        """Validate the move now without making it (raises :class:`MoveError`)."""
        self.function(model, **args, dry_run=True)


def _spec(name: str, label: str, fn: Callable[..., Event | None], roles: tuple[str, ...],
          *args: ArgSpec) -> MoveSpec:
    return MoveSpec(name, label, fn, args, roles, f"parameters.moves.{name}_cost",
                    (fn.__doc__ or "").strip().split("\n\n")[0].replace("\n", " "))


_I = ArgSpec("initiative", "initiative")
_SELF = ArgSpec("org", "organisation", self_arg=True)
MOVES: dict[str, MoveSpec] = {
    "propose": _spec("propose", "Put an initiative on the table", propose, LEADERS,
                     _I, ArgSpec("by_org", "organisation", self_arg=True)),
    "court": _spec("court", "Court a cold partner", court, LEADERS,
                   ArgSpec("org", "organisation"),
                   ArgSpec("by_org", "organisation", self_arg=True)),
    "cede": _spec("cede", "Take on more of the cost", cede, LEADERS,
                  _I, _SELF, ArgSpec("share", "unit", 0.0, 1.0)),
    "meet": _spec("meet", "Meet someone for coffee", meet, EVERYONE,
                  ArgSpec("person_a", "person", self_arg=True), ArgSpec("person_b", "person")),
    "attend_board": _spec("attend_board", "Attend or skip the board", attend_board, LEADERS,
                          _SELF, ArgSpec("attend", "bool")),
    "set_joint_capacity": _spec("set_joint_capacity", "Set the capacity given to joint work",
                                set_joint_capacity, ("executive", "manager"),
                                _SELF, ArgSpec("share", "unit", 0.0, 1.0)),
    "agree_to_disagree": _spec("agree_to_disagree", "Agree to disagree", agree_to_disagree,
                               LEADERS, _I, _SELF),
    "ask_mandate": _spec("ask_mandate", "Ask for a national mandate", ask_mandate,
                         ("executive",), _SELF, _I),
    "stay_idle": _spec("stay_idle", "Make no deliberate moves", stay_idle, EVERYONE, _SELF),
}
"""Every move a participant can make, by name."""

OPTIONS = ("by", "weeks")
"""Keyword options every move takes: ``by`` (who, for the event text) and ``weeks`` (hold)."""


def apply(model: DiplomacyModel, name: str, args: dict[str, Any],
          dry_run: bool = False) -> Event | None:
    """Validate and make the move ``name`` with keyword ``args`` (e.g. from the room).

    ``args`` holds the move's arguments and optionally ``by`` and ``weeks``. With
    ``dry_run`` the move is only validated.
    """
    if name not in MOVES:
        raise MoveError(f"no move `{name}`; allowed: {', '.join(MOVES)}")
    spec = MOVES[name]
    want = [a.name for a in spec.args]
    if not isinstance(args, dict):
        raise MoveError(f"move `{name}` takes {', '.join(want)}; got {args!r}")
    given = sorted(k for k in args if k not in OPTIONS)
    if given != sorted(want):
        raise MoveError(f"move `{name}` takes {', '.join(want)} (and optionally by, weeks); "
                        f"got {', '.join(given) or 'nothing'}")
    return spec.function(model, **args, dry_run=dry_run)


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
