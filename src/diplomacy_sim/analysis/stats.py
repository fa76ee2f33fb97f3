"""The statistics of the reports and of the validation, on scipy.stats (one module, no copies).

* :func:`mean_ci` — the mean and its t-based confidence interval
  (``scipy.stats.ttest_1samp(...).confidence_interval``);
* :func:`paired` — a paired difference: mean, two-sided CI, one-sided p-value in the stated
  direction and Cohen's d_z (``scipy.stats.ttest_rel``);
* :func:`bootstrap_ci` — a seeded percentile bootstrap (``scipy.stats.bootstrap``), also over
  several paired samples, with a one-sided bootstrap p-value;
* :func:`proportion` — a share with its Wilson interval and an exact binomial test
  (``scipy.stats.binomtest``);
* :func:`holm` — Holm's step-down adjustment of a family of p-values (scipy has no Holm; the
  adjustment is five lines and is tested against the textbook example).

Degenerate samples (fewer than two values, or no variation) are handled before scipy is
called: a difference that is exactly zero in every pair is no evidence either way (p = 1, CI
[0, 0]); a constant non-zero difference is decisive (p = 0).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

Alternative = Literal["greater", "less", "two-sided"]
LEVEL = 0.95
BOOTSTRAP_RESAMPLES = 4999
BOOTSTRAP_SEED = 12345


def _finite(x: Any) -> np.ndarray:
    v = np.asarray(x, dtype=float).ravel()
    return v[np.isfinite(v)]


def mean_ci(x: Any, level: float = LEVEL) -> tuple[float, float, float]:
    """Mean and t-based confidence interval of one sample (NaN bounds below two values)."""
    from scipy import stats

    v = _finite(x)
    if v.size == 0:
        return float("nan"), float("nan"), float("nan")
    m = float(v.mean())
    if v.size < 2:
        return m, float("nan"), float("nan")
    if float(np.ptp(v)) == 0.0:
        return m, m, m
    ci = stats.ttest_1samp(v, 0.0).confidence_interval(level)
    return m, float(ci.low), float(ci.high)


@dataclass(frozen=True)
class Paired:
    """A paired difference a - b: mean, two-sided CI, one-sided p-value and d_z."""

    mean: float
    low: float
    high: float
    p: float
    """p-value of the one-sided test in ``alternative``'s direction (H0: no such difference)."""
    dz: float
    n: int
    alternative: Alternative = "greater"

    @property
    def positive(self) -> bool:
        return self.low > 0

    @property
    def negative(self) -> bool:
        return self.high < 0

    def as_dict(self) -> dict[str, Any]:
        return {"mean": self.mean, "ci_low": self.low, "ci_high": self.high, "p": self.p,
                "alternative": self.alternative, "dz": self.dz, "n": self.n}


def one_sample(d: Any, alternative: Alternative = "greater", level: float = LEVEL,
               popmean: float = 0.0) -> Paired:
    """Mean of ``d`` against ``popmean``: t-test p in ``alternative``, two-sided CI, d_z."""
    from scipy import stats

    v = _finite(d)
    n = int(v.size)
    if n == 0:
        return Paired(float("nan"), float("nan"), float("nan"), 1.0, float("nan"), 0,
                      alternative)
    m = float(v.mean())
    if n < 2:
        return Paired(m, float("nan"), float("nan"), 1.0, float("nan"), n, alternative)
    delta = m - popmean
    if float(np.ptp(v)) == 0.0:  # no variation: decisive unless it sits on the null value
        direction = {"greater": delta > 0, "less": delta < 0, "two-sided": delta != 0}
        p = 0.0 if direction[alternative] else 1.0
        dz = 0.0 if delta == 0 else math.copysign(math.inf, delta)
        return Paired(m, m, m, p, dz, n, alternative)
    t = stats.ttest_1samp(v, popmean, alternative=alternative)
    ci = stats.ttest_1samp(v, popmean).confidence_interval(level)
    sd = float(v.std(ddof=1))
    return Paired(m, float(ci.low), float(ci.high), float(t.pvalue), delta / sd, n,
                  alternative)


def paired(a: Any, b: Any, alternative: Alternative = "greater", level: float = LEVEL
           ) -> Paired:
    """Paired difference a - b of aligned arrays (pairs with a missing value dropped)."""
    d = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    return one_sample(d, alternative, level)


def bootstrap_ci(data: Any, stat: Callable[..., float] = np.mean, *, samples: int = 1,
                 null: float | None = None, alternative: Alternative = "greater",
                 level: float = LEVEL, n_resamples: int = BOOTSTRAP_RESAMPLES,
                 seed: int = BOOTSTRAP_SEED) -> tuple[float, float, float]:
    """Seeded percentile bootstrap CI of ``stat`` (scipy.stats.bootstrap).

    ``data`` is one array (``samples=1``) or a sequence of ``samples`` aligned arrays resampled
    together (paired): ``stat`` then takes that many arrays. Returns (low, high, p), where p
    is the one-sided bootstrap p-value of ``stat`` against ``null`` in ``alternative``'s
    direction (the share of resampled statistics on the null's side, with the +1 correction),
    or NaN when ``null`` is None.
    """
    from scipy import stats

    arrays = [np.asarray(data, float)] if samples == 1 else [np.asarray(x, float) for x in data]
    n = len(arrays[0])
    if n < 2:
        return float("nan"), float("nan"), float("nan")
    point = float(stat(*arrays))
    if all(float(np.ptp(x)) == 0.0 for x in arrays):
        p = float("nan")
        if null is not None:
            side = {"greater": point > null, "less": point < null, "two-sided": point != null}
            p = 0.0 if side[alternative] else 1.0
        return point, point, p

    def vstat(*xs: np.ndarray, axis: int = -1) -> Any:
        # scipy hands over every resample at once (vectorized=True, a batch axis first):
        # apply the plain statistic to each resample in turn.
        moved = [np.moveaxis(x, axis, -1) for x in xs]
        lead = moved[0].shape[:-1]
        out = np.empty(lead)
        for idx in np.ndindex(*lead):
            out[idx] = stat(*[m[idx] for m in moved])
        return out

    res = stats.bootstrap(tuple(arrays), vstat, n_resamples=n_resamples, paired=samples > 1,
                          vectorized=True, confidence_level=level, method="percentile",
                          rng=np.random.default_rng(seed))
    ci = res.confidence_interval
    p = float("nan")
    if null is not None:
        dist = np.asarray(res.bootstrap_distribution, float)
        dist = dist[np.isfinite(dist)]
        k = {"greater": np.sum(dist <= null), "less": np.sum(dist >= null),
             "two-sided": 2 * min(np.sum(dist <= null), np.sum(dist >= null))}[alternative]
        p = min(1.0, float((k + 1) / (dist.size + 1)))
    return float(ci.low), float(ci.high), p


@dataclass(frozen=True)
class Proportion:
    """k successes of n: the share, its Wilson interval and an exact binomial test."""

    k: int
    n: int
    share: float
    low: float
    high: float
    p: float
    """Exact binomial p-value against ``p0`` in ``alternative``'s direction."""
    p0: float
    alternative: Alternative

    def as_dict(self) -> dict[str, Any]:
        return {"k": self.k, "n": self.n, "share": self.share, "ci_low": self.low,
                "ci_high": self.high, "p": self.p, "p0": self.p0,
                "alternative": self.alternative}


def proportion(k: int, n: int, p0: float = 0.5, alternative: Alternative = "greater",
               level: float = LEVEL) -> Proportion:
    """Share k/n with its Wilson interval; exact binomial test of H0 share = p0."""
    from scipy import stats

    if n == 0:
        return Proportion(0, 0, float("nan"), float("nan"), float("nan"), 1.0, p0, alternative)
    t = stats.binomtest(int(k), int(n), p0, alternative=alternative)
    ci = stats.binomtest(int(k), int(n), p0).proportion_ci(level, method="wilson")  # two-sided
    return Proportion(int(k), int(n), k / n, float(ci.low), float(ci.high), float(t.pvalue),
                      p0, alternative)


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values (same order as given; NaN stays NaN).

    Sort the m p-values ascending; the i-th smallest (i from 0) is multiplied by m - i; the
    adjusted values are made monotone by a running maximum and capped at 1. Rejecting where
    the adjusted p < alpha controls the family-wise error rate at alpha.
    """
    p = np.asarray(pvalues, dtype=float)
    ok = np.flatnonzero(np.isfinite(p))
    out = np.full(p.shape, np.nan)
    m = ok.size
    if m == 0:
        return out.tolist()
    order = ok[np.argsort(p[ok], kind="stable")]
    running = 0.0
    for i, j in enumerate(order):
        running = max(running, min(1.0, (m - i) * float(p[j])))
        out[j] = running
    return out.tolist()


def cohen_h(p: float, p0: float) -> float:
    """Effect size of a proportion against a reference proportion."""
    return 2 * math.asin(math.sqrt(min(max(p, 0.0), 1.0))) - 2 * math.asin(math.sqrt(p0))
