"""Golden summaries: every shipped scenario at a fixed seed gives the stored summary.

A change to the model's behaviour shows up here. If the change is intended, regenerate on
purpose and say why in the commit message:

    UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_golden.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import diplomacy_sim as ds
from diplomacy_sim.domain.outcomes import OUTCOMES
from diplomacy_sim.scenario.loader import SCENARIO_DIR

GOLDEN = Path(__file__).parent / "golden"
SEED = 20261122
SHIPPED = sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml"))


def summary_of(name: str) -> dict[str, float]:
    s = ds.run(name, seed=SEED).summary
    out = {k: s[k] for k in OUTCOMES}
    out.update({f"mean_{k}": v for k, v in s["mean"].items()})
    out["events"] = s["events"]
    return out


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_scenario_matches_its_golden_summary(name):
    path = GOLDEN / f"{name}.json"
    got = summary_of(name)
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(json.dumps(got, indent=2, sort_keys=True) + "\n")
    assert path.exists(), f"no golden summary for {name}: run with UPDATE_GOLDEN=1 to create it"
    want = json.loads(path.read_text())
    assert got.keys() == want.keys()
    for key, value in want.items():
        assert got[key] == pytest.approx(value, rel=1e-9, abs=1e-12), key
