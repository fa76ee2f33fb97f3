"""Every pre-registered pattern on every place where it applies, as the literature states it.

Two kinds of test:

* **Documented verdicts.** One test per (pattern, place) asserts that the pattern is
  reproduced there in ``docs/figures/validation/results.json`` (the full pre-registered
  ensembles, Holm-adjusted). Where it is not, the test is a strict ``xfail`` whose reason is
  written below by hand from the results: when a re-run of the validation reproduces it, the
  test fails (XPASS) and the reason and docs/validation.md must be revised. The same holds
  for face validity per place.
* **Recomputation.** A few checks are recomputed on small, independent ensembles (master
  seed + 1000, integrated discharge) through the batch runner with 2 workers, so that a change
  to the rules that breaks them fails here before the validation is re-run. Each asserts a
  single pre-registered test at alpha 0.05 (one test each, no family to adjust).

Thresholds are never loosened to make a test pass.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from diplomacy_sim.analysis import validation as v
from diplomacy_sim.analysis.validation_design import EXPERIMENT_DIR, load_preregistration
from diplomacy_sim.batch.experiment import load_experiment
from diplomacy_sim.batch.runner import sweep

pytestmark = pytest.mark.validation

DOCS = Path(__file__).resolve().parents[2] / "docs"
RESULTS = json.loads((DOCS / "figures" / "validation" / "results.json").read_text())
PREREG = load_preregistration()
DOC = "see docs/validation.md"

PLACES = ("austerity_perfect_storm", "devolution_reorganisation", "icb_merger",
          "integrated_discharge", "national_body_abolition", "safeguarding_hub")
SHORT_STALL = ("the reorganisation dip is real but short: integration reaches 0.1 at about "
               "the week of the shock without it, so the delay is weeks, not Fulop's 18 "
               "months; 'rarely better off at 3 years' is not established; " + DOC)
NOT_REPRODUCED: dict[tuple[str, str], str] = {
    # (pattern key, place) -> why it is not (fully) reproduced, from results.json
    **{("reorganisation_dip", p): SHORT_STALL for p in PLACES},
    **{("relational_first", p): "trust moves 50-110 weeks before the user outcome, but "
       "'trust up in > 75% of runs' or 'admissions not down while trust is up' misses the "
       "Holm level here; " + DOC for p in PLACES},
    **{("trust_asymmetry", p): "the weekly fall/rise ratio of mean trust is 1.6-1.8, below "
       "Slovic's 3-5 (the rule's per-review ratio is 3.4-4.6; the place-level ratio is "
       "emergent); " + DOC for p in ("icb_merger", "integrated_discharge",
                                     "national_body_abolition")},
    ("trust_asymmetry", "devolution_reorganisation"): "mean trust falls more slowly than it "
        "rises in the 400-person devolution place (ratio 0.81); " + DOC,
    **{("leader_churn", p): "churn costs trust but its integration loss is not "
       "distinguishable at 25 pairs; " + DOC
       for p in ("devolution_reorganisation", "icb_merger", "national_body_abolition",
                 "safeguarding_hub")},
    **{("doctrines", p): "the doctrine hypothesis holds only in the integrated discharge "
       "partnership: here diplomacy does not sustain more integration than command and "
       "stewardship (stewardship narrows agendas and command agrees sooner, as claimed); "
       + DOC for p in PLACES if p != "integrated_discharge"},
    **{("austerity", p): "a 49% council cut removes less than 49% of the joint work here "
       "(29-66%; the Holm level is missed where it is above), though more than of the user "
       "outcome; " + DOC for p in PLACES if p != "integrated_discharge"},
    **{("inertia_small_wins", p): "small wins raise the user outcome, but collaborative "
       "inertia is not the common outcome (0-27% of runs below integration 0.25); " + DOC
       for p in PLACES},
    **{("disturbance", p): "agenda convergence peaks at the lowest disturbance (0.1) and "
       "falls below none from 0.25: convex over 0-0.9, so the pre-registered inverted-U "
       "tests fail; only 'moderate above strongest' holds; " + DOC for p in PLACES},
}
"""Written by hand from the documented results (never generated from them)."""

NOT_WORSE_OFF: dict[str, str] = {
    # place -> the mechanism (or "unexplained") when its shocks do not leave it worse off
    "integrated_discharge": "its winters raise integration through their disturbance "
        "(productive-disturbance rule; post-hoc check in experiments/validation/posthoc), "
        "while lowering the user outcome; " + DOC,
    "safeguarding_hub": "its shocks lower the user outcome but the integration loss is not "
        "distinguishable at 30 seeds: unexplained; " + DOC,
}

CELLS = sorted((r["key"], r["place"]) for r in RESULTS.get("patterns", {}).values()) \
    if "summary" in RESULTS else []


def _failing(r: dict[str, Any]) -> str:
    return "; ".join(f"{c['name']}: {c['estimate']} (Holm p {c['p_holm']})"
                     for c in r["checks"] if not c["passed"])


@pytest.mark.parametrize("key,place", CELLS, ids=[f"{k}-{p}" for k, p in CELLS])
def test_documented_pattern_is_reproduced(key: str, place: str,
                                          request: pytest.FixtureRequest) -> None:
    if (key, place) in NOT_REPRODUCED:
        request.applymarker(pytest.mark.xfail(strict=True, reason=NOT_REPRODUCED[key, place]))
    r = RESULTS["patterns"][f"{key}/{place}"]
    assert r["verdict"] == v.REPRODUCED, f"{key} in {place}: {r['verdict']}: {_failing(r)}"


def test_the_xfail_table_names_only_documented_cells() -> None:
    assert set(NOT_REPRODUCED) <= set(CELLS)
    assert set(NOT_WORSE_OFF) <= set(RESULTS.get("face_validity", {}))


FACE = sorted(RESULTS.get("face_validity", {}))


@pytest.mark.parametrize("place", FACE)
def test_shocks_leave_each_place_worse_off(place: str, request: pytest.FixtureRequest) -> None:
    if place in NOT_WORSE_OFF:
        request.applymarker(pytest.mark.xfail(strict=True, reason=NOT_WORSE_OFF[place]))
    f = RESULTS["face_validity"][place]
    assert f["verdict"] == "worse off", (place, f["checks"])


# --------------------------------------------------------------------------- recomputation
SEED_OFFSET = 1000
PLACE = "integrated_discharge"
SIZES: dict[str, int] = {"baseline": 30, "baseline_no_shocks": 30, "reorganisation": 20,
                         "workstreams": 10, "leader_churn": 20}
"""Replications of the recomputed ensembles (sized for CI's budget)."""


@pytest.fixture(scope="session")
def ensemble(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], v.Sweep]:
    """Run (once per session) a reduced, independent copy of one of the place's experiments."""
    cache: dict[str, v.Sweep] = {}
    root = tmp_path_factory.mktemp("validation")

    def get(name: str) -> v.Sweep:
        if name not in cache:
            exp = load_experiment(EXPERIMENT_DIR / PLACE / f"{name}.yaml")
            upd = {"replications": SIZES[name], "master_seed": exp.spec.master_seed + SEED_OFFSET}
            exp = dataclasses.replace(exp, spec=exp.spec.model_copy(update=upd))
            outcome = sweep(exp, root / name, workers=2, progress=False)
            assert outcome.failed == 0, f"{name}: {outcome.failed} runs failed"
            cache[name] = v.load_sweep(root / name)
        return cache[name]

    return get


def check(r: v.PatternResult, name: str, alpha: float = 0.05) -> None:
    c = r.check(name)
    print(r.line())
    assert c.p < alpha, r.line()


RECOMPUTED: list[tuple[str, str, str]] = [
    # (experiment, pattern function, check name): checks the documented results pass in this
    # place with a large effect (d_z about 1 or more), so 10-30 independent pairs suffice
    ("baseline", "doctrines", "diplomacy > command (integration)"),
    ("baseline", "doctrines", "diplomacy > stewardship (integration)"),
    ("baseline", "doctrines", "stewardship narrows agendas (pluralism)"),
    ("baseline", "doctrines", "command agrees sooner"),
    ("baseline", "relational_before_outcomes", "trust moves before user outcome (lag > 0)"),
    ("baseline", "trust_asymmetry", "falls faster than rises (ratio > 1)"),
    ("reorganisation", "reorganisation_dip", "deficit over 18 months > 0"),
    ("workstreams", "going_cold", "parallel keeps more partners engaged"),
    ("workstreams", "going_cold", "gap caused by going cold (diff-in-diff > 0)"),
    ("leader_churn", "leader_churn", "trust lower with high churn"),
    # not "integration lower with high churn": documented as passing here (25 pairs, -0.041)
    # but an independent ensemble of 20 pairs finds +0.001 (CI -0.027 to +0.028), so it is
    # not a robust effect; docs/validation.md says so
]


@pytest.mark.parametrize("exp,fn,name", RECOMPUTED, ids=[c for _, _, c in RECOMPUTED])
def test_recomputed_on_an_independent_ensemble(ensemble: Callable[[str], v.Sweep], exp: str,
                                               fn: str, name: str) -> None:
    check(getattr(v, fn)(ensemble(exp), PLACE), name)


def test_recomputed_the_places_winters_lower_its_user_outcome(
    ensemble: Callable[[str], v.Sweep],
) -> None:
    f = v.face_validity(ensemble("baseline"), ensemble("baseline_no_shocks"), PLACE, "diplomacy")
    c = next(c for c in f["checks"] if c.name == "shocks lower user outcome")
    assert c.p < 0.05, (c.estimate, c.ci, c.p)
