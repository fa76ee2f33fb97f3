"""Shared fixtures."""

from __future__ import annotations

import pytest

from diplomacy_sim.scenario.loader import load_scenario
from diplomacy_sim.scenario.schema import Scenario


@pytest.fixture(scope="session")
def discharge() -> Scenario:
    return load_scenario("integrated_discharge")
