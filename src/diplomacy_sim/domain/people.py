"""Per-person rules, vectorised over numpy arrays (the fast engine).

Every function here has a loop-per-person twin in :mod:`diplomacy_sim.domain.reference`
with the same signature; the tests hold them equal on shared inputs. Randomness never
enters here: draws are made by the model and passed in, so both engines see the same bits.
"""

from __future__ import annotations

import numpy as np

from diplomacy_sim.domain.numerics import clip
from diplomacy_sim.domain.state import F, I

B = np.ndarray


def agenda_distance(a: F, b: F) -> F:
    """Total-variation distance between agenda rows, in [0, 1]."""
    return 0.5 * np.abs(a - b).sum(axis=-1)


def openness_factor(anxiety: F, peak: float, width: float) -> F:
    """Inverted U: people are most open at moderate anxiety (the productive zone).

    Too little disturbance gives avoidance, too much gives defensive shutdown.
    """
    z = (anxiety - peak) / width
    return np.exp(-z * z)


def anxious_anchoring(anchoring: F, anxiety: F, peak: float, rate: float) -> F:
    """Past the productive zone, anxious people cling to their own view.

    a' = a + (1 - a) min(rate x max(anxiety - peak, 0), 1).
    """
    over = np.maximum(anxiety - peak, 0.0)
    return anchoring + (1.0 - anchoring) * clip(rate * over, 0.0, 1.0)


def influence(
    agenda: F,
    anchor: F,
    anchoring: F,
    eps: F,
    src: I,
    dst: I,
    weight: F,
    self_weight: float,
) -> tuple[F, F]:
    """One step of anchored bounded-confidence influence (Friedkin-Johnsen with a bound).

    x_i' = a_i x_i(0) + (1 - a_i) (s x_i + sum_j w_ij x_j) / (s + sum_j w_ij),
    summing over ties i -> j in play this step with |x_i - x_j| < eps_i.

    Args:
        agenda: (n, K) current agendas.
        anchor: (n, K) each person's own starting view.
        anchoring: (n,) weight on the anchor; 1 = never moves.
        eps: (n,) effective confidence bound.
        src, dst: endpoints of the ties in play this step (i listens to j), sorted by src.
        weight: per-tie weight this step (trust x channel weight).
        self_weight: weight of one's current view.

    Returns:
        The new agendas and the per-tie agenda distance before the step.
    """
    n, k = agenda.shape
    if k < SEQUENTIAL_ROW_SUM:
        d, num, w = _distance_and_heard(agenda, eps, src, dst, weight)
    else:
        d = agenda_distance(agenda[src], agenda[dst])
        w = np.where(d < eps[src], weight, 0.0)
        num = heard_sum(agenda, src, dst, w)
    den = np.bincount(src, weights=w, minlength=n) + self_weight
    safe = np.where(den > 0, den, 1.0)[:, None]
    mixed = np.where(den[:, None] > 0, (self_weight * agenda + num) / safe, agenda)
    new = anchoring[:, None] * anchor + (1.0 - anchoring)[:, None] * mixed
    return new, d


SEQUENTIAL_ROW_SUM = 8
"""numpy sums a row of fewer than 8 numbers left to right (from 8 on, pairwise in 8 lanes)."""


def _distance_and_heard(agenda: F, eps: F, src: I, dst: I, weight: F) -> tuple[F, F, F]:
    """The per-tie distance, the heard sums and the weights of :func:`influence`, gathered
    from an issue-major copy of the agendas (K contiguous rows of n: each gather and each
    sum runs over long contiguous runs instead of rows of K).

    Same bits as ``agenda_distance`` + ``heard_sum``: the K absolute differences of a tie are
    added left to right, as numpy adds a row of fewer than 8; each heard sum adds the same
    products, per listener and issue, in tie order (``np.bincount`` adds in input order).
    """
    n, k = agenda.shape
    cols = np.ascontiguousarray(agenda.T)  # (K, n)
    heard = np.take(cols, dst, axis=1)  # (K, ties); take is ~3x faster than cols[:, dst]
    gap = np.take(cols, src, axis=1)
    gap -= heard
    np.abs(gap, out=gap)
    total = gap[0]
    for row in gap[1:]:
        total += row
    d = 0.5 * total
    w = np.where(d < eps[src], weight, 0.0)
    num = np.empty((n, k))
    for i in range(k):
        num[:, i] = np.bincount(src, weights=w * heard[i], minlength=n)
    return d, num, w


def identity_pull(agenda: F, box: F, anchoring: F, pull: F) -> F:
    """After meetings, the organisation's agenda pulls its members back ("the box").

    ``box`` is each person's organisation agenda (n, K); ``pull`` the per-person strength
    (identity x rate, 0 for people who met no one). A fully anchored person is unmoved.
    """
    step = ((1.0 - anchoring) * pull)[:, None]
    return agenda + step * (box - agenda)


def trust_after_encounters(
    trust: F,
    dist: F,
    eps_src: F,
    met: B,
    channel_weight: F,
    gain: float,
    friction: float,
) -> F:
    """Encounters among like minds build trust slowly; clashing views wear it a little."""
    agree = dist < eps_src
    up = trust + gain * channel_weight * (1.0 - dist) * (1.0 - trust)
    down = trust - gain * friction * channel_weight * trust
    return np.where(met, np.where(agree, up, down), trust)


def logodds_shift(trust: F, shift: F) -> F:
    """Trust moved by ``shift`` in log-odds: T' = T e^s / (1 - T + T e^s) (stays in [0, 1])."""
    g = np.exp(shift)
    return trust * g / (1.0 - trust + trust * g)


def trust_after_reviews(
    trust: F, src_org: I, dst_org: I, verdict: F, gain: float, loss_ratio: float
) -> F:
    """Kept promises raise trust slowly; broken ones cut it fast, by degrees.

    ``verdict`` is an (m, m) matrix of the degree to which observers in org a saw org b keep
    its promise, in [-1, 1] (0: no review). Trust moves in log-odds: +gain x v when kept,
    +gain x loss_ratio x v when broken, so near T a broken promise costs about
    ``loss_ratio`` times what a kept one earns at every trust level (Slovic's asymmetry;
    exactly so for small steps, since dT = T (1 - T) d(log-odds)).
    """
    v = verdict[src_org, dst_org]
    shift = np.where(v > 0, gain * v, gain * loss_ratio * v)
    return logodds_shift(trust, shift)


def anxiety_update(anxiety: F, disturbance: F, baseline: float, rate: float) -> F:
    """Anxiety relaxes toward the baseline plus the disturbance around a person."""
    target = clip(baseline + disturbance, 0.0, 1.0)
    return anxiety + rate * (target - anxiety)


def belief_update(beliefs: F, signals: F, rate: float) -> F:
    """Beliefs (goals good, change possible, will happen) follow noisy signals."""
    return clip(beliefs + rate * (clip(signals, 0.0, 1.0) - beliefs), 0.0, 1.0)


def neighbour_commitment(commitment: F, src: I, dst: I, trust: F, n: int) -> F:
    """What each person sees of others' commitment: trust-weighted over their ties.

    People with no ties see nothing and keep 0.5 (no evidence either way).
    """
    num = np.bincount(src, weights=trust * commitment[dst], minlength=n)
    den = np.bincount(src, weights=trust, minlength=n)
    return np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.5)


def heard_sum(agenda: F, src: I, dst: I, w: F) -> F:
    """sum_j w_ij x_j for each listener i, as (n, K), summed in tie order.

    A weighted bincount over (listener, issue) cells: the same products added in the same
    order as a CSR product over ties sorted by listener, without building a sparse matrix.
    """
    n, k = agenda.shape
    cell = (src[:, None] * k + np.arange(k)).ravel()
    flat = np.bincount(cell, weights=(w[:, None] * agenda[dst]).ravel(), minlength=n * k)
    return flat.reshape(n, k)


def strain_update(
    strain: F, unproductive: F, anxiety: F, gain: float, recovery: float,
    anxiety_strain: float = 0.5,
) -> F:
    """Unproductive meetings and anxiety add strain; rest takes it away."""
    s = strain + gain * unproductive + anxiety_strain * gain * anxiety - recovery * strain
    return clip(s, 0.0, 1.0)


def org_sums(values: F, org: I, weight: F, m: int, den: F | None = None,
             cell: I | None = None) -> tuple[F, F]:
    """Weighted sums of people's values per organisation, and the weights' sums.

    ``values`` is (n,) or (n, K); returns ((m,) or (m, K), (m,)). A caller that keeps them
    may pass the weights' sums ``den`` (as returned) and, for (n, c) values, the cell index
    :func:`org_cells` ``(org, c)``.
    """
    if den is None:
        den = np.bincount(org, weights=weight, minlength=m)
    if values.ndim == 1:
        return np.bincount(org, weights=weight * values, minlength=m), den
    n, c = values.shape
    if n * c <= CELL_SUM_LIMIT:  # one weighted bincount over (organisation, column) cells
        if cell is None:
            cell = org_cells(org, c)
        flat = np.bincount(cell, weights=(weight[:, None] * values).ravel(), minlength=m * c)
        return flat.reshape(m, c), den
    # one weighted bincount per column: each (organisation, column) sum adds the same
    # products in the same (people) order as the bincount over cells above
    out = np.empty((m, c))
    for i in range(c):
        out[:, i] = np.bincount(org, weights=weight * values[:, i], minlength=m)
    return out, den


def org_cells(org: I, c: int) -> I:
    """The (organisation, column) cell of each of the n x c values :func:`org_sums` adds."""
    return (org[:, None] * c + np.arange(c)).ravel()


CELL_SUM_LIMIT = 16_000
"""Up to this many values :func:`org_sums` adds them in one bincount over cells; beyond,
a bincount per column is faster (its index needs no building). The bits are the same."""


def org_pair_sums(src_org: I, dst_org: I, trust: F, m: int, key: I | None = None,
                  den: F | None = None) -> tuple[F, F]:
    """Sum and count of trust on ties from organisation a's people to b's, as (m, m).

    A caller that keeps them may pass each tie's pair ``key`` (``src_org * m + dst_org``)
    and the count ``den`` (as returned).
    """
    if key is None:
        key = org_pair_key(src_org, dst_org, m)
    num = np.bincount(key, weights=trust, minlength=m * m).reshape(m, m)
    if den is None:
        den = org_pair_counts(key, m)
    return num, den


def org_pair_key(src_org: I, dst_org: I, m: int) -> I:
    """Each tie's (organisation, organisation) cell of an (m, m) array, flat."""
    return src_org * m + dst_org


def org_pair_counts(key: I, m: int) -> F:
    """The number of ties in each (organisation, organisation) cell, as (m, m) floats."""
    return np.bincount(key, minlength=m * m).reshape(m, m).astype(float)
