"""Property tests over the whole model: any parameters the schema allows give a sane run."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import diplomacy_sim as ds
from diplomacy_sim.domain.outcomes import UNIT_OUTCOMES
from diplomacy_sim.scenario.loader import apply_overrides, scenario_from_dict
from diplomacy_sim.scenario.schema import tunable_parameters

PARAMS = [p for p in tunable_parameters() if p.path != "steps"]


@st.composite
def parameter_sets(draw):
    chosen = draw(
        st.lists(st.sampled_from(PARAMS), min_size=1, max_size=8, unique_by=lambda p: p.path)
    )
    out = {}
    for p in chosen:
        if p.type is int:
            out[p.path] = draw(st.integers(int(p.low), int(min(p.high, p.low + 60))))
        else:
            out[p.path] = draw(st.floats(p.low, p.high, allow_nan=False, allow_infinity=False))
    out["doctrine"] = draw(st.sampled_from(["command", "stewardship", "diplomacy", "fatalism"]))
    return out


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(overrides=parameter_sets(), seed=st.integers(0, 2**32))
def test_any_allowed_parameters_keep_outcomes_in_range(discharge, overrides, seed):
    data = apply_overrides(discharge.model_dump(mode="json"), {**overrides, "steps": 100})
    spec = scenario_from_dict(data)
    model = ds.DiplomacyModel(spec, seed=seed)
    model.run_to_end()
    ts = ds.api.timeseries(model)
    assert len(ts) == 100
    assert np.isfinite(ts.drop(columns="week").to_numpy()).all()
    for name in UNIT_OUTCOMES:
        assert ts[name].between(0.0, 1.0).all(), name
    p, t = model.state.people, model.state.ties
    assert np.all((t.trust >= 0) & (t.trust <= 1))
    assert np.allclose(p.agenda.sum(axis=1), 1.0) and np.all(p.agenda >= -1e-12)
    assert np.all((p.beliefs >= 0) & (p.beliefs <= 1))
    assert np.all(np.diff(t.src) >= 0)  # ties stay sorted
    shares = model.state.initiatives.shares
    assert np.allclose(shares.sum(axis=1)[model.state.initiatives.parties.any(axis=1)], 1.0)
