"""Shocks: reorganisation, budget cuts, demand surges, leadership turnover, mandates, elections.

Each function changes the state in place and returns the events it caused, in plain words.

:data:`SHOCK_KINDS` is the one registry of shock kinds: each kind's name, words for people,
the fields that name organisations, which organisations it may hit, whether a trainer may
inject it, the defaults the dashboard's panel starts from, and the rule that applies it.
The schema (its discriminated union must match), the loader (what may hit whom, what may
merge with what), the model (dispatch), the CLI and the dashboard all read it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from diplomacy_sim.domain.events import Event
from diplomacy_sim.domain.network import board_ties_for
from diplomacy_sim.domain.state import (
    ROLE_INDEX,
    TABLE_MASK_BY_ROLE,
    Channel,
    Stage,
    SystemState,
)

if TYPE_CHECKING:  # the schema reads this module's registry: no import at run time
    from diplomacy_sim.scenario import schema


def _names(state: SystemState, idx: list[int]) -> str:
    names = [state.orgs.names[i] for i in idx]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def disturb(state: SystemState, orgs: list[int], intensity: float, ripple: float = 0.5) -> None:
    """Disturbance lands on the organisations hit and, more faintly, on their partners."""
    o = state.orgs
    o.disturbance[:] = np.clip(o.disturbance + ripple * intensity * 0.5, 0.0, 1.0)
    o.disturbance[orgs] = np.clip(o.disturbance[orgs] + intensity, 0.0, 1.0)


def new_agenda(state: SystemState, org: int, rng: np.random.Generator) -> np.ndarray:
    a = rng.dirichlet(np.full(state.K, 20.0) * state.orgs.agenda[org] + 0.5)
    return np.asarray(a)


def replace_person(
    state: SystemState, i: int, rng: np.random.Generator, trust_new: float
) -> None:
    """A new holder takes the slot: the old relationships go with the leaver."""
    replace_people(state, np.array([i], dtype=np.int64), rng, trust_new)


def replace_people(
    state: SystemState, slots: np.ndarray, rng: np.random.Generator, trust_new: float
) -> None:
    """New holders take these slots at once; their predecessors' relationships go with them.

    Colleague ties survive with the trust of a newcomer; cross-boundary ties are lost; a new
    leader who sits at the table gets board seats, starting at newcomer's trust.
    """
    if slots.size == 0:
        return
    p, t = state.people, state.ties
    for i in slots:
        p.agenda[i] = new_agenda(state, int(p.org[i]), rng)
    p.anchor[slots] = p.agenda[slots]
    p.person_id[slots] = np.arange(state.next_person_id, state.next_person_id + slots.size)
    state.next_person_id += int(slots.size)
    p.beliefs[slots] = 0.5
    p.strain[slots] = 0.0
    p.tenure[slots] = 0
    leaving = np.zeros(p.n, bool)
    leaving[slots] = True
    involved = leaving[t.src] | leaving[t.dst]
    colleagues = involved & (t.channel == Channel.WITHIN)
    t.trust[colleagues] = trust_new
    t.age[colleagues] = 0
    t.keep(~involved | colleagues)
    new_src, new_dst = [], []
    for i in slots:
        if TABLE_MASK_BY_ROLE[p.role[i]] and p.active[i]:
            seats = board_ties_for(rng, int(i), p.org, p.role, state.orgs.alive)
            seats = seats[p.active[seats]]
            new_src.append(np.full(seats.size, i, dtype=np.int64))
            new_dst.append(seats)
    if new_src:
        a, b = np.concatenate(new_src), np.concatenate(new_dst)
        if a.size:
            t.append(
                np.concatenate([a, b]),
                np.concatenate([b, a]),
                np.full(2 * a.size, trust_new),
                np.full(2 * a.size, Channel.FORMAL, dtype=np.int64),
            )


def cut_ties(state: SystemState, people: np.ndarray, share: float, rng: np.random.Generator) -> int:
    """Cut a share of the cross-boundary ties of these people (both directions)."""
    t = state.ties
    mine = np.isin(t.src, people) & (t.channel != Channel.WITHIN)
    u = rng.random(t.m)
    cut = mine & (u < share)
    # cut the reverse direction too
    n = int(max(t.src.max(initial=0), t.dst.max(initial=0))) + 1
    keys = t.src * n + t.dst
    rev = np.isin(keys, t.dst[cut] * n + t.src[cut])
    gone = cut | rev
    t.keep(~gone)
    return int(cut.sum())


def _reassign_parties(state: SystemState, gone: int, into: int | None) -> None:
    ini = state.initiatives
    for q in np.flatnonzero(ini.parties[:, gone]):
        share = ini.shares[q, gone]
        ini.parties[q, gone] = False
        ini.shares[q, gone] = 0.0
        if into is not None:
            ini.parties[q, into] = True
            ini.shares[q, into] += share
        s = ini.shares[q].sum()
        if s > 0:
            ini.shares[q] /= s
        if ini.lead[q] == gone:  # the most authoritative remaining party leads
            parties = np.flatnonzero(ini.parties[q])
            o = state.orgs
            ini.lead[q] = int(parties[np.argmax(o.authority[parties])]) if parties.size else -1
        if ini.stage[q] in (Stage.AGREED, Stage.DELIVERING, Stage.LIVE):
            # the deal must be remade with whoever is left: progress survives in part
            ini.progress[q] *= 0.5
            ini.stage[q] = Stage.NEGOTIATING
            ini.rounds[q] = 0
        if not ini.parties[q].any():
            ini.stage[q] = Stage.ABANDONED
            ini.progress[q] = 0.0


def reorganise(
    state: SystemState, spec: schema.Reorganisation, idx: dict[str, int], rng: np.random.Generator,
    step: int, trust_new: float, injected: bool,
) -> list[Event]:
    o, p = state.orgs, state.people
    hit = [idx[x] for x in spec.organisations]
    into = idx[spec.into] if spec.into is not None else None
    affected = np.flatnonzero(np.isin(p.org, hit + ([into] if into is not None else [])) & p.active)
    events: list[Event] = []
    label = spec.label or f"{spec.mode} of {_names(state, hit)}"
    if spec.mode == "merge":
        assert into is not None
        members = [into] + [h for h in hit if h != into]
        w = o.budget[members]
        o.agenda[into] = (o.agenda[members] * w[:, None]).sum(0) / w.sum()
        o.statutory_share[into] = float((o.statutory_share[members] * w).sum() / w.sum())
        o.budget[into] = o.budget[members].sum()
        o.budget0[into] = o.budget0[members].sum()
        o.identity[into] = float(o.identity[members].mean()) * 0.7
        o.authority[into] = float(o.authority[members].max())
        for h in members[1:]:
            p.org[p.org == h] = into
            o.alive[h] = False
            o.engaged[h] = False
            _reassign_parties(state, h, into)
        o.distraction[into] = spec.distraction_weeks
        text = (
            f"{_names(state, members[1:])} merged into {o.names[into]}: staff move across, "
            f"attention is diverted for {spec.distraction_weeks} weeks."
        )
        actors = tuple(o.ids[i] for i in members)
    elif spec.mode == "abolish":
        for h in hit:
            o.alive[h] = False
            o.engaged[h] = False
            if into is not None:
                p.org[p.org == h] = into
            else:
                leaving = np.flatnonzero((p.org == h) & p.active)
                p.active[leaving] = False
                t = state.ties
                t.keep(~(np.isin(t.src, leaving) | np.isin(t.dst, leaving)))
            _reassign_parties(state, h, into)
        if into is not None:
            o.distraction[into] = spec.distraction_weeks
        dest = f"; its functions pass to {o.names[into]}" if into is not None else ""
        text = f"{_names(state, hit)} {'was' if len(hit) == 1 else 'were'} abolished{dest}."
        actors = tuple(o.ids[i] for i in hit + ([into] if into is not None else []))
    else:
        for h in hit:
            o.distraction[h] = spec.distraction_weeks
        text = (
            f"{_names(state, hit)} restructured: teams and reporting lines change, "
            f"attention is diverted for {spec.distraction_weeks} weeks."
        )
        actors = tuple(o.ids[i] for i in hit)
    affected = affected[p.active[affected]]
    lost = cut_ties(state, affected, spec.tie_loss, rng)
    leavers = affected[rng.random(affected.size) < spec.leavers]
    replace_people(state, leavers, rng, trust_new)
    disturb(state, sorted(set(hit + ([into] if into is not None else []))), spec.intensity)
    events.append(
        Event(
            step, "reorganisation",
            f"{text} {lost} working relationships were lost and {leavers.size} people left.",
            f"Scheduled reorganisation: {label}." if not injected else f"Injected: {label}.",
            actors, injected,
        )
    )
    return events


def budget_cut(
    state: SystemState, spec: schema.BudgetCut, idx: dict[str, int], step: int, injected: bool
) -> list[Event]:
    o = state.orgs
    hit = [idx[x] for x in spec.organisations if o.alive[idx[x]]]
    events = []
    for h in hit:
        before = float(o.discretionary()[h])
        o.budget[h] *= 1.0 - spec.fraction
        after = float(o.discretionary()[h])
        fall = 1.0 - after / before if before > 0 else 1.0
        events.append(Event(
            step, "budget_cut",
            f"{o.names[h]} lost {spec.fraction:.0%} of its budget; its money for joint work "
            f"fell by {fall:.0%} because statutory duties come first.",
            spec.label or "Austerity: central funding cut.", (o.ids[h],), injected,
        ))
        # grants are discretionary spending of the funder: they fall as its discretion falls
        for g in np.flatnonzero((o.funded_by == h) & o.alive):
            cut = o.grant_share[g] * o.budget0[g] * fall
            o.budget[g] = max(o.budget[g] - cut, 0.01 * o.budget0[g])
            events.append(Event(
                step, "budget_cut",
                f"{o.names[g]} lost grant funding from {o.names[h]} (about {cut:.1f} £m a year).",
                f"Knock-on of the cut to {o.names[h]}: grants are discretionary.",
                (o.ids[g], o.ids[h]), injected,
            ))
    disturb(state, hit, spec.intensity)
    return events


def demand_surge(
    state: SystemState, spec: schema.DemandSurge, step: int, injected: bool
) -> list[Event]:
    state.services.demand_multiplier = spec.multiplier
    state.services.surge_weeks_left = spec.duration
    disturb(state, list(range(state.orgs.m)), spec.intensity, ripple=0.0)
    return [Event(
        step, "demand_surge",
        f"Demand rose to {spec.multiplier:.0%} of normal for {spec.duration} weeks.",
        spec.label or "Winter pressures.", (), injected,
    )]


def leadership_turnover(
    state: SystemState, spec: schema.LeadershipTurnover, idx: dict[str, int],
    rng: np.random.Generator, step: int, trust_new: float, injected: bool,
) -> list[Event]:
    org = idx[spec.organisation]
    p = state.people
    execs = np.flatnonzero((p.org == org) & (p.role == ROLE_INDEX["executive"]) & p.active)
    if execs.size == 0 or not state.orgs.alive[org]:
        return []
    leaver = int(execs[np.argmax(p.tenure[execs])])
    weeks = int(p.tenure[leaver])
    replace_person(state, leaver, rng, trust_new)
    disturb(state, [org], spec.intensity)
    return [Event(
        step, "leadership_turnover",
        f"{state.orgs.names[org]} has a new chief executive with no relationships yet; "
        f"the last one had been in post {weeks} weeks.",
        spec.label or "Leadership turnover.", (state.orgs.ids[org],), injected,
    )]


def national_mandate(
    state: SystemState, spec: schema.NationalMandate, idx: dict[str, int], issue: int,
    step: int, injected: bool,
) -> list[Event]:
    o = state.orgs
    hit = [idx[x] for x in spec.organisations if o.alive[idx[x]]]
    onehot = np.zeros(state.K)
    onehot[issue] = 1.0
    for h in hit:
        o.agenda[h] = o.agenda[h] + spec.strength * (onehot - o.agenda[h])
        o.target[h] = issue
        o.mandate[h] = min(1.0, o.mandate[h] + spec.strength)
        o.pressure[h] = min(1.0, o.pressure[h] + spec.strength)
    disturb(state, hit, spec.intensity)
    return [Event(
        step, "national_mandate",
        f"A national mandate puts {state.issue_labels[issue]} at the top of the agenda for "
        f"{_names(state, hit)}.",
        spec.label or "National mandate.", tuple(o.ids[h] for h in hit), injected,
    )]


def election(
    state: SystemState, spec: schema.Election, rng: np.random.Generator, step: int,
    trust_new: float, injected: bool,
) -> list[Event]:
    p = state.people
    cllrs = np.flatnonzero((p.role == ROLE_INDEX["councillor"]) & p.active)
    out = cllrs[rng.random(cllrs.size) < spec.fraction]
    replace_people(state, out, rng, trust_new)
    orgs = sorted({int(p.org[i]) for i in cllrs})
    disturb(state, orgs, spec.intensity, ripple=0.0)
    return [Event(
        step, "election",
        f"Local elections: {out.size} of {cllrs.size} councillors are new to the role.",
        spec.label or "Local elections.", tuple(state.orgs.ids[i] for i in orgs), injected,
    )]


# --------------------------------------------------------------------------- the registry
SECTORS: Mapping[str, str] = {
    "hospital": "nhs", "mental_health_trust": "nhs", "health": "nhs", "gp_federation": "nhs",
    "icb": "nhs",
    "council": "local_government", "district_council": "local_government",
    "combined_authority": "local_government",
    "charity": "voluntary",
}
"""Organisation kinds by sector; any other kind (police, school, a scenario's own) is a
sector of its own."""

ABSORBS: Mapping[str, frozenset[str]] = {
    "nhs": frozenset({"nhs", "voluntary"}),
    "local_government": frozenset({"local_government", "voluntary"}),
    "voluntary": frozenset({"voluntary"}),
}
"""Which sectors an organisation of a sector can absorb in a merge: statutory bodies merge
within their sector and may bring a charity in-house; a charity absorbs only charities
(a hospital cannot be merged into a charity). Any other sector absorbs only itself."""


SECTOR_WORDS: Mapping[str, str] = {"nhs": "NHS", "local_government": "local government",
                                   "voluntary": "voluntary"}
"""The sectors in words (messages and the dashboard's hints)."""


def sector_of(kind: str) -> str:
    return SECTORS.get(kind, kind)


def can_merge(absorbed_kind: str, into_kind: str) -> bool:
    """Whether an organisation of ``absorbed_kind`` can be merged into one of ``into_kind``."""
    into = sector_of(into_kind)
    return sector_of(absorbed_kind) in ABSORBS.get(into, frozenset({into}))


@dataclass(frozen=True)
class ShockContext:
    """What a shock rule needs besides the state and the shock: passed by the model."""

    idx: dict[str, int]
    rng: np.random.Generator
    step: int
    trust_new: float
    injected: bool


@dataclass(frozen=True)
class ShockKind:
    """One kind of shock, as every layer sees it."""

    name: str
    label: str
    summary: str
    apply: Callable[[SystemState, Any, ShockContext], list[Event]]
    org_fields: tuple[str, ...] = ()
    """Fields naming organisations it hits (a list or a single id)."""
    excluded_sectors: frozenset[str] = frozenset()
    """Sectors of organisation it may not hit."""
    injectable: bool = True
    """A trainer may inject it from the dashboard (elections are scheduled, not injected)."""
    panel_defaults: Mapping[str, Any] = field(default_factory=dict)
    """Field values the dashboard's panel starts from (where the schema has no default)."""
    reshapes_people: bool = False
    """Moves people between organisations (the model refreshes its masks after it)."""

    def applies_to(self, org_kind: str) -> bool:
        return sector_of(org_kind) not in self.excluded_sectors


def _reorganise(state: SystemState, spec: Any, c: ShockContext) -> list[Event]:
    return reorganise(state, spec, c.idx, c.rng, c.step, c.trust_new, c.injected)


def _budget_cut(state: SystemState, spec: Any, c: ShockContext) -> list[Event]:
    return budget_cut(state, spec, c.idx, c.step, c.injected)


def _demand_surge(state: SystemState, spec: Any, c: ShockContext) -> list[Event]:
    return demand_surge(state, spec, c.step, c.injected)


def _leadership_turnover(state: SystemState, spec: Any, c: ShockContext) -> list[Event]:
    return leadership_turnover(state, spec, c.idx, c.rng, c.step, c.trust_new, c.injected)


def _national_mandate(state: SystemState, spec: Any, c: ShockContext) -> list[Event]:
    issue = state.issue_ids.index(spec.issue)
    return national_mandate(state, spec, c.idx, issue, c.step, c.injected)


def _election(state: SystemState, spec: Any, c: ShockContext) -> list[Event]:
    return election(state, spec, c.rng, c.step, c.trust_new, c.injected)


SHOCK_KINDS: Mapping[str, ShockKind] = {k.name: k for k in (
    ShockKind("reorganisation", "Reorganisation",
              "Organisations merge, are abolished or restructure: ties cut, people leave.",
              _reorganise, org_fields=("organisations", "into"),
              panel_defaults={"mode": "restructure"}, reshapes_people=True),
    ShockKind("budget_cut", "Budget cut",
              "A share of the budget goes; statutory duties come first.",
              _budget_cut, org_fields=("organisations",)),
    ShockKind("demand_surge", "Demand surge", "Demand rises for some weeks (winter).",
              _demand_surge),
    ShockKind("leadership_turnover", "Leadership turnover",
              "A chief executive leaves; the successor has no relationships yet.",
              _leadership_turnover, org_fields=("organisation",)),
    ShockKind("national_mandate", "National mandate",
              "A national mandate puts one issue at the top of statutory bodies' agendas.",
              _national_mandate, org_fields=("organisations",),
              excluded_sectors=frozenset({"voluntary"})),
    ShockKind("election", "Election", "Local elections replace a share of councillors.",
              _election, injectable=False),
)}
"""Every shock kind, by name (the order is the order menus show)."""


def apply_shock(state: SystemState, shock: Any, ctx: ShockContext) -> list[Event]:
    """Apply a validated shock by its kind's rule."""
    return SHOCK_KINDS[shock.kind].apply(state, shock, ctx)


def merge_partners(kinds: Mapping[str, str], absorbed: Sequence[str]) -> list[str]:
    """The organisations (ids, in ``kinds``' order) that may absorb every one of ``absorbed``
    in a merge, by :func:`can_merge`; ``kinds`` maps id to kind (the living organisations)."""
    chosen = [a for a in absorbed if a in kinds]
    return [i for i, k in kinds.items()
            if i not in chosen and all(can_merge(kinds[a], k) for a in chosen)]


def mergeable(kinds: Mapping[str, str]) -> list[str]:
    """The organisations that some other organisation of ``kinds`` could absorb."""
    return [i for i in kinds if merge_partners(kinds, [i])]


def merge_rule_text() -> str:
    """The merge rule in words (read from :data:`ABSORBS`, never restated)."""
    def word(sector: str) -> str:
        return SECTOR_WORDS.get(sector, sector.replace("_", " "))

    def names(sectors: frozenset[str]) -> str:
        words = [word(s) for s in sorted(sectors)]
        return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]

    def article(w: str) -> str:  # "an NHS body": initials read by their letter names
        return "an" if w[0] in "AEIOUaeiou" or (w.isupper() and w[0] in "FHLMNRSX") else "a"

    parts = [f"{article(word(sector))} {word(sector)} body "
             f"absorbs {names(takes)} bodies" for sector, takes in ABSORBS.items()]
    return ("A merge keeps one organisation (`into`) and folds the others into it: "
            + "; ".join(parts) + "; any other kind absorbs only its own kind.")


def shock_target_problems(shock: Any, kinds: Mapping[str, str]) -> list[tuple[str, str]]:
    """(field, problem) for organisations this shock may not hit, or merge it may not make.

    The one check of the registry's rules, wherever a shock comes from (a scenario file, an
    experiment, an injection from a page): ``kinds`` maps organisation id to its kind.
    Unknown ids are left to the reference check.
    """
    kind = SHOCK_KINDS[shock.kind]
    out: list[tuple[str, str]] = []
    for fname in kind.org_fields:
        value = getattr(shock, fname, None)
        ids = value if isinstance(value, list) else [value] if value is not None else []
        for j, oid in enumerate(ids):
            if oid in kinds and not kind.applies_to(kinds[oid]):
                where = f"{fname}[{j}]" if isinstance(value, list) else fname
                out.append((where, f"`{oid}` is a {kinds[oid]}; a {kind.label.lower()} "
                            f"does not apply to the {sector_of(kinds[oid])} sector"))
    mode = getattr(shock, "mode", None)
    into: str | None = getattr(shock, "into", None)
    if mode == "merge" and into is None:
        can = merge_partners(kinds, shock.organisations)
        out.append(("into", "a merge needs `into`, the organisation kept" + (
            "; allowed here: " + ", ".join(can) if can else
            "; no organisation here can absorb " + ", ".join(shock.organisations)
            + ". " + merge_rule_text().rstrip("."))))
    elif mode == "restructure" and into is not None:
        out.append(("into", "a restructure keeps every organisation; `into` is only for a "
                    "merge or an abolition: leave it out"))
    if mode == "merge" and into is not None and into in kinds:
        for j, oid in enumerate(shock.organisations):
            if oid in kinds and oid != into and not can_merge(kinds[oid], kinds[into]):
                out.append((f"organisations[{j}]",
                            f"`{oid}` (a {kinds[oid]}) cannot be merged into `{into}` (a "
                            f"{kinds[into]}); a {sector_of(kinds[into])} body absorbs only: "
                            + ", ".join(sorted(ABSORBS.get(sector_of(kinds[into]),
                                                           {sector_of(kinds[into])})))))
    return out
