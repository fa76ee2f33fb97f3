"""Start-up: the package and the CLI import nothing heavy until a command needs it.

A structural check, not a timing test (timings are benchmarks/bench_startup.py's job): each
case runs in a fresh interpreter and reports which heavy libraries ended up in
``sys.modules``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import diplomacy_sim as ds

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("mesa", "pandas", "scipy", "matplotlib", "networkx", "pyarrow", "solara", "dask",
         "tqdm")
SMALL = ROOT / "scenarios" / "safeguarding_hub.yaml"

_PROBE = """
import json, sys
{code}
print("MODULES=" + json.dumps(sorted({{m.split(".")[0] for m in sys.modules}})))
"""


def loaded_after(code: str) -> set[str]:
    """Top-level packages in sys.modules after running ``code`` in a fresh interpreter."""
    done = subprocess.run([sys.executable, "-c", _PROBE.format(code=code)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    line = [ln for ln in done.stdout.splitlines() if ln.startswith("MODULES=")][-1]
    return set(json.loads(line.removeprefix("MODULES=")))


def cli(*args: str) -> str:
    return ("from diplomacy_sim.cli import main\n"
            f"main({list(args)!r}, standalone_mode=False)")


def test_importing_the_package_imports_no_library_at_all():
    loaded = loaded_after("import diplomacy_sim")
    assert not loaded & {*HEAVY, "numpy", "pydantic", "click", "yaml"}, loaded


@pytest.mark.parametrize("args", [(), ("--help",), ("list",)],
                         ids=["import", "--help", "list"])
def test_cli_start_up_help_and_list_need_neither_numpy_nor_the_schema(args):
    code = "import diplomacy_sim.cli" if not args else cli(*args)
    loaded = loaded_after(code)
    assert not loaded & {*HEAVY, "numpy", "pydantic"}, loaded & {*HEAVY, "numpy", "pydantic"}


@pytest.mark.parametrize("target", [str(SMALL), str(ROOT / "experiments" / "smoke.yaml")],
                         ids=["scenario", "experiment"])
def test_validate_needs_the_schema_but_not_the_model_or_its_libraries(target):
    loaded = loaded_after(cli("validate", target))
    assert "pydantic" in loaded  # it does validate
    assert not loaded & {*HEAVY, "numpy"}, loaded & {*HEAVY, "numpy"}


@pytest.mark.parametrize("args", [("validate", str(SMALL)), ("shocks",)],
                         ids=["validate", "shocks"])
def test_the_shock_registry_is_read_without_its_rules(args):
    code = cli(*args) + "\nprint('RULES=' + str('diplomacy_sim.domain.shocks' in sys.modules))"
    done = subprocess.run([sys.executable, "-c", _PROBE.format(code=code)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "RULES=False" in done.stdout.splitlines()


def test_every_shock_kind_s_rule_is_a_named_function_of_the_domain_rules():
    from diplomacy_sim.domain import shock_kinds, shocks

    assert shocks.SHOCK_KINDS is shock_kinds.SHOCK_KINDS  # one registry, re-exported
    for kind in shock_kinds.SHOCK_KINDS.values():
        rule = kind.apply
        assert callable(rule) and rule.__name__ == kind.rule, kind.name
        assert rule.__module__ == shock_kinds.RULES_MODULE == shocks.__name__, kind.name


def test_every_public_name_is_loaded_on_first_use_and_is_the_module_s_own():
    import importlib

    for name in ds.__all__:
        value = getattr(ds, name)
        if name != "__version__":
            assert value is getattr(importlib.import_module(ds._LAZY[name]), name), name
    assert set(ds.__all__) <= set(dir(ds))
    with pytest.raises(AttributeError, match="no attribute 'runn'"):
        ds.runn  # noqa: B018  (a misspelt name is an AttributeError, as for any module)


def test_the_light_listing_agrees_with_the_validated_scenarios():
    from diplomacy_sim.scenario.loader import load_scenario

    for name, title, first in ds.list_scenarios():
        s = load_scenario(name)
        assert (s.name, s.title) == (name, title)
        assert s.description.strip().startswith(first.rstrip("."))


_WORKER_PROBE = """
import json
from diplomacy_sim.batch import runner
from diplomacy_sim.batch.design import build_design, estimate_seconds
from diplomacy_sim.batch.experiment import load_experiment

exp = load_experiment("smoke")
design = build_design(exp)
chunk = runner.Chunk(
    base_data={b: exp.base_named(b).data for b in {r.base for r in design.runs}},
    steps=design.steps, people=exp.spec.people, keep_timeseries=True, runs=design.runs[:2])
pool = runner.process_pool(1)
try:
    assert pool.submit(estimate_seconds, exp, 24, 1).result() > 0
    done = pool.submit(runner.run_chunk, chunk).result()
    assert [r["status"] for r in done.rows] == ["ok", "ok"], done.rows
    assert len(done.timeseries["step"]) == 2 * design.steps
    # eval is picklable: the worker reports its own modules after the runs
    worker = pool.submit(eval, "sorted({m.split('.')[0] for m in __import__('sys').modules})")
    print("WORKER=" + json.dumps(worker.result()))
finally:
    pool.shutdown()
"""


def test_a_sweep_worker_runs_without_mesa_pandas_or_pyarrow():
    """A pool worker (forked from the fork server, after the time estimate and a chunk of
    runs with their timeseries) has imported neither Mesa nor pandas nor pyarrow: they cost
    about a second of every sweep's start-up (batch/forkserver.py)."""
    done = subprocess.run([sys.executable, "-c", _WORKER_PROBE], cwd=ROOT,
                          capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr
    line = [ln for ln in done.stdout.splitlines() if ln.startswith("WORKER=")][-1]
    loaded = set(json.loads(line.removeprefix("WORKER=")))
    assert {"numpy", "pydantic", "diplomacy_sim"} <= loaded  # it did run the model
    assert not loaded & set(HEAVY), loaded & set(HEAVY)


def test_api_run_needs_neither_mesa_nor_pandas_until_a_frame_is_asked_for():
    code = ("from diplomacy_sim import api\n"
            "m = api.simulate('safeguarding_hub', steps=5)\n"
            "s = api.summarise(m)\n"
            "assert s['steps'] == 5 and not hasattr(m, 'agents')")
    loaded = loaded_after(code)
    assert not loaded & set(HEAVY), loaded & set(HEAVY)
    loaded = loaded_after(code + "\nimport diplomacy_sim as ds\nds.build_model('safeguarding_hub')")
    assert "mesa" in loaded  # a Mesa user still gets a real mesa.Model
