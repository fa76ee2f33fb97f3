"""The small public API the CLI, the dashboard and the sweep runner call.

pandas is imported only where a frame is made or read (:func:`timeseries`,
:func:`load_result`): a sweep worker calls :func:`simulate` and :func:`summarise`, which
need neither pandas nor Mesa.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from diplomacy_sim import __version__
from diplomacy_sim.atomic import atomic_write as atomic_write  # re-exported
from diplomacy_sim.atomic import check_writable, refuse_foreign, replace_folder
from diplomacy_sim.domain.events import FIRST_WEEK
from diplomacy_sim.domain.outcomes import OUTCOMES
from diplomacy_sim.model.model import DiplomacyCore, Engine
from diplomacy_sim.scenario.loader import load_scenario, resolve_path, resolved_dict
from diplomacy_sim.scenario.schema import Scenario

if TYPE_CHECKING:
    import pandas as pd

    from diplomacy_sim.model.mesa_model import DiplomacyModel


@dataclass
class RunResult:
    """Everything a run produced, with the seed and the resolved scenario to repeat it."""

    timeseries: pd.DataFrame
    summary: dict[str, Any]
    events: list[dict[str, Any]]
    scenario: dict[str, Any] = field(repr=False)

    @property
    def seed(self) -> int:
        return int(self.summary["seed"])


_SCENARIO_CACHE: dict[tuple[Any, ...], Scenario] = {}
_SCENARIO_CACHE_MAX = 32


def _scenario_key(source: str | Path, load_kwargs: dict[str, Any]) -> tuple[Any, ...] | None:
    """What a loaded scenario depends on: the file (path, size, mtime, content hash) and
    the load arguments; None when the file cannot be read (the loader then reports why)."""
    path = resolve_path(source)
    try:
        st = path.stat()
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        args = json.dumps(load_kwargs, sort_keys=True, default=repr)
    except (OSError, TypeError, ValueError):
        return None
    return (str(path.resolve()), st.st_size, st.st_mtime_ns, digest, args)


def cached_scenario(source: str | Path, **load_kwargs: Any) -> Scenario:
    """:func:`load_scenario`, remembered per file content and arguments.

    A sweep or a script calling :func:`run` by name thousands of times reads and validates
    the YAML once; a changed file (size, mtime or content) is read again. Each caller gets
    its own deep copy, so no caller can change another's scenario.
    """
    key = _scenario_key(source, load_kwargs)
    if key is None:
        return load_scenario(source, **load_kwargs)
    hit = _SCENARIO_CACHE.get(key)
    if hit is None:
        hit = load_scenario(source, **load_kwargs)
        if len(_SCENARIO_CACHE) >= _SCENARIO_CACHE_MAX:
            _SCENARIO_CACHE.pop(next(iter(_SCENARIO_CACHE)))
        _SCENARIO_CACHE[key] = hit
    return hit.model_copy(deep=True)


def build_model(
    scenario: Scenario | str | Path, seed: int | None = None, engine: Engine = "vectorised",
    **load_kwargs: Any,
) -> DiplomacyModel:
    """A ready-to-step model (a real ``mesa.Model``) from a scenario object, a file, or a
    shipped scenario's name."""
    from diplomacy_sim.model.mesa_model import DiplomacyModel

    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario, **load_kwargs)
    return DiplomacyModel(scenario, seed=seed, engine=engine)


def column_mean(values: list[Any]) -> float:
    """The mean of one outcome's weekly values, NaN skipped: what ``pandas.Series.mean``
    gives for the timeseries column (the same sum, in float64), without importing pandas."""
    col = np.asarray(values)
    if col.dtype.kind not in "fiub":
        raise TypeError(f"an outcome column must be numeric, not {col.dtype}")
    col = col.astype(np.float64, copy=False)
    return float(np.nanmean(col)) if not np.isnan(col).all() else float("nan")


def summarise(model: DiplomacyCore) -> dict[str, Any]:
    """Final and mean value of each outcome, with what is needed to repeat the run.

    The same numbers as the final row and the column means of :func:`timeseries`
    (tests/test_smoke_api.py checks it bit for bit), computed from the record directly.
    """
    rows = model.rows
    final = {k: float(rows[-1][k]) for k in OUTCOMES} if rows else {}
    mean = {k: column_mean([r[k] for r in rows]) for k in OUTCOMES} if rows else {}
    return {
        "scenario": model.spec.name,
        "doctrine": model.spec.doctrine,
        "seed": model.seed,
        "steps": model.week,  # weeks run: also the number of the last week (week_number)
        "people": model.state.people.n,
        "version": __version__,
        **final,
        "mean": mean,
        "events": len(model.events),
    }


def timeseries(model: DiplomacyCore) -> pd.DataFrame:
    """One row per week run: ``week`` numbered as people read it (1, 2, ...:
    :func:`~diplomacy_sim.domain.events.week_number` of the model's 0-based step), then the
    outcomes measured at the end of that week."""
    import pandas as pd

    df = pd.DataFrame.from_records(model.rows, columns=["step", *OUTCOMES])
    df.insert(0, "week", df.pop("step").astype("int64") + FIRST_WEEK)
    return df


def result_of(model: DiplomacyCore) -> RunResult:
    return RunResult(
        timeseries=timeseries(model),
        summary=summarise(model),
        events=[e.record() for e in model.events],
        scenario=resolved_dict(model.spec),
    )


def simulate(
    scenario: Scenario | str | Path,
    seed: int | None = None,
    steps: int | None = None,
    engine: Engine = "vectorised",
    progress: Callable[[int, int], None] | None = None,
    **load_kwargs: Any,
) -> DiplomacyCore:
    """Run a scenario to its horizon (or ``steps``) and return the finished model.

    The run uses the Mesa-free :class:`~diplomacy_sim.model.model.DiplomacyCore`: the same
    bits as a ``DiplomacyModel`` (:func:`build_model`), without importing Mesa.
    """
    if not isinstance(scenario, Scenario):
        scenario = cached_scenario(scenario, **load_kwargs)
    if steps is not None:
        scenario = scenario.model_copy(update={"steps": steps})
    model = DiplomacyCore(scenario, seed=seed, engine=engine)
    while not model.done:
        model.step()
        if progress is not None:
            progress(model.week, model.horizon)
    return model


def run(
    scenario: Scenario | str | Path,
    seed: int | None = None,
    steps: int | None = None,
    engine: Engine = "vectorised",
    progress: Callable[[int, int], None] | None = None,
    **load_kwargs: Any,
) -> RunResult:
    """Run a scenario to its horizon (or ``steps``) and return the result
    (:func:`simulate`, then :func:`result_of`)."""
    return result_of(simulate(scenario, seed=seed, steps=steps, engine=engine,
                              progress=progress, **load_kwargs))


RESULT_FILES = ("timeseries.parquet", "timeseries.csv", "events.jsonl", "scenario.yaml",
                "summary.json")
"""The files of a run's result folder; ``summary.json`` (written last) marks it complete."""


def write_result(result: RunResult, out: str | Path) -> Path:
    """Write a run to ``out``: timeseries (Parquet and CSV), events, summary, scenario.

    The files are written into a hidden sibling folder, flushed to disk and swapped in at
    once (:func:`diplomacy_sim.atomic.replace_folder`): a reader sees the earlier result or
    this one, never a mixture, even if the writer is killed. ``out`` must be missing, empty
    or an earlier result (a folder holding other files is refused: nothing is lost).
    """
    import yaml

    out = Path(out)
    files: list[tuple[str, Callable[[Path], None]]] = [
        ("timeseries.parquet", lambda p: result.timeseries.to_parquet(p, index=False)),
        ("timeseries.csv", lambda p: result.timeseries.to_csv(p, index=False)),
        ("events.jsonl",
         lambda p: p.write_text("".join(json.dumps(e) + "\n" for e in result.events))),
        ("scenario.yaml", lambda p: p.write_text(yaml.safe_dump(result.scenario, sort_keys=False))),
        ("summary.json", lambda p: p.write_text(json.dumps(result.summary, indent=2))),
    ]
    return replace_folder(out, files, allowed=RESULT_FILES)


def check_result_folder(out: str | Path) -> str | None:
    """Why :func:`write_result` would fail on ``out`` (None: it would not), checked first."""
    out = Path(out)
    problem = check_writable(out)
    if problem:
        return problem
    try:
        refuse_foreign(out, RESULT_FILES)
    except FileExistsError as exc:
        return f"{exc}; allowed: a new folder, an empty one, or an earlier run's result"
    return None


def load_result(path: str | Path) -> RunResult:
    """Read back a run written by :func:`write_result`."""
    import pandas as pd
    import yaml

    path = Path(path)
    return RunResult(
        timeseries=pd.read_parquet(path / "timeseries.parquet"),
        summary=json.loads((path / "summary.json").read_text()),
        events=[json.loads(x) for x in (path / "events.jsonl").read_text().splitlines() if x],
        scenario=yaml.safe_load((path / "scenario.yaml").read_text()),
    )

