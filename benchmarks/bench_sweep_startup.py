"""Sweep start-up as a user sees it: ``diplomacy-sim sweep smoke`` in a fresh process.

    .venv/bin/python benchmarks/bench_sweep_startup.py [--repeats 7] [--experiment smoke]

Each round starts the CLI (``--workers 1`` and ``--workers 2``, alternating which goes first)
and times, from just before the process starts:

* **first run begins**: the first stored summary part's file time minus that part's run
  durations (its runs ran back to back in one worker just before the part was written);
* **first result written**: the first summary part's file time;
* **total**: the process's exit; CPU = user + system of the CLI process alone (its fork
  server and the workers forked from it are not waited for by it, so their CPU is not in
  the column).

Nothing in the code under test is instrumented: the figures come from the files a sweep
writes, so the same script measures any checkout. ``--base-src DIR`` (e.g. ``git archive
REF src | tar -x -C /tmp/base`` and ``/tmp/base/src``) adds a paired A/B: the same rounds run
that ``src`` through ``PYTHONPATH`` too, alternating with this checkout.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]


def one(python: str, experiment: str, workers: int, src: str | None) -> dict[str, float]:
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = src
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "o"
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.time()
        done = subprocess.run(
            [python, "-m", "diplomacy_sim.cli", "sweep", experiment, "--out", str(out),
             "--workers", str(workers), "--quiet"],
            cwd=ROOT, capture_output=True, text=True, check=False, env=env)
        total = time.time() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode != 0:
            raise SystemExit(done.stderr)
        parts = sorted((p.stat().st_mtime_ns / 1e9, p) for p in (out / "summaries").glob("*.parquet"))
        first_t, first = parts[0]
        durations = pq.read_table(first, columns=["duration_s"]).column(0).to_pylist()
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return {"begin": first_t - sum(durations) - t0, "written": first_t - t0,
                "total": total, "cpu": cpu}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--experiment", default="smoke")
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--base-src", default=None, help="a base checkout's src/ for A/B")
    args = ap.parse_args()
    variants: list[tuple[str, str | None]] = [("this", None)]
    if args.base_src:
        variants.append(("base", str(Path(args.base_src).resolve())))
    configs = [(v, w) for v in variants for w in (1, 2)]
    res: dict[tuple[str, int], list[dict[str, float]]] = {(v[0], w): [] for v, w in configs}
    load0 = os.getloadavg()[0]
    for i in range(args.repeats):
        k = i % len(configs)
        for (name, src), w in configs[k:] + configs[:k]:  # rotate the order round by round
            res[(name, w)].append(one(args.python, args.experiment, w, src))
    load1 = os.getloadavg()[0]
    print(f"`diplomacy-sim sweep {args.experiment}`, {args.repeats} rotating rounds, "
          f"1-minute load average {load0:.1f} -> {load1:.1f} (2 cores)\n")
    print("| code | workers | first run begins s | first result written s | total wall s "
          "| CPU s (the CLI process) |")
    print("|---|---:|---:|---:|---:|---:|")
    for (name, w), rows in res.items():
        med = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
        print(f"| {name} | {w} | {med['begin']:.3f} | {med['written']:.3f} "
              f"| {med['total']:.3f} | {med['cpu']:.3f} |")
    print()
    for name, _ in variants:
        ratios = [a["total"] / b["total"]
                  for a, b in zip(res[(name, 1)], res[(name, 2)], strict=True)]
        print(f"{name}: 2 workers vs 1, paired total wall ratios: median "
              f"{statistics.median(ratios):.2f}x (samples "
              f"{', '.join(f'{r:.2f}' for r in ratios)})")
    if args.base_src:
        for w in (1, 2):
            r = [b["begin"] / a["begin"]
                 for a, b in zip(res[("this", w)], res[("base", w)], strict=True)]
            print(f"{w} worker(s): first run begins, base / this, paired: median "
                  f"{statistics.median(r):.2f}x")

if __name__ == "__main__":
    main()
