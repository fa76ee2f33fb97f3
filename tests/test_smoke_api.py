"""The public API: run a scenario and get the contract's outcomes."""

import diplomacy_sim as ds
from diplomacy_sim.domain.outcomes import OUTCOMES


def test_a_run_records_every_outcome_every_week(discharge):
    result = ds.run(discharge, seed=4, steps=30)
    assert list(result.timeseries.columns) == ["step", *OUTCOMES]
    assert len(result.timeseries) == 30
    assert result.summary["seed"] == 4
    for name in OUTCOMES:
        assert name in result.summary and name in result.summary["mean"]
