"""The outcome measures (the names are part of the contract).

Service outcomes (user_outcome, avoidable_admissions, delayed_discharges) come from the
patient flows in :mod:`diplomacy_sim.domain.services`; the others from the state of the
partnership. No measure is held at a bound by a clip.
"""

from __future__ import annotations

import functools

import numpy as np

from diplomacy_sim.domain import services as sv
from diplomacy_sim.domain.numerics import add_reduce, mean, nonzero
from diplomacy_sim.domain.people import agenda_distance
from diplomacy_sim.domain.state import Channel, F, SystemState

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

OUTCOME_TERMS: dict[str, tuple[str, str]] = {
    "integration": ("Integration", "share of joint work delivering, 0-1"),
    "trust": ("Trust", "mean trust across organisations, 0-1"),
    "pluralism": ("Pluralism", "diversity of agendas at the table, 0-1 (0.9 at the start)"),
    "engagement": ("Engagement", "share of organisations at the table, 0-1"),
    "user_outcome": ("User outcome", "share of need met, 0-1"),
    "avoidable_admissions": ("Avoidable admissions", "people per week"),
    "delayed_discharges": ("Delayed discharges", "people waiting"),
    "strain": ("Strain", "mean strain of leaders, 0-1"),
    "avoidance": ("Avoidance", "share of meetings unproductive, 0-1"),
}
"""Each outcome's name and unit in words (the CLI's summary table; docs/model.md §7.7)."""

ACTIVE = sv.ACTIVE
PLURALISM_AT_START = 0.9
"""Where the starting diversity sits on the pluralism scale (a unit of measurement)."""


def integration(state: SystemState) -> float:
    """Joint work in delivery or live, weighted by progress, over all the joint work in view."""
    ini = state.initiatives
    on = ACTIVE[ini.stage]
    return float(add_reduce(ini.weight * ini.progress * on) / add_reduce(ini.weight))


def cross_trust(state: SystemState, measured: np.ndarray | None = None) -> float:
    """Mean trust on the ties across organisations (colleagues' ties excluded).

    ``measured``: the positions of those ties, when the caller keeps them.
    """
    t = state.ties
    if measured is None:
        org = state.people.org
        measured = nonzero((org[t.src] != org[t.dst]) & (t.channel != Channel.WITHIN))
    return float(mean(t.trust[measured])) if measured.size else 0.0


@functools.lru_cache(maxsize=64)
def _pairs(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs (i < j) of n rows, computed once per n (read-only)."""
    i, j = np.triu_indices(n, 1)
    i.flags.writeable = False
    j.flags.writeable = False
    return i, j


def mean_pairwise_distance(agendas: F) -> float:
    if agendas.shape[0] < 2:
        return 0.0
    i, j = _pairs(agendas.shape[0])
    return float(mean(agenda_distance(agendas[i], agendas[j])))


def pluralism(diversity: float, initial_diversity: float) -> float:
    """Diversity of the table's agendas relative to the start, on a saturating 0..1 scale.

    With r = diversity / initial, p = tanh(r atanh(PLURALISM_AT_START)): the starting
    diversity reads PLURALISM_AT_START, one shared view reads 0, and views spreading further
    apart approach 1 without ever being held there (the scale's definition, not a rule).
    """
    if initial_diversity <= 0:
        return 0.0
    return float(np.tanh(diversity / initial_diversity * np.arctanh(PLURALISM_AT_START)))


def measure(
    state: SystemState,
    table_agendas: F,
    initial_diversity: float,
    leader_mask: np.ndarray,
    meetings: int,
    unproductive: int,
    measured: np.ndarray | None = None,
    issues: sv.ServiceIssues | None = None,
) -> dict[str, float]:
    """The outcome row for this week (``measured`` as for :func:`cross_trust`, ``issues``
    for :func:`~diplomacy_sim.domain.services.user_outcome`)."""
    alive = state.orgs.alive
    diversity = mean_pairwise_distance(table_agendas[alive])
    return {
        "integration": integration(state),
        "trust": cross_trust(state, measured),
        "pluralism": pluralism(diversity, initial_diversity),
        "engagement": float(add_reduce(state.orgs.engaged & alive)
                            / max(int(add_reduce(alive)), 1)),
        "user_outcome": sv.user_outcome(state, issues),
        "avoidable_admissions": float(state.services.admissions),
        "delayed_discharges": float(state.services.waiting),
        "strain": float(mean(state.people.strain[leader_mask])) if leader_mask.any() else 0.0,
        "avoidance": unproductive / meetings if meetings else 0.0,
    }
