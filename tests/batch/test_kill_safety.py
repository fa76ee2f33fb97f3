"""Killed at any instant, nothing is lost and no reader sees a mixture.

A writer is run in a forked child that dies (``os._exit``, like a kill: no clean-up runs) at
the k-th file-system step it takes, for every k until it finishes. After each death:

* a run's result folder reads as the old result or the new one, complete, never a mixture,
  and no stray file is visible beside it;
* a sweep's folder is resumed by the same command and ends bit-identical to an
  uninterrupted sweep.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pandas as pd
import pytest
import yaml

import diplomacy_sim as ds
from diplomacy_sim import atomic
from diplomacy_sim.api import RESULT_FILES
from diplomacy_sim.batch.experiment import load_experiment
from diplomacy_sim.batch.runner import sweep

from .conftest import results, write_experiment

SMALL = "safeguarding_hub"


def _die_at(k: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """From now on, the k-th file-system step (fsync, rename, mkdir, file creation) kills."""
    count = [0]

    def step() -> None:
        count[0] += 1
        if count[0] == k:
            os._exit(0)

    def wrap(owner: object, name: str) -> None:
        real = getattr(owner, name)

        def f(*a: object, **kw: object) -> object:
            step()
            out = real(*a, **kw)
            step()
            return out

        monkeypatch.setattr(owner, name, f)

    wrap(atomic, "fsync_path")
    wrap(os, "replace")
    wrap(os, "rename")
    wrap(os, "mkdir")
    wrap(os, "open")


def in_child(k: int, fn) -> bool:
    """Run ``fn`` in a forked child killed at step ``k``; True if it finished."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            with pytest.MonkeyPatch.context() as mp:
                _die_at(k, mp)
                fn()
        finally:
            os._exit(3)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 3


def identity(folder: Path) -> tuple[int, ...]:
    """The seed each file of a result says it belongs to (all equal when consistent)."""
    summary = json.loads((folder / "summary.json").read_text())
    scen = yaml.safe_load((folder / "scenario.yaml").read_text())
    ts = pd.read_parquet(folder / "timeseries.parquet")
    csv = pd.read_csv(folder / "timeseries.csv")
    return summary["seed"], scen["seed"], round(float(ts["trust"].sum()), 9), \
        round(float(csv["trust"].sum()), 9), len((folder / "events.jsonl").read_text())


@pytest.fixture(scope="module")
def two_runs():
    old = ds.run(SMALL, seed=1, steps=12)
    new = ds.run(SMALL, seed=2, steps=12)
    return old, new


def expected_identity(result, tmp: Path) -> tuple[int, ...]:
    ds.write_result(result, tmp)
    return identity(tmp)


def test_a_result_folder_is_all_old_or_all_new_at_every_instant_of_a_rewrite(tmp_path,
                                                                             two_runs):
    old, new = two_runs
    want_old = expected_identity(old, tmp_path / "ref_old")
    want_new = expected_identity(new, tmp_path / "ref_new")
    assert want_old != want_new
    out = tmp_path / "work" / "run"
    k, seen = 1, set()
    while True:
        ds.write_result(old, out)
        finished = in_child(k, lambda: ds.write_result(new, out))
        assert sorted(p.name for p in out.iterdir()) == sorted(RESULT_FILES)
        got = identity(out)
        assert got in (want_old, want_new), f"killed at step {k}: a mixture"
        seen.add(got)
        visible = [p.name for p in out.parent.iterdir() if not p.name.startswith(".")]
        assert visible == ["run"], visible
        if finished:
            break
        k += 1
    assert seen == {want_old, want_new} and k > 5
    # the next write clears what killed writers left behind
    ds.write_result(new, out)
    assert [p.name for p in out.parent.iterdir()] == ["run"]


def test_a_first_write_killed_at_any_instant_leaves_nothing_or_the_whole_result(tmp_path,
                                                                               two_runs):
    _, new = two_runs
    k = 1
    while True:
        out = tmp_path / f"k{k}" / "run"
        finished = in_child(k, lambda out=out: ds.write_result(new, out))
        if out.exists():
            assert sorted(p.name for p in out.iterdir()) == sorted(RESULT_FILES)
        if finished:
            break
        k += 1


def test_a_folder_holding_other_files_is_never_replaced(tmp_path, two_runs):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    with pytest.raises(FileExistsError):
        ds.write_result(two_runs[0], out)
    assert (out / "notes.txt").read_text() == "keep me"


@pytest.mark.parametrize("mask", [0o022, 0o002, 0o027, 0o077])
def test_result_files_honour_the_umask(tmp_path, two_runs, mask):
    old = os.umask(mask)
    try:
        out = ds.write_result(two_runs[0], tmp_path / "run")
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o777 & ~mask
    for p in out.iterdir():
        assert stat.S_IMODE(p.stat().st_mode) == 0o666 & ~mask, p.name


@pytest.mark.parametrize("mask", [0o022, 0o077])
def test_single_file_writes_honour_the_umask(tmp_path, mask):
    old = os.umask(mask)
    try:
        atomic.atomic_write(tmp_path / "f.json", lambda p: p.write_text("{}"))
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "f.json").stat().st_mode) == 0o666 & ~mask


# --------------------------------------------------------------------------- sweeps
SWEEP = {"replications": 1, "steps": 3, "outputs": "timeseries",
         "doctrines": ["command", "diplomacy"], "shock_regimes": {"calm": []},
         "factors": {}}


@pytest.fixture(scope="module")
def reference_sweep(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ref")
    exp = write_experiment(tmp / "exp", **SWEEP)
    sweep(exp, tmp / "out", workers=0, progress=False, chunk_seconds=0.01)
    return exp, results(tmp / "out")


def test_a_sweep_killed_at_any_instant_resumes_to_the_uninterrupted_dataset(tmp_path,
                                                                           reference_sweep):
    path, want = reference_sweep
    exp = load_experiment(path)  # once: each instant then costs only the sweep itself
    k = 1
    while True:
        out = tmp_path / f"k{k}"
        finished = in_child(k, lambda out=out: sweep(exp, out, workers=0, progress=False,
                                                     chunk_seconds=0.01))
        done = sweep(exp, out, workers=0, progress=False, chunk_seconds=0.01)  # resume
        assert done.ok == len(want)
        pd.testing.assert_frame_equal(results(out), want, check_like=True)
        assert (out / "experiment.yaml").exists() and (out / "design.json").exists()
        assert not [p for p in out.rglob(".*")], "temporary files left visible"
        if finished:
            break
        k += 1
    assert k > 10


def test_the_manifest_is_written_before_anything_else(tmp_path, reference_sweep):
    exp, _ = reference_sweep
    out = tmp_path / "out"
    created: list[str] = []
    real = atomic.atomic_write

    def spy(path, write):
        created.append(Path(path).name)
        return real(path, write)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("diplomacy_sim.batch.store.atomic_write", spy)
        sweep(exp, out, workers=0, progress=False)
    assert created[0] == "manifest.json"


def unwritable_folders(tmp_path: Path) -> list[Path]:
    """Folders no one may write to: under a file, on read-only sysfs, read-only for us."""
    afile = tmp_path / "a_file"
    afile.write_text("")
    out = [afile / "sub", Path("/sys/diplomacy_out"), Path("/sys")]
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    if not os.access(ro, os.W_OK):  # not root
        out += [ro, ro / "sub"]
    return out


def test_a_sweep_into_an_unwritable_folder_is_a_clear_error(tmp_path, reference_sweep):
    from click.testing import CliRunner

    from diplomacy_sim.cli import main

    exp, _ = reference_sweep
    for out in unwritable_folders(tmp_path):
        r = CliRunner().invoke(main, ["sweep", str(exp), "--out", str(out), "--quiet"])
        assert r.exit_code == 2, (out, r.output)
        assert str(out) in r.output and "Traceback" not in r.output


def test_a_run_into_an_unwritable_folder_is_refused_before_it_runs(tmp_path):
    from click.testing import CliRunner

    from diplomacy_sim.cli import main

    for out in unwritable_folders(tmp_path):
        r = CliRunner().invoke(main, ["run", "integrated_discharge", "--out", str(out),
                                      "--quiet", "--people", "100000"])
        assert r.exit_code == 2, (out, r.output)  # fast: 100,000 people never ran
        assert "--out" in r.output and "Traceback" not in r.output


def test_a_comment_only_edit_resumes_with_a_note(tmp_path, reference_sweep):
    exp, want = reference_sweep
    mine = tmp_path / "exp.yaml"
    mine.write_text(exp.read_text())
    out = tmp_path / "out"
    sweep(mine, out, workers=0, progress=False)
    mine.write_text("# a comment added later\n" + exp.read_text())
    notes: list[str] = []
    done = sweep(mine, out, workers=0, progress=False, announce=notes.append)
    assert done.skipped == len(want)
    assert any("only in comments or layout" in n for n in notes)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["sessions"][0]["experiment_file_sha256"] != \
        manifest["sessions"][1]["experiment_file_sha256"]
