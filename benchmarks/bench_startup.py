"""CLI start-up benchmark: ``diplomacy-sim --help``, ``list`` and ``validate FILE``.

Target (issue 12): each <= 0.3 s wall on a quiet machine. Nothing heavy (mesa, pandas,
scipy, matplotlib) may be imported by the package or the CLI at start-up; ``validate`` needs
the pydantic schema (and numpy, through the shock registry) and nothing more.

Each command is a fresh process, as a user starts it. The commands **alternate** (one of
each per round, ``--repeats`` rounds) and two references run in the same rounds: the bare
interpreter (``python -c pass``: the floor no command can beat) and ``import
diplomacy_sim.api`` (what the package used to import at start-up). Wall time is
``time.perf_counter`` around the child; CPU time is the child's user + system time
(``resource.getrusage(RUSAGE_CHILDREN)``). Medians; the ratios to the bare interpreter are
measured round by round, which holds up on a loaded machine.

Run:  .venv/bin/python benchmarks/bench_startup.py [--repeats 9]
Prints a Markdown table and exits 1 if a command's median wall time is over the target.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_WALL_S = 0.3
CLI = [sys.executable, "-m", "diplomacy_sim.cli"]
_bin = Path(sys.executable).with_name("diplomacy-sim")
if _bin.exists():  # the console script a user runs
    CLI = [str(_bin)]

COMMANDS: dict[str, list[str]] = {
    "`python -c pass` (interpreter floor)": [sys.executable, "-c", "pass"],
    "`diplomacy-sim --help`": [*CLI, "--help"],
    "`diplomacy-sim list`": [*CLI, "list"],
    "`diplomacy-sim validate scenarios/safeguarding_hub.yaml`":
        [*CLI, "validate", str(ROOT / "scenarios" / "safeguarding_hub.yaml")],
    "`import diplomacy_sim.api` (reference: the old start-up)":
        [sys.executable, "-c", "import diplomacy_sim.api"],
}
TARGETED = {k for k in COMMANDS if k.startswith("`diplomacy-sim")}


def one(cmd: list[str]) -> tuple[float, float]:
    """(wall s, CPU s) of one fresh process running ``cmd``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}, check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}): "
                         f"{done.stderr.decode()[-500:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=9)
    args = ap.parse_args()
    for cmd in COMMANDS.values():  # warm the file cache and the byte-code
        one(cmd)
    walls: dict[str, list[float]] = {k: [] for k in COMMANDS}
    cpus: dict[str, list[float]] = {k: [] for k in COMMANDS}
    ratio: dict[str, list[float]] = {k: [] for k in COMMANDS}
    floor = next(iter(COMMANDS))
    for _ in range(args.repeats):
        rnd = {}
        for name, cmd in COMMANDS.items():
            rnd[name] = one(cmd)
            walls[name].append(rnd[name][0])
            cpus[name].append(rnd[name][1])
        for name in COMMANDS:
            ratio[name].append(rnd[name][0] / rnd[floor][0])
    load = os.getloadavg()[0]
    print(f"CLI start-up, {args.repeats} alternating rounds, 1-minute load average "
          f"{load:.1f}, Python {sys.version.split()[0]}\n")
    print("| command | median wall s | min wall s | median CPU s | wall / interpreter floor |")
    print("|---|---:|---:|---:|---:|")
    missed = []
    for name in COMMANDS:
        w, c = statistics.median(walls[name]), statistics.median(cpus[name])
        print(f"| {name} | {w:.3f} | {min(walls[name]):.3f} | {c:.3f} | "
              f"{statistics.median(ratio[name]):.1f}x |")
        if name in TARGETED and w > TARGET_WALL_S:
            missed.append(name)
    print(f"\nTarget: each diplomacy-sim command <= {TARGET_WALL_S} s wall (median): "
          + ("met" if not missed else "MISSED: " + ", ".join(missed)))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
