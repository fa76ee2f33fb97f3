"""Never a traceback: every subcommand of the CLI, each given a set of bad arguments.

The subcommands are read from the click group, walking its subgroups (``room list``, ``room
export``, ...), so a new one is covered the day it is added.
Every positional argument and every option is given each bad value in turn (the others get
good values): the command must end with exit code 0 (the value was acceptable after all) or
2 (a clear message), never 1 with a traceback, and quickly.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import click
import pytest
import yaml
from click.testing import CliRunner

from diplomacy_sim.cli import main
from diplomacy_sim.scenario.loader import SCENARIO_DIR

SMALL = SCENARIO_DIR / "safeguarding_hub.yaml"


@pytest.fixture(scope="module")
def places(tmp_path_factory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("bad")
    fifo = tmp / "pipe.yaml"
    os.mkfifo(fifo)
    big = tmp / "big.yaml"
    with open(big, "wb") as f:
        f.truncate(60_000_000)
    afile = tmp / "afile.txt"
    afile.write_text("not yaml: [")
    empty = tmp / "empty_dir"
    empty.mkdir()
    exp = tmp / "exp.yaml"
    exp.write_text(yaml.safe_dump({
        "name": "tiny", "title": "Tiny", "description": "Two short runs.",
        "base": "safeguarding_hub", "master_seed": 1, "replications": 2, "steps": 2,
        "shock_regimes": {"calm": []}}))
    return {"tmp": tmp, "fifo": fifo, "big": big, "afile": afile, "empty": empty, "exp": exp}


def bad_values(p: dict[str, Path]) -> list[str]:
    return [
        "", " ", "-", "--", "²", "١٢٣", "9" * 5000, "-1", "1e400", "nan", "x" * 10_000,
        "\x00", "a\x00b", "../../../../etc/passwd", "/etc/passwd", "/dev/zero", "/dev/null",
        "/nonexistent/x.yaml", "/proc/self/environ", "/sys", str(p["fifo"]), str(p["big"]),
        str(p["afile"]), str(p["empty"]), str(p["afile"] / "under_a_file"), "{", "[[[[",
        "a=b", "=", "steps=" + "9" * 5000, "shocks=" + "[" * 5000, "tcp://", "http://x:1",
    ]


def good_positional(name: str, p: dict[str, Path]) -> str:
    return {"scenario": str(SMALL), "files": str(SMALL), "experiment": str(p["exp"]),
            "results": str(p["empty"])}.get(name, "x")


QUIET = {"run": ["--quiet", "--steps", "2"], "sweep": ["--quiet", "--workers", "0"]}


def leaf_commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    """Every command a user can run, by its full name (``"room export"``)."""
    out: list[tuple[str, click.Command]] = []
    for name, cmd in sorted(group.commands.items()):
        full = f"{prefix}{name}"
        if isinstance(cmd, click.Group):
            out.append((full, cmd))  # the group alone, with bad options
            out += leaf_commands(cmd, full + " ")
        else:
            out.append((full, cmd))
    return out


def cases(p: dict[str, Path]) -> list[tuple[str, list[str]]]:
    out = []
    for name, cmd in leaf_commands(main):
        positionals = [x for x in cmd.params if isinstance(x, click.Argument)]
        options = [x for x in cmd.params if isinstance(x, click.Option) and not x.is_flag
                   and x.name != "help"]
        base = [good_positional(a.name, p) for a in positionals]
        out.append((name, []))  # nothing at all
        out.append((name, [*base, "--no-such-option"]))
        for i, _ in enumerate(positionals):
            for v in bad_values(p):
                args = list(base)
                args[i] = v
                out.append((name, args))
        for opt in options:
            flag = opt.opts[0]
            for v in bad_values(p):
                extra = QUIET.get(name, [])
                if flag in extra or flag == "--scheduler":  # --workers and --scheduler clash
                    extra = ["--quiet"]
                out.append((name, [*base, flag, v, *extra]))
    return out


@pytest.fixture(autouse=True)
def no_server(monkeypatch):
    """`dashboard` would replace the process with a server: record the call instead."""
    monkeypatch.setattr("diplomacy_sim.dashboard.server.serve",
                        lambda host, port, db=None, joins_per_address=None, proxies=(): None)


def test_every_subcommand_is_covered():
    names = {name for name, _ in leaf_commands(main)}
    assert {"list", "validate", "run", "dashboard", "sweep", "analyse", "shocks",
            "validate-patterns", "room", "room list", "room key", "room export"} <= names
    covered = {name for name, _ in cases({k: Path("/x") for k in
                                          ("tmp", "fifo", "big", "afile", "empty", "exp")})}
    assert covered == names


def test_no_subcommand_gives_a_traceback_for_bad_arguments(places, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a bad --out such as "-" or "nan" is a relative folder
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))  # the default room database
    monkeypatch.delenv("DIPLOMACY_SIM_ROOM_DB", raising=False)
    runner = CliRunner()
    failures = []
    all_cases = cases(places)
    assert len(all_cases) > 500
    for n, (name, args) in enumerate(all_cases):
        if name in ("run", "sweep", "room export") and "--out" not in args:
            args = [*args, "--out", str(tmp_path / f"out{n}")]
        t0 = time.perf_counter()
        r = runner.invoke(main, [*name.split(), *args], catch_exceptions=True)
        took = time.perf_counter() - t0
        text = r.output
        crashed = r.exception is not None and not isinstance(r.exception, SystemExit)
        if crashed or r.exit_code not in (0, 2) or "Traceback" in text or took > 20:
            failures.append((name, [a[:40] for a in args], r.exit_code, took,
                             repr(r.exception)[:200], text[-300:]))
        if r.exit_code == 2:
            assert len(text) < 5000, (name, args, len(text))
    assert not failures, "\n".join(map(str, failures[:20]))


NOT_NUMBERS = ["nan", "-nan", "inf", "٣", "３", "1_0", "²", "9" * 100, "1e400", "0x10"]


def numeric_options() -> list[tuple[str, str]]:
    """Every option of every subcommand that takes a number: (command, flag)."""
    from diplomacy_sim.cli import DecimalNumber, WholeNumber

    out = []
    for name, cmd in leaf_commands(main):
        for opt in cmd.params:
            if isinstance(opt.type, (WholeNumber, DecimalNumber)):
                out.append((name, opt.opts[0]))
    return out


def test_every_number_on_the_command_line_is_read_by_the_one_number_reader():
    """click's own int and float types take Unicode digits, ``1_000`` and (in ranges) nan:
    no option uses them."""
    loose = [(name, opt.opts[0]) for name, cmd in leaf_commands(main) for opt in cmd.params
             if isinstance(opt.type, (click.types.IntParamType, click.types.FloatParamType))]
    assert not loose
    assert {("run", "--seed"), ("run", "--people"), ("sweep", "--chunk-seconds"),
            ("dashboard", "--port"), ("sweep", "--workers")} <= set(numeric_options())


@pytest.mark.parametrize("command,flag", numeric_options())
def test_no_number_option_takes_what_is_not_an_ascii_finite_number(command, flag, places,
                                                                   tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    cmd = dict(leaf_commands(main))[command]
    base = [good_positional(a.name, places) for a in cmd.params if isinstance(a, click.Argument)]
    for value in NOT_NUMBERS:
        r = CliRunner().invoke(main, [*command.split(), *base, flag, value,
                                      "--out", str(tmp_path / "o")]
                               if any("--out" in o.opts for o in cmd.params) else
                               [*command.split(), *base, flag, value])
        assert r.exit_code == 2, (command, flag, value, r.output[-300:])
        assert flag in r.output and "Traceback" not in r.output, (value, r.output[-300:])
        assert not (tmp_path / "o").exists()
