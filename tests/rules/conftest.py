"""A tiny place to state rules on: three organisations, a handful of people each."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from diplomacy_sim.domain.state import SystemState
from diplomacy_sim.model.build import build_state
from diplomacy_sim.rng import streams
from diplomacy_sim.scenario.loader import scenario_from_dict
from diplomacy_sim.scenario.schema import Scenario

TINY: dict[str, Any] = {
    "name": "tiny",
    "title": "Tiny place",
    "description": "Three organisations. Try a shock.",
    "source": "Test fixture.",
    "steps": 20,
    "seed": 3,
    "issues": [
        {"id": "discharge", "label": "Discharge", "service": "discharge"},
        {"id": "housing", "label": "Housing"},
    ],
    "organisations": [
        {"id": "hosp", "name": "Hospital", "kind": "hospital",
         "agenda": {"discharge": 0.8, "housing": 0.2}, "budget": 10.0,
         "statutory_share": 0.8, "identity": 0.6, "authority": 0.8,
         "people": {"executive": 2, "manager": 1, "frontline": 3}},
        {"id": "council", "name": "Council", "kind": "council",
         "agenda": {"discharge": 0.3, "housing": 0.7}, "budget": 20.0,
         "statutory_share": 0.5, "identity": 0.4, "authority": 0.6,
         "people": {"executive": 1, "councillor": 3, "frontline": 2}},
        {"id": "charity", "name": "Charity", "kind": "charity",
         "agenda": {"discharge": 0.5, "housing": 0.5}, "budget": 2.0,
         "statutory_share": 0.2, "identity": 0.5, "authority": 0.2,
         "funded_by": "council", "grant_share": 0.5,
         "people": {"executive": 1, "frontline": 2}},
    ],
    "initiatives": [
        {"id": "a", "name": "A", "advances": {"discharge": 1.0}, "parties": ["hosp", "council"],
         "lead": "hosp"},
        {"id": "b", "name": "B", "advances": {"housing": 1.0}, "parties": ["council", "charity"]},
        {"id": "c", "name": "C", "advances": {"discharge": 0.5, "housing": 0.5},
         "parties": ["hosp", "council", "charity"]},
    ],
}
HOSP, COUNCIL, CHARITY = 0, 1, 2
INDEX = {"hosp": HOSP, "council": COUNCIL, "charity": CHARITY}


@pytest.fixture()
def tiny_spec() -> Scenario:
    return scenario_from_dict(TINY, source="tiny")


@pytest.fixture()
def tiny(tiny_spec: Scenario) -> SystemState:
    """The tiny place's starting state, with calm organisations (no disturbance)."""
    state = build_state(tiny_spec, streams(tiny_spec.seed))
    assert np.all(state.orgs.disturbance == 0.0)
    return state
