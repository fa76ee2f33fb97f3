"""The design of an experiment: the list of runs, each with its overrides and seed.

Runs are enumerated in a fixed order (replication outermost, so a partial sweep already
covers every cell; then base scenario, sample point, factor grid, doctrine and shock regime),
and numbered ``run_id = 0, 1, ...``. Each run's seed comes from the master seed through a
SeedSequence, and is stored with the run, so any run can be repeated alone with
``diplomacy-sim run`` (the ``repeat_command`` column holds the exact command).

Seeds: ``independent`` derives run ``i``'s seed from ``(master_seed, i)``; ``common`` derives
replication ``r``'s seed from ``(master_seed, r)``, the same in every cell and every base.
An experiment with one base enumerates exactly the runs (and seeds) it always did.
"""

from __future__ import annotations

import itertools
import json
import shlex
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from diplomacy_sim.batch.experiment import LoadedExperiment, _cast, regime_shocks
from diplomacy_sim.scenario.schema import tunable_parameters

SAMPLER_STREAM = 0x5A3B1E
"""Mixed into the master seed for the sampler, so sample points and run seeds differ."""


@dataclass(frozen=True)
class RunSpec:
    """One run: everything a worker needs besides the base scenario. Picklable."""

    run_id: int
    seed: int
    replication: int
    point: int
    """Index of the sample point (-1 without a sampler)."""
    doctrine: str | None
    shock_regime: str | None
    values: dict[str, Any] = field(default_factory=dict)
    """Factor and sampled parameter values, by dotted path."""
    shocks: list[dict[str, Any]] | None = None
    base: str | None = None
    """Name of the run's base scenario (None: the experiment's only base)."""

    def overrides(self, steps: int) -> dict[str, Any]:
        """The overrides that turn the base scenario into this run's scenario."""
        out: dict[str, Any] = dict(self.values)
        if self.doctrine is not None:
            out["doctrine"] = self.doctrine
        if self.shocks is not None:
            out["shocks"] = self.shocks
        out["steps"] = steps
        out["seed"] = self.seed
        return out


@dataclass(frozen=True)
class Design:
    """All the runs of an experiment, plus what analysis needs to read them back."""

    runs: list[RunSpec]
    factor_columns: dict[str, str]
    """Column name -> 'float', 'int', 'str' or 'bool' (types of the factor columns)."""
    problem: dict[str, Any] | None
    """SALib problem (names, bounds) when a sampler is used."""
    sample: np.ndarray | None
    """The sampler's points, one row per point, in SALib's order."""
    steps: int
    bases: list[str] = field(default_factory=list)
    """Names of the base scenarios, in the experiment's order."""


def derive_seed(master: int, key: int) -> int:
    """A run seed in [0, 2**63) from the master seed and a key (run id or replication)."""
    state = np.random.SeedSequence([master, key]).generate_state(2, np.uint32)
    return int((int(state[0]) << 31) ^ int(state[1])) & (2**63 - 1)


def estimate_seconds(exp: LoadedExperiment, runs: int, workers: int) -> float:
    """Wall time of the whole design, from one short timed run of the first base."""
    import time

    from diplomacy_sim.model.model import DiplomacyCore
    from diplomacy_sim.scenario.loader import scale_people

    base = exp.base_named(None).scenario
    steps = exp.spec.steps or base.steps
    probe = min(steps, 8)
    scenario = base.model_copy(update={"steps": probe, "shocks": []})
    if exp.spec.people is not None:
        scenario = scale_people(scenario, exp.spec.people)
    t0 = time.process_time()
    model = DiplomacyCore(scenario)  # what a sweep worker runs: no Mesa
    built = time.process_time()
    while not model.done:
        model.step()
    stepped = time.process_time()
    per_run = (built - t0) + (stepped - built) * steps / probe
    return runs * per_run / max(1, workers)


def sample_points(exp: LoadedExperiment) -> tuple[dict[str, Any] | None, np.ndarray | None]:
    """The SALib problem and the sample points (None without a sampler)."""
    s = exp.spec.sampler
    if s is None:
        return None, None
    tunable = {p.path: p for p in tunable_parameters()}
    names = list(s.ranges)
    bounds = [list(r) if r is not None else [tunable[n].low, tunable[n].high]
              for n, r in s.ranges.items()]
    problem = {"num_vars": len(names), "names": names, "bounds": bounds}
    seed = derive_seed(exp.spec.master_seed, SAMPLER_STREAM) % (2**32)
    if s.method == "lhs":
        from SALib.sample import latin

        x = latin.sample(problem, s.n, seed=seed)
    elif s.method == "sobol":
        from SALib.sample import sobol

        x = sobol.sample(problem, s.n, calc_second_order=s.second_order, seed=seed)
    else:
        from SALib.sample import morris

        x = morris.sample(problem, s.n, num_levels=s.levels, seed=seed)
    return problem, np.asarray(x, dtype=float)


def _col_type(values: list[Any]) -> str:
    kinds = {type(v) for v in values}
    if kinds == {bool}:
        return "bool"
    if kinds <= {int}:
        return "int"
    if kinds <= {int, float}:
        return "float"
    return "str"


def build_design(exp: LoadedExperiment) -> Design:
    """Every run of the experiment, in a fixed order, each with its seed."""
    spec = exp.spec
    steps = spec.steps or exp.base.steps
    problem, x = sample_points(exp)
    types = {p.path: p.type for p in tunable_parameters()}

    points: list[tuple[int, dict[str, Any]]] = [(-1, {})]
    if problem is not None and x is not None:
        points = []
        for i, row in enumerate(x):
            vals = {}
            for name, v in zip(problem["names"], row, strict=True):
                vals[name] = round(float(v)) if types[name] is int else float(v)
            points.append((i, vals))

    grid_keys = list(spec.factors)
    grid = [dict(zip(grid_keys, combo, strict=True)) for combo in
            itertools.product(*[[_cast(k, v) for v in spec.factors[k]] for k in grid_keys])]
    doctrines: list[str | None] = list(spec.doctrines) if spec.doctrines else [None]
    base_names = list(exp.bases) or [exp.base_named(None).name]

    def regimes_of(base: str) -> list[tuple[str | None, list[dict[str, Any]] | None]]:
        if not spec.shock_regimes:
            return [(None, None)]
        return [(n, [_json(sh) for sh in regime_shocks(shocks, base)])
                for n, shocks in spec.shock_regimes.items()]

    regimes = {b: regimes_of(b) for b in base_names}
    runs: list[RunSpec] = []
    run_id = 0
    for rep in range(spec.replications):
        for base in base_names:
            for point, pvals in points:
                for g in grid:
                    for d in doctrines:
                        for rname, shocks in regimes[base]:
                            key = rep if spec.seeds == "common" else run_id
                            runs.append(RunSpec(
                                run_id=run_id,
                                seed=derive_seed(spec.master_seed, key),
                                replication=rep,
                                point=point,
                                doctrine=d,
                                shock_regime=rname,
                                values={**g, **pvals},
                                shocks=shocks,
                                base=base,
                            ))
                            run_id += 1

    columns: dict[str, str] = {}
    for k in grid_keys:
        columns[k] = _col_type([_cast(k, v) for v in spec.factors[k]])
    if problem is not None:
        for name in problem["names"]:
            columns[name] = "int" if types[name] is int else "float"
    return Design(runs=runs, factor_columns=columns, problem=problem, sample=x, steps=steps,
                  bases=base_names)


def _json(shock: Any) -> dict[str, Any]:
    return shock.model_dump(mode="json") if hasattr(shock, "model_dump") else dict(shock)


def yaml_scalar(v: Any) -> str:
    """A value as YAML that ``--set`` reads back exactly (YAML wants ``1.0e-05``, not ``1e-05``)."""
    if isinstance(v, float):
        text = repr(v)
        mantissa, e, exp = text.partition("e")
        if e and "." not in mantissa:
            text = f"{mantissa}.0e{exp}"
        return text
    return json.dumps(v)


def repeat_command(exp: LoadedExperiment, run: RunSpec, steps: int) -> str:
    """The ``diplomacy-sim run`` command that repeats this run alone, bit for bit."""
    parts = ["diplomacy-sim", "run", exp.base_named(run.base).path, "--seed", str(run.seed),
             "--steps", str(steps)]
    if exp.spec.people is not None:
        parts += ["--people", str(exp.spec.people)]
    if run.doctrine is not None:
        parts += ["--doctrine", run.doctrine]
    for k, v in run.values.items():
        parts += ["--set", f"{k}={yaml_scalar(v)}"]
    if run.shocks is not None:
        parts += ["--set", "shocks=" + json.dumps(run.shocks, separators=(",", ":"))]
    return " ".join(shlex.quote(p) for p in parts)


__all__ = ["Design", "RunSpec", "build_design", "derive_seed", "repeat_command"]
