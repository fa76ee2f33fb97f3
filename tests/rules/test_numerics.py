"""The fast numpy helpers give numpy's own results, to the bit (domain/numerics.py)."""

from __future__ import annotations

import numpy as np
import pytest

from diplomacy_sim.domain import numerics as nm

SIZES = [1, 2, 3, 4, 7, 8, 9, 43, 128, 129, 1000, 4099]


def arrays(seed: int):
    rng = np.random.default_rng(seed)
    for n in SIZES:
        yield rng.normal(0.5, 0.8, n)
        yield rng.random(n) * 1e-300
        special = rng.normal(0.5, 0.8, n)
        special[:: 3] = -0.0
        special[1:: 5] = 0.0
        special[2:: 7] = 1.0
        yield special


def same_bits(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


@pytest.mark.parametrize("seed", range(5))
def test_clip_mean_and_nonzero_equal_numpy_bit_for_bit(seed):
    for x in arrays(seed):
        assert same_bits(nm.clip(x, 0.0, 1.0), np.clip(x, 0.0, 1.0))
        assert same_bits(nm.clip(x, -0.25, 0.75), np.clip(x, -0.25, 0.75))
        assert same_bits(nm.mean(x), x.mean())
        assert same_bits(nm.nonzero(x > 0.5), np.flatnonzero(x > 0.5))
        rows = x[: x.size - x.size % 3].reshape(-1, 3) if x.size >= 3 else x.reshape(1, -1)
        assert same_bits(nm.mean_rows(rows), rows.mean(axis=0))
        assert same_bits(nm.mean_rows(rows, keepdims=True), rows.mean(axis=0, keepdims=True))


def test_clip_keeps_nan_as_numpy_does():
    x = np.array([np.nan, -1.0, 2.0, 0.5])
    assert same_bits(nm.clip(x, 0.0, 1.0), np.clip(x, 0.0, 1.0))


@pytest.mark.parametrize("k", [1, 2, 3, 5, 7, 8, 11])
def test_influence_from_issue_major_agendas_equals_the_row_form_bit_for_bit(k):
    """people.influence gathers from a (K, n) copy for K < 8; the row form is the spec."""
    from diplomacy_sim.domain import people as vec

    rng = np.random.default_rng(k)
    n, m = 300, 4000
    agenda = rng.dirichlet(np.ones(k), n)
    src = np.sort(rng.integers(0, n, m))
    dst = rng.integers(0, n, m)
    eps, weight = rng.random(n) * 0.6, rng.random(m)
    for s, d in ((src, dst), (src[:0], dst[:0])):  # and a week when no tie is in play
        new, dist = vec.influence(agenda, agenda[::-1].copy(), rng.random(n), eps, s, d,
                                  weight[: s.size], 1.0)
        row_d = vec.agenda_distance(agenda[s], agenda[d])
        w = np.where(row_d < eps[s], weight[: s.size], 0.0)
        num = vec.heard_sum(agenda, s, d, w).astype(float)  # (int zeros with no ties)
        assert same_bits(dist, row_d)
        den = np.bincount(s, weights=w, minlength=n) + 1.0
        assert np.all(den > 0)
        mixed = (agenda + num) / den[:, None]
        assert np.isfinite(new).all() and mixed.shape == new.shape
        flat_num = vec._distance_and_heard(agenda, eps, s, d, weight[: s.size])[1] \
            if k < vec.SEQUENTIAL_ROW_SUM else num
        assert same_bits(flat_num, num)


def test_org_sums_per_column_equal_the_cell_bincount_bit_for_bit():
    from diplomacy_sim.domain import people as vec

    rng = np.random.default_rng(7)
    sizes = ((43, 4, 5), (1000, 12, 3), (5000, 30, 7), (2000, 4, 8), (2001, 4, 8))
    # both of org_sums' ways: below and above its limit for the one bincount over cells
    assert {n * k <= vec.CELL_SUM_LIMIT for n, _, k in sizes} == {True, False}
    for n, m, k in sizes:
        values, org, weight = rng.random((n, k)), rng.integers(0, m, n), rng.random(n)
        num, den = vec.org_sums(values, org, weight, m)
        cell = (org[:, None] * k + np.arange(k)).ravel()
        flat = np.bincount(cell, weights=(weight[:, None] * values).ravel(), minlength=m * k)
        assert same_bits(num, flat.reshape(m, k))
        per_column = np.stack([np.bincount(org, weights=weight * values[:, i], minlength=m)
                               for i in range(k)], axis=1)
        assert same_bits(num, per_column)
        assert same_bits(den, np.bincount(org, weights=weight, minlength=m))
