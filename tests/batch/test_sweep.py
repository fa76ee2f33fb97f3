"""Sweeps: the same results on any executor, resumable, and robust to failing runs."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pandas.testing as pdt
import pytest
from click.testing import CliRunner

from diplomacy_sim import api
from diplomacy_sim.batch.runner import sweep
from diplomacy_sim.cli import main
from diplomacy_sim.scenario.loader import ScenarioError, load_scenario, parse_override

from .conftest import results, timeseries, write_experiment

CLI = [sys.executable, "-c", "from diplomacy_sim.cli import main; main()"]


def test_serial_process_pool_and_dask_give_identical_results(tiny, tmp_path):
    from distributed import Client, LocalCluster

    sweep(tiny, tmp_path / "serial", workers=0, progress=False)
    sweep(tiny, tmp_path / "pool", workers=2, progress=False, chunk_seconds=0.01)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        sweep(tiny, tmp_path / "dask", executor=client.get_executor(), workers=2,
              progress=False, chunk_seconds=0.01)
    ref = results(tmp_path / "serial")
    assert len(ref) == 16 and (ref["status"] == "ok").all()
    for other in ("pool", "dask"):
        pdt.assert_frame_equal(results(tmp_path / other), ref)
        pdt.assert_frame_equal(timeseries(tmp_path / other), timeseries(tmp_path / "serial"))


def test_a_stored_run_repeats_alone_with_its_seed_and_overrides(tiny, tmp_path):
    sweep(tiny, tmp_path / "o", workers=0, progress=False)
    row = results(tmp_path / "o").iloc[13]
    argv = shlex.split(row["repeat_command"])
    assert argv[:2] == ["diplomacy-sim", "run"]
    overrides = {"seed": int(argv[argv.index("--seed") + 1]),
                 "steps": int(argv[argv.index("--steps") + 1]),
                 "doctrine": argv[argv.index("--doctrine") + 1]}
    overrides.update(parse_override(argv[i + 1]) for i, a in enumerate(argv) if a == "--set")
    again = api.run(load_scenario(argv[2], overrides=overrides))
    assert again.summary["seed"] == row["seed"]
    for o in ("integration", "trust", "user_outcome", "strain"):
        assert again.summary[o] == row[o]


def test_resume_after_a_killed_sweep_gives_the_uninterrupted_dataset(tmp_path):
    exp = write_experiment(tmp_path, steps=20, replications=4)  # 32 runs
    sweep(exp, tmp_path / "whole", workers=0, progress=False)
    out = tmp_path / "killed"
    proc = subprocess.Popen(
        [*CLI, "sweep", str(exp), "--out", str(out), "--workers", "2", "--quiet",
         "--chunk-seconds", "0.05"],
        start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if len(list((out / "summaries").glob("part-*.parquet"))) >= 3:
            break
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)  # the sweep and its workers, mid-flight
    proc.wait()
    partial = pd.read_parquet(out / "summaries")
    assert 0 < len(partial) < 32
    assert json.loads((out / "manifest.json").read_text())["status"] == "running"

    again = sweep(exp, out, workers=2, progress=False)
    assert again.skipped == len(partial) and again.ran == 32 - len(partial)
    final = results(out)
    assert final["run_id"].is_unique
    pdt.assert_frame_equal(final, results(tmp_path / "whole"))
    pdt.assert_frame_equal(timeseries(out), timeseries(tmp_path / "whole"))
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete" and len(manifest["sessions"]) == 2

    # a third run on the finished folder does nothing
    assert sweep(exp, out, workers=0, progress=False).ran == 0


def test_a_run_that_raises_is_recorded_and_the_sweep_goes_on(tmp_path):
    exp = write_experiment(tmp_path, fault_injection={"raise_in_runs": [3, 7]})
    done = sweep(exp, tmp_path / "o", workers=2, progress=False, chunk_seconds=0.01)
    df = results(tmp_path / "o")
    assert done.failed == 2 and done.ok == 14
    failed = df[df["status"] == "failed"]
    assert list(failed["run_id"]) == [3, 7]
    assert failed["error"].str.contains("fault injection").all()
    assert failed["integration"].isna().all()


@pytest.mark.timeout(120)
def test_a_worker_killing_run_is_retried_then_recorded_and_does_not_sink_the_sweep(tmp_path):
    exp = write_experiment(tmp_path, fault_injection={"exit_in_runs": [5]})
    done = sweep(exp, tmp_path / "o", workers=2, progress=False, chunk_seconds=0.01)
    df = results(tmp_path / "o")
    assert len(df) == 16 and df["run_id"].is_unique
    assert list(df.loc[df["status"] != "ok", "run_id"]) == [5]
    assert "worker died" in df.loc[df["run_id"] == 5, "error"].item()
    assert done.retried >= 1
    # every other run matches a clean sweep
    clean = write_experiment(tmp_path / "clean_exp")
    sweep(clean, tmp_path / "clean", workers=0, progress=False)
    ref = results(tmp_path / "clean")
    keep = df["run_id"] != 5
    cols = [c for c in ref.columns if c not in ("status", "error")]
    pdt.assert_frame_equal(df.loc[keep, cols].reset_index(drop=True),
                           ref.loc[ref["run_id"] != 5, cols].reset_index(drop=True),
                           check_dtype=False)  # int columns become float next to a NaN


def test_a_folder_is_never_rewritten_by_another_experiment(tiny, tmp_path):
    sweep(tiny, tmp_path / "o", workers=0, progress=False)
    other = write_experiment(tmp_path / "other", master_seed=12)
    before = sorted(p.name for p in (tmp_path / "o" / "summaries").iterdir())
    with pytest.raises(ScenarioError, match="different experiment"):
        sweep(other, tmp_path / "o", workers=0, progress=False)
    assert sorted(p.name for p in (tmp_path / "o" / "summaries").iterdir()) == before
    res = CliRunner().invoke(main, ["sweep", str(other), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and "never rewritten" in res.output

    stranger = tmp_path / "notes"
    stranger.mkdir()
    (stranger / "thesis.tex").write_text("x")
    with pytest.raises(ScenarioError, match="not a sweep's results folder"):
        sweep(tiny, stranger, workers=0, progress=False)


@pytest.mark.timeout(120)
def test_smoke_end_to_end_with_the_cli_including_analyse(tmp_path):
    out = tmp_path / "smoke"
    res = CliRunner().invoke(main, ["sweep", "experiments/smoke.yaml", "--out", str(out),
                                    "--workers", "2", "--quiet"])
    assert res.exit_code == 0, res.output  # its speed: benchmarks/bench_sweep_startup.py
    df = pd.read_parquet(out / "summaries")
    assert len(df) == 24 and (df["status"] == "ok").all()
    assert len(pd.read_parquet(out / "timeseries")) == 24 * 20
    manifest = json.loads((out / "manifest.json").read_text())
    for key in ("experiment", "design_sha256", "master_seed", "versions", "git_revision",
                "started", "ended"):
        assert manifest[key] is not None, key
    assert manifest["experiment"]["file_sha256"]

    res = CliRunner().invoke(main, ["analyse", str(out)])
    assert res.exit_code == 0, res.output
    report = (out / "report" / "report.md").read_text()
    assert "By doctrine" in report and "By shock_regime" in report and "95%" in report
    assert "envelopes.png" in report
    for png in ("by_doctrine.png", "by_shock_regime.png", "envelopes.png"):
        assert (out / "report" / png).stat().st_size > 1000
    res = CliRunner().invoke(main, ["analyse", str(out), "--format", "html"])
    assert res.exit_code == 0 and (out / "report" / "report.html").exists()
    # the folder was replaced whole: no Markdown report beside figures drawn again
    assert not (out / "report" / "report.md").exists()
    assert not [p for p in out.iterdir() if p.name.startswith(".report.")]


@pytest.mark.parametrize("foreign", ["notes.md", "report.md.bak", "data.csv"])
def test_a_report_never_overwrites_a_folder_of_other_files(tiny, tmp_path, foreign):
    out = tmp_path / "res"
    assert CliRunner().invoke(main, ["sweep", str(tiny), "--out", str(out), "--workers", "0",
                                     "--quiet"]).exit_code == 0
    victim = tmp_path / "mine"
    victim.mkdir()
    (victim / foreign).write_text("IMPORTANT")
    (victim / "report.md").write_text("my own report")
    res = CliRunner().invoke(main, ["analyse", str(out), "--out", str(victim)])
    assert res.exit_code == 2 and "--out" in res.output and foreign in res.output
    assert "not a report" in res.output and "Traceback" not in res.output
    assert (victim / foreign).read_text() == "IMPORTANT"
    assert (victim / "report.md").read_text() == "my own report"
    assert sorted(p.name for p in victim.iterdir()) == sorted([foreign, "report.md"])


@pytest.mark.parametrize("make", [
    lambda d: (d / "photos.png").mkdir() or (d / "photos.png" / "thesis.docx").write_text("x"),
    lambda d: [(d / f"shot{i}.png").write_bytes(b"\x89PNG") for i in range(3)],
    lambda d: (d / "report.md").symlink_to(d.parent / "elsewhere.md"),
], ids=["a folder named like a figure", "a folder of PNGs only", "a link named like a report"])
def test_a_report_never_replaces_what_merely_looks_like_one(tiny, tmp_path, make):
    out = tmp_path / "res"
    assert CliRunner().invoke(main, ["sweep", str(tiny), "--out", str(out), "--workers", "0",
                                     "--quiet"]).exit_code == 0
    (tmp_path / "elsewhere.md").write_text("mine")
    victim = tmp_path / "mine"
    victim.mkdir()
    make(victim)
    before = sorted(str(p.relative_to(victim)) for p in victim.rglob("*"))
    res = CliRunner().invoke(main, ["analyse", str(out), "--out", str(victim)])
    assert res.exit_code == 2 and "--out" in res.output and "not a report" in res.output
    assert sorted(str(p.relative_to(victim)) for p in victim.rglob("*")) == before
    assert (tmp_path / "elsewhere.md").read_text() == "mine"


@pytest.mark.parametrize("inside", ["summaries/rep", "timeseries/rep", "timeseries", ".",
                                    "report/deeper"])
def test_a_report_is_never_written_among_the_results_it_reads(tiny, tmp_path, inside):
    out = tmp_path / "res"
    assert CliRunner().invoke(main, ["sweep", str(tiny), "--out", str(out), "--workers", "0",
                                     "--quiet"]).exit_code == 0
    res = CliRunner().invoke(main, ["analyse", str(out), "--out", str(out / inside)])
    assert res.exit_code == 2 and "--out" in res.output, res.output
    assert CliRunner().invoke(main, ["analyse", str(out)]).exit_code == 0  # still whole
    assert len(pd.read_parquet(out / "summaries")) > 0


@pytest.mark.parametrize("command", ["run", "analyse", "sweep"])
@pytest.mark.parametrize("inside", ["timeseries/x", "summaries/x", "elsewhere/x", "x"])
def test_nothing_is_written_inside_a_sweeps_results(tiny, tmp_path, command, inside):
    """Not a run, another sweep's report, nor another sweep: the results' datasets would
    read what they wrote as theirs."""
    res = tmp_path / "res"
    other = tmp_path / "other"
    for folder in (res, other):
        assert CliRunner().invoke(main, ["sweep", str(tiny), "--out", str(folder),
                                         "--workers", "0", "--quiet"]).exit_code == 0
    out = res / inside
    args = {"run": ["run", "safeguarding_hub", "--steps", "2", "--quiet", "--out", str(out)],
            "analyse": ["analyse", str(other), "--out", str(out)],
            "sweep": ["sweep", str(tiny), "--out", str(out), "--workers", "0", "--quiet"]}
    r = CliRunner().invoke(main, args[command])
    assert r.exit_code == 2 and "inside the sweep results folder" in r.output, r.output
    assert not out.exists()
    assert CliRunner().invoke(main, ["analyse", str(res)]).exit_code == 0  # still whole


def test_a_report_through_a_link_replaces_the_folder_the_link_names(tiny, tmp_path):
    out = tmp_path / "res"
    assert CliRunner().invoke(main, ["sweep", str(tiny), "--out", str(out), "--workers", "0",
                                     "--quiet"]).exit_code == 0
    real = tmp_path / "reports" / "latest"
    assert CliRunner().invoke(main, ["analyse", str(out), "--out", str(real)]).exit_code == 0
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    res = CliRunner().invoke(main, ["analyse", str(out), "--out", str(link), "--format",
                                    "html"])
    assert res.exit_code == 0, res.output
    assert link.is_symlink() and (real / "report.html").exists()
    assert not (real / "report.md").exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
    assert sorted(p.name for p in real.parent.iterdir()) == ["latest"]


def test_a_sobol_design_gets_sensitivity_indices_in_the_report(tmp_path):
    exp = write_experiment(
        tmp_path, name="sobol_tiny", doctrines=None, shock_regimes={"calm": []}, factors={},
        replications=1, outputs="summary", steps=4,
        sampler={"method": "sobol", "n": 4, "ranges": {
            "parameters.trust.loss_ratio": None, "parameters.influence.openness": [0.1, 0.6]}},
    )
    sweep(exp, tmp_path / "o", workers=0, progress=False)
    assert len(results(tmp_path / "o")) == 4 * (2 + 2)
    report = Path(CliRunner().invoke(main, ["analyse", str(tmp_path / "o")]).output.split()[-1])
    text = report.read_text()
    assert "Sensitivity (Sobol’)" in text and "ST_conf" in text
    assert (report.parent / "sensitivity_0.png").exists()
