"""The explorer's "Charts (PNG)" download: time to make the PNG of a whole run.

A run of the default scenario to its end (156 weeks) with a budget cut injected at week 5,
so the grey counterfactual is drawn too. Paired A/B in one process, alternating: A is the
export as it was before issue 10 (matplotlib, a 4×2 grid with its constrained layout, the
seven shares), B is today's :func:`diplomacy_sim.dashboard.charts.charts_png` (Pillow, all
nine outcomes, units, labelled shocks, the marked week, a legend). Reports medians of wall
time and of CPU time (``time.process_time``) and the paired ratio; also the one-off cost of
importing each library in a fresh process (the dashboard loads Pillow and its fonts in the
background when a page opens). Target (issue 10): under 1 s. Exits non-zero if missed.

    .venv/bin/python benchmarks/bench_png.py [--pairs 9]
"""

from __future__ import annotations

import argparse
import io
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence

TARGET_S = 1.0


def reference_png(names: Sequence[str], rows: Sequence[dict[str, float]],
                  baseline: Sequence[dict[str, float]] | None, horizon: int,
                  shocks: Sequence[tuple[int, str]] = (), title: str = "") -> bytes:
    """A: the export before issue 10 (kept here, verbatim in effect, for the pairing)."""
    from matplotlib.figure import Figure

    from diplomacy_sim.dashboard.charts import (
        BASELINE_COLOUR,
        RUN_COLOUR,
        SHOCK_COLOUR,
        TITLES,
    )

    cols = 4
    nrows = (len(names) + cols - 1) // cols
    fig = Figure(figsize=(4 * cols, 2.8 * nrows), dpi=110, layout="constrained")
    axes = fig.subplots(nrows, cols, squeeze=False).ravel()
    x = [r["step"] + 1 for r in rows]
    for ax, name in zip(axes, names, strict=False):
        if baseline:
            bl = baseline[: len(rows)]
            ax.plot([r["step"] + 1 for r in bl], [r[name] for r in bl], color=BASELINE_COLOUR,
                    lw=1.5, alpha=0.7, label="without injected shocks")
        ax.plot(x, [r[name] for r in rows], color=RUN_COLOUR, lw=2, label="this run")
        for at, _text in shocks:
            ax.axvline(at, color=SHOCK_COLOUR, ls="--", lw=1.2)
        ax.set_title(TITLES.get(name, name))
        ax.set_xlim(0, horizon)
        ax.set_ylim(0, 1)
        ax.set_xlabel("week")
    for ax in axes[len(names):]:
        ax.set_visible(False)
    if names:
        axes[0].legend(loc="lower left", fontsize=8)
    if title:
        fig.suptitle(title)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def timed(f, *a, **k) -> tuple[float, float, bytes]:
    w0, c0 = time.perf_counter(), time.process_time()
    out = f(*a, **k)
    return time.perf_counter() - w0, time.process_time() - c0, out


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=9)
    args = ap.parse_args(argv)

    def import_time(modules: str) -> float:
        out = subprocess.run(
            [sys.executable, "-c", f"import time; t = time.perf_counter(); import {modules}; "
             "print(time.perf_counter() - t)"], capture_output=True, text=True, check=True)
        return float(out.stdout.strip())

    mpl_s = import_time("matplotlib.figure, matplotlib.backends.backend_agg")
    pil_s = import_time("PIL.Image, PIL.ImageDraw, PIL.ImageFont")

    from diplomacy_sim.dashboard import app, charts
    from diplomacy_sim.dashboard.session import Session, Setup

    s = Session(Setup())
    s.step(5)
    s.inject({"kind": "budget_cut", "organisations": [s.model.state.orgs.ids[0]],
              "fraction": 0.2})
    s.run_to_end()
    rows, base = list(s.model.rows), list(s.baseline_rows())
    marks = app._shock_marks(s)
    title = f"{s.model.spec.title} — seed {s.model.seed}, week {s.week}"
    names_b = app.chart_names(s)
    names_a = s.outcome_names()
    reference_png(names_a, rows, base, s.horizon, marks, title)  # warm both once
    charts.charts_png(names_b, rows, base, s.horizon, marks, title, marked=60)

    a_wall, a_cpu, b_wall, b_cpu, ratio = [], [], [], [], []
    for k in range(args.pairs):
        order = ("a", "b") if k % 2 == 0 else ("b", "a")
        got = {}
        for which in order:
            if which == "a":
                got["a"] = timed(reference_png, names_a, rows, base, s.horizon, marks, title)
            else:
                got["b"] = timed(charts.charts_png, names_b, rows, base, s.horizon, marks,
                                 title, marked=60)
        a_wall.append(got["a"][0])
        a_cpu.append(got["a"][1])
        b_wall.append(got["b"][0])
        b_cpu.append(got["b"][1])
        ratio.append(got["a"][1] / max(got["b"][1], 1e-9))
        assert got["b"][2].startswith(b"\x89PNG")

    med = statistics.median
    print(f"PNG export, whole run (156 weeks, a shock, counterfactual), {args.pairs} pairs:")
    print(f"  A before: wall {med(a_wall):.3f} s, CPU {med(a_cpu):.3f} s (7 charts)")
    print(f"  B now:    wall {med(b_wall):.3f} s, CPU {med(b_cpu):.3f} s "
          f"({len(names_b)} charts); min/max wall {min(b_wall):.3f}/{max(b_wall):.3f} s")
    print(f"  paired CPU ratio A/B: median {med(ratio):.2f}x")
    print(f"  importing in a fresh process: matplotlib {mpl_s:.3f} s (A), Pillow "
          f"{pil_s:.3f} s (B; loaded in the background when a page opens)")
    ok = med(b_wall) < TARGET_S
    print(f"  target < {TARGET_S:g} s: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
