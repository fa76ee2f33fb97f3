"""Sweep benchmarks: speed-up on 2 workers, per-run overhead, worker memory over many runs.

    .venv/bin/python benchmarks/bench_sweep.py [--replications 1] [--repeats 3] [--memory-runs 3000]

* speed-up: ``doctrines.yaml`` (4 bases x 4 doctrines x 5 shock regimes, fewer replications
  so a repeat takes a minute, not ten) on 1 worker and on 2 workers; median of the repeats.
* per-run overhead: a serial sweep's wall time per run minus the bare ``api.run`` time of the
  same runs (validation of overrides, result rows, Parquet writing, bookkeeping).
* memory: resident memory of each pool worker, sampled during a sweep of many short runs.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

import psutil

from diplomacy_sim import api
from diplomacy_sim.batch.design import build_design
from diplomacy_sim.batch.experiment import load_experiment
from diplomacy_sim.batch.runner import sweep
from diplomacy_sim.scenario.loader import apply_overrides, scenario_from_dict


def shrunk(name: str, **update: object):
    exp = load_experiment(name)
    spec = exp.spec.model_copy(update=update)
    return replace(exp, spec=spec, design_sha256=f"bench-{time.time_ns()}")


def timed_sweep(exp, workers: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        sweep(exp, Path(tmp) / "o", workers=workers, progress=False)
        return time.perf_counter() - t0


def speedup(replications: int, repeats: int) -> None:
    exp = shrunk("doctrines", replications=replications, outputs="summary")
    n = len(build_design(exp).runs)
    t1 = [timed_sweep(exp, 1) for _ in range(repeats)]
    t2 = [timed_sweep(exp, 2) for _ in range(repeats)]
    m1, m2 = statistics.median(t1), statistics.median(t2)
    print(f"doctrines.yaml, {n} runs x 156 weeks, {repeats} repeats")
    print(f"  1 worker : median {m1:.2f} s  ({', '.join(f'{t:.2f}' for t in t1)})")
    print(f"  2 workers: median {m2:.2f} s  ({', '.join(f'{t:.2f}' for t in t2)})")
    print(f"  speed-up {m1 / m2:.2f}x = {100 * m1 / m2 / 2:.0f}% of ideal")


def overhead(repeats: int) -> None:
    """Marginal cost: (sweep of 2N runs - sweep of N runs) / N, minus bare api.run per run."""
    def exp_of(reps: int):
        # a single-base experiment, so the bare runs below are exactly the sweep's runs
        return shrunk("smoke", replications=reps, outputs="summary", steps=20,
                      shock_regimes={"calm": []})

    small, big = exp_of(5), exp_of(15)
    n_small, n_big = len(build_design(small).runs), len(build_design(big).runs)
    design = build_design(big)
    scenarios = [scenario_from_dict(apply_overrides(big.base_data, r.overrides(design.steps)))
                 for r in design.runs[n_small:]]
    per_run = []
    bare = []
    for _ in range(repeats):
        ts = timed_sweep(small, 0)
        tb = timed_sweep(big, 0)
        t0 = time.perf_counter()
        for sc in scenarios:
            api.run(sc)
        bare.append((time.perf_counter() - t0) / len(scenarios))
        per_run.append((tb - ts) / (n_big - n_small))
    b, s = statistics.median(bare), statistics.median(per_run)
    print(f"per-run overhead, marginal over {n_big - n_small} runs x 20 weeks, serial, "
          f"{repeats} repeats")
    print(f"  bare api.run {1000 * b:.2f} ms/run, through the sweep runner {1000 * s:.2f} ms/run")
    print(f"  overhead {1000 * (s - b):.2f} ms/run "
          f"(each: {', '.join(f'{1000 * (x - y):.2f}' for x, y in zip(per_run, bare, strict=True))})")


def memory(runs: int) -> None:
    reps = max(1, runs // 8)  # smoke: 4 doctrines x 2 trust settings per replication
    exp = shrunk("smoke", replications=reps, outputs="summary", steps=10,
                 shock_regimes={"calm": []}, doctrines=["command", "stewardship", "diplomacy",
                                                        "fatalism"])
    n = len(build_design(exp).runs)
    samples: list[tuple[float, list[float]]] = []
    stop = threading.Event()
    me = psutil.Process()

    def sample() -> None:
        t0 = time.perf_counter()
        while not stop.is_set():
            rss = []
            for p in me.children(recursive=True):
                try:
                    if p.ppid() != me.pid:  # pool workers are children of the forkserver
                        rss.append(p.memory_info().rss / 2**20)
                except psutil.Error:
                    pass
            if rss:
                samples.append((time.perf_counter() - t0, sorted(rss)))
            time.sleep(0.25)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    seconds = timed_sweep(exp, 2)
    stop.set()
    th.join()
    worker = [s for s in samples if len(s[1]) >= 2]
    if len(worker) < 4:
        print("memory: too few samples")
        return
    k = max(1, len(worker) // 10)
    early = statistics.median(max(s[1]) for s in worker[k:2 * k])
    late = statistics.median(max(s[1]) for s in worker[-k:])
    print(f"memory per worker, {n} runs x 10 weeks on 2 workers in {seconds:.1f} s")
    print(f"  RSS after warm-up {early:.0f} MB, at the end {late:.0f} MB "
          f"(growth {late - early:+.1f} MB over {n} runs)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--replications", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--memory-runs", type=int, default=3000)
    ap.add_argument("--only", choices=["speedup", "overhead", "memory"], default=None)
    a = ap.parse_args()
    if a.only in (None, "overhead"):
        overhead(a.repeats)
    if a.only in (None, "speedup"):
        speedup(a.replications, a.repeats)
    if a.only in (None, "memory"):
        memory(a.memory_runs)


if __name__ == "__main__":
    main()
