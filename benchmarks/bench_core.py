"""Core speed benchmark: vectorised engine vs the per-agent reference, and scaling.

Targets (2-core machine, one process, median of 5 runs, CPU time):
  * 156-step run of the default scenario scaled to 1,000 people <= 0.5 s;
  * >= 20x faster than the per-agent reference on the same run;
  * 10,000 people <= 10 s, time about linear in the number of ties; peak memory <= 500 MB;
  * speed (issue 12): the default scenario in a sweep worker <= 50 ms per run (<= 0.3 ms a
    step), and 10,000 people <= 0.08 µs per tie-step.

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
from dataclasses import replace
from pathlib import Path

from diplomacy_sim.model.model import DiplomacyModel
from diplomacy_sim.scenario.loader import load_scenario

SCENARIO = "integrated_discharge"
STEPS = 156


def timed_run(people: int | None, engine: str, seed: int = 1) -> tuple[float, int]:
    """CPU time (``time.process_time``) of one run, and its number of ties."""
    spec = load_scenario(SCENARIO, people=people).model_copy(update={"steps": STEPS})
    gc.collect()
    t0 = time.process_time()
    model = DiplomacyModel(spec, seed=seed, engine=engine)  # type: ignore[arg-type]
    model.run_to_end()
    return time.process_time() - t0, model.state.ties.m


def sweep_worker_run_ms(runs: int) -> float:
    """CPU ms per run of the default scenario (156 weeks) as a sweep worker runs it."""
    import yaml

    from diplomacy_sim.batch.design import RunSpec
    from diplomacy_sim.batch.runner import Chunk, run_chunk
    from diplomacy_sim.scenario.loader import resolve_path

    data = yaml.safe_load(resolve_path(SCENARIO).read_text())
    chunk = Chunk(base_data={None: data}, steps=STEPS, people=None, keep_timeseries=False,
                  runs=[RunSpec(run_id=i, seed=i, replication=0, point=0, doctrine=None,
                                shock_regime=None) for i in range(runs)])
    run_chunk(replace(chunk, runs=chunk.runs[:1]))  # warm-up
    t0 = time.process_time()
    run_chunk(chunk)
    return (time.process_time() - t0) / runs * 1e3


def mesa_pair(people: int | None, seed: int = 1) -> tuple[float, float]:
    """CPU s of our full model and of idiomatic Mesa doing only the influence loop, on the
    same people and ties (ours first, then Mesa's, in this process)."""
    sys.path.insert(0, str(Path(__file__).parent))
    import mesa_idiomatic

    ours, _ties = timed_run(people, "vectorised", seed)
    spec = load_scenario(SCENARIO, people=people).model_copy(update={"steps": STEPS})
    source = DiplomacyModel(spec, seed=seed)
    gc.collect()
    t0 = time.process_time()
    mesa_idiomatic.run(source, STEPS, seed)
    return ours, time.process_time() - t0


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
    ap.add_argument("--reference-repeats", type=int, default=5)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000, 2_500, 5_000, 10_000])
    args = ap.parse_args()

    rows = []
    per_tie = {}
    for people in args.sizes:
        times, ties = [], 0
        for _ in range(args.repeats):
            t, ties = timed_run(people, "vectorised")
            times.append(t)
        med = statistics.median(times)
        per_tie[people] = med / ties * 1e6
        rows.append((people, ties, med, min(times), max(times)))
    # the two engines alternate (A/B/A/B in this process), so load affects both alike
    ratios, ref_times = [], []
    for _ in range(args.reference_repeats):
        fast, _ties = timed_run(1_000, "vectorised")
        slow, _ties = timed_run(1_000, "reference")
        ref_times.append(slow)
        ratios.append(slow / fast)
    ref = statistics.median(ref_times)
    paired = statistics.median(ratios)
    fast_1k = rows[0][2]
    worker = [sweep_worker_run_ms(5) for _ in range(args.repeats)]
    mesa_ratios = {people: [b / a for a, b in (mesa_pair(people, seed)
                                               for seed in range(args.repeats))]
                   for people in (None, 1_000)}
    mem = peak_memory_mb(args.sizes[-1])

    print(f"## Core ({STEPS} steps of `{SCENARIO}`, median of {args.repeats} runs)\n")
    print("| people | ties | median CPU s | min s | max s | µs per tie-step |")
    print("|---:|---:|---:|---:|---:|---:|")
    for people, ties, med, lo, hi in rows:
        print(f"| {people:,} | {ties:,} | {med:.3f} | {lo:.3f} | {hi:.3f} | "
              f"{per_tie[people] / STEPS:.3f} |")
    print(f"\nPer-agent reference, 1,000 people: median {ref:.2f} s CPU over "
          f"{args.reference_repeats} runs alternating with the vectorised engine -> median "
          f"paired ratio **{paired:.1f}x** (pairs: {', '.join(f'{r:.1f}' for r in ratios)}).")
    for people, rs in mesa_ratios.items():
        print(f"Idiomatic Mesa (`benchmarks/mesa_idiomatic.py`: agents' step methods, "
              f"shuffle_do, a DataCollector) doing only the influence loop, against our full "
              f"model on the same people and ties ({people or 'default'} people), alternating: "
              f"Mesa time / ours, median of pairs **{statistics.median(rs):.2f}** "
              f"(pairs: {', '.join(f'{r:.2f}' for r in rs)}).")
    print(f"Default scenario ({STEPS} weeks) in a sweep worker: median "
          f"**{statistics.median(worker):.1f} ms CPU per run** (target <= 50 ms; per step "
          f"{statistics.median(worker) / STEPS:.2f} ms, target <= 0.3 ms).")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"Peak traced memory at {args.sizes[-1]:,} people: **{mem:.0f} MB** (numpy and Python "
          f"allocations); peak resident memory of this whole benchmark process: {rss:.0f} MB.")
    lin = per_tie[args.sizes[-1]] / per_tie[args.sizes[0]]
    print(f"Time per tie at {args.sizes[-1]:,} vs {args.sizes[0]:,} people: {lin:.2f} "
          "(1.0 = exactly linear in ties).")

    per_tie_10k = per_tie.get(10_000)
    targets = [
        ("1,000 people <= 0.5 s", fast_1k <= 0.5),
        (">= 20x the per-agent reference", paired >= 20),
        (f"{args.sizes[-1]:,} people <= 10 s", rows[-1][2] <= 10),
        ("peak memory <= 500 MB", max(mem, rss) <= 500),
        ("default scenario in a sweep worker <= 50 ms per run",
         statistics.median(worker) <= 50),
    ]
    if per_tie_10k is not None:
        targets.append(("10,000 people <= 0.08 µs per tie-step", per_tie_10k / STEPS <= 0.08))
    missed = [name for name, met in targets if not met]
    print("\nTargets:", "all met" if not missed else "MISSED: " + "; ".join(missed))
    return 0 if not missed else 1


if __name__ == "__main__":
    sys.exit(main())
