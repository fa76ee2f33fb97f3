"""diplomacy_sim: agent-based simulation of system diplomacy in public services.

Quick start::

    import diplomacy_sim as ds
    result = ds.run("integrated_discharge", seed=1)
    result.timeseries.plot(x="week", y=["integration", "trust"])

Importing the package imports nothing heavy: the public names below are loaded on first
use (PEP 562 module ``__getattr__``), so ``diplomacy-sim --help`` and ``list`` start fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> module it lives in (loaded on first access)
_LAZY = {
    "OUTCOMES": "diplomacy_sim.domain.outcomes",
    "DiplomacyModel": "diplomacy_sim.model.mesa_model",
    "RunResult": "diplomacy_sim.api",
    "ScenarioError": "diplomacy_sim.scenario.errors",
    "build_model": "diplomacy_sim.api",
    "list_scenarios": "diplomacy_sim.scenario.catalog",
    "load_result": "diplomacy_sim.api",
    "load_scenario": "diplomacy_sim.scenario.loader",
    "run": "diplomacy_sim.api",
    "write_result": "diplomacy_sim.api",
}

__all__ = [
    "OUTCOMES",
    "DiplomacyModel",
    "RunResult",
    "ScenarioError",
    "__version__",
    "build_model",
    "list_scenarios",
    "load_result",
    "load_scenario",
    "run",
    "write_result",
]

if TYPE_CHECKING:  # for type checkers and editors: the same names, eagerly
    from diplomacy_sim.api import RunResult, build_model, load_result, run, write_result
    from diplomacy_sim.domain.outcomes import OUTCOMES
    from diplomacy_sim.model.mesa_model import DiplomacyModel
    from diplomacy_sim.scenario.catalog import list_scenarios
    from diplomacy_sim.scenario.errors import ScenarioError
    from diplomacy_sim.scenario.loader import load_scenario


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'diplomacy_sim' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
