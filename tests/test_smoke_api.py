"""The public API: run a scenario and get the contract's outcomes."""

import diplomacy_sim as ds
from diplomacy_sim.domain.outcomes import OUTCOMES


def test_a_run_records_every_outcome_every_week(discharge):
    result = ds.run(discharge, seed=4, steps=30)
    assert list(result.timeseries.columns) == ["week", *OUTCOMES]
    assert len(result.timeseries) == 30
    assert result.summary["seed"] == 4
    for name in OUTCOMES:
        assert name in result.summary and name in result.summary["mean"]


def test_a_scenario_run_by_file_is_read_once_and_again_when_the_file_changes(tmp_path):
    import os

    from diplomacy_sim import api
    from diplomacy_sim.scenario.loader import load_scenario, resolve_path

    path = tmp_path / "place.yaml"
    text = resolve_path("integrated_discharge").read_text()
    path.write_text(text)
    first = api.cached_scenario(path)
    second = api.cached_scenario(path)
    assert first == second == load_scenario(path)
    assert first is not second  # each caller gets its own copy
    first.organisations.pop()
    assert len(api.cached_scenario(path).organisations) == len(second.organisations)
    path.write_text(text.replace("steps: 156", "steps: 100", 1))
    os.utime(path, ns=(1, 1))  # even with an old mtime, the changed content is read
    assert api.cached_scenario(path).steps == 100
    assert api.run(path, seed=3).summary == api.run(load_scenario(path), seed=3).summary


def test_the_summary_is_the_timeseries_last_row_and_column_means_bit_for_bit():
    """summarise reads the record without pandas; it must give pandas' numbers exactly."""
    import math

    import pytest

    from diplomacy_sim import api
    from diplomacy_sim.scenario.catalog import list_scenarios

    for name, *_ in list_scenarios():
        for seed in (1, 2):
            result = api.run(name, seed=seed, steps=60)
            df = result.timeseries
            for k in OUTCOMES:
                assert result.summary[k] == float(df[k].iloc[-1]), (name, k)
                assert result.summary["mean"][k] == float(df[k].mean()), (name, k)
    # NaN is skipped and the count excludes it, as pandas does; an empty column is NaN
    import pandas as pd

    values = [0.1, float("nan"), 0.7, 1e-17, 3.0]
    assert api.column_mean(values) == float(pd.Series(values).mean())
    assert api.column_mean([1, 2, 4]) == float(pd.Series([1, 2, 4]).mean())
    assert math.isnan(api.column_mean([float("nan")]))
    with pytest.raises(TypeError, match="numeric"):
        api.column_mean(["a"])
