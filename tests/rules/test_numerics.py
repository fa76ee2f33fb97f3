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
