"""Where the shipped scenarios and experiments are, read through :mod:`importlib.resources`.

One copy of each file is kept: the top-level ``scenarios/`` and ``experiments/`` folders of
the source tree. The build (``setup.py``'s ``build_py``) copies them into the wheel as
package data under ``diplomacy_sim/_shipped/``, so an installed copy finds them as
``importlib.resources.files("diplomacy_sim") / "_shipped" / <kind>`` from any folder, on a
Dask worker or in a notebook. In a source checkout (an editable install, or ``src`` on the
path) that package-data folder does not exist and the top-level folder is used: it sits two
levels above the package, next to ``pyproject.toml``.

A user's own file is always taken by its path (:func:`diplomacy_sim.scenario.loader.resolve_path`);
these folders only answer shipped *names*.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Literal

Kind = Literal["scenarios", "experiments"]
KINDS: tuple[Kind, ...] = ("scenarios", "experiments")
PACKAGE = "diplomacy_sim"
DATA_FOLDER = "_shipped"
"""The package-data folder the wheel carries (``diplomacy_sim/_shipped/<kind>/``)."""

_files = contextlib.ExitStack()
atexit.register(_files.close)


def _real_path(res: Traversable) -> Path:
    """A filesystem path for a resource folder (extracted once if the package is zipped)."""
    if isinstance(res, Path):
        return res
    return Path(_files.enter_context(resources.as_file(res)))


@functools.cache
def shipped_dir(kind: Kind) -> Path:
    """The folder of the shipped ``kind`` ("scenarios" or "experiments")."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    package = resources.files(PACKAGE)
    data = package / DATA_FOLDER / kind
    if data.is_dir():  # an installed wheel
        return _real_path(data)
    checkout = _real_path(package).resolve().parents[1] / kind  # src/diplomacy_sim -> root
    return checkout


def source() -> str:
    """``"package data"`` in an installed wheel, ``"source checkout"`` otherwise."""
    return "package data" if (resources.files(PACKAGE) / DATA_FOLDER).is_dir() else "source checkout"
