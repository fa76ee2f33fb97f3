"""Tiny experiments for the sweep tests (a few short runs each)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from diplomacy_sim.batch.experiment import load_experiment
from diplomacy_sim.scenario.loader import ScenarioError

TINY = {
    "name": "tiny",
    "title": "Tiny",
    "description": "A few very short runs.",
    "base": "integrated_discharge",
    "master_seed": 11,
    "replications": 2,
    "steps": 6,
    "outputs": "timeseries",
    "doctrines": ["command", "diplomacy"],
    "shock_regimes": {
        "calm": [],
        "cut": [{"kind": "budget_cut", "at": 2, "organisations": ["city_council"]}],
    },
    "factors": {"parameters.trust.loss_ratio": [2.0, 5.0]},
}


def write_experiment(folder: Path, **changes: object) -> Path:
    data = {**TINY, **changes}
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{data['name']}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    return write_experiment(tmp_path)


def results(folder: Path) -> pd.DataFrame:
    """The summaries without the columns that legitimately differ between executors."""
    df = pd.read_parquet(folder / "summaries").sort_values("run_id", ignore_index=True)
    return df.drop(columns=["worker", "duration_s"])


def timeseries(folder: Path) -> pd.DataFrame:
    df = pd.read_parquet(folder / "timeseries")
    return df.sort_values(["run_id", "step"], ignore_index=True)


def problems_of(path: Path) -> list[str]:
    """The problems loading the experiment file at ``path`` reports (it must fail)."""
    with pytest.raises(ScenarioError) as err:
        load_experiment(path)
    assert err.value.source == str(path)
    return err.value.problems
