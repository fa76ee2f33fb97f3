"""Experiment files: what a sweep varies, how often, and what it keeps.

An experiment file is YAML, validated as strictly as a scenario: unknown keys, wrong types,
unknown parameter paths, out-of-range values and shocks that do not fit the base scenario
are all errors that name the file and the field (:class:`ScenarioError`, exit code 2).

A run of an experiment is the base scenario with a set of overrides (the same dotted paths
``diplomacy-sim run --set`` takes), a doctrine, a shock regime, a replication and a seed
derived from the master seed — see :mod:`diplomacy_sim.batch.design`.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from diplomacy_sim.scenario.loader import (
    ScenarioError,
    _read_yaml,
    apply_overrides,
    explain_validation_error,
    resolve_path,
    scenario_from_dict,
)
from diplomacy_sim.scenario.schema import (
    Doctrine,
    Identifier,
    Scenario,
    Shock,
    tunable_parameters,
)

EXPERIMENT_DIR = Path(__file__).resolve().parents[3] / "experiments"

Scalar = bool | int | float | str


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Sampler(_Strict):
    """Ranges sampled by a design from SALib."""

    method: Literal["lhs", "sobol", "morris"] = Field(
        description="lhs: Latin hypercube; sobol: Saltelli/Sobol' design for Sobol indices; "
        "morris: elementary-effects trajectories"
    )
    n: int = Field(
        ge=1, le=1_000_000,
        description="lhs: points; sobol: base samples N (N(k+2) points, N(2k+2) with second "
        "order; a power of 2); morris: trajectories (N(k+1) points)",
    )
    second_order: bool = Field(False, description="sobol only: also second-order indices")
    levels: int = Field(4, ge=2, le=100, description="morris only: grid levels")
    ranges: dict[str, Annotated[list[float], Field(min_length=2, max_length=2)] | None] = Field(
        min_length=1,
        description="parameter path -> [low, high]; null takes the schema's bounds",
    )


class FaultInjection(_Strict):
    """TEST-ONLY knob: make chosen runs raise, or kill their worker process.

    Goes through the real sweep path, so the tests can check that a failing run is recorded
    and that a worker-killing run does not hang or sink the sweep. Never used by the shipped
    experiments.
    """

    raise_in_runs: list[int] = Field(default_factory=list)
    exit_in_runs: list[int] = Field(default_factory=list)


class Experiment(_Strict):
    """A sweep definition, as written in ``experiments/*.yaml``."""

    name: Identifier
    title: str = Field(min_length=1)
    description: str = Field(min_length=1)
    base: str = Field(min_length=1, description="Base scenario: a shipped name or a file path")
    master_seed: int = Field(ge=0, le=2**63 - 1, description="Every run's seed derives from it")
    seeds: Literal["independent", "common"] = Field(
        "independent",
        description="independent: a fresh seed per run; common: replication r has the same "
        "seed in every cell (common random numbers, for paired comparisons)",
    )
    replications: int = Field(1, ge=1, le=100_000)
    steps: int | None = Field(None, ge=1, le=5200, description="Weeks per run (default: base's)")
    people: int | None = Field(None, ge=1, le=10_000_000, description="Scale the base scenario")
    outputs: Literal["summary", "timeseries"] = Field(
        "summary", description="summary: one row per run; timeseries: also every step"
    )
    doctrines: list[Doctrine] | None = Field(None, min_length=1)
    shock_regimes: dict[Identifier, list[Shock]] | None = Field(
        None, min_length=1,
        description="name -> the shock schedule that replaces the base scenario's shocks",
    )
    factors: dict[str, Annotated[list[Scalar], Field(min_length=1)]] = Field(
        default_factory=dict, description="parameter path -> values (full factorial)"
    )
    sampler: Sampler | None = None
    fault_injection: FaultInjection | None = None


@dataclass(frozen=True)
class LoadedExperiment:
    """A validated experiment with its resolved base scenario and identity."""

    spec: Experiment
    source: str
    base_path: str
    base_data: dict[str, Any]
    base: Scenario
    file_sha256: str
    design_sha256: str
    """Hash of everything that decides the runs: the experiment and the resolved base."""


def _resolve_base(base: str, exp_path: Path) -> Path:
    rel = exp_path.parent / base
    if rel.exists() and rel.is_file():
        return rel
    return resolve_path(base)


def _check_path(path: str, base_data: dict[str, Any]) -> str | None:
    """A problem with an override path, or None (reuses the loader's --set checks)."""
    try:
        apply_overrides(base_data, {path: 0})
    except ScenarioError as exc:
        return exc.problems[0].replace("--set ", "", 1)
    return None


def _semantic_problems(
    spec: Experiment, base_data: dict[str, Any], steps: int
) -> list[str]:
    problems: list[str] = []
    if not spec.shock_regimes:
        try:
            scenario_from_dict(apply_overrides(base_data, {"steps": steps}))
        except ScenarioError as exc:
            problems += [
                f"field `steps`: {steps} weeks do not fit the base scenario: {p} (shorten its "
                "shocks with `shock_regimes`, or run longer)" for p in exc.problems
            ]
    tunable = {p.path: p for p in tunable_parameters()}
    reserved = {"seed", "steps", "doctrine", "shocks"}

    for path, values in spec.factors.items():
        where = f"field `factors.{path}`"
        if path in reserved:
            problems.append(
                f"{where}: `{path}` is set by the experiment itself; use "
                + {"seed": "`master_seed`", "steps": "`steps`", "doctrine": "`doctrines`",
                   "shocks": "`shock_regimes`"}[path] + " instead."
            )
            continue
        bad = _check_path(path, base_data)
        if bad:
            problems.append(f"{where}: {bad}")
            continue
        if len(set(map(repr, values))) != len(values):
            problems.append(f"{where}: values repeat; list each value once.")
        for i, v in enumerate(values):
            try:
                scenario_from_dict(apply_overrides(base_data, {path: _cast(path, v)}))
            except ScenarioError as exc:
                msg = exc.problems[0].split(": ", 1)[-1]
                problems.append(f"field `factors.{path}[{i}]`: {v!r} is not valid here: {msg}")

    if spec.sampler is not None:
        s = spec.sampler
        for path, rng in s.ranges.items():
            where = f"field `sampler.ranges.{path}`"
            if path in spec.factors:
                problems.append(f"{where}: `{path}` is also in `factors`; vary it in one place.")
            info = tunable.get(path)
            if info is None:
                close = difflib.get_close_matches(path, list(tunable), n=1, cutoff=0.6)
                hint = f" Did you mean `{close[0]}`?" if close else ""
                problems.append(
                    f"{where}: not a tunable numeric parameter; ranges need one of the paths "
                    f"`diplomacy-sim` lists in schema.tunable_parameters() (e.g. "
                    f"parameters.trust.loss_ratio).{hint}"
                )
                continue
            if info.path == "steps":
                problems.append(f"{where}: use the experiment's `steps` instead.")
                continue
            if rng is not None:
                lo, hi = rng
                if not lo < hi:
                    problems.append(f"{where}: low {lo} must be below high {hi}.")
                if lo < info.low or hi > info.high:
                    problems.append(
                        f"{where}: [{lo}, {hi}] is out of range; allowed: {info.low} to "
                        f"{info.high} {info.unit} ({info.description})."
                    )
        if s.method != "sobol" and s.second_order:
            problems.append("field `sampler.second_order`: only a sobol sampler takes it.")
        if s.method == "sobol" and s.n & (s.n - 1):
            problems.append(
                f"field `sampler.n`: {s.n} is not a power of 2; Sobol' sequences need one "
                f"(e.g. {1 << (s.n.bit_length() - 1)} or {1 << s.n.bit_length()})."
            )
        if s.method in ("sobol", "morris") and len(s.ranges) < 2:
            problems.append(
                f"field `sampler.ranges`: a {s.method} analysis needs at least 2 parameters."
            )

    if spec.shock_regimes:
        for name, shocks in spec.shock_regimes.items():
            data = apply_overrides(
                base_data, {"shocks": [sh.model_dump(mode="json") for sh in shocks],
                            "steps": steps},
            )
            try:
                scenario_from_dict(data)
            except ScenarioError as exc:
                problems += [f"field `shock_regimes.{name}`: {p}" for p in exc.problems]
    return problems


def _cast(path: str, value: Any) -> Any:
    """Values for int parameters given as 3.0 become 3; floats given as 3 become 3.0."""
    info = _TUNABLE_TYPES.get(path)
    if info is int and isinstance(value, float) and value.is_integer():
        return int(value)
    if info is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


_TUNABLE_TYPES: dict[str, type] = {p.path: p.type for p in tunable_parameters()}


def experiment_path(name_or_path: str | Path) -> Path:
    """An experiment file path, or the name of a shipped experiment."""
    p = Path(name_or_path)
    if p.exists() or p.suffix in (".yaml", ".yml"):
        return p
    shipped = EXPERIMENT_DIR / f"{name_or_path}.yaml"
    return shipped if shipped.exists() else p


def load_experiment(name_or_path: str | Path) -> LoadedExperiment:
    """Load and validate an experiment file, raising :class:`ScenarioError` on problems."""
    path = experiment_path(name_or_path)
    source = str(path)
    raw = _read_yaml(path)
    try:
        spec = Experiment.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioError(source, explain_validation_error(Experiment, exc)) from None

    base_path = _resolve_base(spec.base, path)
    try:
        base_data = _read_yaml(base_path)
        base = scenario_from_dict(base_data, source=str(base_path))
    except ScenarioError as exc:
        problems = [f"field `base`: `{spec.base}` is not a valid scenario: {p}"
                    for p in exc.problems]
        raise ScenarioError(source, problems) from None
    steps = spec.steps or base.steps
    problems = _semantic_problems(spec, base_data, steps)
    if problems:
        raise ScenarioError(source, problems)

    file_sha = hashlib.sha256(path.read_bytes()).hexdigest()
    ident = json.dumps(
        {"experiment": spec.model_dump(mode="json"), "base": base.model_dump(mode="json")},
        sort_keys=True,
    )
    return LoadedExperiment(
        spec=spec,
        source=source,
        base_path=str(base_path),
        base_data=base_data,
        base=base,
        file_sha256=file_sha,
        design_sha256=hashlib.sha256(ident.encode()).hexdigest(),
    )


__all__ = ["Experiment", "FaultInjection", "LoadedExperiment", "Sampler", "load_experiment"]
