"""Services for people and the outcome measures (the names are part of the contract)."""

from __future__ import annotations

import numpy as np

from diplomacy_sim.domain.people import agenda_distance
from diplomacy_sim.domain.state import Channel, F, Stage, SystemState, stage_mask

OUTCOMES: tuple[str, ...] = (
    "integration",
    "trust",
    "pluralism",
    "engagement",
    "user_outcome",
    "avoidable_admissions",
    "delayed_discharges",
    "strain",
    "avoidance",
)
"""Timeseries columns and summary keys, in this order."""

UNIT_OUTCOMES: tuple[str, ...] = tuple(o for o in OUTCOMES if o not in (
    "avoidable_admissions", "delayed_discharges"))
"""Outcomes on a 0..1 scale."""

ACTIVE = stage_mask(Stage.DELIVERING, Stage.LIVE)
"""Stages whose progress counts as joint work under way."""


def coverage(state: SystemState) -> F:
    """Per issue: share of unmet need the joint work addresses (0..1)."""
    ini = state.initiatives
    on = ACTIVE[ini.stage]
    contrib = (ini.reach * ini.progress * on)[:, None] * ini.advances
    return np.clip(contrib.sum(axis=0), 0.0, 1.0)


def service_capacity(state: SystemState) -> F:
    """Per issue: share of the original resources for it that remain.

    Each organisation's resources for an issue are its budget times its agenda weight on it,
    so a small charity's loss counts for less than a large council's.
    """
    o = state.orgs
    alive = o.alive.astype(float)
    w = o.agenda * (alive * o.budget0)[:, None]
    ratio = np.clip(o.budget / o.budget0, 0.0, 1.5)
    num = (w * ratio[:, None]).sum(axis=0)
    den = np.maximum(w.sum(axis=0), 1e-12)
    return num / den


def met_target(state: SystemState, base_supply: float, joint_supply: float) -> F:
    supply = base_supply * service_capacity(state) + joint_supply * coverage(state)
    return np.clip(supply / state.services.demand_multiplier, 0.0, 1.0)


def update_met(state: SystemState, base_supply: float, joint_supply: float, lag: float) -> None:
    """Services change slowly: need met follows its target with the outcome lag."""
    target = met_target(state, base_supply, joint_supply)
    state.services.met = state.services.met + (target - state.services.met) / lag


def _service_mean(state: SystemState, service: str) -> float:
    sel = [i for i, s in enumerate(state.issue_service) if s == service]
    if not sel:
        return user_outcome(state)
    w = state.issue_weight[sel]
    return float((state.services.met[sel] * w).sum() / max(w.sum(), 1e-12))


def user_outcome(state: SystemState) -> float:
    w = state.issue_weight
    return float((state.services.met * w).sum() / max(w.sum(), 1e-12))


def integration(state: SystemState) -> float:
    """Live joint work weighted by progress, over all the joint work the place has in view."""
    ini = state.initiatives
    on = ACTIVE[ini.stage]
    return float((ini.weight * ini.progress * on).sum() / ini.weight.sum())


def cross_trust(state: SystemState) -> float:
    t = state.ties
    org = state.people.org
    cross = (org[t.src] != org[t.dst]) & (t.channel != Channel.WITHIN)
    return float(t.trust[cross].mean()) if cross.any() else 0.0


def mean_pairwise_distance(agendas: F) -> float:
    if agendas.shape[0] < 2:
        return 0.0
    i, j = np.triu_indices(agendas.shape[0], 1)
    return float(agenda_distance(agendas[i], agendas[j]).mean())


def measure(
    state: SystemState,
    table_agendas: F,
    initial_diversity: float,
    leader_mask: np.ndarray,
    meetings: int,
    unproductive: int,
    weekly_demand: float,
    admission_rate: float,
    discharge_rate: float,
) -> dict[str, float]:
    """The outcome row for this week."""
    alive = state.orgs.alive
    diversity = mean_pairwise_distance(table_agendas[alive])
    demand = weekly_demand * state.services.demand_multiplier
    return {
        "integration": integration(state),
        "trust": cross_trust(state),
        "pluralism": float(min(diversity / initial_diversity, 1.0)) if initial_diversity > 0 else 0.0,
        "engagement": float((state.orgs.engaged & alive).sum() / max(int(alive.sum()), 1)),
        "user_outcome": user_outcome(state),
        "avoidable_admissions": demand * admission_rate * (1.0 - _service_mean(state, "admissions")),
        "delayed_discharges": demand * discharge_rate * (1.0 - _service_mean(state, "discharge")),
        "strain": float(state.people.strain[leader_mask].mean()) if leader_mask.any() else 0.0,
        "avoidance": unproductive / meetings if meetings else 0.0,
    }
