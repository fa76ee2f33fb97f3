"""Services for people: a small stock-and-flow of patients through hospital and care.

Each week a population's need D(t) = D0 x surge x (1 + a cos(2 pi (t - peak) / 52)) arrives
(winter surges on top of shocks). For each issue, care capacity per unit of need is
``base x (budget and staff left) + joint x (joint work reaching the flows)``; joint work
reaches the flows after a lag. The share of need met is a saturating function of capacity
per unit need, 1 - exp(-c / (demand ratio x saturation)), never held at a bound by a clip.

Two flows come from it. Avoidable admissions: people whose community need is not met
(``admissions`` issue) are admitted to hospital. Delayed discharges: a stock of people fit
to leave hospital; each week ``discharge_rate x D`` join it, and the share the discharge
services can take leaves it, W' = (W + inflow)(1 - share met). The user outcome is the
issue-weighted share of need met, with the discharge issue read from the queue itself
(the share of people ready to leave who are not left waiting), so it responds to joint work
and directly to capacity, cuts, staff strain and demand.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from diplomacy_sim.domain.numerics import add_reduce
from diplomacy_sim.domain.state import ROLE_INDEX, F, Stage, SystemState, stage_mask

if TYPE_CHECKING:
    from diplomacy_sim.scenario.schema import ServiceParams

ACTIVE = stage_mask(Stage.DELIVERING, Stage.LIVE)
"""Stages whose progress counts as joint work under way."""
DOERS = np.zeros(len(ROLE_INDEX), bool)
DOERS[[ROLE_INDEX["manager"], ROLE_INDEX["frontline"]]] = True
"""Roles that staff the services (the doers)."""


def seasonal_demand(week: int, amplitude: float, peak: int) -> float:
    """Demand relative to the yearly mean: highest at the winter peak week."""
    return 1.0 + amplitude * math.cos(2.0 * math.pi * (week - peak) / 52.0)


def coverage(state: SystemState) -> F:
    """Per issue: the joint work under way on it (reach x progress x advance), summed."""
    ini = state.initiatives
    on = ACTIVE[ini.stage]
    return add_reduce((ini.reach * ini.progress * on)[:, None] * ini.advances, axis=0)


def lagged_joint(joint: F, target: F, lag: float) -> F:
    """Joint work reaches how patients flow slowly: first-order lag of ``lag`` weeks."""
    return joint + (target - joint) / lag


def staff(state: SystemState, strain_absence: float, doer: np.ndarray | None = None) -> F:
    """Staff each organisation has at work: active doers, less absence with strain (m,).

    ``doer`` is ``DOERS[role] & active``, when the caller already has it.
    """
    p, m = state.people, state.orgs.m
    if doer is None:
        doer = DOERS[p.role] & p.active
    present = np.bincount(p.org, weights=doer * (1.0 - strain_absence * p.strain), minlength=m)
    return present


class CapacityBasis:
    """The parts of :func:`capacity` that only a shock changes (alive bodies, budgets,
    agendas, staff at the start), computed once: :func:`capacity` with a basis is the same
    arithmetic on the same arrays."""

    __slots__ = ("alive", "den", "issues", "money", "staff_floor", "staff_known", "w")

    def __init__(self, state: SystemState) -> None:
        o, sv = state.orgs, state.services
        self.issues = ServiceIssues(state)
        self.alive = o.alive.astype(float)
        self.w = o.agenda * (self.alive * o.budget0)[:, None]
        self.money = np.maximum(o.budget / o.budget0, 0.0)
        self.staff_known = sv.staff0 > 0
        self.staff_floor = np.maximum(sv.staff0, 1e-12)
        self.den = np.maximum((o.agenda * o.budget0[:, None]).sum(axis=0), 1e-12)


def capacity_basis(state: SystemState) -> CapacityBasis:
    return CapacityBasis(state)


def capacity(state: SystemState, staff_now: F, basis: CapacityBasis | None = None) -> F:
    """Per issue: share of the original resources for it that remain (budget and staff).

    Each organisation's resources for an issue are its budget times its agenda weight on it,
    so a small charity's loss counts for less than a large council's. Money and staff are
    both needed (a Leontief form): an organisation works at the lesser of its budget and
    its staff at work, each relative to the start, so staff moved in without money (or
    money without staff) add nothing.
    """
    b = CapacityBasis(state) if basis is None else basis
    people = np.where(b.staff_known, staff_now / b.staff_floor, 1.0)
    num = add_reduce(b.w * (np.minimum(b.money, people) * b.alive)[:, None], axis=0)
    return num / b.den


def share_met(supply: F, demand_ratio: float, saturation: float) -> F:
    """Share of need met: 1 - exp(-capacity / (demand ratio x saturation))."""
    return 1.0 - np.exp(-supply / (demand_ratio * saturation))


def discharge_queue(waiting: float, inflow: float, share: float) -> float:
    """People still waiting to leave hospital after this week's discharges."""
    return (waiting + inflow) * (1.0 - share)


def issue_index(state: SystemState, service: str) -> list[int]:
    return [i for i, s in enumerate(state.issue_service) if s == service]


def _weighted(state: SystemState, values: F, sel: list[int]) -> float:
    w = state.issue_weight[sel]
    return float((values[sel] * w).sum() / max(float(w.sum()), 1e-12))


class IssueWeights:
    """:func:`_weighted` over one set of issues, its weights and their sum computed once."""

    __slots__ = ("den", "sel", "w")

    def __init__(self, state: SystemState, sel: list[int]) -> None:
        self.sel = np.array(sel, dtype=np.intp)
        self.w = state.issue_weight[sel]
        self.den = max(float(self.w.sum()), 1e-12)

    def of(self, values: F) -> float:
        return float(add_reduce(values[self.sel] * self.w) / self.den)


class ServiceIssues:
    """The issues the two flows read (admissions, discharge; None if the place has none)
    and all issues, as :class:`IssueWeights`."""

    __slots__ = ("admissions", "discharge", "every")

    def __init__(self, state: SystemState) -> None:
        adm, dis = issue_index(state, "admissions"), issue_index(state, "discharge")
        self.admissions = IssueWeights(state, adm) if adm else None
        self.discharge = IssueWeights(state, dis) if dis else None
        self.every = IssueWeights(state, list(range(state.K)))


def update(state: SystemState, week: int, s: ServiceParams,
           basis: CapacityBasis | None = None, doer: np.ndarray | None = None) -> None:
    """Advance the services one week (``s`` is the scenario's ServiceParams; ``basis`` and
    ``doer`` as for :func:`capacity` and :func:`staff`, when the caller keeps them)."""
    sv = state.services
    sv.joint = lagged_joint(sv.joint, coverage(state), s.outcome_lag)
    ratio = sv.demand_multiplier * seasonal_demand(
        week, s.winter_amplitude, s.winter_peak)
    cap = capacity(state, staff(state, s.strain_absence, doer), basis)
    supply = s.base_supply * cap + s.joint_supply * sv.joint
    sv.met = share_met(supply, ratio, s.saturation)
    demand = s.weekly_demand * ratio
    issues = ServiceIssues(state) if basis is None else basis.issues
    every = issues.every.of(sv.met) if issues.admissions is None or issues.discharge is None \
        else 0.0  # (the user share, read when a flow has no issue of its own)
    f_adm = every if issues.admissions is None else issues.admissions.of(sv.met)
    f_dis = every if issues.discharge is None else issues.discharge.of(sv.met)
    sv.admissions = demand * s.admission_rate * (1.0 - f_adm)
    sv.inflow = demand * s.discharge_rate
    sv.waiting = discharge_queue(sv.waiting, sv.inflow, f_dis)


def start(state: SystemState, s: ServiceParams) -> None:
    """Services at the start: staff counted, the discharge queue at its steady state."""
    sv = state.services
    p = state.people
    sv.staff0 = np.bincount(p.org, weights=(DOERS[p.role] & p.active).astype(float),
                            minlength=state.orgs.m)
    sv.joint = np.zeros(state.K)
    update(state, 0, s)
    dis = issue_index(state, "discharge")
    f = _weighted(state, sv.met, dis) if dis else user_share(state)
    sv.waiting = sv.inflow * (1.0 - f) / max(f, 1e-9)


def user_share(state: SystemState) -> float:
    return _weighted(state, state.services.met, list(range(state.K)))


def user_outcome(state: SystemState, issues: ServiceIssues | None = None) -> float:
    """Issue-weighted share of need met; the discharge issue read from the queue.

    ``issues``: the place's :class:`ServiceIssues`, when the caller keeps them.
    """
    sv = state.services
    issues = ServiceIssues(state) if issues is None else issues
    met = sv.met
    if issues.discharge is not None and sv.inflow > 0:
        met = met.copy()
        met[issues.discharge.sel] = sv.inflow / (sv.inflow + sv.waiting)
    return issues.every.of(met)
