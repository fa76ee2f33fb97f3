"""EMA Workbench adapter: the model as an EMA model, its parameters from the schema.

Needs the ``ema`` extra (``pip install "diplomacy-sim[ema]"``: ema-workbench 3.0.0).

:func:`ema_model` declares a shipped place (or a scenario file) as an
``ema_workbench.Model`` whose function is :func:`run_point`. Its parameters come from the
schema (:func:`diplomacy_sim.scenario.schema.tunable_parameters`): each one's bounds are the
schema's bounds, its type the schema's type, and its default the base scenario's value (the
schema's default unless the place's file sets it). Which are **levers** and which are
**uncertainties** follows one rule (:func:`role_of`):

* **levers** are what the people who run the system choose: the ``doctrine`` (categorical:
  command, stewardship, diplomacy, fatalism), the authorising environment
  (``parameters.authorising.*``: risk tolerance, target pressure, appetite for experiments,
  regulator pressure per shortfall) and how often boards and workshops meet
  (``parameters.encounters.board_cadence``, ``workshop_cadence``);
* **uncertainties** are everything else about the place and its people: the network
  (``network.*``) and every other ``parameters.*`` group (encounters, influence, trust,
  negotiation, delivery, affect, engagement, services, turnover) — plus the run's ``seed``
  (an integer uncertainty: the model is stochastic, and each experiment's seed is recorded
  with it, so every experiment can be repeated with ``api.run``);
* **left out**: ``parameters.doctrines.*`` (the doctrines' definitions, chosen through the
  ``doctrine`` lever; pass them in ``uncertainties=``/``levers=`` to ablate a component),
  ``parameters.moves.*`` (costs of a participant's moves: no effect on an autopilot run)
  and ``steps`` (the horizon: a constant of the experiment, ``steps=``).

EMA names must be Python identifiers, so a path's name drops ``parameters.`` and joins the
rest with ``__`` (``parameters.trust.loss_ratio`` -> ``trust__loss_ratio``,
``network.within_ties`` -> ``network__within_ties``); :data:`ParameterSpec.path` keeps the
path. The outcomes are the project's outcome names (``domain/outcomes.py:OUTCOMES``), each
the value at the last week, as in a run's summary. An experiment is exactly
``api.run(base, seed=seed, steps=steps, people=people, overrides={path: value, ...,
"doctrine": doctrine})``: the tests check EMA's sequential and multiprocessing evaluators
give those numbers bit for bit.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from diplomacy_sim.domain.outcomes import OUTCOMES
from diplomacy_sim.scenario.schema import MAX_SEED, tunable_parameters

EXTRA_HINT = ('EMA Workbench is not installed; install the `ema` extra: '
              'pip install "diplomacy-sim[ema]" (ema-workbench 3.0.0)')
DOCTRINES = ("command", "stewardship", "diplomacy", "fatalism")
LEVER_PREFIXES = ("parameters.authorising.",)
LEVER_PATHS = ("parameters.encounters.board_cadence", "parameters.encounters.workshop_cadence")
LEFT_OUT_PREFIXES = ("parameters.doctrines.", "parameters.moves.")
LEFT_OUT_PATHS = ("steps",)
_QUIET = (("ignore", "ipyparallel not installed", UserWarning),
          ("ignore", "altair based interactive inspection", ImportWarning),
          ("ignore", "The inplace keyword in DataFrame", DeprecationWarning))
"""EMA's import-time notices about optional back-ends this project does not use, and
pandas 3.1's deprecation notice for the ``inplace=`` EMA 3.0 still passes (PRIM); a
``Pandas4Warning`` is a ``DeprecationWarning``."""

Role = Literal["lever", "uncertainty", "left out"]


class MissingExtra(ImportError):
    """The ``ema`` extra is not installed; the message says what to install."""


@contextmanager
def quiet() -> Iterator[None]:
    with warnings.catch_warnings():
        for action, message, category in _QUIET:
            warnings.filterwarnings(action, message=message, category=category)
        yield


def require_ema() -> Any:
    """``ema_workbench``, imported (its optional-back-end notices silenced), or
    :class:`MissingExtra` naming the extra to install."""
    try:
        with quiet():
            import ema_workbench
            import ema_workbench.analysis  # prim and feature_scoring load with it
    except ImportError as exc:
        raise MissingExtra(EXTRA_HINT) from exc
    return ema_workbench


def role_of(path: str) -> Role:
    """Lever, uncertainty or left out, for a tunable parameter's path (the rule above)."""
    if path in LEFT_OUT_PATHS or path.startswith(LEFT_OUT_PREFIXES):
        return "left out"
    if path in LEVER_PATHS or path.startswith(LEVER_PREFIXES):
        return "lever"
    return "uncertainty"


def ema_name(path: str) -> str:
    """The EMA (identifier) name of a parameter path."""
    return path.removeprefix("parameters.").replace(".", "__")


@dataclass(frozen=True)
class ParameterSpec:
    """One EMA parameter: its name, the scenario path it sets, kind, bounds and default."""

    name: str
    path: str
    kind: Literal["real", "integer", "categorical"]
    low: float
    high: float
    default: Any
    categories: tuple[str, ...] = ()
    description: str = ""


def _resolved(scenario: Any, path: str) -> Any:
    value: Any = scenario
    for part in path.split("."):
        value = getattr(value, part)
    return value


def parameter_specs(base: Any = "integrated_discharge", *,
                    uncertainties: Iterable[str] | None = None,
                    levers: Iterable[str] | None = None
                    ) -> tuple[list[ParameterSpec], list[ParameterSpec]]:
    """(uncertainties, levers) for ``base`` (a shipped name, a file, or a Scenario).

    By default every tunable parameter takes the role :func:`role_of` gives it; pass
    ``uncertainties`` and/or ``levers`` (lists of paths; ``"doctrine"`` and ``"seed"``
    allowed) to choose the sets yourself. Unknown paths raise ``ValueError``.
    """
    from diplomacy_sim.scenario.loader import load_scenario
    from diplomacy_sim.scenario.schema import Scenario

    scenario = base if isinstance(base, Scenario) else load_scenario(base)
    infos = {p.path: p for p in tunable_parameters()}
    seed = ParameterSpec("seed", "seed", "integer", 0, MAX_SEED, int(scenario.seed),
                         description="Master seed of the run")
    doctrine = ParameterSpec("doctrine", "doctrine", "categorical", 0, len(DOCTRINES) - 1,
                             scenario.doctrine, DOCTRINES, "How the organisations' leaders act")

    def spec(path: str) -> ParameterSpec:
        if path == "seed":
            return seed
        if path == "doctrine":
            return doctrine
        if path not in infos:
            raise ValueError(f"{path!r} is not a tunable parameter; allowed: 'doctrine', "
                             "'seed', or a path listed by diplomacy_sim.scenario.schema."
                             "tunable_parameters()")
        p = infos[path]
        return ParameterSpec(ema_name(path), path, "integer" if p.type is int else "real",
                             p.low, p.high, p.type(_resolved(scenario, path)),
                             description=p.description)

    if uncertainties is None and levers is None:
        unc = [seed] + [spec(p) for p in infos if role_of(p) == "uncertainty"]
        lev = [doctrine] + [spec(p) for p in infos if role_of(p) == "lever"]
    else:
        unc = [spec(p) for p in (uncertainties or [])]
        lev = [spec(p) for p in (levers or [])]
    return unc, lev


def _ema_parameter(ew: Any, p: ParameterSpec) -> Any:
    if p.kind == "categorical":
        return ew.CategoricalParameter(p.name, list(p.categories), default=p.default)
    if p.kind == "integer":
        return ew.IntegerParameter(p.name, int(p.low), int(p.high), default=int(p.default))
    return ew.RealParameter(p.name, float(p.low), float(p.high), default=float(p.default))


def run_point(*, base_scenario: str, horizon_weeks: int = 0, people: int = 0,
              paths: dict[str, str], **values: Any) -> dict[str, float]:
    """One EMA experiment: ``api.run`` with the given values (module level: picklable).

    ``paths`` maps each EMA name to its scenario path; ``seed`` is the run's seed, the
    other values are overrides (``doctrine`` included). 0 for ``horizon_weeks``/``people``
    means the base scenario's.
    """
    from diplomacy_sim import api

    seed = int(values.pop("seed")) if "seed" in values else None
    overrides = {paths[k]: _plain(v) for k, v in values.items()}
    result = api.run(base_scenario, seed=seed, steps=horizon_weeks or None,
                     overrides=overrides, people=people or None)
    return {k: result.summary[k] for k in OUTCOMES}


def _plain(v: Any) -> Any:
    """numpy scalars (what EMA's samplers give) as plain Python values for the schema."""
    item = getattr(v, "item", None)
    return item() if callable(item) else v


def ema_model(base: str = "integrated_discharge", *, name: str | None = None,
              steps: int | None = None, people: int | None = None,
              uncertainties: Iterable[str] | None = None,
              levers: Iterable[str] | None = None) -> Any:
    """An ``ema_workbench.Model`` for ``base`` (a shipped place's name or a scenario file).

    Uncertainties and levers as :func:`parameter_specs` gives them; outcomes the outcome
    names (final values); ``steps``/``people`` fix the horizon and the number of people.
    """
    ew = require_ema()
    unc, lev = parameter_specs(base, uncertainties=uncertainties, levers=levers)
    with quiet():
        model = ew.Model(name or _identifier(base), function=run_point)
        model.uncertainties = [_ema_parameter(ew, p) for p in unc]
        model.levers = [_ema_parameter(ew, p) for p in lev]
        model.outcomes = [ew.ScalarOutcome(k) for k in OUTCOMES]
        model.constants = [
            ew.Constant("base_scenario", str(base)),
            ew.Constant("horizon_weeks", int(steps or 0)),
            ew.Constant("people", int(people or 0)),
            ew.Constant("paths", {p.name: p.path for p in [*unc, *lev] if p.name != "seed"}),
        ]
    return model


def _identifier(base: str) -> str:
    """An EMA model name (a Python identifier) from a place's name or file."""
    text = re.sub(r"\W", "_", Path(str(base)).stem)
    return text if text.isidentifier() else f"place_{text}"


FEATURE_COLUMNS_DROPPED = ("scenario", "policy", "model")


def feature_scores(experiments: Any, outcomes: dict[str, Any], **kwargs: Any) -> Any:
    """EMA's feature scoring (extra-trees) of every factor against every outcome.

    ``experiments, outcomes`` as ``perform_experiments`` returns them; EMA's bookkeeping
    columns (scenario, policy, model) are not factors and are dropped.
    """
    require_ema()
    with quiet():
        from ema_workbench.analysis import feature_scoring

    x = experiments.drop(columns=[c for c in FEATURE_COLUMNS_DROPPED if c in experiments])
    return feature_scoring.get_feature_scores_all(x, outcomes, **kwargs)
