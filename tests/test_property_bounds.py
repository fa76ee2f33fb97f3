"""Property tests: derandomised, and every parameter tried at its exact bounds.

tests/test_properties.py draws random parameter sets; this file runs the model with each
tunable parameter alone at its exact lower and at its exact upper bound (the values a
random draw almost never hits), and checks the same invariants. The list comes from the
schema, so a new parameter is covered here without editing this file.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import settings

import diplomacy_sim as ds
from diplomacy_sim.domain.outcomes import UNIT_OUTCOMES
from diplomacy_sim.scenario.loader import apply_overrides, scenario_from_dict
from diplomacy_sim.scenario.schema import DOCTRINES, tunable_parameters

PARAMS = [p for p in tunable_parameters() if p.path != "steps"]
STEPS = 100  # past both of the scenario's winter surges


def test_property_tests_run_derandomised_with_the_failure_blob_printed():
    if os.environ.get("CI") == "true" or not os.environ.get("HYPOTHESIS_PROFILE"):
        assert settings().derandomize is True
        assert settings().database is None
    assert settings().print_blob is True


def bound_cases():
    out = []
    for n, p in enumerate(PARAMS):
        for side in ("low", "high"):
            value = getattr(p, side)
            value = int(value) if p.type is int else float(value)
            doctrine = DOCTRINES[n % len(DOCTRINES)]  # every doctrine sees some bounds
            out.append(pytest.param(p.path, value, doctrine, id=f"{p.path}={value:g}"))
    return out


@pytest.mark.parametrize(("path", "value", "doctrine"), bound_cases())
def test_a_parameter_at_its_exact_bound_keeps_every_outcome_in_range(discharge, path, value,
                                                                     doctrine):
    data = apply_overrides(discharge.model_dump(mode="json"),
                           {path: value, "steps": STEPS, "doctrine": doctrine})
    model = ds.DiplomacyModel(scenario_from_dict(data), seed=7)
    model.run_to_end()
    ts = ds.api.timeseries(model)
    assert len(ts) == STEPS
    assert np.isfinite(ts.drop(columns="week").to_numpy()).all()
    for name in UNIT_OUTCOMES:
        assert ts[name].between(0.0, 1.0).all(), name
    assert (ts["avoidable_admissions"] >= 0).all() and (ts["delayed_discharges"] >= 0).all()
    p, t = model.state.people, model.state.ties
    assert np.all((t.trust >= 0) & (t.trust <= 1))
    assert np.allclose(p.agenda.sum(axis=1), 1.0) and np.all(p.agenda >= -1e-12)
    assert np.all((p.beliefs >= 0) & (p.beliefs <= 1))
    assert np.all((p.anxiety >= 0) & (p.anxiety <= 1)) and np.all((p.strain >= 0) & (p.strain <= 1))
    assert np.all(np.diff(t.src) >= 0)
    ini = model.state.initiatives
    assert np.allclose(ini.shares.sum(axis=1)[ini.parties.any(axis=1)], 1.0)
    assert np.all((ini.progress >= 0) & (ini.progress <= 1))
