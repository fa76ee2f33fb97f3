"""The command line: list, validate and run, as a user types them.

Bad input exits with code 2 and one clear message; a run folder holds everything needed to
repeat the run bit for bit, and nothing else.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

import diplomacy_sim as ds
from diplomacy_sim.cli import main
from diplomacy_sim.domain.outcomes import OUTCOME_TERMS
from diplomacy_sim.scenario.loader import SCENARIO_DIR, load_scenario
from serving import free_port

SHIPPED = sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml"))
RUN_FILES = {"timeseries.parquet", "timeseries.csv", "events.jsonl", "summary.json",
             "scenario.yaml"}
SMALL = SCENARIO_DIR / "safeguarding_hub.yaml"


def invoke(*args: str):
    """The CLI in process; `dashboard` on a free port unless one is given (it checks the
    port is free before it would serve)."""
    argv = [str(a) for a in args]
    if argv[:1] == ["dashboard"] and "--port" not in argv:
        argv += ["--port", str(free_port())]
    return CliRunner().invoke(main, argv)


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    """A scenario with a misspelt key."""
    data = yaml.safe_load(SMALL.read_text(encoding="utf-8"))
    data["doctrin"] = data.pop("doctrine")
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- list, validate
def test_list_shows_every_shipped_scenario_with_a_line_about_it():
    result = invoke("list")
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == len(SHIPPED)
    for name, line in zip(SHIPPED, lines, strict=True):
        assert line.startswith(name)
        assert load_scenario(name).title in line


def test_validate_accepts_every_shipped_scenario():
    result = invoke("validate", *sorted(SCENARIO_DIR.glob("*.yaml")))
    assert result.exit_code == 0, result.output
    assert result.stdout.count(": ok (") == len(SHIPPED)
    assert "15 people, 104 weeks" in result.stdout


def test_validate_reports_a_bad_file_and_exits_2(broken):
    result = invoke("validate", SMALL, broken)
    assert result.exit_code == 2
    assert f"{SMALL}: ok" in result.stdout
    assert str(broken) in result.stderr
    assert "field `doctrin`" in result.stderr and "Did you mean `doctrine`?" in result.stderr
    assert "Traceback" not in result.output


def test_validate_a_missing_file_exits_2(tmp_path):
    result = invoke("validate", tmp_path / "nowhere.yaml")
    assert result.exit_code == 2
    assert "nowhere.yaml" in result.stderr and "file not found" in result.stderr
    assert "Traceback" not in result.output


def test_validate_checks_an_experiment_as_a_sweep_would_and_sizes_its_design():
    from diplomacy_sim.batch.design import build_design
    from diplomacy_sim.batch.experiment import EXPERIMENT_DIR, load_experiment

    files = sorted(EXPERIMENT_DIR.glob("*.yaml"))
    result = invoke("validate", *files, "smoke", SMALL)
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == len(files) + 2
    for path, line in zip(files, lines, strict=False):
        exp = load_experiment(path)
        assert line.startswith(f"{path}: ok (experiment {exp.spec.name}: {exp.spec.title}; ")
        assert f"; {len(build_design(exp).runs):,} runs of " in line
    assert lines[-2].startswith("smoke: ok (experiment smoke: ")  # a shipped name
    assert "24 runs of 20 weeks on integrated_discharge" in lines[-2]
    assert lines[-1].startswith(f"{SMALL}: ok (")  # a scenario beside them, as before


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"factors": {"parameters.trust.los_ratio": [2.0]}},
         "field `factors.parameters.trust.los_ratio`"),
        ({"replications": 0}, "field `replications`"),
        ({"base": "no_such_scenario"}, "field `base`"),
        ({"doctrines": ["comand"]}, "field `doctrines[0]`"),
    ],
    ids=["unknown factor", "no replications", "missing base", "misspelt doctrine"],
)
def test_validate_reports_an_experiment_s_own_problems_not_a_scenario_s(
        tmp_path, change, expected):
    from diplomacy_sim.batch.experiment import EXPERIMENT_DIR

    data = yaml.safe_load((EXPERIMENT_DIR / "smoke.yaml").read_text(encoding="utf-8"))
    data.update(change)
    path = tmp_path / "exp.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    result = invoke("validate", path)
    assert result.exit_code == 2, result.output
    assert str(path) in result.stderr and expected in result.stderr, result.stderr
    assert "unknown key `base`" not in result.stderr  # not read as a scenario
    assert "Traceback" not in result.output


@pytest.mark.parametrize(("replications", "values", "ok", "said"), [
    (100_000, 100, False, "40,000,000 runs; allowed: at most 5,000,000"),
    (20_000, 2, True, "160,000 runs of 20 weeks on integrated_discharge; `sweep` needs "
                      "--allow-large for it)"),
    (3, 2, True, "24 runs of 20 weeks on integrated_discharge)"),
], ids=["past any flag", "past the confirmation", "small"])
def test_validate_sizes_a_design_as_sweep_would(tmp_path, replications, values, ok, said):
    from diplomacy_sim.batch.experiment import EXPERIMENT_DIR

    data = yaml.safe_load((EXPERIMENT_DIR / "smoke.yaml").read_text(encoding="utf-8"))
    data["replications"] = replications  # x 2 doctrines x 2 shock regimes x the values
    data["factors"] = {"parameters.trust.loss_ratio": [1.5 + i / 100 for i in range(values)]}
    path = tmp_path / "exp.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    result = invoke("validate", path)
    assert result.exit_code == (0 if ok else 2), result.output
    assert said in (result.stdout if ok else result.stderr)


# --------------------------------------------------------------------------- run: bad input
@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--set", "parameters.trust.los_ratio=3"],
         ["--set `parameters.trust.los_ratio`", "Did you mean `loss_ratio`?"]),
        (["--set", "parameters.trust.loss_ratio=40"], ["40 is out of range", "from 1 to 10"]),
        (["--set", "steps"], ["--set `steps`", "PATH=VALUE"]),
        (["--people", "3"], ["--people", "3 is too few", "at least 5"]),
    ],
    ids=["unknown path", "out of range", "no value", "too few people"],
)
def test_run_with_bad_input_exits_2_with_a_message(args, expected):
    result = invoke("run", SMALL, "--quiet", *args)
    assert result.exit_code == 2, result.output
    for part in expected:
        assert part in result.stderr, f"{part!r} not in {result.stderr!r}"
    assert "Traceback" not in result.output
    assert result.stdout == "", "no summary for a run that did not happen"


def test_run_of_a_bad_file_names_the_file_and_field(broken):
    result = invoke("run", broken, "--quiet")
    assert result.exit_code == 2
    assert str(broken) in result.stderr and "field `doctrin`" in result.stderr
    assert "Traceback" not in result.output


# --------------------------------------------------------------------------- run: outputs
def _run_args(out: Path) -> list[str]:
    return [
        "run", str(SMALL), "--seed", "11", "--steps", "45", "--doctrine", "command",
        "--people", "24", "--set", "parameters.trust.loss_ratio=3",
        "--set", "organisations.harbour_police.budget=45", "--out", str(out), "--quiet",
        "--json",
    ]


def test_run_writes_the_run_folder_and_the_summary(tmp_path):
    out = tmp_path / "run"
    result = invoke(*_run_args(out))
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == RUN_FILES, "no temporary files left behind"

    printed = json.loads(result.stdout)
    summary = json.loads((out / "summary.json").read_text())
    assert printed == summary
    assert summary["seed"] == 11 and summary["version"] == ds.__version__
    assert summary["steps"] == 45 and summary["people"] == 24
    assert summary["doctrine"] == "command" and summary["scenario"] == "safeguarding_hub"

    ts = pd.read_parquet(out / "timeseries.parquet")
    assert len(ts) == 45
    pd.testing.assert_frame_equal(pd.read_csv(out / "timeseries.csv"), ts, check_exact=False)
    events = [json.loads(x) for x in (out / "events.jsonl").read_text().splitlines()]
    elections = [e for e in events if e["kind"] == "election"]
    assert elections and elections[0]["week"] == 41, "the election at: 40 happened in week 41"
    assert list(ts["week"]) == list(range(1, 46)), "weeks are numbered 1.. in every file"

    spec = load_scenario(out / "scenario.yaml")
    assert spec.seed == 11 and spec.steps == 45 and spec.doctrine == "command"
    assert spec.n_people == 24 and spec.parameters.trust.loss_ratio == 3
    assert [s.at for s in spec.shocks] == [40], "shocks after the last week are left out"
    assert "left out" in result.stderr


def test_the_written_scenario_repeats_the_run_bit_for_bit(tmp_path):
    first, again = tmp_path / "first", tmp_path / "again"
    assert invoke(*_run_args(first)).exit_code == 0
    result = invoke("run", first / "scenario.yaml", "--out", again, "--quiet", "--json")
    assert result.exit_code == 0, result.output
    assert (first / "timeseries.csv").read_bytes() == (again / "timeseries.csv").read_bytes()
    assert (first / "events.jsonl").read_bytes() == (again / "events.jsonl").read_bytes()
    pd.testing.assert_frame_equal(
        pd.read_parquet(first / "timeseries.parquet"),
        pd.read_parquet(again / "timeseries.parquet"),
        check_exact=True,
    )
    assert (first / "scenario.yaml").read_text() == (again / "scenario.yaml").read_text()


def test_run_without_out_prints_the_summary_only(tmp_path):
    result = invoke("run", "safeguarding_hub", "--steps", "5", "--quiet", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["steps"] == 5
    assert list(tmp_path.iterdir()) == []


def test_run_prints_a_rounded_table_of_named_outcomes_with_units_and_the_shock_weeks():
    result = invoke("run", "safeguarding_hub", "--steps", "45", "--quiet")
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "safeguarding_hub" in text and "45 weeks" in text
    summary = ds.run("safeguarding_hub", steps=45).summary
    for key, (label, unit) in OUTCOME_TERMS.items():
        line = next(x for x in text.splitlines() if x.startswith(label + " "))
        digits = 1 if "people" in unit else 2
        assert f"{summary[key]:.{digits}f}" in line and unit in line, line
    assert not re.search(r"\d\.\d{4,}", text), "figures are rounded for reading"
    assert "week 41 election" in text, "the election at: 40 is week 41, as in the files"
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)


# --------------------------------------------------------------------------- as a real process
def _cli(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "diplomacy_sim.cli", *map(str, args)],
        capture_output=True, text=True, cwd=cwd, timeout=120, check=False,
    )


def test_the_installed_command_runs_and_repeats_a_run(tmp_path):
    out = tmp_path / "proc"
    done = _cli(*_run_args(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert {p.name for p in out.iterdir()} == RUN_FILES
    assert json.loads(done.stdout)["seed"] == 11
    # the same run made in this process gives the same numbers
    here = tmp_path / "here"
    assert invoke(*_run_args(here)).exit_code == 0
    assert (out / "timeseries.csv").read_bytes() == (here / "timeseries.csv").read_bytes()


def test_the_installed_command_exits_2_without_a_traceback(tmp_path, broken):
    done = _cli("validate", broken, cwd=tmp_path)
    assert done.returncode == 2
    assert str(broken) in done.stderr and "field `doctrin`" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_dashboard_hands_the_joins_per_address_setting_to_its_server(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr("diplomacy_sim.dashboard.server.serve",
                        lambda host, port, db=None, joins_per_address=None, proxies=():
                        calls.append(joins_per_address))
    db = tmp_path / "rooms.sqlite"
    assert invoke("dashboard", "--db", db).exit_code == 0
    assert invoke("dashboard", "--db", db, "--joins-per-address", "12").exit_code == 0
    assert calls == [4, 12]
    for bad in ("0", "61", "²", "many"):
        result = invoke("dashboard", "--db", db, "--joins-per-address", bad)
        assert result.exit_code == 2 and "--joins-per-address" in result.output


def test_dashboard_trusts_only_the_proxies_it_is_told_of(tmp_path, monkeypatch):
    """``--trusted-proxy`` (repeatable), else $DIPLOMACY_SIM_TRUSTED_PROXIES, reaches the
    server checked and in one spelling; anything that is not an address or a network, or
    that trusts everyone, exits 2 naming the flag or the variable."""
    calls = []
    monkeypatch.setattr("diplomacy_sim.dashboard.server.serve",
                        lambda host, port, db=None, joins_per_address=None, proxies=():
                        calls.append(list(proxies)))
    monkeypatch.delenv("DIPLOMACY_SIM_TRUSTED_PROXIES", raising=False)
    db = tmp_path / "rooms.sqlite"
    assert invoke("dashboard", "--db", db).exit_code == 0
    assert invoke("dashboard", "--db", db, "--trusted-proxy", "10.0.0.5",
                  "--trusted-proxy", "10.1.0.0/16", "--trusted-proxy", "::1").exit_code == 0
    monkeypatch.setenv("DIPLOMACY_SIM_TRUSTED_PROXIES", "192.168.4.1, 10.2.3.0/24")
    assert invoke("dashboard", "--db", db).exit_code == 0
    assert invoke("dashboard", "--db", db, "--trusted-proxy", "10.0.0.9").exit_code == 0
    assert calls == [[], ["10.0.0.5", "10.1.0.0/16", "::1"], ["192.168.4.1", "10.2.3.0/24"],
                     ["10.0.0.9"]]
    for bad in ("*", "0.0.0.0/0", "::/0", "proxy.example", "10.0.0.256", "", "1" * 5000,
                "10.0.0.0/33", "<b>x</b>"):
        result = invoke("dashboard", "--db", db, "--trusted-proxy", bad)
        assert result.exit_code == 2 and "--trusted-proxy" in result.output, bad
        assert "Traceback" not in result.output and len(result.output) < 1000
        if bad:  # an empty variable is the same as an unset one
            monkeypatch.setenv("DIPLOMACY_SIM_TRUSTED_PROXIES", bad)
            result = invoke("dashboard", "--db", db)
            assert result.exit_code == 2, bad
            assert "DIPLOMACY_SIM_TRUSTED_PROXIES" in result.output
    many = ",".join(f"10.0.{i}.1" for i in range(40))
    monkeypatch.setenv("DIPLOMACY_SIM_TRUSTED_PROXIES", many)
    result = invoke("dashboard", "--db", db)
    assert result.exit_code == 2 and "at most 32" in result.output
    assert len(calls) == 4


@pytest.mark.parametrize("host", ["256.1.1.1", "192.0.2.1", "no-such-host.invalid",
                                  "1e400", "198.51.100.7"])
def test_dashboard_refuses_an_address_this_computer_cannot_listen_on(host, tmp_path,
                                                                     monkeypatch):
    """Checked before anything is created: the default room database stays unmade."""
    calls = []
    monkeypatch.setattr("diplomacy_sim.dashboard.server.serve",
                        lambda *a, **k: calls.append(a))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    result = invoke("dashboard", "--host", host)
    assert result.exit_code == 2 and "--host" in result.output, result.output
    assert "is not an address of this computer" in result.output
    assert not calls and not (tmp_path / "data").exists()


def test_dashboard_listens_on_this_computers_own_addresses(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr("diplomacy_sim.dashboard.server.serve",
                        lambda host, *a, **k: calls.append(host))
    for host in ("127.0.0.1", "localhost", "0.0.0.0"):
        assert invoke("dashboard", "--host", host, "--db", tmp_path / "r.sqlite").exit_code == 0
    assert calls == ["127.0.0.1", "localhost", "0.0.0.0"]


def test_run_out_through_a_link_replaces_the_run_the_link_names(tmp_path):
    """The link stays a link; the folder it names holds the new run, whole; nothing is left
    beside either."""
    real = tmp_path / "real"
    assert invoke("run", "integrated_discharge", "--steps", "2", "--seed", "1",
                  "--out", real, "--quiet").exit_code == 0
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    result = invoke("run", "integrated_discharge", "--steps", "2", "--seed", "2",
                    "--out", link, "--quiet")
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert json.loads((real / "summary.json").read_text())["seed"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "real"]


@pytest.mark.parametrize("make", [
    lambda d: (d / "timeseries.parquet").mkdir() or (d / "timeseries.parquet" / "part-0").write_text("x"),
    lambda d: (d / "summary.json").symlink_to(d.parent / "mine.json"),
], ids=["a folder named like a result file", "a link named like a result file"])
def test_run_out_never_replaces_what_merely_looks_like_a_result(tmp_path, make):
    (tmp_path / "mine.json").write_text("mine")
    out = tmp_path / "out"
    out.mkdir()
    make(out)
    before = sorted(str(p.relative_to(out)) for p in out.rglob("*"))
    result = invoke("run", "integrated_discharge", "--steps", "2", "--out", out, "--quiet")
    assert result.exit_code == 2 and "--out" in result.output, result.output
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*")) == before
    assert (tmp_path / "mine.json").read_text() == "mine"


def test_run_out_a_loop_of_links_is_refused_before_the_run(tmp_path):
    loop = tmp_path / "loop"
    loop.symlink_to(tmp_path / "loop2")
    (tmp_path / "loop2").symlink_to(loop)
    result = invoke("run", "integrated_discharge", "--out", loop, "--quiet")
    assert result.exit_code == 2 and "--out" in result.output and "cannot be followed" in result.output
    assert "Traceback" not in result.output and ".tmp-" not in result.output


def test_dashboard_refuses_a_port_in_use_before_anything_is_created(tmp_path, monkeypatch):
    import socket

    calls = []
    monkeypatch.setattr("diplomacy_sim.dashboard.server.serve", lambda *a, **k: calls.append(a))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        db = tmp_path / "sub" / "new.sqlite"
        result = invoke("dashboard", "--port", port, "--db", db)
    assert result.exit_code == 2 and "--port" in result.output and "in use" in result.output
    assert not calls and not (tmp_path / "sub").exists()


@pytest.mark.parametrize("mine", [".run.backup-2024-06", ".run.v1-2024-06", ".run.tmp-1-2",
                                  ".run.old-99999999-notahexx", ".run.tmp-99999999-abcdef12x"])
def test_a_users_own_hidden_siblings_are_never_taken_for_leftovers(tmp_path, mine):
    """Only a killed writer's own leftovers (``.NAME.tmp-PID-8hex`` of a dead process) are
    removed when a result is written next to them."""
    (tmp_path / mine).mkdir()
    (tmp_path / mine / "keep.md").write_text("mine")
    stale = tmp_path / ".run.tmp-99999999-abcdef12"  # a dead writer's
    stale.mkdir()
    assert invoke("run", "integrated_discharge", "--steps", "2", "--out", tmp_path / "run",
                  "--quiet").exit_code == 0
    assert (tmp_path / mine / "keep.md").read_text() == "mine"
    assert not stale.exists()
