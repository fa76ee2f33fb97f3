"""Results from different code are never combined silently.

Every results folder records the model fingerprint of the code that produced it (and of each
session that added runs). A folder is not resumed by other model code and a sweep's report warns
(that the validation analysis refuses such sweeps is tested in
tests/validation/test_provenance_guard.py).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from diplomacy_sim.analysis.report import write_report
from diplomacy_sim.batch.runner import sweep
from diplomacy_sim.cli import main
from diplomacy_sim.provenance import (
    PACKAGE_ROOT,
    Provenance,
    fingerprint,
    model_fingerprint,
    problems,
)
from diplomacy_sim.scenario.loader import ScenarioError

from .conftest import results

OTHER_CODE = "f" * 64
ROOT = Path(__file__).resolve().parents[2]


# --------------------------------------------------------------------------- fingerprint
def _package(root: Path, rule: str = "return x * 2", doc: str = "Double it.") -> Path:
    (root / "domain").mkdir(parents=True, exist_ok=True)
    (root / "dashboard").mkdir(exist_ok=True)
    (root / "domain" / "rules.py").write_text(
        f'"""Rules."""\n\n\ndef double(x):\n    """{doc}"""\n    {rule}\n')
    (root / "dashboard" / "page.py").write_text("TITLE = 'x'\n")
    (root / "cli.py").write_text("def main():\n    pass\n")
    return root


def test_the_fingerprint_changes_with_the_rules_but_not_with_prose_or_the_dashboard(tmp_path):
    base = fingerprint(_package(tmp_path / "a"))
    assert fingerprint(_package(tmp_path / "b")) == base  # same code elsewhere: same print
    # docstrings, comments and layout are prose
    prose = _package(tmp_path / "c", doc="Twice x, as the brief says.")
    (prose / "domain" / "rules.py").write_text(
        (prose / "domain" / "rules.py").read_text().replace("return x * 2",
                                                           "# the rule\n    return (x *\n 2)"))
    assert fingerprint(prose) == base
    # the dashboard and the command line never change a result
    ui = _package(tmp_path / "d")
    (ui / "dashboard" / "page.py").write_text("TITLE = 'y'\n")
    (ui / "cli.py").write_text("def main():\n    print('hi')\n")
    assert fingerprint(ui) == base
    # a rule does
    assert fingerprint(_package(tmp_path / "e", rule="return x * 3")) != base
    # and so does a new module
    extra = _package(tmp_path / "f")
    (extra / "domain" / "extra.py").write_text("K = 1\n")
    assert fingerprint(extra) != base


def test_the_installed_model_has_one_fingerprint_in_every_process():
    other = subprocess.run(
        [sys.executable, "-c",
         "from diplomacy_sim.provenance import model_fingerprint; print(model_fingerprint())"],
        capture_output=True, text=True, check=True).stdout.strip()
    assert other == model_fingerprint() == fingerprint(PACKAGE_ROOT)
    assert len(other) == 64


def test_a_remembered_fingerprint_is_the_computed_one_and_any_edit_is_computed_again(
        tmp_path, monkeypatch):
    from diplomacy_sim import provenance

    pkg = _package(tmp_path / "pkg")
    cache = tmp_path / "cache" / "fp.json"
    first = provenance.cached_fingerprint(pkg, cache)
    assert first == fingerprint(pkg) and cache.exists()  # a miss computes and stores
    computed: list[int] = []
    real = provenance._fingerprint_of

    def counting(root: Path, sources: list[tuple[str, bytes]]) -> str:
        computed.append(1)
        return real(root, sources)

    monkeypatch.setattr(provenance, "_fingerprint_of", counting)
    assert provenance.cached_fingerprint(pkg, cache) == first and not computed  # a hit
    # a rule edited: other bytes, so another key, computed again (and right)
    rules = pkg / "domain" / "rules.py"
    rules.write_text(rules.read_text().replace("x * 2", "x * 3"))
    edited = provenance.cached_fingerprint(pkg, cache)
    assert len(computed) == 1
    assert edited == real(pkg, provenance._sources(pkg)) != first
    # prose edited: another key too (the cache keys bytes), the same fingerprint
    rules.write_text(rules.read_text().replace("x * 3", "x * 2") + "# a comment\n")
    assert provenance.cached_fingerprint(pkg, cache) == first and len(computed) == 2
    # a damaged or foreign cache is ignored (and rewritten); an unwritable one is not used
    for junk in ("{not json", "[1, 2]", json.dumps({"0" * 64: "not a fingerprint"})):
        cache.write_text(junk)
        assert provenance.cached_fingerprint(pkg, cache) == first
    blocked = tmp_path / "file"
    blocked.write_text("")
    assert provenance.cached_fingerprint(pkg, blocked / "fp.json") == first
    # another Python or another method of fingerprinting is another key
    key = provenance._sources_key(provenance._sources(pkg))
    monkeypatch.setattr(provenance.sys, "version", "3.99.0 (other)")
    assert provenance._sources_key(provenance._sources(pkg)) != key


def test_the_fingerprint_cache_keeps_only_the_most_recent(tmp_path):
    from diplomacy_sim import provenance

    cache = tmp_path / "fp.json"
    pkg = _package(tmp_path / "pkg")
    rules = pkg / "domain" / "rules.py"
    for k in range(provenance.FINGERPRINT_CACHE_SIZE + 3):
        rules.write_text(rules.read_text() + f"# edit {k}\n")
        provenance.cached_fingerprint(pkg, cache)
    kept = json.loads(cache.read_text())
    assert len(kept) == provenance.FINGERPRINT_CACHE_SIZE
    assert provenance._sources_key(provenance._sources(pkg)) in kept  # the latest is kept


# --------------------------------------------------------------------------- the guard
NUMPY = {"python": "3.12.1", "numpy": "2.5.5", "scipy": "1.18.1", "mesa": "3.5.1"}


def _prov(label: str, code: str | None = "a" * 64, git: str | None = "1234567890abcdef",
          sessions: tuple[str | None, ...] | None = None, **versions: str) -> Provenance:
    codes = (code,) if sessions is None else sessions
    return Provenance(label=label, model_code=code, git_revision=git,
                      versions={**NUMPY, **versions},
                      sessions=tuple((c, git) for c in codes), design_sha256="d" * 64)


def test_folders_from_one_code_and_one_set_of_packages_combine():
    here = _prov("this checkout")
    folders = {"runs/a": _prov("runs/a"), "runs/b": _prov("runs/b")}
    assert problems(folders, here=here, designs_here={"runs/a": "d" * 64}) == []


def test_folders_from_different_model_code_are_named_with_their_code_and_revision():
    folders = {"runs/a": _prov("runs/a"), "runs/b": _prov("runs/b"),
               "runs/c": _prov("runs/c", code="b" * 64, git="fedcba9876543210-dirty")}
    [p] = problems(folders)
    assert "2 different versions of the model code" in p
    assert "aaaaaaaaaaaa (git 123456789): runs/a, runs/b" in p
    assert "bbbbbbbbbbbb (git fedcba987 with uncommitted changes): runs/c" in p


def test_a_folder_resumed_across_a_code_change_is_reported():
    [p] = problems({"runs/a": _prov("runs/a", sessions=("a" * 64, "b" * 64))})
    assert p.startswith("runs/a: resumed across a code change")
    assert "session 1: model code aaaaaaaaaaaa" in p and "session 2: model code bbbbbbbbbbbb" in p


def test_a_folder_without_a_fingerprint_cannot_be_vouched_for():
    [p] = problems({"runs/old": _prov("runs/old", code=None, git="1234567890abcdef-dirty")})
    assert "runs/old: no model fingerprint recorded" in p
    assert "git 123456789 with uncommitted changes" in p and "Re-run it" in p


def test_folders_on_different_numerical_packages_are_reported():
    [p] = problems({"runs/a": _prov("runs/a"), "runs/b": _prov("runs/b", numpy="2.4.0")})
    assert "different numerical packages" in p
    assert "numpy 2.5.5" in p and "numpy 2.4.0" in p


def test_folders_from_other_code_than_the_checkout_are_stale():
    here = _prov("this checkout", code="c" * 64, git="abcdef0123456789")
    [p] = problems({"runs/a": _prov("runs/a")}, here=here)
    assert "other than this checkout's (model code cccccccccccc (git abcdef012))" in p
    assert "runs/a: model code aaaaaaaaaaaa (git 123456789)" in p
    [p] = problems({"runs/a": _prov("runs/a")}, here=_prov("this checkout", scipy="1.17.0"))
    assert "numerical packages other than the ones installed here" in p and "scipy 1.17.0" in p


def test_a_folder_whose_experiment_design_changed_since_it_ran_is_reported():
    [p] = problems({"runs/a": _prov("runs/a")}, designs_here={"runs/a": "e" * 64})
    assert p == ("runs/a: its experiment file has changed since it ran (design dddddddddddd "
                 "then, eeeeeeeeeeee now). Re-run it.")


# --------------------------------------------------------------------------- sweeps
def _manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text())


def _as_if_run_by_other_code(out: Path) -> None:
    m = _manifest(out)
    m["model_code"], m["git_revision"] = OTHER_CODE, "0123456789abcdef"
    for s in m["sessions"]:
        s["model_code"], s["git_revision"] = OTHER_CODE, "0123456789abcdef"
    (out / "manifest.json").write_text(json.dumps(m))


def _lose_runs(out: Path) -> int:
    """Leave the folder as an interrupted sweep would: some chunks never written."""
    parts = sorted((out / "summaries").glob("part-*.parquet"))
    for p in parts[1:]:
        p.unlink()
        (out / "timeseries" / p.name).unlink()
    return len(results(out))


def test_a_sweep_records_its_model_code_in_the_manifest_and_in_each_session(tiny, tmp_path):
    sweep(tiny, tmp_path / "o", workers=0, progress=False)
    m = _manifest(tmp_path / "o")
    assert m["model_code"] == model_fingerprint()
    assert [s["model_code"] for s in m["sessions"]] == [model_fingerprint()]
    assert m["sessions"][0]["git_revision"] == m["git_revision"]


def test_a_folder_is_not_resumed_by_other_model_code(tiny, tmp_path):
    out = tmp_path / "o"
    sweep(tiny, out, workers=0, progress=False, chunk_seconds=0.01)
    kept = _lose_runs(out)
    assert 0 < kept < 16
    _as_if_run_by_other_code(out)
    before = sorted(p.name for p in (out / "summaries").iterdir())
    with pytest.raises(ScenarioError, match="resuming would mix runs") as err:
        sweep(tiny, out, workers=0, progress=False)
    assert "model code ffffffffffff (git 012345678)" in str(err.value)
    assert f"model code {model_fingerprint()[:12]}" in str(err.value)
    assert sorted(p.name for p in (out / "summaries").iterdir()) == before  # untouched
    res = CliRunner().invoke(main, ["sweep", str(tiny), "--out", str(out), "--workers", "0",
                                    "--quiet"])
    assert res.exit_code == 2 and "--accept-code-change" in res.output
    assert "Traceback" not in res.output

    # accepted on purpose: the sessions say which code added which runs, the report warns
    done = sweep(tiny, out, workers=0, progress=False, accept_code_change=True)
    assert done.skipped == kept and done.ok == 16
    sessions = [s for s in _manifest(out)["sessions"] if s["runs_to_do"]]
    assert sessions[-1]["model_code"] == model_fingerprint()
    report = write_report(out).read_text()
    assert "## Provenance warning" in report and "resumed across a code change" in report
    res = CliRunner().invoke(main, ["analyse", str(out)])
    assert res.exit_code == 0 and "warning: " in res.output


def test_a_finished_folder_reopened_by_other_code_is_left_alone(tiny, tmp_path):
    out = tmp_path / "o"
    sweep(tiny, out, workers=0, progress=False)
    _as_if_run_by_other_code(out)
    assert sweep(tiny, out, workers=0, progress=False).ran == 0  # nothing to add: no mixing
    report = write_report(out).read_text()
    assert "other than this checkout's" in report  # but its report says it is not current


def test_a_report_from_the_current_code_has_no_warning(tiny, tmp_path):
    sweep(tiny, tmp_path / "o", workers=0, progress=False)
    report = write_report(tmp_path / "o").read_text()
    assert f"model code {model_fingerprint()[:12]}" in report
    assert "Provenance warning" not in report
