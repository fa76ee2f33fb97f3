"""Organisation-level rules of engagement, belief signals and regulator pressure."""

from __future__ import annotations

import numpy as np

from diplomacy_sim.domain.numerics import clip, nonzero
from diplomacy_sim.domain.state import B, F, I


def informal_use(rate: float, doctrine_factor: float, base: float, risk_tolerance: float) -> float:
    """Chance an informal tie is used this week: rate x doctrine x (base + risk tolerance)."""
    return min(rate * doctrine_factor * (base + risk_tolerance), 1.0)


def visible_possibility(progress: F, floor: float) -> F:
    """What people see as possible from joint work under way: floor + (1 - floor) progress."""
    return floor + (1.0 - floor) * progress


def regulator_pressure(met: F, mandate: F, target_pressure: float, gain: float) -> F:
    """Pressure from a regulator: its target's unmet need, plus any national mandate."""
    return clip(target_pressure * gain * (1.0 - met) + mandate, 0.0, 1.0)


def deliberate_courting(court: I, engaged: B, m: int, contacts: float) -> F:
    """Informal contacts each organisation receives from partners deliberately courting it."""
    by = nonzero((court >= 0) & engaged)
    return np.bincount(court[by], minlength=m).astype(float) * contacts


def courted_back(rate: float, contacts: float) -> float:
    """Chance a cold partner comes back after ``contacts`` informal contacts this week."""
    return 1.0 - (1.0 - rate) ** contacts
