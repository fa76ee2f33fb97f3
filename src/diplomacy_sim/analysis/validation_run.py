"""The whole validation in one command: experiments, sweeps, analysis, figures, page tables.

``diplomacy-sim validate-patterns RUNS --run`` (``make validation``):

1. writes the experiment files from the pre-registration and the shipped scenarios
   (:mod:`.validation_design`);
2. runs every sweep into ``RUNS/<place>/<experiment>/`` through the batch runner, all on one
   process pool (2 workers by default); a folder that is already complete is skipped, a
   partial one resumed, one from other model code refused;
3. checks that every sweep comes from the model code here (:func:`.validation.check_runs`);
4. evaluates every pre-registered check, writes ``docs/figures/validation/results.json``
   (with the provenance and the wall time of the sweeps) and the figures;
5. rewrites the generated tables of ``docs/validation.md`` (between ``<!-- BEGIN generated:X
   -->`` and ``<!-- END generated:X -->``; the prose around them is left alone).
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future
from pathlib import Path
from typing import Any

from diplomacy_sim.analysis import validation as v
from diplomacy_sim.analysis.validation_design import (
    EXPERIMENT_DIR,
    experiment_files,
    load_preregistration,
    write_experiments,
)


class _Shared(Executor):
    """One process pool lent to every sweep: a sweep's shutdown leaves it running."""

    def __init__(self, pool: Executor) -> None:
        self.pool = pool

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        return self.pool.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Left to :func:`run_sweeps`, which owns the pool."""


ORDER = ("baseline", "baseline_no_shocks", "reorganisation", "leader_churn", "workstreams",
         "disturbance", "austerity", "small_wins", "ablation", "doctrine_map")
"""The order the sweeps run in: what most patterns need first, the ablation and the map last
(an interrupted run leaves the most complete set of places behind; re-running resumes)."""


def _priority(path: Path) -> tuple[int, str, str]:
    stem = path.stem
    rank = ORDER.index(stem) if stem in ORDER else (
        ORDER.index("ablation") if stem.startswith("ablation_") else len(ORDER))
    return rank, stem, path.parent.name


def run_sweeps(runs: Path, workers: int = 2, experiments: Path = EXPERIMENT_DIR,
               progress: bool = False, echo: Callable[[str], None] = print) -> dict[str, Any]:
    """Run (or resume) every validation sweep; returns the wall times."""
    from diplomacy_sim.batch.runner import process_pool, sweep

    files = sorted(experiment_files(experiments), key=_priority)
    t0 = time.perf_counter()
    per: dict[str, float] = {}
    pool = process_pool(workers) if workers > 0 else None
    shared = _Shared(pool) if pool is not None else None
    try:
        for f in files:
            rel = f"{f.parent.name}/{f.stem}"
            t = time.perf_counter()
            out = sweep(f, runs / rel, workers=workers if pool is None else None,
                        executor=shared, progress=progress)
            per[rel] = round(time.perf_counter() - t, 2)
            echo(f"{rel}: {out.ok} ok, {out.failed} failed of {out.total} "
                 f"({out.ran} run now, {per[rel]:.1f} s)")
            if out.failed:
                raise RuntimeError(f"{rel}: {out.failed} runs failed; see {runs / rel}")
    finally:
        if pool is not None:
            pool.shutdown(wait=True)
    return {"sweeps_wall_seconds": round(time.perf_counter() - t0, 1), "workers": workers,
            "per_sweep_seconds": per, "files": len(files)}


def _stderr(text: str) -> None:
    print(text, file=sys.stderr)


def analyse(runs: Path, docs: Path, accept_mixed_code: bool = False,
            timing: dict[str, Any] | None = None, echo: Callable[[str], None] = print,
            experiments: Path = EXPERIMENT_DIR, prereg: dict[str, Any] | None = None
            ) -> tuple[int, dict[str, Any] | None]:
    """Check, evaluate, write results.json, the figures and the page's generated tables.

    Returns 1 (and writes nothing) when the sweeps are not all from the model code here,
    unless ``accept_mixed_code``; the problems go to stderr."""
    from diplomacy_sim.analysis.validation_figures import figures

    trouble, record = v.check_runs(runs, experiments)
    if trouble:
        _stderr(f"{runs}: the sweeps cannot be reported together as this model's results:")
        for t in trouble:
            _stderr(f"  - {t}")
        if not accept_mixed_code:
            _stderr(f"Nothing was written to {docs}. Re-run the sweeps named above, each into "
                    "an empty folder (docs/validation.md, 'How to reproduce'), or pass "
                    "--accept-mixed-code to write anyway with these problems recorded.")
            return 1, None
    ev = v.evaluate(runs, prereg)
    out = docs / "figures" / "validation"
    out.mkdir(parents=True, exist_ok=True)
    old = out / "results.json"
    if timing is None and old.exists():  # analysis alone: keep the sweeps' recorded timing
        timing = json.loads(old.read_text()).get("timing") or {}
    data = v.payload(ev, record, timing)
    for p in figures(ev, out):
        echo(f"wrote {p}")
    tmp = out / "results.json.tmp"
    tmp.write_text(json.dumps(data, indent=1) + "\n")
    tmp.replace(old)
    echo(f"wrote {old}")
    page = docs / "validation.md"
    if page.exists():
        text = update_page(page.read_text(), data)
        page.write_text(text)
        echo(f"updated the generated tables of {page}")
    for r in ev.patterns:
        echo(r.line())
    return 0, data


def run_all(runs: Path, docs: Path, workers: int = 2, write: bool = True, run: bool = True,
            accept_mixed_code: bool = False, progress: bool = False,
            echo: Callable[[str], None] = print, experiments: Path = EXPERIMENT_DIR,
            prereg: dict[str, Any] | None = None) -> int:
    """The one command."""
    prereg = prereg or load_preregistration()
    if write:
        n = len(write_experiments(prereg, experiments))
        echo(f"wrote {n} experiment and scenario files under {experiments}")
    timing = None
    if run:
        runs.mkdir(parents=True, exist_ok=True)
        timing = run_sweeps(runs, workers, experiments, progress=progress, echo=echo)
        echo(f"sweeps: {timing['sweeps_wall_seconds']} s wall on {workers} workers")
    code, _ = analyse(runs, docs, accept_mixed_code, timing, echo, experiments, prereg)
    return code


# --------------------------------------------------------------------------- the page
def _f(x: Any, nd: int = 3) -> str:
    if x is None:
        return "–"
    if isinstance(x, float):
        return f"{x:.{nd}g}" if abs(x) < 1e-3 and x != 0 else f"{x:.{nd}f}"
    return str(x)


def _p(x: Any) -> str:
    if x is None:
        return "–"
    return "<0.001" if x < 0.001 else f"{x:.3f}"


def tables(data: dict[str, Any]) -> dict[str, str]:
    """The generated blocks of docs/validation.md, by name."""
    out: dict[str, str] = {}
    places = sorted({k.split("/")[1] for k in data["patterns"]})
    head = "| # | Pattern | Role | " + " | ".join(places) + " | Reproduced in |"
    rows = [head, "|" + "---|" * (len(places) + 4)]
    for key, s in data["summary"].items():
        cells = [f"**{s['places'][p]}**" if p in s["places"] else "n/a" for p in places]
        rows.append(f"| {s['number']} | {s['title']} | {s['role']} | " + " | ".join(cells)
                    + f" | {s['reproduced_in']} |")
        del key
    out["summary"] = "\n".join(rows)

    ro = ["| # | Pattern | Role | Source | Why a calibration target |", "|---|---|---|---|---|"]
    for s in data["summary"].values():
        ro.append(f"| {s['number']} | {s['title']} | {s['role']} | {s['source']} | "
                  f"{s['why_calibration'] or '– (out of sample)'} |")
    out["roles"] = "\n".join(ro)

    lines = []
    for key, s in data["summary"].items():
        lines.append(f"\n**{s['number']}. {s['title']}** ({s['role']}):\n")
        lines.append("| Place | Check | Estimate [95% CI] | n | p | Holm p | Pass |")
        lines.append("|---|---|---|---|---|---|---|")
        for p in places:
            r = data["patterns"].get(f"{key}/{p}")
            if r is None:
                continue
            for c in r["checks"]:
                lo, hi = c["ci"]
                lines.append(f"| {p} | {c['name']} | {_f(c['estimate'])} [{_f(lo)}, {_f(hi)}] "
                             f"| {c['n']} | {_p(c['p'])} | {_p(c['p_holm'])} | "
                             f"{'yes' if c['passed'] else 'no'} |")
    out["checks"] = "\n".join(lines).strip()

    fv = ["| Place | Doctrine | Integration, with − without [95% CI] | Holm p | User outcome, "
          "with − without [95% CI] | Holm p | Verdict |", "|---|---|---|---|---|---|---|"]
    for p, f in data["face_validity"].items():
        a, b = f["checks"]
        fv.append(f"| {p} | {f['doctrine']} | {_f(a['estimate'])} [{_f(a['ci'][0])}, "
                  f"{_f(a['ci'][1])}] | {_p(a['p_holm'])} | {_f(b['estimate'])} "
                  f"[{_f(b['ci'][0])}, {_f(b['ci'][1])}] | {_p(b['p_holm'])} | "
                  f"**{f['verdict']}** |")
    out["face_validity"] = "\n".join(fv)

    ab = ["| Doctrine | Component removed | Place | Integration, full − ablated [95% CI] | "
          "Holm p | User outcome [95% CI] | Trust [95% CI] |", "|---|---|---|---|---|---|---|"]
    for a in data["ablation"]:
        i, u, t = a["integration"], a["user_outcome"], a["trust"]
        ab.append(f"| {a['doctrine']} | {a['component'].replace('_', ' ')} | {a['place']} | "
                  f"{_f(i['mean'])} [{_f(i['ci_low'])}, {_f(i['ci_high'])}] | "
                  f"{_p(a['p_holm'])}{' *' if a['significant'] else ''} | "
                  f"{_f(u['mean'])} [{_f(u['ci_low'])}, {_f(u['ci_high'])}] | "
                  f"{_f(t['mean'])} [{_f(t['ci_low'])}, {_f(t['ci_high'])}] |")
    out["ablation"] = "\n".join(ab)

    dm = data.get("doctrine_map") or {}
    docs_ = dm.get("doctrines", [])
    mp = ["| Agenda diversity | Shocks | n | " + " | ".join(f"P({d} best)" for d in docs_)
          + " | P(tie) | Diplomacy − best other [95% CI] |",
          "|---|---|---|" + "---|" * (len(docs_) + 2)]
    for c in dm.get("cells", []):
        ps = " | ".join(f"{_f(c['p_best'][d]['share'], 2)} [{_f(c['p_best'][d]['ci_low'], 2)}, "
                        f"{_f(c['p_best'][d]['ci_high'], 2)}]" for d in docs_)
        a = c["diplomacy_advantage"]
        mp.append(f"| {c['diversity']} | {c['regime']} | {c['n']} | {ps} | {_f(c['p_tie'], 2)} "
                  f"| {_f(a['mean'])} [{_f(a['ci_low'])}, {_f(a['ci_high'])}] |")
    out["doctrine_map"] = "\n".join(mp)

    sob = ["| Agenda diversity | Shocks | Largest total Sobol indices (ST ± 95% conf.) |",
           "|---|---|---|"]
    for s in dm.get("sobol", []):
        st_ = s.get("ST") or {}
        top = sorted(st_.items(), key=lambda kv: -kv[1][0])[:3]
        sob.append(f"| {s['diversity']} | {s['regime']} | "
                   + (", ".join(f"{k.split('.', 1)[1]} {v[0]:.2f} ± {v[1]:.2f}" for k, v in top)
                      if top else s.get("note", "")) + " |")
    out["sobol"] = "\n".join(sob)

    bounds = data.get("outcomes_at_bounds") or {}
    outs = [o for o in v.UNIT_BOUNDED if any(o in r for r in bounds.values())]
    bt = ["| Place | runs | " + " | ".join(f"{o} at 0 / 1" for o in outs) + " |",
          "|---|---|" + "---|" * len(outs)]
    for p, row in bounds.items():
        n = max((x["runs"] for x in row.values()), default=0)
        bt.append(f"| {p} | {n} | " + " | ".join(
            f"{row[o]['final_at_0']:.1%} / {row[o]['final_at_1']:.1%}" if o in row else "–"
            for o in outs) + " |")
    out["bounds"] = "\n".join(bt)

    tm = data.get("timing") or {}
    out["timing"] = (f"{sum(data['runs'].values())} runs in {len(data['runs'])} sweeps; sweeps "
                     f"{tm.get('sweeps_wall_seconds', '–')} s wall on {tm.get('workers', '–')} "
                     "workers.")
    return out


BLOCK = re.compile(r"(<!-- BEGIN generated:(\w+) -->\n)(.*?)(<!-- END generated:\2 -->)", re.S)


def update_page(text: str, data: dict[str, Any]) -> str:
    """``text`` with every generated block replaced from ``data``."""
    blocks = tables(data)

    def sub(m: re.Match[str]) -> str:
        name = m.group(2)
        return m.group(1) + (blocks[name] + "\n" if name in blocks else m.group(3)) + m.group(4)

    return BLOCK.sub(sub, text)
