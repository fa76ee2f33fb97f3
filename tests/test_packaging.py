"""An installed copy finds its own scenarios and experiments, from any folder.

The wheel and the sdist are built from a copy of the source tree (offline: ``python -m build
--no-isolation`` with the dev extra's setuptools), the wheel is installed into a fresh
virtual environment, and the installed command is run from an empty temporary folder:
``list``, ``run`` of a shipped scenario by name, and a tiny ``sweep`` of a shipped
experiment by name. The fresh environment borrows the project environment's third-party
packages through a ``.pth`` file written after the install (so the test needs no network
and pip never sees the project's editable copy); the package itself is only the wheel's.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
TREE = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "src", "scenarios",
        "experiments")
SHIPPED = {kind: sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / kind).rglob("*.yaml"))
           for kind in ("scenarios", "experiments")}


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None,
         timeout: float = 300) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)
    assert proc.returncode == 0, f"{args} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """dist/ with the sdist and the wheel (the wheel built from the sdist, as `build` does)."""
    src = tmp_path_factory.mktemp("tree")
    for name in TREE:
        p = ROOT / name
        if p.is_dir():
            shutil.copytree(p, src / name, ignore=shutil.ignore_patterns(
                "__pycache__", "*.pyc", "*.egg-info"))
        else:
            shutil.copy2(p, src / name)
    out = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(src)],
         cwd=src)
    return out


@pytest.fixture(scope="module")
def venv(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with only the wheel installed, then the project's dependencies borrowed."""
    home = tmp_path_factory.mktemp("venv") / "env"
    _run([sys.executable, "-m", "venv", str(home)], cwd=home.parent)
    py = home / "bin" / "python"
    wheel = next(dist.glob("*.whl"))
    _run([str(py), "-m", "pip", "install", "--no-deps", "--no-index", "--quiet", str(wheel)],
         cwd=home.parent)
    site = Path(_run([str(py), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                     cwd=home.parent).stdout.strip())
    (site / "zz_project_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    return home


def test_the_wheel_carries_every_shipped_file_once(dist: Path) -> None:
    wheel = next(dist.glob("*.whl"))
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        for kind, files in SHIPPED.items():
            assert files, kind
            for rel in files:
                member = f"diplomacy_sim/_shipped/{rel}"
                assert member in names, member
                assert zf.read(member) == (ROOT / rel).read_bytes(), rel
        assert not [n for n in names if n.startswith(("scenarios/", "experiments/"))]
        assert "diplomacy_sim/dashboard/vue/" in "".join(names)  # existing package data kept


def test_the_sdist_carries_the_top_level_folders_and_the_build_hook(dist: Path) -> None:
    sdist = next(dist.glob("*.tar.gz"))
    with tarfile.open(sdist) as tf:
        names = {n.split("/", 1)[1] for n in tf.getnames() if "/" in n}
    for files in SHIPPED.values():
        assert set(files) <= names
    assert {"setup.py", "MANIFEST.in", "pyproject.toml"} <= names
    assert not [n for n in names if "_shipped" in n]  # one copy: the wheel adds its own


def test_the_installed_command_works_from_any_folder(venv: Path, tmp_path: Path) -> None:
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    cli = str(venv / "bin" / "diplomacy-sim")
    py = str(venv / "bin" / "python")

    where = _run([py, "-c", "import diplomacy_sim, diplomacy_sim.shipped as s; "
                  "print(diplomacy_sim.__file__); print(s.source()); "
                  "print(s.shipped_dir('scenarios'))"], cwd=work, env=env).stdout.split("\n")
    assert where[0].startswith(str(venv)), where
    assert where[1] == "package data"
    assert where[2].startswith(str(venv)) and "_shipped" in where[2]

    listed = _run([cli, "list"], cwd=work, env=env).stdout
    for rel in SHIPPED["scenarios"]:
        assert Path(rel).stem in listed

    ran = _run([cli, "run", "integrated_discharge", "--steps", "5", "--quiet", "--json"], cwd=work, env=env)
    summary = json.loads(ran.stdout)
    assert summary["scenario"] == "integrated_discharge" and summary["steps"] == 5

    small = work / "tiny.yaml"  # a user's own file, by path, whose base is a shipped name
    small.write_text(
        "name: tiny\ntitle: Tiny\ndescription: Two short runs.\nbase: safeguarding_hub\n"
        "master_seed: 7\nreplications: 2\nsteps: 4\nshock_regimes:\n  calm: []\n", encoding="utf-8")
    swept = _run([cli, "sweep", str(small), "--out", str(work / "out"), "--workers", "0",
                  "--quiet"], cwd=work, env=env).stdout
    assert "2 ok, 0 failed of 2 runs" in swept, swept

    shipped = _run([cli, "sweep", "smoke", "--out", str(work / "smoke"), "--workers", "0",
                    "--quiet"], cwd=work, env=env, timeout=600).stdout
    assert "24 ok, 0 failed of 24 runs" in shipped, shipped
