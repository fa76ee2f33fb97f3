"""Paired A/B of two versions of the model in ONE process: a git ref against this checkout.

    .venv/bin/python benchmarks/bench_ab.py REF [--pairs 20] [--people N] [--steps 156]

The package at REF (``git archive``) is unpacked into a temporary folder and renamed
``diplomacy_sim_base`` (every ``diplomacy_sim`` import in it rewritten), so both versions
load side by side. Runs of the default scenario then alternate base / this checkout on the
same seeds, each timed in CPU time (``time.process_time``); the figure is the median of the
per-pair ratios base / new, which holds up on a loaded machine far better than runs minutes
apart in separate processes. Every pair's outcome rows must be equal, else it stops: a speed
change must not change a number.
"""

from __future__ import annotations

import argparse
import gc
import io
import re
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def unpack_base(ref: str, into: Path) -> None:
    tar = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "src/diplomacy_sim",
                          "scenarios"], capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(tar)) as tf:
        tf.extractall(into, filter="data")
    pkg = into / "src" / "diplomacy_sim"
    pkg.rename(into / "src" / "diplomacy_sim_base")
    word = re.compile(r"\bdiplomacy_sim\b")
    for f in (into / "src" / "diplomacy_sim_base").rglob("*.py"):
        f.write_text(word.sub("diplomacy_sim_base", f.read_text(encoding="utf-8")),
                     encoding="utf-8")


def timed(model_cls: type, spec: object, seed: int) -> tuple[float, object]:
    gc.collect()
    t0 = time.process_time()
    m = model_cls(spec, seed=seed)
    m.run_to_end()
    return time.process_time() - t0, m


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("ref", help="git ref of the base version, e.g. main or a commit")
    ap.add_argument("--pairs", type=int, default=20)
    ap.add_argument("--people", type=int, default=None)
    ap.add_argument("--steps", type=int, default=156)
    ap.add_argument("--scenario", default="integrated_discharge")
    ap.add_argument("--as-worker", action="store_true",
                    help="each version runs what its sweep worker runs: the Mesa-free "
                    "DiplomacyCore where the version has one, else DiplomacyModel")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        unpack_base(args.ref, Path(tmp))
        sys.path.insert(0, str(Path(tmp) / "src"))
        import diplomacy_sim_base.model.model as base_model  # type: ignore[import-not-found]
        import diplomacy_sim_base.scenario.loader as base_loader  # type: ignore[import-not-found]

        import diplomacy_sim.model.model as new_model
        import diplomacy_sim.scenario.loader as new_loader

        update = {"steps": args.steps}
        sa = base_loader.load_scenario(args.scenario, people=args.people).model_copy(
            update=update)
        sb = new_loader.load_scenario(args.scenario, people=args.people).model_copy(
            update=update)
        def model_class(module: Any) -> Any:
            if args.as_worker:
                return getattr(module, "DiplomacyCore", module.DiplomacyModel)
            return module.DiplomacyModel

        base_cls, new_cls = model_class(base_model), model_class(new_model)
        timed(base_cls, sa, 0)  # warm both
        timed(new_cls, sb, 0)
        a_t, b_t, ratios, ties = [], [], [], 0
        for seed in range(args.pairs):
            a, ma = timed(base_cls, sa, seed)
            b, mb = timed(new_cls, sb, seed)
            if ma.rows != mb.rows:  # type: ignore[attr-defined]
                print(f"seed {seed}: the outcome rows differ: not a speed change")
                return 2
            a_t.append(a)
            b_t.append(b)
            ratios.append(a / b)
            ties = mb.state.ties.m  # type: ignore[attr-defined]
    q = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else [ratios[0]] * 3
    ma_, mb_ = statistics.median(a_t), statistics.median(b_t)
    print(f"{args.scenario}, {args.people or 'default'} people, {args.steps} weeks, "
          f"{base_cls.__name__} against {new_cls.__name__}, {args.pairs} alternating pairs, "
          f"CPU time (outcome rows equal in every pair)\n")
    print("| version | median ms per run | ms per step | µs per tie-step |")
    print("|---|---:|---:|---:|")
    for name, med in ((f"base `{args.ref}`", ma_), ("this checkout", mb_)):
        print(f"| {name} | {med * 1e3:.1f} | {med / args.steps * 1e3:.3f} | "
              f"{med / args.steps / max(ties, 1) * 1e6:.3f} |")
    print(f"\nbase / new: median of pairs **{statistics.median(ratios):.2f}x** "
          f"(quartiles {q[0]:.2f}-{q[2]:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
