"""Experiment files: what a sweep varies, how often, and what it keeps.

An experiment file is YAML, validated as strictly as a scenario: unknown keys, wrong types,
unknown parameter paths, out-of-range values and shocks that do not fit the base scenario
are all errors that name the file and the field (:class:`ScenarioError`, exit code 2).

A run of an experiment is a base scenario with a set of overrides (the same dotted paths
``diplomacy-sim run --set`` takes), a doctrine, a shock regime, a replication and a seed
derived from the master seed — see :mod:`diplomacy_sim.batch.design`.

An experiment has one base scenario (``base``) or several (``bases``, a factor of the design).
Shocks name organisations, which differ between scenarios, so a shock regime is either one
list of shocks (which every base must accept) or a mapping from base name to its list (every
base covered). A base's name is its file name without ``.yaml`` (a shipped scenario's name).
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, ValidationError

from diplomacy_sim.limits import MAX_RUNS_UNCONFIRMED
from diplomacy_sim.scenario.loader import (
    ScenarioError,
    _exists,
    _read_yaml,
    apply_overrides,
    explain_validation_error,
    resolve_path,
    scenario_from_dict,
)
from diplomacy_sim.scenario.schema import (
    MAX_PEOPLE,
    MAX_SEED,
    Doctrine,
    Identifier,
    Scenario,
    Shock,
    tunable_parameters,
)
from diplomacy_sim.shipped import shipped_dir
from diplomacy_sim.untrusted import short

EXPERIMENT_DIR = shipped_dir("experiments")
"""The shipped experiments (package data in a wheel, ``experiments/`` in a checkout)."""

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


def _regime_kind(value: Any) -> str:
    return "per_base[]" if isinstance(value, dict) else "shocks[]"


RegimeShocks = Annotated[
    # The tags hold "[" so that error paths leave them out (what the user wrote has no tag).
    Annotated[list[Shock], Tag("shocks[]")]
    | Annotated[dict[str, list[Shock]], Tag("per_base[]")],
    Discriminator(_regime_kind),
]
"""A shock regime: one list for every base, or base name -> list."""


class Experiment(_Strict):
    """A sweep definition, as written in ``experiments/*.yaml``."""

    name: Identifier
    title: str = Field(min_length=1)
    description: str = Field(min_length=1)
    base: str | None = Field(
        None, min_length=1, description="Base scenario: a shipped name or a file path"
    )
    bases: list[str] | None = Field(
        None, min_length=1,
        description="Several base scenarios (instead of `base`): a factor of the design",
    )
    master_seed: int = Field(ge=0, le=MAX_SEED, description="Every run's seed derives from it")
    seeds: Literal["independent", "common"] = Field(
        "independent",
        description="independent: a fresh seed per run; common: replication r has the same "
        "seed in every cell (common random numbers, for paired comparisons)",
    )
    replications: int = Field(1, ge=1, le=100_000)
    steps: int | None = Field(None, ge=1, le=5200, description="Weeks per run (default: base's)")
    people: int | None = Field(None, ge=1, le=MAX_PEOPLE, description="Scale the base scenario")
    outputs: Literal["summary", "timeseries"] = Field(
        "summary", description="summary: one row per run; timeseries: also every step"
    )
    doctrines: list[Doctrine] | None = Field(None, min_length=1)
    shock_regimes: dict[Identifier, RegimeShocks] | None = Field(
        None, min_length=1,
        description="name -> the shock schedule that replaces the base scenario's shocks "
        "(a list, or base name -> list)",
    )
    factors: dict[str, Annotated[list[Scalar], Field(min_length=1)]] = Field(
        default_factory=dict, description="parameter path -> values (full factorial)"
    )
    sampler: Sampler | None = None
    fault_injection: FaultInjection | None = None


@dataclass(frozen=True)
class BaseScenario:
    """One resolved base scenario of an experiment."""

    name: str
    """The base's name: its file name without ``.yaml`` (a shipped scenario's name)."""
    entry: str
    """As written in the experiment file."""
    path: str
    data: dict[str, Any]
    scenario: Scenario
    file_sha256: str


@dataclass(frozen=True)
class LoadedExperiment:
    """A validated experiment with its resolved base scenario(s) and identity.

    ``base_path``, ``base_data`` and ``base`` are the first (for ``base:``, the only) base;
    ``bases`` holds every base by name, in the experiment's order.
    """

    spec: Experiment
    source: str
    base_path: str
    base_data: dict[str, Any]
    base: Scenario
    file_sha256: str
    design_sha256: str
    """Hash of everything that decides the runs: the experiment and the resolved base(s)."""
    bases: dict[str, BaseScenario] = field(default_factory=dict)

    def base_named(self, name: str | None) -> BaseScenario:
        """A base by name (None: the first)."""
        if not self.bases:  # built by hand (benchmarks): the single base
            return BaseScenario(base_name(self.spec.base or self.base_path), self.base_path,
                                self.base_path, self.base_data, self.base, "")
        return self.bases[name] if name is not None else next(iter(self.bases.values()))


def base_name(entry: str) -> str:
    """The name of a base: its file name without the extension (``icb_merger``)."""
    return Path(entry).stem if Path(entry).suffix in (".yaml", ".yml") else Path(entry).name


def regime_shocks(shocks: Any, base: str) -> list[Any]:
    """A regime's shocks for one base (a regime is a list, or base name -> list)."""
    return shocks[base] if isinstance(shocks, dict) else shocks


def _resolve_base(base: str, exp_path: Path) -> Path:
    rel = exp_path.parent / base
    if _exists(rel) and rel.is_file():
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
    spec: Experiment, bases: dict[str, BaseScenario], steps: int
) -> list[str]:
    """Problems with the experiment against every base (named in the message if several)."""
    multi = spec.bases is not None
    problems: list[str] = []
    for name, b in bases.items():
        problems += _base_problems(spec, name if multi else None, b.data, steps)
    problems += _sampler_problems(spec)
    if spec.shock_regimes:
        names = list(bases)
        for rname, shocks in spec.shock_regimes.items():
            if isinstance(shocks, dict):
                missing = [n for n in names if n not in shocks]
                unknown = [k for k in shocks if k not in bases]
                for n in missing:
                    problems.append(
                        f"field `shock_regimes.{rname}`: no shocks for base `{n}`; a regime "
                        f"given per base needs every base ({', '.join(names)}), `[]` for none."
                    )
                for k in unknown:
                    close = difflib.get_close_matches(k, names, n=1, cutoff=0.6)
                    hint = f" Did you mean `{close[0]}`?" if close else ""
                    problems.append(
                        f"field `shock_regimes.{rname}.{k}`: `{k}` is not a base of this "
                        f"experiment; allowed: {', '.join(names)}.{hint}"
                    )
                for n in names:
                    if n in shocks:
                        problems += _regime_problems(
                            f"field `shock_regimes.{rname}.{n}`", shocks[n], bases[n].data, steps)
            else:
                for n in names:
                    where = f"field `shock_regimes.{rname}`"
                    if multi:
                        where += f" (base `{n}`; give this regime per base if the bases differ)"
                    problems += _regime_problems(where, shocks, bases[n].data, steps)
    return problems


def _regime_problems(where: str, shocks: list[Any], base_data: dict[str, Any], steps: int
                     ) -> list[str]:
    data = apply_overrides(
        base_data, {"shocks": [sh.model_dump(mode="json") for sh in shocks], "steps": steps},
    )
    try:
        scenario_from_dict(data)
    except ScenarioError as exc:
        return [f"{where}: {p}" for p in exc.problems]
    return []


def _base_problems(
    spec: Experiment, base: str | None, base_data: dict[str, Any], steps: int
) -> list[str]:
    """Problems of the steps and factors against one base (``base``: its name, if several)."""
    on = f" (base `{base}`)" if base is not None else ""
    problems: list[str] = []
    if not spec.shock_regimes:
        try:
            scenario_from_dict(apply_overrides(base_data, {"steps": steps}))
        except ScenarioError as exc:
            problems += [
                f"field `steps`{on}: {steps} weeks do not fit the base scenario: {p} (shorten "
                "its shocks with `shock_regimes`, or run longer)" for p in exc.problems
            ]
    reserved = {"seed", "steps", "doctrine", "shocks"}

    landed: dict[tuple[Any, ...], str] = {}  # where each factor's value lands: one field once
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
            problems.append(f"{where}{on}: {bad}")
            continue
        field = _landing(path, base_data)
        if field in landed:
            problems.append(f"{where}{on}: sets the same field as `factors.{landed[field]}` (an "
                            "element named by its id and by its position are one); give each "
                            "field one factor.")
        landed.setdefault(field, path)
        # as the runs will see them: 1 is 1.0 and 0.0 is -0.0 (numbers compare by value)
        keys = [_value_key(_cast(path, v)) for v in values]
        twice = next((v for v, k in zip(values, keys, strict=True) if keys.count(k) > 1), None)
        if twice is not None:
            problems.append(f"{where}: values repeat ({short(_cast(path, twice), 40)} is given "
                            "more than once, as the field reads it); list each value once.")
        for i, v in enumerate(values):
            try:
                scenario_from_dict(apply_overrides(base_data, {path: _cast(path, v)}))
            except ScenarioError as exc:
                msg = exc.problems[0].split(": ", 1)[-1]
                problems.append(
                    f"field `factors.{path}[{i}]`{on}: {short(v)} is not valid here: {msg}")

    if spec.sampler is not None:
        for path in spec.sampler.ranges:
            bad = _check_path(path, base_data) if path in _TUNABLE_TYPES else None
            if bad:
                problems.append(f"field `sampler.ranges.{path}`{on}: {bad}")
    return problems


def _sampler_problems(spec: Experiment) -> list[str]:
    problems: list[str] = []
    tunable = {p.path: p for p in tunable_parameters()}
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
    return problems


_PROBE = "\x00factor-probe\x00"


def _landing(path: str, base_data: dict[str, Any]) -> tuple[Any, ...]:
    """Where a factor's value lands in the scenario: the keys and positions walked to it
    (``organisations.city_council.budget`` and ``organisations.1.budget`` land alike)."""
    def find(node: Any, at: tuple[Any, ...]) -> tuple[Any, ...] | None:
        if isinstance(node, str) and node == _PROBE:
            return at
        items = node.items() if isinstance(node, dict) else enumerate(node) \
            if isinstance(node, list) else ()
        for k, v in items:
            hit = find(v, (*at, k))
            if hit is not None:
                return hit
        return None

    return find(apply_overrides(base_data, {path: _PROBE}), ()) or (path,)


def _value_key(value: Any) -> Any:
    """What makes two factor values the same run: numbers by value (1 == 1.0, 0.0 == -0.0),
    anything else by its text."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, (int, float)):
        return ("number", value)
    return ("text", repr(value))


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
    if _exists(p) or p.suffix in (".yaml", ".yml"):
        return p
    shipped = {q.stem: q for q in EXPERIMENT_DIR.glob("*.yaml")}.get(str(name_or_path))
    return shipped if shipped is not None else p


def load_experiment(name_or_path: str | Path) -> LoadedExperiment:
    """Load and validate an experiment file, raising :class:`ScenarioError` on problems."""
    path = experiment_path(name_or_path)
    source = str(path)
    raw = _read_yaml(path)
    try:
        spec = Experiment.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioError(source, explain_validation_error(Experiment, exc)) from None

    if spec.base is not None and spec.bases is not None:
        raise ScenarioError(source, [
            "fields `base` and `bases`: give one of them, not both (`base`: one scenario; "
            "`bases`: a list of scenarios, a factor of the design)."])
    if spec.base is None and spec.bases is None:
        raise ScenarioError(source, [
            "field `base`: required but missing (or give `bases`, a list of scenarios)."])

    entries = [("base", spec.base)] if spec.base is not None else [
        (f"bases[{i}]", b) for i, b in enumerate(spec.bases or [])]
    bases: dict[str, BaseScenario] = {}
    problems: list[str] = []
    for where, entry in entries:
        assert entry is not None
        if not entry.strip():
            problems.append(f"field `{where}`: must not be empty.")
            continue
        name = base_name(entry)
        if name in bases:
            problems.append(
                f"field `{where}`: `{entry}` repeats the base `{name}` (a base is named by its "
                "file name without `.yaml`); list each base once.")
            continue
        base_path = _resolve_base(entry, path)
        try:
            base_data = _read_yaml(base_path)
            base = scenario_from_dict(base_data, source=str(base_path))
        except ScenarioError as exc:
            problems += [f"field `{where}`: `{entry}` is not a valid scenario: {p}"
                         for p in exc.problems]
            continue
        bases[name] = BaseScenario(
            name=name, entry=entry, path=str(base_path), data=base_data, scenario=base,
            file_sha256=hashlib.sha256(base_path.read_bytes()).hexdigest(),
        )
    if problems:
        raise ScenarioError(source, problems)

    horizons = {b.scenario.steps for b in bases.values()}
    if spec.steps is None and len(horizons) > 1:
        raise ScenarioError(source, [
            "field `steps`: required when the bases run for different numbers of weeks ("
            + ", ".join(f"{n}: {b.scenario.steps}" for n, b in bases.items()) + ")."])
    first = next(iter(bases.values()))
    steps = spec.steps or first.scenario.steps
    problems = _semantic_problems(spec, bases, steps)
    if problems:
        raise ScenarioError(source, problems)

    file_sha = hashlib.sha256(path.read_bytes()).hexdigest()
    return LoadedExperiment(
        spec=spec,
        source=source,
        base_path=first.path,
        base_data=first.data,
        base=first.scenario,
        file_sha256=file_sha,
        design_sha256=design_hash(spec, bases),
        bases=bases,
    )


MAX_RUNS = 5_000_000
"""No design has more runs: its list of runs alone would take gigabytes."""


def size_problem(exp: LoadedExperiment, runs: int, allow_large: bool) -> str | None:
    """Why a design of ``runs`` runs must not start (None: it may)."""
    if runs > MAX_RUNS:
        return (f"the design has {runs:,} runs; allowed: at most {MAX_RUNS:,} (split it into "
                "several experiments, or use a sampler instead of a full factorial)")
    if runs > MAX_RUNS_UNCONFIRMED and not allow_large:
        return (f"the design has {runs:,} runs, more than {MAX_RUNS_UNCONFIRMED:,}; check the "
                "estimate above, and confirm with --allow-large to start it")
    return None


def design_size(exp: LoadedExperiment) -> int:
    """How many runs the experiment's design has, counted without building it."""
    spec = exp.spec
    points = 1
    s = spec.sampler
    if s is not None:
        k = len(s.ranges)
        points = {"lhs": s.n, "sobol": s.n * ((2 * k + 2) if s.second_order else (k + 2)),
                  "morris": s.n * (k + 1)}[s.method]
    grid = math.prod(len(v) for v in spec.factors.values())
    doctrines = len(spec.doctrines) if spec.doctrines else 1
    regimes = len(spec.shock_regimes) if spec.shock_regimes else 1
    bases = max(1, len(exp.bases))
    return spec.replications * bases * points * grid * doctrines * regimes


def design_hash(spec: Experiment, bases: dict[str, BaseScenario]) -> str:
    """Hash of what decides the runs: the experiment and its resolved base scenario(s).

    For an experiment with one ``base`` it is the hash it always was, so existing results
    folders resume. ``fault_injection`` (test-only) is left out: it decides which runs fail,
    not what a run is, so a folder can be resumed without it (``--retry-failed``).
    """
    dump = spec.model_dump(mode="json")
    dump["fault_injection"] = None
    if spec.bases is None:
        dump.pop("bases")
        ident: dict[str, Any] = {
            "experiment": dump, "base": next(iter(bases.values())).scenario.model_dump(mode="json")}
    else:
        ident = {"experiment": dump,
                 "bases": {n: b.scenario.model_dump(mode="json") for n, b in bases.items()}}
    return hashlib.sha256(json.dumps(ident, sort_keys=True).encode()).hexdigest()


__all__ = [
    "BaseScenario", "Experiment", "FaultInjection", "LoadedExperiment", "Sampler", "base_name",
    "load_experiment", "regime_shocks",
]
