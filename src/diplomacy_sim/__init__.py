"""diplomacy_sim: agent-based simulation of system diplomacy in public services.

Quick start::

    import diplomacy_sim as ds
    result = ds.run("integrated_discharge", seed=1)
    result.timeseries.plot(x="week", y=["integration", "trust"])
"""

__version__ = "0.1.0"

from diplomacy_sim.api import RunResult, build_model, load_result, run, write_result
from diplomacy_sim.domain.outcomes import OUTCOMES
from diplomacy_sim.model.model import DiplomacyModel
from diplomacy_sim.scenario.loader import ScenarioError, list_scenarios, load_scenario

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
