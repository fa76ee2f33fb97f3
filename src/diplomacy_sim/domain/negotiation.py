"""Negotiating initiatives: a protocol of offers, not a gate.

Each party values a proposal by its own utility (Faratin, Sierra & Jennings' time-dependent
negotiators, as in NegMAS): the benefit to the agenda it argues from, its belief that the
deal will happen and its trust in the other parties, less its cost share against its
discretionary budget and, under a consensus norm, the gap between its reasons and the
others'. It accepts once the offer meets a reservation value that falls over the rounds as
u(t) = u_max (1 - t^(1/e)) with its own concession exponent e (boulware e < 1 holds out,
conceder e > 1 gives early). Offers alternate: the party whose turn it is moves cost share
from the parties that reject onto itself, as far as its own surplus allows; parties that
cede give part of their surplus too. Under a lead (command), the lead makes every offer and
the others comply with a probability that rises with the lead's authority above them and
with their own value of the plan, and falls with their priorities ignored in the past.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from diplomacy_sim.domain.numerics import mean as _mean
from diplomacy_sim.domain.numerics import nonzero
from diplomacy_sim.domain.people import agenda_distance
from diplomacy_sim.domain.state import F, I


@dataclass(frozen=True)
class TableView:
    """What each organisation brings to the table this week (organisation-level arrays)."""

    table_agenda: F  # (m, K) agenda each party argues from (its decision on vantage point)
    box_agenda: F  # (m, K) its official agenda under regulator pressure
    belief: F  # (m,) its leaders' belief that the deal will happen
    trust: F  # (m, m) mean trust of a's people in b's people
    discretionary: F  # (m,) budget free for joint work
    skill: F  # (m,) diplomatic skill of its table members
    present: np.ndarray  # (m,) bool: alive and attending the board
    authority: F  # (m,) authority at the table, a mandate included
    grievance: F  # (m,) its priorities ignored, in units of the cold-after period
    concession: F  # (m,) its concession exponent e
    cede: F  # (m,) its willingness to cede surplus (0..1, its decision)
    agree_to_disagree: F  # (m,) share of the consensus norm it sets aside (its decision)


@dataclass(frozen=True)
class Terms:
    """The negotiation parameters a round needs (from the schema)."""

    deadline: int
    ceding_rate: float
    consensus_norm: float
    cost_sensitivity: float
    trust_weight: float
    trust_reference: float
    poverty_floor: float
    compliance_authority: float
    compliance_utility: float
    compliance_grievance: float


def benefit(agenda: F, advances: F, top: F | None = None) -> F:
    """How far an initiative serves each agenda row, scaled so the top priority counts 1.

    ``top``: :func:`top_priority` of the rows, when the caller has it.
    """
    if top is None:
        top = top_priority(agenda)
    return (agenda @ advances) / top


def top_priority(agenda: F) -> F:
    """Each agenda row's largest weight (at least 1e-12): what :func:`benefit` scales by."""
    return np.maximum(np.maximum.reduce(agenda, axis=1), 1e-12)  # agenda.max(axis=1)


def cost_units(cost: float, parties: I, discretionary: F, poverty_floor: float) -> F:
    """Value lost per unit of cost share, for each party (bigger for poorer parties)."""
    d = discretionary[parties]
    mean = max(float(_mean(d)), 1e-9)
    return cost * mean / np.maximum(d, poverty_floor * mean)


def reasons_gap(table_agenda: F, parties: I) -> F:
    """How far each party's reasons are from the other parties' (agenda distance to their mean)."""
    a = table_agenda[parties]
    if parties.size < 2:
        return np.zeros(parties.size)
    others = (a.sum(axis=0, keepdims=True) - a) / (parties.size - 1)
    return agenda_distance(a, others)


def trust_confidence(view: TableView, parties: I, weight: float, reference: float) -> F:
    """A deal's value is worth more with partners one trusts: 1 + w (trust in them - ref)."""
    if parties.size > 1:
        t = view.trust[np.ix_(parties, parties)]
        others = (t.sum(axis=1) - np.diag(t)) / (parties.size - 1)
    else:
        others = np.full(1, reference)  # no one else to trust or distrust
    return np.maximum(1.0 + weight * (others - reference), 0.0)


def values(view: TableView, parties: I, advances: F, cost: float, shares: F, terms: Terms) -> F:
    """Each party's utility of the deal at the given cost shares (one entry per party)."""
    b = benefit(view.table_agenda[parties], advances)
    unit = terms.cost_sensitivity * cost_units(cost, parties, view.discretionary,
                                               terms.poverty_floor)
    conf = trust_confidence(view, parties, terms.trust_weight, terms.trust_reference)
    norm = terms.consensus_norm * (1.0 - view.agree_to_disagree[parties]) \
        * reasons_gap(view.table_agenda, parties)
    return view.belief[parties] * b * conf - unit * shares - norm


def reservation(u_max: F, round_: int, deadline: int, exponent: F) -> F:
    """Time-dependent concession: u(t) = u_max (1 - t^(1/e)), t = round / deadline."""
    t = min(round_ / max(deadline, 1), 1.0)
    return np.maximum(u_max, 0.0) * (1.0 - t ** (1.0 / exponent))


def compliance_probability(
    lead_authority: float, authority: F, utility: F, grievance: F, terms: Terms
) -> F:
    """Chance a party complies with the lead's plan (logistic in authority gap, value, grievance)."""
    z = (terms.compliance_authority * (lead_authority - authority)
         + terms.compliance_utility * utility - terms.compliance_grievance * grievance)
    return 1.0 / (1.0 + np.exp(-z))


def counter_offer(
    shares: F, accept: np.ndarray, u: F, reserve: F, unit: F, proposer: int, cede: F,
    skill: F, ceding_rate: float,
) -> tuple[F, float]:
    """The proposer's next offer: cost share moves from rejecting parties to those with surplus.

    The proposer gives up to all its own surplus; other parties cede ``ceding_rate x skill x
    cede`` of theirs (ceding is a concession move). Returns new shares and the share moved.
    """
    deficit = np.where(~accept, np.maximum(reserve - u, 0.0) / unit, 0.0)
    deficit = np.minimum(deficit, shares)
    surplus = np.where(accept, np.maximum(u - reserve, 0.0) / unit, 0.0)
    absorb = ceding_rate * skill * cede * surplus
    absorb[proposer] = surplus[proposer]
    moved = float(min(deficit.sum(), absorb.sum()))
    out = shares.copy()
    if moved > 0:
        out -= deficit * (moved / deficit.sum())
        out += absorb * (moved / absorb.sum())
        out = np.maximum(out, 0.0)
        out /= out.sum()
    return out, moved


@dataclass
class RoundResult:
    agreed: bool
    moved: float  # cost share moved between parties this round
    agree_to_disagree: bool  # agreed although the parties' reasons differ
    rejecting: I  # parties (org indices) that rejected
    utility: F  # each party's utility of the offer on the table


def negotiation_round(
    view: TableView,
    parties: I,
    advances: F,
    cost: float,
    shares: F,
    round_: int,
    led: bool,
    lead: int,
    terms: Terms,
    draws: F,
) -> tuple[RoundResult, F]:
    """One round of alternating offers among the parties to an initiative.

    ``led``: the lead makes every offer and the others comply or not (``draws``, one per
    party, against :func:`compliance_probability`). Returns the result and the new cost
    shares (over ``parties``, summing to 1).
    """
    u = values(view, parties, advances, cost, shares, terms)
    u_max = values(view, parties, advances, cost, np.zeros_like(shares), terms)
    reserve = reservation(u_max, round_, terms.deadline, view.concession[parties])
    accept = (u >= reserve - 1e-12) & (u >= 0.0)
    if led and lead in parties:
        lead_pos = int(nonzero(parties == lead)[0])
        p = compliance_probability(float(view.authority[lead]), view.authority[parties], u,
                                   view.grievance[parties], terms)
        accept = draws < p
        accept[lead_pos] = u[lead_pos] >= 0.0  # its own plan: worth it at all
        proposer = lead_pos
    else:
        proposer = round_ % parties.size
    gap = reasons_gap(view.table_agenda, parties)
    differ = bool(gap.max() > 0.0) if gap.size else False
    if accept.all():
        atd = differ and bool((view.agree_to_disagree[parties] > 0).any())
        return RoundResult(True, 0.0, atd, parties[:0], u), shares.copy()
    unit = terms.cost_sensitivity * cost_units(cost, parties, view.discretionary,
                                               terms.poverty_floor)
    new, moved = counter_offer(shares, accept, u, reserve, unit, proposer, view.cede[parties],
                               view.skill[parties], terms.ceding_rate)
    return RoundResult(False, moved, False, parties[~accept], u), new


def mandated_authority(authority: F, mandate: np.ndarray, boost: float) -> F:
    """Authority at the table: a mandate adds ``boost`` of the authority an organisation lacks."""
    return authority + boost * (1.0 - authority) * mandate


def proposal_drive(base: float, joint_share: float, belief_base: float, belief: float,
                   hubris: float) -> float:
    """Chance a free workstream takes up a proposal this week.

    Drive grows with the share of capacity organisations give joint work and with their
    leaders' belief that change is possible (and with an appetite for experiments).
    """
    return min(base * joint_share * (belief_base + belief) * (1.0 + hubris), 1.0)


def cede_share(shares: F, pos: int, share: float) -> tuple[F, float]:
    """Party ``pos`` takes on ``share`` more of the cost from the others, in proportion.

    Returns the new shares (summing to 1) and the share actually taken (at most what the
    others hold). This is the concession move of the protocol, made by a participant.
    """
    out = shares.copy()
    others = np.arange(out.size) != pos
    held = float(out[others].sum())
    take = min(share, held)
    if take > 0:
        out[others] *= 1.0 - take / held
        out[pos] += take
    return out, take
