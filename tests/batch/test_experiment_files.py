"""Experiment files are validated as strictly as scenarios: file, field, what is allowed."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from diplomacy_sim.batch.design import build_design, derive_seed
from diplomacy_sim.batch.experiment import EXPERIMENT_DIR, load_experiment
from diplomacy_sim.cli import main

from .conftest import problems_of, write_experiment

SHIPPED = ["smoke", "doctrines", "reorganisation_timing", "leader_churn", "sensitivity"]


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_experiment_validates(name):
    exp = load_experiment(EXPERIMENT_DIR / f"{name}.yaml")
    assert exp.spec.fault_injection is None  # the test-only knob stays out of shipped files
    assert len(build_design(exp).runs) > 0


def test_smoke_is_small():
    assert len(build_design(load_experiment("smoke")).runs) <= 50


def test_doctrines_crosses_four_doctrines_with_shock_regimes_and_30_replications():
    spec = load_experiment("doctrines").spec
    assert sorted(spec.doctrines or []) == ["command", "diplomacy", "fatalism", "stewardship"]
    assert spec.shock_regimes is not None and len(spec.shock_regimes) >= 3
    assert spec.replications >= 30


def test_sensitivity_is_a_sobol_design():
    spec = load_experiment("sensitivity").spec
    assert spec.sampler is not None and spec.sampler.method == "sobol"


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"replicatons": 3}, "unknown key `replicatons`. Did you mean `replications`?"),
        ({"replications": "3"}, "field `replications`: '3' has the wrong type"),
        ({"replications": 0}, "field `replications`: 0 is out of range"),
        ({"doctrines": ["comand"]}, "Did you mean `command`?"),
        ({"outputs": "everything"}, "field `outputs`: `everything` is not allowed"),
        ({"base": "no_such_scenario"}, "field `base`: `no_such_scenario` is not a valid scenario"),
        ({"factors": {"parameters.trust.los_ratio": [1, 2]}},
         "field `factors.parameters.trust.los_ratio`: `parameters.trust.los_ratio`: unknown key "
         "`los_ratio`"),
        ({"factors": {"parameters.trust.loss_ratio": [2, 99]}},
         "field `factors.parameters.trust.loss_ratio[1]`: 99 is not valid here"),
        ({"factors": {"doctrine": ["command"]}}, "use `doctrines` instead"),
        ({"factors": {"parameters.trust.loss_ratio": [2, 2]}}, "values repeat (2.0 is given"),
        ({"factors": {"parameters.trust.loss_ratio": [1, 1.0]}}, "values repeat (1.0 is given"),
        ({"factors": {"parameters.trust.loss_ratio": [3, 2.0, 3.0]}}, "values repeat (3.0"),
        ({"factors": {"parameters.turnover.executive_hazard": [0.01, 0.010]}},
         "values repeat (0.01"),
        ({"factors": {"parameters.negotiation.deadline_rounds": [6, 6.0]}},
         "values repeat (6 is given"),
        ({"factors": {"organisations.city_council.budget": [250, 250.0]}},
         "values repeat (250"),
        ({"factors": {"parameters.trust.friction": [0.0, -0.0]}}, "values repeat (0.0"),
        ({"factors": {"organisations.city_council.budget": [5, 2000],
                      "organisations.1.budget": [260]}},
         "field `factors.organisations.1.budget`: sets the same field as "
         "`factors.organisations.city_council.budget`"),
        ({"shock_regimes": {"bad": [{"kind": "budget_cut", "at": 2,
                                     "organisations": ["city_councl"]}]}},
         "field `shock_regimes.bad`: field `shocks[0].organisations[0]`: `city_councl` is not a "
         "known organisation"),
        ({"shock_regimes": {"late": [{"kind": "election", "at": 50}]}},
         "week 50 is past the horizon"),
        ({"shock_regimes": {"x": [{"kind": "earthquake", "at": 1}]}}, "is not a shock kind"),
        ({"shock_regimes": None, "steps": 4},
         "field `steps`: 4 weeks do not fit the base scenario: field `shocks[0].at`"),
        ({"sampler": {"method": "sobol", "n": 10, "ranges": {
            "parameters.trust.loss_ratio": None, "parameters.influence.openness": None}},
          "factors": {}}, "field `sampler.n`: 10 is not a power of 2"),
        ({"sampler": {"method": "lhs", "n": 4, "ranges": {"parameters.trust.loss_ratio": [0, 3]}},
          "factors": {}}, "[0.0, 3.0] is out of range; allowed: 1.0 to 10.0"),
        ({"sampler": {"method": "morris", "n": 4, "ranges": {"parameters.trust.loss_rati": None}},
          "factors": {}}, "Did you mean `parameters.trust.loss_ratio`?"),
    ],
)
def test_bad_experiment_files_name_the_field_and_what_is_allowed(tmp_path, changes, expected):
    problems = problems_of(write_experiment(tmp_path, **changes))
    assert any(expected in p for p in problems), problems


def test_not_yaml_and_not_a_mapping(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n")
    assert "is not valid YAML at line" in problems_of(bad)[0]
    bad.write_text("- a list\n")
    assert "mapping" in problems_of(bad)[0]


def test_cli_exits_2_with_a_message_and_no_traceback(tmp_path):
    path = write_experiment(tmp_path, replicatons=3)
    res = CliRunner().invoke(main, ["sweep", str(path), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert str(path) in res.output and "replicatons" in res.output
    assert "Traceback" not in res.output


def test_seeds_derive_from_the_master_seed_and_are_stable():
    exp = load_experiment("smoke")
    runs = build_design(exp).runs
    assert [r.run_id for r in runs] == list(range(len(runs)))
    assert len({r.seed for r in runs}) == len(runs)
    assert runs[3].seed == derive_seed(exp.spec.master_seed, 3)
    assert all(0 <= r.seed < 2**63 for r in runs)
    assert [r.seed for r in build_design(load_experiment("smoke")).runs] == [r.seed for r in runs]


def test_common_random_numbers_share_a_seed_per_replication(tmp_path):
    runs = build_design(load_experiment(write_experiment(tmp_path, seeds="common"))).runs
    by_rep: dict[int, set[int]] = {}
    for r in runs:
        by_rep.setdefault(r.replication, set()).add(r.seed)
    assert all(len(s) == 1 for s in by_rep.values()) and len(by_rep) == 2
