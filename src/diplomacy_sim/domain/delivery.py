"""Delivering agreed initiatives: effort, progress, upkeep of live work, graded reviews.

Back in their own organisations, people work on a deal as far as it serves what *they*
now value (their agendas, which the organisation's identity pulls back toward its box week
after week, plus the regulator's target), as far as they believe in it and see others
committed, and as far as attention, capacity and the share of discretionary capacity their
organisation gives to joint work allow. A review compares each party's effort with what it
promised at agreement: the degree of keeping runs from -1 (nothing done) through 0 (the
neutral share of the promise) to +1 (the promise kept in full), with no cliff.
"""

from __future__ import annotations

import numpy as np

from diplomacy_sim.domain.negotiation import benefit, top_priority
from diplomacy_sim.domain.numerics import add_reduce, clip, mean, nonzero
from diplomacy_sim.domain.state import F, I


def box_agenda(agenda: F, target: I, pressure: F, rows: I | None = None,
               targets: I | None = None) -> F:
    """An agenda as its regulator's target presses on it (rows sum to 1).

    ``rows`` and ``targets``: the organisations with a target and their targets
    (``nonzero(target >= 0)``, ``target[rows]``), when the caller keeps them.
    """
    out = agenda.copy()
    if rows is None or targets is None:
        rows = nonzero(target >= 0)
        targets = target[rows]
    if rows.size <= FEW_ROWS:  # one addition per cell, as the fancy-index addition makes
        for r, t in zip(rows.tolist(), targets.tolist(), strict=True):
            out[r, t] += pressure[r]
    else:
        out[rows, targets] += pressure[rows]
    return out / add_reduce(out, axis=1, keepdims=True)


FEW_ROWS = 8
"""Up to this many organisations under a target, :func:`box_agenda` adds their pressure one
cell at a time (faster than an indexed addition; the same single addition per cell)."""


def commitment(beliefs: F, strain: F) -> F:
    """A person's commitment to joint work: sqrt(change possible x will happen) x (1 - strain)."""
    return np.sqrt(beliefs[:, 1] * beliefs[:, 2]) * (1.0 - strain)


def spare_capacity(discretionary: F, budget0: F, statutory_share: F) -> F:
    """Discretionary budget left, as a share of what it was before any cut (0..1)."""
    before = np.maximum(budget0 * (1.0 - statutory_share), 1e-9)
    return clip(discretionary / before, 0.0, 1.0)


def experiment_fail_chance(hubris: float, risk_tolerance: float) -> float:
    """Chance a risky experiment fails at a review and its bosses will not tolerate it."""
    return hubris * (1.0 - risk_tolerance)


def attention(present: np.ndarray, distracted: np.ndarray, load: F, distracted_share: float) -> F:
    """Attention each organisation gives one piece of joint work (split over its load)."""
    return present * np.where(distracted, distracted_share, 1.0) / np.sqrt(np.maximum(load, 1))


def party_effort(
    value_agenda: F,
    advances: F,
    parties: I,
    commitment: F,
    attention: F,
    capacity: F,
    joint_share: F,
    value_floor: float,
    will_floor: float,
) -> F:
    """Effort each party puts in (0..1).

    ``value_agenda`` is what the organisation's people value now (not what was said at the
    table); ``joint_share`` the share of discretionary capacity it gives to joint work.
    """
    return party_efforts(value_agenda, advances[None, :], [parties], commitment, attention,
                         capacity, joint_share, value_floor, will_floor)[0]


def party_efforts(
    value_agenda: F,
    advances: F,
    parties: list[I],
    commitment: F,
    attention: F,
    capacity: F,
    joint_share: F,
    value_floor: float,
    will_floor: float,
    everyone: I | None = None,
) -> list[F]:
    """:func:`party_effort` of several initiatives (``advances`` a row each, ``parties``
    an index array each), in one pass over all their parties.

    effort = clip(clip(floor + benefit, 0, 1) x will x attention x capacity x joint share,
    0, 1), with benefit as :func:`~diplomacy_sim.domain.negotiation.benefit` (each
    initiative's value to a party's agenda, its top priority counting 1) and will =
    will_floor + (1 - will_floor) x commitment. ``everyone``: all the parties in order
    (``np.concatenate(parties)``), when the caller keeps them.
    """
    if everyone is None:
        everyone = np.concatenate(parties) if len(parties) != 1 else parties[0]
    top = top_priority(value_agenda)  # each row's, once for all the initiatives
    served = [benefit(value_agenda[ps], adv, top[ps])
              for ps, adv in zip(parties, advances, strict=True)]
    b = np.concatenate(served) if len(served) != 1 else served[0]
    own_value = clip(value_floor + b, 0.0, 1.0)
    will = will_floor + (1.0 - will_floor) * commitment[everyone]
    e = own_value * will * attention[everyone] * capacity[everyone] * joint_share[everyone]
    e = clip(e, 0.0, 1.0)
    out, at = [], 0
    for ps in parties:
        out.append(e[at:at + ps.size])
        at += ps.size
    return out


def progress_increment(
    effort: F, shares: F, rate: float, frontline_trust: float, frontline_boost: float,
    size: float = 1.0,
) -> float:
    """Progress this week: cost-share-weighted effort, boosted by frontline trust.

    ``size`` is the initiative's cost relative to the default cost: work twice as big takes
    twice as long, so small, cheap deals are the quick wins.
    """
    w = shares if shares.sum() > 0 else np.full_like(shares, 1.0 / shares.size)
    return float(rate * (w @ effort) * (1.0 + frontline_boost * frontline_trust) / size)


def promise(effort: F, floor: float) -> F:
    """What a party promises at agreement: the effort it can give then (at least ``floor``)."""
    return np.maximum(effort, floor)


def keeping(effort: F, promised: F, tolerance: float) -> F:
    """Degree each party kept its promise, in [-1, 1], piecewise linear in effort/promise.

    r = min(effort / promise, 1); r = tolerance is neutral (0), r = 1 kept (+1), r = 0
    broken (-1). Any effort above nothing keeps some of a promise.
    """
    r = np.minimum(effort / np.maximum(promised, 1e-12), 1.0)
    return np.where(r >= tolerance, (r - tolerance) / (1.0 - tolerance), (r - tolerance) / tolerance)


def upkeep(effort: F, promised: F, present: np.ndarray, saturation: float) -> float:
    """Quality of upkeep live work gets: 1 - exp(-k x share of promise), over the parties.

    Absent parties give none. Full keeping gives 1 - exp(-k), below 1: live work is never
    held at complete, and more effort than promised still helps a little.
    """
    r = effort / np.maximum(promised, 1e-12) * present
    return float(mean(1.0 - np.exp(-saturation * r))) if r.size else 0.0


def live_progress(progress: float, kept_up: float, rate: float) -> float:
    """Live work follows its upkeep: progress moves ``rate`` of the way toward it each week."""
    return progress + rate * (kept_up - progress)


def unproductive(done: float, expected: float, pace: float) -> bool:
    """A board meeting on work in delivery was unproductive below ``pace`` of full pace."""
    return done < pace * expected
