"""Several base scenarios in one experiment, --retry-failed, and single-base compatibility."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pandas as pd
import pandas.testing as pdt
import pyarrow.parquet as pq
import pytest
import yaml
from click.testing import CliRunner

from diplomacy_sim import api
from diplomacy_sim.batch.design import build_design, derive_seed
from diplomacy_sim.batch.experiment import load_experiment
from diplomacy_sim.batch.runner import sweep
from diplomacy_sim.cli import main
from diplomacy_sim.domain.outcomes import OUTCOMES
from diplomacy_sim.scenario.loader import apply_overrides, scenario_from_dict

from .conftest import TINY, problems_of, results, timeseries, write_experiment

CUT = {"kind": "budget_cut", "at": 2, "fraction": 0.3}
MULTI = {
    **{k: v for k, v in TINY.items() if k != "base"},
    "name": "multi",
    "bases": ["integrated_discharge", "icb_merger"],
    "seeds": "common",
    "factors": {},
    "shock_regimes": {
        "calm": [],  # a list: every base takes it
        "winter": [{"kind": "demand_surge", "at": 1, "multiplier": 1.4, "duration": 3}],
        "cut": {  # per base: each names its own council
            "integrated_discharge": [{**CUT, "organisations": ["city_council"]}],
            "icb_merger": [{**CUT, "organisations": ["vale_county_council"]}],
        },
    },
}


def write_multi(folder: Path, **changes: object) -> Path:
    """MULTI with changes; a key set to None is left out of the file."""
    data = {**MULTI, **changes}
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{data['name']}.yaml"
    path.write_text(yaml.safe_dump({k: v for k, v in data.items() if v is not None},
                                   sort_keys=False))
    return path


# --------------------------------------------------------------------------- validation
@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"shock_regimes": {"cut": {"integrated_discharge": [
            {**CUT, "organisations": ["city_council"]}]}}},
         "field `shock_regimes.cut`: no shocks for base `icb_merger`"),
        ({"shock_regimes": {"cut": [{**CUT, "organisations": ["city_council"]}]}},
         "field `shock_regimes.cut` (base `icb_merger`; give this regime per base if the bases "
         "differ): field `shocks[0].organisations[0]`: `city_council` is not a known "
         "organisation"),
        ({"shock_regimes": {"cut": {
            "integrated_discharge": [{**CUT, "organisations": ["city_council"]}],
            "icb_merger": [{**CUT, "organisations": ["city_council"]}]}}},
         "field `shock_regimes.cut.icb_merger`: field `shocks[0].organisations[0]`: "
         "`city_council` is not a known organisation"),
        ({"shock_regimes": {"cut": {
            "integrated_discharge": [], "icb_merger": [], "icb_merge": []}}},
         "`icb_merge` is not a base of this experiment; allowed: integrated_discharge, "
         "icb_merger. Did you mean `icb_merger`?"),
        ({"base": "integrated_discharge"}, "fields `base` and `bases`: give one of them"),
        ({"bases": None}, "field `base`: required but missing (or give `bases`"),
        ({"bases": ["icb_merger", "scenarios/icb_merger.yaml"]},
         "field `bases[1]`: `scenarios/icb_merger.yaml` repeats the base `icb_merger`"),
        ({"bases": ["integrated_discharge", "no_such_scenario"]},
         "field `bases[1]`: `no_such_scenario` is not a valid scenario"),
        ({"bases": ["integrated_discharge", "safeguarding_hub"], "steps": None,
          "shock_regimes": {"calm": []}},
         "field `steps`: required when the bases run for different numbers of weeks "
         "(integrated_discharge: 156, safeguarding_hub: 104)"),
        ({"factors": {"parameters.trust.loss_ratio": [2.0, 99]}},
         "field `factors.parameters.trust.loss_ratio[1]` (base `integrated_discharge`): 99 is "
         "not valid here"),
        ({"shock_regimes": {"cut": {"integrated_discharge": [{"kind": "earthquake", "at": 1}],
                                    "icb_merger": []}}},
         "field `shock_regimes.cut.integrated_discharge[0].kind`: `earthquake` is not a shock "
         "kind"),
        ({"shock_regimes": None, "steps": 4},
         "field `steps` (base `icb_merger`): 4 weeks do not fit the base scenario"),
    ],
)
def test_bad_multi_base_experiments_name_the_field_and_the_base(tmp_path, changes, expected):
    problems = problems_of(write_multi(tmp_path, **changes))
    assert any(expected in p for p in problems), problems


def test_a_mapping_regime_is_checked_against_its_own_base_only(tmp_path):
    exp = load_experiment(write_multi(tmp_path))
    assert list(exp.bases) == ["integrated_discharge", "icb_merger"]
    design = build_design(exp)
    cut = {r.base: r.shocks for r in design.runs if r.shock_regime == "cut"}
    assert cut["integrated_discharge"][0]["organisations"] == ["city_council"]
    assert cut["icb_merger"][0]["organisations"] == ["vale_county_council"]


# --------------------------------------------------------------------------- design
def test_common_seeds_are_common_across_bases_and_cells(tmp_path):
    exp = load_experiment(write_multi(tmp_path))
    runs = build_design(exp).runs
    assert len(runs) == 2 * 2 * 2 * 3  # replications x bases x doctrines x regimes
    assert [r.run_id for r in runs] == list(range(len(runs)))
    for rep in (0, 1):
        mine = [r for r in runs if r.replication == rep]
        assert {r.base for r in mine} == {"integrated_discharge", "icb_merger"}
        assert {r.seed for r in mine} == {derive_seed(exp.spec.master_seed, rep)}
    # replication outermost, then base: a partial sweep covers every base
    assert [r.base for r in runs[:12]] == ["integrated_discharge"] * 6 + ["icb_merger"] * 6

    independent = build_design(load_experiment(write_multi(tmp_path / "i", seeds="independent")))
    seeds = [r.seed for r in independent.runs]
    assert len(set(seeds)) == len(seeds)
    assert seeds == [derive_seed(exp.spec.master_seed, i) for i in range(len(seeds))]


@pytest.fixture(scope="module")
def multi_sweep(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("multi")
    out = root / "o"
    sweep(write_multi(root), out, workers=0, progress=False)
    return out


def test_rows_and_timeseries_have_the_base_and_the_manifest_records_every_base(multi_sweep):
    df = results(multi_sweep)
    assert len(df) == 24 and (df["status"] == "ok").all() and df["run_id"].is_unique
    assert list(df.columns[:2]) == ["run_id", "base"]
    assert df.groupby("base").size().to_dict() == {"icb_merger": 12, "integrated_discharge": 12}
    for base, g in df.groupby("base"):
        assert g["repeat_command"].str.contains(f"/{base}.yaml ", regex=False).all()
    ts = timeseries(multi_sweep)
    assert ts.groupby("run_id")["base"].first().to_dict() == df.set_index("run_id")["base"].to_dict()
    manifest = json.loads((multi_sweep / "manifest.json").read_text())
    assert [b["name"] for b in manifest["bases"]] == ["integrated_discharge", "icb_merger"]
    for b in manifest["bases"]:
        assert len(b["file_sha256"]) == 64 and Path(b["file"]).name == f"{b['name']}.yaml"


def test_repeat_command_repeats_a_run_of_the_second_base_bit_for_bit(multi_sweep):
    df = results(multi_sweep)
    row = df[(df["base"] == "icb_merger") & (df["shock_regime"] == "cut")].iloc[-1]
    argv = shlex.split(row["repeat_command"])
    assert argv[:2] == ["diplomacy-sim", "run"] and argv[2].endswith("icb_merger.yaml")
    assert "vale_county_council" in row["repeat_command"]
    res = CliRunner().invoke(main, [*argv[1:], "--quiet", "--json"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert summary["seed"] == row["seed"] and summary["doctrine"] == row["doctrine"]
    for o in OUTCOMES:
        assert summary[o] == row[o], o  # exact: floats survive JSON
        assert summary["mean"][o] == row[f"mean_{o}"], o


def test_the_report_groups_by_base(multi_sweep, tmp_path):
    res = CliRunner().invoke(main, ["analyse", str(multi_sweep), "--out", str(tmp_path / "r")])
    assert res.exit_code == 0, res.output
    text = (tmp_path / "r" / "report.md").read_text()
    assert "2 base scenarios (integrated_discharge, icb_merger)" in text
    assert "### By base" in text and "| base | doctrine | n |" in text
    assert "Doctrine × shock regime (user outcome, mean [95% CI]): icb_merger" in text
    for name in ("envelopes_0_integrated_discharge.png", "envelopes_1_icb_merger.png",
                 "by_base.png"):
        assert (tmp_path / "r" / name).stat().st_size > 1000


# --------------------------------------------------------------------------- --retry-failed
def test_retry_failed_replaces_the_failed_rows_with_the_new_runs(tmp_path):
    faulty = write_experiment(tmp_path / "faulty", fault_injection={"raise_in_runs": [3, 7]})
    clean = write_experiment(tmp_path / "clean")
    out = tmp_path / "o"
    cli = CliRunner()
    res = cli.invoke(main, ["sweep", str(faulty), "--out", str(out), "--workers", "0", "--quiet"])
    assert res.exit_code == 0 and "14 ok, 2 failed" in res.output, res.output

    # a plain resume keeps the failed rows (the fault injection gone or not)
    res = cli.invoke(main, ["sweep", str(clean), "--out", str(out), "--workers", "0", "--quiet"])
    assert "14 ok, 2 failed" in res.output and "0 run now" in res.output, res.output

    # still failing: the failed rows are replaced by the newer failed rows
    res = cli.invoke(main, ["sweep", str(faulty), "--out", str(out), "--workers", "0", "--quiet",
                            "--retry-failed"])
    assert "14 ok, 2 failed" in res.output and "2 run now" in res.output, res.output
    df = results(out)
    assert len(df) == 16 and df["run_id"].is_unique

    res = cli.invoke(main, ["sweep", str(clean), "--out", str(out), "--workers", "0", "--quiet",
                            "--retry-failed"])
    assert res.exit_code == 0 and "16 ok, 0 failed" in res.output, res.output
    assert "14 already done, 2 run now" in res.output
    sweep(clean, tmp_path / "ref", workers=0, progress=False)
    pdt.assert_frame_equal(results(out), results(tmp_path / "ref"))
    pdt.assert_frame_equal(timeseries(out), timeseries(tmp_path / "ref"))
    old = pd.read_parquet(out / "superseded")
    assert sorted(old["run_id"]) == [3, 3, 7, 7] and (old["status"] == "failed").all()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["runs_failed"] == 0
    assert [s.get("retried_failed", 0) for s in manifest["sessions"]] == [0, 0, 2, 2]


# --------------------------------------------------------------------------- single base
SMOKE_SEEDS = [  # computed by the code before `bases` existed: seed derivation is stable
    4992303888091926367, 4744723883201824839, 1936988025938359935, 7140238575924692496,
    2452205522370165027, 8035898150560140790, 3729632356891816883, 4734261523783898665,
    6344785288790803007, 5940830338926986194, 6898858476113608760, 6900830899455531181,
    5540008611942792900, 3534386477258790862, 3621754853531312863, 2115380674082840844,
    7932616240668815186, 1939948183563565899, 8098436838058373728, 3834098997768516195,
    3593344134196636240, 127223089441009734, 9148362235158410437, 295465963273614515,
]
SMOKE_LAST_COMMAND_TAIL = (
    "--seed 295465963273614515 --steps 20 --doctrine diplomacy --set "
    "parameters.trust.loss_ratio=3.0 --set 'shocks=[{\"at\":5,\"label\":null,\"kind\":"
    "\"budget_cut\",\"organisations\":[\"city_council\"],\"fraction\":0.3,\"intensity\":0.3}]'"
)


def test_a_single_base_experiment_gives_the_seeds_and_rows_it_always_did(tmp_path):
    """Seeds and commands are as before `bases` existed; each row is exactly its own run.

    (Outcome values are not pinned here: they change, on purpose, when the model does; the
    golden summaries in tests/golden pin them.)
    """
    exp = load_experiment("smoke")
    design = build_design(exp)
    assert [r.seed for r in design.runs] == SMOKE_SEEDS
    sweep(exp, tmp_path / "o", workers=0, progress=False)
    df = results(tmp_path / "o")
    assert (df["base"] == "integrated_discharge").all()
    assert list(df["seed"]) == SMOKE_SEEDS
    assert df["repeat_command"].iloc[-1].endswith(SMOKE_LAST_COMMAND_TAIL)
    for run, (_, row) in zip(design.runs[:4], df.iloc[:4].iterrows(), strict=True):
        alone = api.run(scenario_from_dict(apply_overrides(exp.base_data, run.overrides(design.steps))),
                        seed=run.seed)
        assert row["integration"] == alone.summary["integration"]
        assert row["events"] == alone.summary["events"]
    manifest = json.loads((tmp_path / "o" / "manifest.json").read_text())
    assert manifest["base_scenario"] == exp.base_path
    assert [b["name"] for b in manifest["bases"]] == ["integrated_discharge"]


def test_a_folder_written_before_the_base_column_resumes_in_its_own_layout(tiny, tmp_path):
    sweep(tiny, tmp_path / "whole", workers=0, progress=False)
    out = tmp_path / "old"
    sweep(tiny, out, workers=0, progress=False)
    # make it look like a folder from before: no `base` column, no `bases` in the manifest
    for sub in ("summaries", "timeseries"):
        for p in sorted((out / sub).glob("part-*.parquet")):
            pq.write_table(pq.read_table(p).drop(["base"]), p)
    manifest = json.loads((out / "manifest.json").read_text())
    del manifest["bases"]
    (out / "manifest.json").write_text(json.dumps(manifest))
    for p in sorted((out / "summaries").glob("part-*.parquet"))[-3:]:
        p.unlink()  # the last runs are still to do

    again = sweep(tiny, out, workers=0, progress=False)
    assert 0 < again.ran < 16
    df = results(out)
    assert "base" not in df
    pdt.assert_frame_equal(df, results(tmp_path / "whole").drop(columns=["base"]))
    pdt.assert_frame_equal(timeseries(out),
                           timeseries(tmp_path / "whole").drop(columns=["base"]))
    res = CliRunner().invoke(main, ["analyse", str(out)])
    assert res.exit_code == 0, res.output
