"""The same numpy operations without numpy's Python-level wrappers (for tiny arrays).

A step of a 43-person place is ~1,000 numpy calls on arrays of 4–400 elements, so the
Python layers that ``np.clip``, ``np.flatnonzero`` and ``ndarray.mean`` go through before
reaching their ufunc cost more than the arithmetic. These helpers call the ufuncs those
wrappers end in, so the results are the same bits (tests/rules/test_numerics.py).
"""

from __future__ import annotations

from typing import Any

import numpy as np

try:  # the ufunc np.clip(a, lo, hi) ends in for float arrays with both bounds
    from numpy._core.umath import clip as _clip_ufunc  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover  (another numpy layout: the public, slower path)
    _clip_ufunc = np.clip

_add_reduce: Any = np.add.reduce
add_reduce: Any = np.add.reduce
"""``np.add.reduce``: what ``ndarray.sum`` ends in, without its Python wrapper (the same
reduction: pass ``axis=None`` for the sum of all elements of a 2-D array)."""


def clip(a: Any, lo: float, hi: float) -> Any:
    """``np.clip(a, lo, hi)`` for a float array and two finite float bounds."""
    return _clip_ufunc(a, lo, hi)


def nonzero(mask: np.ndarray) -> np.ndarray:
    """``np.flatnonzero(mask)`` for a 1-D mask: the positions where it is true."""
    return mask.nonzero()[0]


def mean(a: np.ndarray) -> Any:
    """``a.mean()`` of a non-empty 1-D float array (the same pairwise sum, divided by n)."""
    return _add_reduce(a) / a.shape[0]


def mean_rows(a: np.ndarray, keepdims: bool = False) -> np.ndarray:
    """``a.mean(axis=0, keepdims=keepdims)`` of a non-empty 2-D float array."""
    return _add_reduce(a, axis=0, keepdims=keepdims) / a.shape[0]
