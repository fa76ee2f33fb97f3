"""Shocks: reorganisation, budget cuts, demand surges, leadership turnover, mandates, elections.

Each function changes the state in place and returns the events it caused, in plain words.

The registry of shock kinds (:data:`SHOCK_KINDS`: names, words, which organisations a kind
may hit, what may merge into what, and the name of each kind's rule here) is in
:mod:`diplomacy_sim.domain.shock_kinds`, which needs no numpy, so validating a scenario does
not import the rules; it is re-exported here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from diplomacy_sim.domain.events import Event, counted
from diplomacy_sim.domain.network import board_ties_for
from diplomacy_sim.domain.numerics import nonzero
from diplomacy_sim.domain.shock_kinds import ABSORBS as ABSORBS  # the registry, re-exported
from diplomacy_sim.domain.shock_kinds import SECTOR_WORDS as SECTOR_WORDS
from diplomacy_sim.domain.shock_kinds import SECTORS as SECTORS
from diplomacy_sim.domain.shock_kinds import SHOCK_KINDS as SHOCK_KINDS
from diplomacy_sim.domain.shock_kinds import ShockKind as ShockKind
from diplomacy_sim.domain.shock_kinds import can_merge as can_merge
from diplomacy_sim.domain.shock_kinds import gone_target_problems as gone_target_problems
from diplomacy_sim.domain.shock_kinds import merge_partners as merge_partners
from diplomacy_sim.domain.shock_kinds import merge_rule_text as merge_rule_text
from diplomacy_sim.domain.shock_kinds import mergeable as mergeable
from diplomacy_sim.domain.shock_kinds import removed_by as removed_by
from diplomacy_sim.domain.shock_kinds import sector_of as sector_of
from diplomacy_sim.domain.shock_kinds import sequence_problems as sequence_problems
from diplomacy_sim.domain.shock_kinds import shock_field as shock_field
from diplomacy_sim.domain.shock_kinds import shock_target_problems as shock_target_problems
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
    seated = seated_org = None  # who sits at a live organisation's table, found once
    for i in slots:
        if TABLE_MASK_BY_ROLE[p.role[i]] and p.active[i]:
            if seated is None:
                seated = nonzero(TABLE_MASK_BY_ROLE[p.role] & state.orgs.alive[p.org])
                seated_org = p.org[seated]
            seats = board_ties_for(rng, int(i), p.org, p.role, state.orgs.alive, seated,
                                   seated_org)
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
    into = idx[spec.into] if spec.into is not None else None
    hit = list(dict.fromkeys(idx[x] for x in spec.organisations if o.alive[idx[x]]))
    if spec.mode == "abolish":  # the body taking over is not abolished itself
        hit = [h for h in hit if h != into]
    if (into is not None and not o.alive[into]) or not [h for h in hit if h != into]:
        # nothing living to reorganise: every body it names, or the one that would receive
        # them, is already gone (the loader and the room refuse such a shock up front)
        return []
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
            f"attention is diverted for {counted(spec.distraction_weeks, 'week')}."
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
            f"attention is diverted for {counted(spec.distraction_weeks, 'week')}."
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
        f"Demand rose to {spec.multiplier:.0%} of normal for {counted(spec.duration, 'week')}.",
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
        f"the last one had been in post {counted(weeks, 'week')}.",
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


# --------------------------------------------------------------------------- dispatch
@dataclass(frozen=True)
class ShockContext:
    """What a shock rule needs besides the state and the shock: passed by the model."""

    idx: dict[str, int]
    rng: np.random.Generator
    step: int
    trust_new: float
    injected: bool


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


def apply_shock(state: SystemState, shock: Any, ctx: ShockContext) -> list[Event]:
    """Apply a validated shock by its kind's rule."""
    return SHOCK_KINDS[shock.kind].apply(state, shock, ctx)
