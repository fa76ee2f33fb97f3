"""Per-agent reference implementation of the per-person rules.

Plain Python loops, one person or one tie at a time, written to be read against the
equations in docs/model.md. It is the test oracle for :mod:`diplomacy_sim.domain.people`
and the speed baseline in ``benchmarks/``. Signatures match the vectorised module.
"""

from __future__ import annotations

import math

import numpy as np

from diplomacy_sim.domain.state import F, I

B = np.ndarray


def agenda_distance(a: F, b: F) -> F:
    a = np.atleast_2d(a)
    b = np.atleast_2d(b)
    out = np.empty(a.shape[0])
    for r in range(a.shape[0]):
        out[r] = 0.5 * sum(abs(float(x) - float(y)) for x, y in zip(a[r], b[r], strict=True))
    return out


def openness_factor(anxiety: F, peak: float, width: float) -> F:
    return np.array([math.exp(-(((float(a) - peak) / width) ** 2)) for a in anxiety])


def anxious_anchoring(anchoring: F, anxiety: F, peak: float, rate: float) -> F:
    out = anchoring.copy()
    for i in range(anchoring.shape[0]):
        over = max(float(anxiety[i]) - peak, 0.0)
        out[i] = anchoring[i] + (1.0 - anchoring[i]) * min(max(rate * over, 0.0), 1.0)
    return out


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
    n, k = agenda.shape
    heard: list[list[tuple[int, float]]] = [[] for _ in range(n)]
    dists = np.empty(src.shape[0])
    for e in range(src.shape[0]):
        i, j = int(src[e]), int(dst[e])
        d = 0.5 * sum(abs(float(agenda[i, c]) - float(agenda[j, c])) for c in range(k))
        dists[e] = d
        if d < eps[i]:
            heard[i].append((j, float(weight[e])))
    new = np.empty_like(agenda)
    for i in range(n):
        total = self_weight + sum(w for _, w in heard[i])
        for c in range(k):
            acc = self_weight * float(agenda[i, c]) + sum(w * float(agenda[j, c]) for j, w in heard[i])
            mixed = acc / total if total > 0 else float(agenda[i, c])  # heard no one at all
            new[i, c] = anchoring[i] * anchor[i, c] + (1.0 - anchoring[i]) * mixed
    return new, dists


def identity_pull(agenda: F, box: F, anchoring: F, pull: F) -> F:
    out = agenda.copy()
    for i in range(agenda.shape[0]):
        step = (1.0 - anchoring[i]) * pull[i]
        for c in range(agenda.shape[1]):
            out[i, c] = agenda[i, c] + step * (box[i, c] - agenda[i, c])
    return out


def trust_after_encounters(
    trust: F,
    dist: F,
    eps_src: F,
    met: B,
    channel_weight: F,
    gain: float,
    friction: float,
) -> F:
    out = trust.copy()
    for e in range(trust.shape[0]):
        if not met[e]:
            continue
        t = float(trust[e])
        if dist[e] < eps_src[e]:
            out[e] = t + gain * channel_weight[e] * (1.0 - dist[e]) * (1.0 - t)
        else:
            out[e] = t - gain * friction * channel_weight[e] * t
    return out


def logodds_shift(trust: F, shift: F) -> F:
    out = trust.copy()
    for e in range(trust.shape[0]):
        t, g = float(trust[e]), math.exp(float(shift[e]))
        out[e] = t * g / (1.0 - t + t * g)
    return out


def trust_after_reviews(
    trust: F, src_org: I, dst_org: I, verdict: F, gain: float, loss_ratio: float
) -> F:
    out = trust.copy()
    for e in range(trust.shape[0]):
        v = float(verdict[src_org[e], dst_org[e]])
        shift = gain * v if v > 0 else gain * loss_ratio * v
        t, g = float(trust[e]), math.exp(shift)
        out[e] = t * g / (1.0 - t + t * g)
    return out


def anxiety_update(anxiety: F, disturbance: F, baseline: float, rate: float) -> F:
    out = anxiety.copy()
    for i in range(anxiety.shape[0]):
        target = min(max(baseline + float(disturbance[i]), 0.0), 1.0)
        out[i] = anxiety[i] + rate * (target - anxiety[i])
    return out


def belief_update(beliefs: F, signals: F, rate: float) -> F:
    out = beliefs.copy()
    for i in range(beliefs.shape[0]):
        for b in range(beliefs.shape[1]):
            s = min(max(float(signals[i, b]), 0.0), 1.0)
            out[i, b] = min(max(beliefs[i, b] + rate * (s - beliefs[i, b]), 0.0), 1.0)
    return out


def neighbour_commitment(commitment: F, src: I, dst: I, trust: F, n: int) -> F:
    num = [0.0] * n
    den = [0.0] * n
    for e in range(src.shape[0]):
        i, j = int(src[e]), int(dst[e])
        num[i] += float(trust[e]) * float(commitment[j])
        den[i] += float(trust[e])
    return np.array([num[i] / den[i] if den[i] > 0 else 0.5 for i in range(n)])


def strain_update(
    strain: F, unproductive: F, anxiety: F, gain: float, recovery: float,
    anxiety_strain: float = 0.5,
) -> F:
    out = strain.copy()
    for i in range(strain.shape[0]):
        s = (strain[i] + gain * unproductive[i] + anxiety_strain * gain * anxiety[i]
             - recovery * strain[i])
        out[i] = min(max(s, 0.0), 1.0)
    return out


def org_sums(values: F, org: I, weight: F, m: int, den: F | None = None,
             cell: I | None = None) -> tuple[F, F]:
    # ``den`` and ``cell`` (the vectorised engine's shortcuts) are recomputed here
    wsum = [0.0] * m
    if values.ndim == 1:
        num1 = [0.0] * m
        for i in range(org.shape[0]):
            num1[org[i]] += float(weight[i]) * float(values[i])
            wsum[org[i]] += float(weight[i])
        return np.array(num1), np.array(wsum)
    k = values.shape[1]
    num = [[0.0] * k for _ in range(m)]
    for i in range(org.shape[0]):
        o = int(org[i])
        wsum[o] += float(weight[i])
        for c in range(k):
            num[o][c] += float(weight[i]) * float(values[i, c])
    return np.array(num).reshape(m, k), np.array(wsum)


def org_pair_sums(src_org: I, dst_org: I, trust: F, m: int, key: I | None = None,
                  den: F | None = None) -> tuple[F, F]:
    # ``key`` and ``den`` (the vectorised engine's shortcuts) are recomputed here
    num = [[0.0] * m for _ in range(m)]
    cnt = [[0.0] * m for _ in range(m)]
    for e in range(src_org.shape[0]):
        a, b = int(src_org[e]), int(dst_org[e])
        num[a][b] += float(trust[e])
        cnt[a][b] += 1.0
    return np.array(num).reshape(m, m), np.array(cnt).reshape(m, m)
