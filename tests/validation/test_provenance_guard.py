"""The validation analysis refuses sweeps from other or mixed model code, and says so.

``diplomacy-sim validate-patterns RUNS`` reads ``RUNS/<place>/<experiment>/`` and writes
results.json only when every sweep comes from the model code installed here and from the
experiment file it names, unchanged (``--accept-mixed-code`` writes anyway and records the
problems).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from diplomacy_sim.analysis.validation_design import EXPERIMENT_DIR
from diplomacy_sim.batch.runner import sweep
from diplomacy_sim.cli import main
from diplomacy_sim.provenance import model_fingerprint

OTHER_CODE = "f" * 64
PLACE = "integrated_discharge"


@pytest.fixture
def churn_runs(tmp_path: Path) -> tuple[Path, Path]:
    """A reduced leader-churn validation sweep of one place and the experiment file it ran."""
    exp = tmp_path / "experiments"
    (exp / PLACE).mkdir(parents=True)
    data = yaml.safe_load((EXPERIMENT_DIR / PLACE / "leader_churn.yaml").read_text())
    data["replications"] = 3
    (exp / PLACE / "leader_churn.yaml").write_text(yaml.safe_dump(data))
    runs = tmp_path / "runs"
    sweep(exp / PLACE / "leader_churn.yaml", runs / PLACE / "leader_churn", workers=0,
          progress=False)
    return runs, exp


def _validate(runs: Path, exp: Path, docs: Path, *extra: str) -> tuple[int, str]:
    r = CliRunner().invoke(main, ["validate-patterns", str(runs), "--docs", str(docs),
                                  "--experiments", str(exp), "--quiet", *extra])
    return r.exit_code, r.stderr


def _as_if_run_by_other_code(out: Path) -> None:
    m = json.loads((out / "manifest.json").read_text())
    m["model_code"], m["git_revision"] = OTHER_CODE, "0123456789abcdef"
    for s in m["sessions"]:
        s["model_code"], s["git_revision"] = OTHER_CODE, "0123456789abcdef"
    (out / "manifest.json").write_text(json.dumps(m))


def test_validation_writes_results_with_their_provenance(churn_runs, tmp_path):
    runs, exp = churn_runs
    rc, err = _validate(runs, exp, tmp_path / "docs")
    assert rc == 0, err
    written = json.loads((tmp_path / "docs/figures/validation/results.json").read_text())
    prov = written["provenance"]
    assert prov["consistent"] is True and prov["problems"] == []
    assert prov["here"]["model_code"] == model_fingerprint()
    assert prov["sweeps"][str(runs / PLACE / "leader_churn")]["model_code"] == model_fingerprint()
    assert f"leader_churn/{PLACE}" in written["patterns"]
    assert written["preregistration"]["sha256"]


def test_validation_refuses_sweeps_from_other_code_and_writes_nothing(churn_runs, tmp_path):
    runs, exp = churn_runs
    _as_if_run_by_other_code(runs / PLACE / "leader_churn")
    docs = tmp_path / "docs"
    rc, err = _validate(runs, exp, docs)
    assert rc == 1 and not docs.exists()
    assert f"{runs / PLACE / 'leader_churn'}: model code ffffffffffff" in err
    assert "Nothing was written" in err and "--accept-mixed-code" in err

    rc, err = _validate(runs, exp, docs, "--accept-mixed-code")
    assert rc == 0
    prov = json.loads((docs / "figures/validation/results.json").read_text())["provenance"]
    assert prov["consistent"] is False
    assert any("other than this checkout's" in p for p in prov["problems"])


def test_validation_refuses_a_sweep_whose_experiment_changed_since(churn_runs, tmp_path):
    runs, exp = churn_runs
    f = exp / PLACE / "leader_churn.yaml"
    f.write_text(yaml.safe_dump({**yaml.safe_load(f.read_text()), "replications": 4}))
    rc, err = _validate(runs, exp, tmp_path / "docs")
    assert rc == 1 and "its experiment file has changed since it ran" in err


def test_validation_says_plainly_when_there_are_no_runs(tmp_path):
    r = CliRunner().invoke(main, ["validate-patterns", str(tmp_path / "nowhere"),
                                  "--docs", str(tmp_path / "docs")])
    assert r.exit_code == 2 and "no such folder" in r.stderr
