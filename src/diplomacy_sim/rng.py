"""One SeedSequence per run, spawned into named generators.

Every random draw in a run comes from one of these streams, so adding draws to one process
(say, negotiation) does not shift the bits another (say, the network) sees. No global random
state is touched anywhere in the package.
"""

from __future__ import annotations

import numpy as np

STREAMS: tuple[str, ...] = (
    "mesa",
    "network",
    "people",
    "beliefs",
    "encounters",
    "formation",
    "negotiation",
    "delivery",
    "shocks",
    "turnover",
)


def streams(seed: int) -> dict[str, np.random.Generator]:
    """Named, independent generators for a run with this master seed."""
    children = np.random.SeedSequence(seed).spawn(len(STREAMS))
    return {name: np.random.Generator(np.random.PCG64(c)) for name, c in zip(STREAMS, children, strict=True)}


def view_generator(seed: int, step: int, person_id: int) -> np.random.Generator:
    """A generator for what one person perceives at one step (does not disturb the run)."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, 7, step, person_id])))
