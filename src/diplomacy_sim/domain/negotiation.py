"""Negotiating initiatives: valuing a deal, time-dependent concession, ceding, mandates.

A deal's value to a party is judged from the agenda it brings to the table (its own vantage
point, or under stewardship mostly the whole-system agenda), its cost share, its trust in
the other parties and its belief that change is possible. Parties accept once a proposal
meets their aspiration, which falls over the rounds as u(t) = u_max (1 - (t/T)^(1/e)).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from diplomacy_sim.domain.doctrines import Doctrine
from diplomacy_sim.domain.people import agenda_distance
from diplomacy_sim.domain.state import F, I


@dataclass(frozen=True)
class TableView:
    """What each organisation brings to the table this week (organisation-level arrays)."""

    table_agenda: F  # (m, K) agenda each party argues from
    box_agenda: F  # (m, K) its official agenda under regulator pressure
    belief: F  # (m,) its leaders' belief that change is possible
    trust: F  # (m, m) mean trust of a's people in b's people
    discretionary: F  # (m,) budget free for joint work
    skill: F  # (m,) diplomatic skill of its table members
    present: np.ndarray  # (m,) bool: alive, engaged, at the table


def benefit(agenda: F, advances: F) -> F:
    """How far an initiative serves each agenda row, scaled so the top priority counts 1."""
    top = np.maximum(agenda.max(axis=1), 1e-12)
    return (agenda @ advances) / top


def cost_units(cost: float, parties: I, discretionary: F) -> F:
    """Value lost per unit of cost share, for each party (bigger for poorer parties)."""
    d = discretionary[parties]
    mean = max(float(d.mean()), 1e-9)
    return cost * mean / np.maximum(d, 0.05 * mean)


def values(
    view: TableView,
    parties: I,
    advances: F,
    cost: float,
    shares: F,
    cost_sensitivity: float,
    trust_weight: float,
) -> F:
    """Each party's value of the deal at the given cost shares (one entry per party)."""
    b = benefit(view.table_agenda[parties], advances)
    unit = cost_sensitivity * cost_units(cost, parties, view.discretionary)
    if parties.size > 1:
        t = view.trust[np.ix_(parties, parties)]
        others = (t.sum(axis=1) - np.diag(t)) / (parties.size - 1)
    else:
        others = np.full(1, 0.5)  # no one else to trust or distrust
    confidence = np.clip(1.0 + trust_weight * (others - 0.5), 0.0, None)
    return view.belief[parties] * b * confidence - unit * shares


def aspiration(u_max: F, round_: int, deadline: int, exponent: float) -> F:
    """Time-dependent concession: boulware (e < 1) holds out, conceder (e > 1) gives early."""
    t = min(round_ / max(deadline, 1), 1.0)
    return np.maximum(u_max, 0.0) * (1.0 - t ** (1.0 / exponent))


def purpose_gap(view: TableView, parties: I) -> float:
    """Widest disagreement on purpose among the parties' table agendas."""
    a = view.table_agenda[parties]
    if parties.size < 2:
        return 0.0
    i, j = np.triu_indices(parties.size, 1)
    return float(agenda_distance(a[i], a[j]).max())


@dataclass
class RoundResult:
    agreed: bool
    moved: float  # cost share moved between parties this round
    agree_to_disagree: bool
    rejecting: I  # parties (org indices) that rejected


def negotiation_round(
    view: TableView,
    parties: I,
    advances: F,
    cost: float,
    shares: F,
    round_: int,
    doctrine: Doctrine,
    lead: int,
    deadline: int,
    exponent: float,
    ceding_rate: float,
    purpose_consensus: float,
    cost_sensitivity: float,
    trust_weight: float,
    compliance_draws: F,
    compliance: float,
    authority: F,
) -> tuple[RoundResult, F]:
    """One round of stacked alternating offers among the parties to an initiative.

    Returns the result and the new cost shares (over ``parties``, summing to 1).
    """
    shares = shares.copy()
    u = values(view, parties, advances, cost, shares, cost_sensitivity, trust_weight)
    if doctrine.mandates:
        # The lead sets the plan; others comply by authority, not by agreement.
        lead_pos = int(np.flatnonzero(parties == lead)[0]) if lead in parties else 0
        gap = np.clip(0.5 + authority[lead] - authority[parties], 0.0, 1.0)
        complies = compliance_draws < compliance * gap
        complies[lead_pos] = u[lead_pos] >= 0.0
        ok = bool(complies.all())
        return RoundResult(ok, 0.0, False, parties[~complies]), shares

    zero = values(
        view, parties, advances, cost, np.zeros_like(shares), cost_sensitivity, trust_weight
    )
    asp = aspiration(zero, round_, deadline, exponent)
    accept = (u >= asp - 1e-12) & (u >= 0.0)
    gap = purpose_gap(view, parties)
    consensus = gap <= purpose_consensus
    if accept.all() and (consensus or doctrine.agrees_to_disagree):
        return RoundResult(True, 0.0, not consensus, parties[:0]), shares

    # Offers: rejecting parties need their cost share reduced; someone must absorb it.
    unit = cost_sensitivity * cost_units(cost, parties, view.discretionary)
    deficit = np.where(~accept, np.maximum(asp - u, 0.0) / unit, 0.0)
    deficit = np.minimum(deficit, shares)
    surplus = np.where(accept, np.maximum(u - asp, 0.0) / unit, 0.0)
    proposer = round_ % parties.size
    absorb = np.zeros_like(shares)
    absorb[proposer] = surplus[proposer]
    if doctrine.cedes:
        skill = view.skill[parties]
        absorb = np.maximum(absorb, ceding_rate * skill * surplus)
    moved = float(min(deficit.sum(), absorb.sum()))
    if moved > 0:
        shares -= deficit * (moved / deficit.sum())
        shares += absorb * (moved / absorb.sum())
        shares = np.clip(shares, 0.0, None)
        shares /= shares.sum()
    return RoundResult(False, moved, False, parties[~accept]), shares
