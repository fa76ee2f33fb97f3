"""The pre-registration is complete, and the shipped experiments are what it declares.

``experiments/validation/preregistration.yaml`` states every pattern's role, checks, tests and
ensemble sizes before the runs; the experiment files are written from it and the shipped
scenarios, so they must be exactly what the writer produces now (a scenario change that moves
an organisation or an initiative shows up here, not as a silently stale experiment).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from diplomacy_sim.analysis import validation as v
from diplomacy_sim.analysis.validation_design import (
    EXPERIMENT_DIR,
    experiment_files,
    load_preregistration,
    place,
    places,
    write_experiments,
)
from diplomacy_sim.batch.design import build_design
from diplomacy_sim.batch.experiment import load_experiment

pytestmark = pytest.mark.validation

PREREG = load_preregistration()
TESTS = ("paired_t", "one_sample_t", "binomial", "sign_test", "wilcoxon", "tost_wilcoxon",
         "bootstrap")


def test_every_pattern_is_declared_calibration_or_validation_with_tested_checks():
    assert [p["number"] for p in PREREG["patterns"]] == list(range(1, 10))
    for p in PREREG["patterns"]:
        assert p["role"] in ("validation", "calibration"), p["key"]
        if p["role"] == "calibration":
            assert p.get("why_calibration"), f"{p['key']}: say why it is a calibration target"
        assert p["source"] and p["experiment"] and p["applies_to"], p["key"]
        assert set(v.PATTERN_FUNCTIONS) >= {p["key"]}
        for c in p["checks"]:
            assert c["statistic"] and c["test"].split(",")[0].split(" ")[0] in TESTS, c
    assert PREREG["alpha"] == 0.05 and PREREG["multiple_comparisons"]["method"] == "holm"
    roles = {p["key"]: p["role"] for p in PREREG["patterns"]}
    assert roles["doctrines"] == "validation"  # the hypothesis under test is never a fit


def test_every_shipped_place_is_a_place_of_the_validation():
    shipped = sorted(p.stem for p in (Path(__file__).resolve().parents[2] / "scenarios"
                                      ).glob("*.yaml"))
    assert places(PREREG) == shipped == sorted(PREREG["places"]["names"])


def test_the_shipped_experiment_files_are_what_the_preregistration_writes(tmp_path):
    written = write_experiments(PREREG, tmp_path)
    rel = sorted(str(p.relative_to(tmp_path)) for p in written)
    shipped = sorted(str(p.relative_to(EXPERIMENT_DIR)) for p in experiment_files()) + sorted(
        str(p.relative_to(EXPERIMENT_DIR))
        for p in (EXPERIMENT_DIR / "scenarios").glob("*.yaml"))
    assert rel == sorted(shipped), "run `diplomacy-sim validate-patterns --write-experiments`"
    for r in rel:
        assert (tmp_path / r).read_text() == (EXPERIMENT_DIR / r).read_text(), (
            f"experiments/validation/{r} differs from what the pre-registration writes: run "
            "`diplomacy-sim validate-patterns --write-experiments`")


@pytest.mark.parametrize("path", experiment_files(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_each_experiment_loads_and_has_the_declared_ensemble_size(path):
    exp = load_experiment(path)
    name = path.stem
    if name.startswith("ablation_"):
        declared = PREREG["ablation"]["replications"]
    elif path.parent.name == "doctrine_map":
        declared = PREREG["doctrine_map"]["replications"]
    else:
        declared = PREREG["experiments"][name]["replications"]
    assert exp.spec.replications == declared
    assert exp.spec.seeds == "common"
    assert build_design(exp).runs


def test_austerity_applies_exactly_where_a_council_is():
    for name in places(PREREG):
        has = (EXPERIMENT_DIR / name / "austerity.yaml").exists()
        assert has == bool(place(name).councils), name


def test_the_ablation_pairs_with_the_baseline_seeds():
    for path in experiment_files():
        if path.stem.startswith("ablation_"):
            abl = yaml.safe_load(path.read_text())
            base = yaml.safe_load((path.parent / "baseline.yaml").read_text())
            assert abl["master_seed"] == base["master_seed"] and abl["seeds"] == "common"
