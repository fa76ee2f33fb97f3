"""Core speed benchmark: vectorised engine vs the per-agent reference, and scaling.

Targets (2-core machine, one process, median of 5 runs):
  * 156-step run of the default scenario scaled to 1,000 people <= 0.5 s;
  * >= 20x faster than the per-agent reference on the same run;
  * 10,000 people <= 10 s, time about linear in the number of ties; peak memory <= 500 MB.

Run:  .venv/bin/python benchmarks/bench_core.py [--repeats 5] [--reference-repeats 3]
Prints a Markdown table (paste into benchmarks/README.md) and exits 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import gc
import resource
import statistics
import sys
import time
import tracemalloc

from diplomacy_sim.model.model import DiplomacyModel
from diplomacy_sim.scenario.loader import load_scenario

SCENARIO = "integrated_discharge"
STEPS = 156


def timed_run(people: int, engine: str, seed: int = 1) -> tuple[float, int]:
    spec = load_scenario(SCENARIO, people=people).model_copy(update={"steps": STEPS})
    gc.collect()
    t0 = time.perf_counter()
    model = DiplomacyModel(spec, seed=seed, engine=engine)  # type: ignore[arg-type]
    model.run_to_end()
    return time.perf_counter() - t0, model.state.ties.m


def peak_memory_mb(people: int) -> float:
    spec = load_scenario(SCENARIO, people=people).model_copy(update={"steps": STEPS})
    gc.collect()
    tracemalloc.start()
    model = DiplomacyModel(spec, seed=1)
    model.run_to_end()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--reference-repeats", type=int, default=3)
    args = ap.parse_args()

    rows = []
    per_tie = {}
    for people in (1_000, 2_500, 5_000, 10_000):
        times, ties = [], 0
        for _ in range(args.repeats):
            t, ties = timed_run(people, "vectorised")
            times.append(t)
        med = statistics.median(times)
        per_tie[people] = med / ties * 1e6
        rows.append((people, ties, med, min(times), max(times)))
    ref_times = [timed_run(1_000, "reference")[0] for _ in range(args.reference_repeats)]
    ref = statistics.median(ref_times)
    fast_1k = rows[0][2]
    mem = peak_memory_mb(10_000)

    print(f"## Core ({STEPS} steps of `{SCENARIO}`, median of {args.repeats} runs)\n")
    print("| people | ties | median s | min s | max s | µs per tie-step |")
    print("|---:|---:|---:|---:|---:|---:|")
    for people, ties, med, lo, hi in rows:
        print(f"| {people:,} | {ties:,} | {med:.3f} | {lo:.3f} | {hi:.3f} | "
              f"{per_tie[people] / STEPS:.3f} |")
    print(f"\nPer-agent reference, 1,000 people: median {ref:.2f} s over "
          f"{args.reference_repeats} runs -> vectorised is **{ref / fast_1k:.1f}x** faster.")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"Peak traced memory at 10,000 people: **{mem:.0f} MB** (numpy and Python "
          f"allocations); peak resident memory of this whole benchmark process: {rss:.0f} MB.")
    lin = per_tie[10_000] / per_tie[1_000]
    print(f"Time per tie at 10,000 vs 1,000 people: {lin:.2f} (1.0 = exactly linear in ties).")

    ok = fast_1k <= 0.5 and ref / fast_1k >= 20 and rows[-1][2] <= 10 and max(mem, rss) <= 500
    print("\nTargets:", "all met" if ok else "MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
