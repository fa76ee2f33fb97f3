"""The Mesa surface costs the step nothing: paired A/B in one process, CPU time, medians.

A (without): ``DiplomacyModel`` with ``steps`` shadowed by a plain class attribute, i.e.
Mesa's own counter, as before model/mesa_surface.py. B (with): ``DiplomacyModel`` as
shipped (``steps`` is the week; the DataCollector is never touched by a step). Both run the
default scenario at 1,000 people for 156 weeks, alternating which goes first.

Target: the median paired ratio B/A <= 1.03. Also checks that both give the same numbers.

Run:  .venv/bin/python benchmarks/bench_mesa_surface.py [--pairs 15]  (on a quiet machine: the
ratio is a few per cent at most, and load from other processes swamps it)
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time

import pandas as pd

from diplomacy_sim import api
from diplomacy_sim.model.model import DiplomacyModel
from diplomacy_sim.scenario.loader import load_scenario

TARGET = 1.03


class WithoutSurface(DiplomacyModel):
    steps = 0  # a plain attribute: Mesa's own counter, as before the surface


def timed(cls: type[DiplomacyModel], spec: object) -> tuple[float, DiplomacyModel]:
    gc.collect()
    t0 = time.process_time()
    model = cls(spec, seed=1)  # type: ignore[arg-type]
    model.run_to_end()
    return time.process_time() - t0, model


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", type=int, default=15)
    args = ap.parse_args()
    spec = load_scenario("integrated_discharge", people=1000).model_copy(update={"steps": 156})
    _, a = timed(WithoutSurface, spec)
    _, b = timed(DiplomacyModel, spec)
    pd.testing.assert_frame_equal(api.timeseries(a), api.timeseries(b), rtol=0, atol=0)
    pairs = []
    for i in range(args.pairs):
        order = (WithoutSurface, DiplomacyModel) if i % 2 == 0 else (DiplomacyModel, WithoutSurface)
        t = {cls: timed(cls, spec)[0] for cls in order}
        pairs.append((t[WithoutSurface], t[DiplomacyModel]))
    ratio = statistics.median(b / a for a, b in pairs)
    print("| run (1,000 people, 156 weeks) | CPU s, median |")
    print("|---|---|")
    print(f"| without the Mesa surface | {statistics.median(a for a, _ in pairs):.3f} |")
    print(f"| with it (as shipped) | {statistics.median(b for _, b in pairs):.3f} |")
    print(f"\nmedian paired ratio with/without: {ratio:.3f} (target <= {TARGET})")
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
