"""Delivering agreed initiatives: effort, progress and reviews of promises."""

from __future__ import annotations

import numpy as np

from diplomacy_sim.domain.negotiation import benefit
from diplomacy_sim.domain.state import F, I


def box_agenda(agenda: F, target: I, pressure: F) -> F:
    """The organisation's agenda as its regulator's target presses on it (rows sum to 1)."""
    out = agenda.copy()
    has = target >= 0
    rows = np.flatnonzero(has)
    out[rows, target[has]] += pressure[has]
    return out / out.sum(axis=1, keepdims=True)


def party_effort(
    box: F,
    advances: F,
    parties: I,
    commitment: F,
    attention: F,
    capacity: F,
    engagement: float,
) -> F:
    """Effort each party puts in (0..1).

    Back in its own box, a party works on a deal as far as the deal serves its own agenda
    (whatever was said at the table), as far as its people believe in it and see others
    committed, and as far as attention and discretionary capacity allow.
    """
    own_value = np.clip(0.25 + benefit(box[parties], advances), 0.0, 1.0)
    will = 0.4 + 0.6 * commitment[parties]
    e = own_value * will * attention[parties] * capacity[parties] * engagement
    return np.clip(e, 0.0, 1.0)


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


def review(effort: F, tolerance: float) -> np.ndarray:
    """Which parties kept their promise at a review (effort at or above the tolerance)."""
    return effort >= tolerance
