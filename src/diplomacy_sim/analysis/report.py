"""A short report on a sweep's results folder, to drop into a paper draft.

It reads what :mod:`diplomacy_sim.batch.store` wrote and produces Markdown (or HTML) with
PNG figures: outcome distributions by factor with 95% confidence intervals, time-series
envelopes by doctrine, and for Sobol'/Morris designs the sensitivity indices with their
confidence intervals (as a table and a chart).

When the experiment has several base scenarios (``bases``), every table, figure and index is
given per base: outcomes of different scenarios are not pooled.
"""

from __future__ import annotations

import html
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from diplomacy_sim.analysis import stats
from diplomacy_sim.atomic import check_result_folder, replace_folder
from diplomacy_sim.provenance import Provenance, problems
from diplomacy_sim.scenario.loader import ScenarioError

KEY_OUTCOMES = ("integration", "trust", "pluralism", "engagement", "user_outcome", "strain")
"""The outcomes shown in tables and figures (every outcome is in the data)."""
MAX_LEVELS = 12


@dataclass
class Results:
    """A sweep's results, read back."""

    manifest: dict[str, Any]
    design: dict[str, Any]
    summaries: pd.DataFrame
    timeseries: pd.DataFrame | None


def load_results(folder: str | Path) -> Results:
    """Read a results folder (manifest, design, summaries and timeseries if kept)."""
    folder = Path(folder)
    if not (folder / "manifest.json").exists():
        raise ScenarioError(str(folder), ["has no `manifest.json`: not a sweep's results "
                                          "folder (run `diplomacy-sim sweep` first)."])
    manifest = json.loads((folder / "manifest.json").read_text())
    design_path = folder / "design.json"
    design = json.loads(design_path.read_text()) if design_path.exists() else {}
    parts = list((folder / "summaries").glob("part-*.parquet"))
    if not parts:
        raise ScenarioError(str(folder), ["holds no finished runs yet."])
    summaries = pd.read_parquet(folder / "summaries").sort_values("run_id", ignore_index=True)
    ts = None
    if list((folder / "timeseries").glob("part-*.parquet")):
        ts = pd.read_parquet(folder / "timeseries")
    # folders written before the `base` column: one base, named by its file
    base = _base_name(manifest.get("base_scenario"))
    if "base" not in summaries:
        summaries.insert(1, "base", base)
    if ts is not None and "base" not in ts:
        ts.insert(1, "base", base)
    return Results(manifest, design, summaries, ts)


def _base_name(path: Any) -> str:
    if isinstance(path, str) and path:
        p = Path(path)
        return p.stem if p.suffix in (".yaml", ".yml") else p.name
    return "base"


def bases_of(res: Results) -> list[str]:
    """The base scenarios of the results, in the experiment's order."""
    names = [b["name"] for b in res.manifest.get("bases") or []]
    present = list(dict.fromkeys(res.summaries["base"]))
    return [n for n in names if n in present] + [n for n in present if n not in names]


# --------------------------------------------------------------------------- statistics
def mean_ci(values: pd.Series, level: float = 0.95) -> tuple[int, float, float, float]:
    """n, mean and the t-based confidence interval of the mean (:mod:`.stats`, scipy)."""
    v = values.dropna().to_numpy(dtype=float)
    m, lo, hi = stats.mean_ci(v, level)
    return len(v), m, lo, hi


def by_factor(df: pd.DataFrame, factor: str, outcomes: tuple[str, ...] = KEY_OUTCOMES,
              within: str | None = None) -> pd.DataFrame:
    """One row per level of ``factor`` (per ``within`` and level, if given): n and mean
    [95% CI] of each outcome."""
    rows = []
    keys = [within, factor] if within is not None and within != factor else [factor]
    for levels, g in df.groupby(keys, sort=True, dropna=False):
        row: dict[str, Any] = dict(zip(keys, levels, strict=True))
        for o in outcomes:
            n, m, lo, hi = mean_ci(g[o])
            row["n"] = n
            row[o] = m
            row[f"{o}_lo"] = lo
            row[f"{o}_hi"] = hi
        rows.append(row)
    return pd.DataFrame(rows)


def factors_of(res: Results) -> list[str]:
    """Columns that vary between runs and have few levels (grouping factors)."""
    cols = ["base", "doctrine", "shock_regime", *res.manifest.get("factor_columns", {})]
    sampled = set((res.design.get("problem") or {}).get("names", []))
    ok = res.summaries[res.summaries["status"] == "ok"]
    return [c for c in dict.fromkeys(cols) if c in ok and c not in sampled
            and 1 < ok[c].nunique() <= MAX_LEVELS]


def sensitivity(res: Results, outcomes: tuple[str, ...] = KEY_OUTCOMES
                ) -> dict[str, pd.DataFrame] | None:
    """Sobol' or Morris indices with confidence intervals, per doctrine x shock regime (and
    per base scenario, if several).

    Each sample point's output is its mean over replications.
    """
    sampler = res.manifest.get("sampler") or {}
    problem = res.design.get("problem")
    method = sampler.get("method")
    if method not in ("sobol", "morris") or not problem:
        return None
    df = res.summaries[res.summaries["status"] == "ok"]
    x = np.asarray(res.design["sample"], dtype=float)
    seed = int(res.manifest["master_seed"]) % (2**32)
    out: dict[str, pd.DataFrame] = {}
    several = df["base"].nunique() > 1 if "base" in df else False
    keys = ["base", "doctrine", "shock_regime"] if several else ["doctrine", "shock_regime"]
    for group, g in df.groupby(keys, sort=True):
        means = g.groupby("point")[list(outcomes)].mean()
        if len(means) != len(x):
            continue  # incomplete design (failed or unfinished points): indices undefined
        rows = []
        for o in outcomes:
            y = means[o].to_numpy(dtype=float)
            if not np.isfinite(y).all() or np.ptp(y) == 0:
                continue  # a constant outcome has no variance to apportion
            if method == "sobol":
                from SALib.analyze import sobol

                si = sobol.analyze(problem, y, calc_second_order=bool(sampler.get("second_order")),
                                   seed=seed)
                for i, name in enumerate(problem["names"]):
                    rows.append({"outcome": o, "parameter": name,
                                 "S1": si["S1"][i], "S1_conf": si["S1_conf"][i],
                                 "ST": si["ST"][i], "ST_conf": si["ST_conf"][i]})
            else:
                from SALib.analyze import morris

                si = morris.analyze(problem, x, y, num_levels=int(sampler.get("levels", 4)),
                                    seed=seed)
                for i, name in enumerate(problem["names"]):
                    rows.append({"outcome": o, "parameter": name,
                                 "mu_star": si["mu_star"][i],
                                 "mu_star_conf": si["mu_star_conf"][i],
                                 "sigma": si["sigma"][i]})
        if rows:
            out[" / ".join(map(str, group))] = pd.DataFrame(rows)
    return out


# --------------------------------------------------------------------------- figures
def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def figure_by_factor(df: pd.DataFrame, factor: str, path: Path, within: str | None = None
                     ) -> None:
    plt = _plt()
    table = by_factor(df, factor, within=within)
    keys = [within, factor] if within is not None and within != factor else [factor]
    many = len(table) > 8
    fig, axes = plt.subplots(2, 3, figsize=(min(18, max(11, 0.75 * len(table))), 9 if many else 6),
                             constrained_layout=True)
    levels = [": ".join(str(v) for v in row) for row in table[keys].itertuples(index=False)]
    xs = np.arange(len(levels))
    for ax, o in zip(axes.flat, KEY_OUTCOMES, strict=True):
        for i, (_, g) in enumerate(df.groupby(keys, sort=True, dropna=False)):
            jitter = (np.arange(len(g)) % 7 - 3) * 0.03
            ax.scatter(i + jitter, g[o], s=6, alpha=0.25, color="grey")
        err = np.vstack([table[o] - table[f"{o}_lo"], table[f"{o}_hi"] - table[o]])
        ax.errorbar(xs, table[o], yerr=np.nan_to_num(err), fmt="o", color="C0", capsize=4)
        ax.set_title(o)
        ax.set_xticks(xs, levels, rotation=60 if many else 30, ha="right",
                      fontsize=6 if many else 8)
    by = f"{within} and {factor}" if len(keys) > 1 else factor
    fig.suptitle(f"Final outcomes by {by}: runs (grey), mean and 95% CI (blue)")
    fig.savefig(path, dpi=110)
    plt.close(fig)


def figure_envelopes(ts: pd.DataFrame, path: Path, title: str = "") -> None:
    plt = _plt()
    fig, axes = plt.subplots(2, 3, figsize=(11, 6), constrained_layout=True, sharex=True)
    for ax, o in zip(axes.flat, KEY_OUTCOMES, strict=True):
        for j, (doctrine, g) in enumerate(ts.groupby("doctrine", sort=True)):
            q = g.groupby("step")[o].quantile([0.1, 0.5, 0.9]).unstack()
            ax.fill_between(q.index, q[0.1], q[0.9], alpha=0.2, color=f"C{j}")
            ax.plot(q.index, q[0.5], color=f"C{j}", label=str(doctrine))
        ax.set_title(o)
        ax.set_xlabel("week")
    axes.flat[0].legend(fontsize=8)
    fig.suptitle(f"Time-series envelopes by doctrine{title}: median and 10–90% band of runs")
    fig.savefig(path, dpi=110)
    plt.close(fig)


def figure_sensitivity(table: pd.DataFrame, method: str, title: str, path: Path) -> None:
    plt = _plt()
    outcomes = list(dict.fromkeys(table["outcome"]))
    fig, axes = plt.subplots(1, len(outcomes), figsize=(2.6 * len(outcomes) + 1, 3.6),
                             constrained_layout=True, sharey=True)
    axes = np.atleast_1d(axes)
    for ax, o in zip(axes, outcomes, strict=True):
        t = table[table["outcome"] == o]
        y = np.arange(len(t))
        if method == "sobol":
            ax.barh(y - 0.2, t["ST"], 0.4, xerr=t["ST_conf"], label="total (ST)", color="C0")
            ax.barh(y + 0.2, t["S1"], 0.4, xerr=t["S1_conf"], label="first order (S1)",
                    color="C1")
        else:
            ax.barh(y, t["mu_star"], 0.6, xerr=t["mu_star_conf"], label="mu*", color="C0")
        ax.set_yticks(y, [p.split(".")[-1] for p in t["parameter"]], fontsize=8)
        ax.set_title(o, fontsize=9)
    axes[0].legend(fontsize=7)
    fig.suptitle(title, fontsize=10)
    fig.savefig(path, dpi=110)
    plt.close(fig)


# --------------------------------------------------------------------------- rendering
def _fmt(v: Any) -> str:
    if isinstance(v, float | np.floating):
        return "–" if np.isnan(v) else f"{v:.3g}"
    return str(v)


def _ci_view(table: pd.DataFrame, factor: str, within: str | None = None) -> pd.DataFrame:
    cols = [within, factor] if within is not None and within != factor else [factor]
    out = pd.DataFrame({c: table[c].map(str) for c in cols})
    out["n"] = table["n"]
    for o in KEY_OUTCOMES:
        out[o] = [f"{_fmt(m)} [{_fmt(lo)}, {_fmt(hi)}]" for m, lo, hi in
                  zip(table[o], table[f"{o}_lo"], table[f"{o}_hi"], strict=True)]
    return out


class _Doc:
    def __init__(self) -> None:
        self.blocks: list[tuple[str, Any]] = []

    def h(self, level: int, text: str) -> None:
        self.blocks.append(("h", (level, text)))

    def p(self, text: str) -> None:
        self.blocks.append(("p", text))

    def code(self, text: str) -> None:
        self.blocks.append(("code", text))

    def table(self, df: pd.DataFrame) -> None:
        self.blocks.append(("table", df))

    def img(self, name: str, alt: str) -> None:
        self.blocks.append(("img", (name, alt)))

    def markdown(self) -> str:
        out = []
        for kind, v in self.blocks:
            if kind == "h":
                out.append("#" * v[0] + " " + v[1])
            elif kind == "p":
                out.append(v)
            elif kind == "code":
                out.append(f"```python\n{v}\n```")
            elif kind == "table":
                cols = [str(c) for c in v.columns]
                lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
                lines += ["| " + " | ".join(_fmt(x) for x in row) + " |"
                          for row in v.itertuples(index=False)]
                out.append("\n".join(lines))
            else:
                out.append(f"![{v[1]}]({v[0]})")
        return "\n\n".join(out) + "\n"

    def html(self, title: str) -> str:
        out = [f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
               "</title><style>body{font-family:sans-serif;max-width:1100px;margin:auto}"
               "table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;"
               "padding:3px 6px}</style></head><body>"]
        for kind, v in self.blocks:
            if kind == "h":
                out.append(f"<h{v[0]}>{html.escape(v[1])}</h{v[0]}>")
            elif kind == "p":
                out.append(f"<p>{html.escape(v)}</p>")
            elif kind == "code":
                out.append(f"<pre><code>{html.escape(v)}</code></pre>")
            elif kind == "table":
                out.append(v.map(_fmt).to_html(index=False, escape=True))
            else:
                out.append(f"<img src='{html.escape(v[0])}' alt='{html.escape(v[1])}' "
                           "style='max-width:100%'>")
        return "\n".join(out) + "</body></html>\n"


def provenance_problems(folder: str | Path, manifest: dict[str, Any] | None = None
                        ) -> list[str]:
    """Why the folder's runs may not describe one model, or not the model installed here:
    sessions resumed across a code change, no fingerprint recorded, or model code or
    numerical packages other than this checkout's (see :mod:`diplomacy_sim.provenance`)."""
    if manifest is None:
        manifest = json.loads((Path(folder) / "manifest.json").read_text())
    return problems({str(folder): Provenance.of_manifest(str(folder), manifest)},
                    here=Provenance.here())


def write_report(folder: str | Path, out: str | Path | None = None, fmt: str = "md",
                 discover: str | None = None) -> Path:
    """Write ``report.md`` (or ``report.html``) and its PNG figures; return the report path.

    The report folder (``out``, default ``folder/report``) is replaced whole
    (:func:`~diplomacy_sim.atomic.replace_folder`): a reader sees the earlier report or the
    new one, and a folder holding anything but a report (:data:`REPORT_FILES`), or inside a
    sweep's results other than their ``report/``, is refused with ``FileExistsError`` before
    any work.

    ``discover``: a condition for scenario discovery (PRIM, :mod:`.discovery`), e.g.
    ``"integration < 0.2"`` or ``"winner == diplomacy"``; checked before anything is written.
    """
    folder = Path(folder)
    final = Path(out) if out is not None else folder / "report"
    problem = check_result_folder(final, REPORT_FILES, "a report", REPORT_MARKERS)
    if problem:  # (a folder inside the results but their report/ is refused there too)
        raise FileExistsError(problem)
    found = None
    if discover is not None:
        from diplomacy_sim.analysis import discovery

        discovery.parse(discover)  # a bad condition is refused before any work
    res = load_results(folder)
    if discover is not None:
        found = discovery.discover(res, discover)
    with tempfile.TemporaryDirectory(prefix="diplomacy-sim-report-") as staging:
        made = _compose(res, folder, Path(staging), fmt, found)
        written = replace_folder(final, [(p.name, _copier(p)) for p in sorted(
            Path(staging).iterdir())], allowed=REPORT_FILES, what="a report",
            markers=REPORT_MARKERS)
    return written / made


REPORT_FILES = ("report.md", "report.html", "*.png")
"""What a report folder holds: the report and its figures (a folder holding anything else
is not overwritten)."""
REPORT_MARKERS = ("report.md", "report.html")
"""One of these is in every report folder (a folder of PNGs alone is not a report)."""


def _copier(src: Path) -> Any:
    return lambda dst: shutil.copyfile(src, dst)


def _compose(res: Results, folder: Path, out: Path, fmt: str, found: Any) -> str:
    """Write the report and its figures into ``out``; return the report's file name."""
    m = res.manifest
    df = res.summaries
    ok = df[df["status"] == "ok"]
    doc = _Doc()
    title = f"Sweep report: {m['experiment'].get('title') or m['experiment']['name']}"
    doc.h(1, title)
    bases = bases_of(res)
    several = len(bases) > 1
    within = "base" if several else None
    if several:
        on = f"{len(bases)} base scenarios ({', '.join(bases)})"
    else:
        on = f"base scenario {m['base_scenario']}"
    doc.p(
        f"Experiment `{m['experiment']['name']}` ({m['experiment']['file']}, sha256 "
        f"{m['experiment']['file_sha256'][:12]}), {on}, "
        f"{m['steps']} weeks per run, master seed {m['master_seed']} ({m['seeds']} seeds), "
        f"{m['replications']} replication(s). Runs: {len(ok)} ok, {len(df) - len(ok)} failed, "
        f"{m['runs_total'] - len(df)} not run; status {m['status']}. Package "
        f"{m['versions'].get('diplomacy-sim')}, "
        f"{Provenance.of_manifest(str(folder), m).describe()}."
    )
    trouble = provenance_problems(folder, m)
    if trouble:
        doc.h(2, "Provenance warning")
        doc.p("Read these results with care:")
        for t in trouble:
            doc.p(f"- {t}")
    if several:
        doc.p("Outcomes are never pooled across base scenarios: every table and figure below "
              "is given per base (the `base` column).")
    doc.p("Each run's seed and the command that repeats it alone are in the `seed` and "
          "`repeat_command` columns. The results load in one line:")
    doc.code(f'pd.read_parquet("{folder}/summaries")')
    if len(ok) < len(df):
        failed = df[df["status"] != "ok"]
        doc.h(2, "Failed runs")
        doc.table(failed[["run_id", "base", "seed", "error"]].head(20) if several
                  else failed[["run_id", "seed", "error"]].head(20))

    doc.h(2, "Final outcomes by factor")
    doc.p("Mean of each outcome at the last week, with its 95% confidence interval "
          "(t distribution, runs as independent samples)"
          + (", per base scenario." if several else "."))
    for factor in factors_of(res):
        table = by_factor(ok, factor, within=within)
        name = f"by_{factor.replace('.', '_')}.png"
        doc.h(3, f"By {factor}")
        doc.table(_ci_view(table, factor, within=within))
        figure_by_factor(ok, factor, out / name, within=within)
        doc.img(name, f"outcomes by {factor}")
    if ok["doctrine"].nunique() > 1 and ok["shock_regime"].nunique() > 1:
        for base in bases:
            sub = ok[ok["base"] == base]
            if sub.empty:
                continue
            doc.h(3, "Doctrine × shock regime (user outcome, mean [95% CI])"
                  + (f": {base}" if several else ""))
            cells: dict[Any, dict[Any, str]] = {}
            for (d, r), g in sub.groupby(["doctrine", "shock_regime"], sort=True):
                _, mu, lo, hi = mean_ci(g["user_outcome"])
                cells.setdefault(d, {})[r] = f"{_fmt(mu)} [{_fmt(lo)}, {_fmt(hi)}]"
            doc.table(pd.DataFrame(cells).T.rename_axis("doctrine").reset_index())

    if res.timeseries is not None and len(res.timeseries):
        doc.h(2, "Time-series envelopes by doctrine")
        if several:
            for i, base in enumerate(bases):
                ts = res.timeseries[res.timeseries["base"] == base]
                if ts.empty:
                    continue
                doc.h(3, base)
                name = f"envelopes_{i}_{base}.png"
                figure_envelopes(ts, out / name, title=f" ({base})")
                doc.img(name, f"time-series envelopes by doctrine, {base}")
        else:
            figure_envelopes(res.timeseries, out / "envelopes.png")
            doc.img("envelopes.png", "time-series envelopes by doctrine")

    sens = sensitivity(res)
    if sens is not None:
        method = m["sampler"]["method"]
        doc.h(2, f"Sensitivity ({'Sobol’' if method == 'sobol' else 'Morris'})")
        doc.p("Indices computed on each sample point's mean over replications, with 95% "
              "bootstrap confidence intervals (±), for each "
              + ("base scenario, " if several else "") + "doctrine and shock regime.")
        if not sens:
            doc.p("Not computed: some sample points have no successful run, or every "
                  "outcome is constant.")
        for i, (group, table) in enumerate(sens.items()):
            doc.h(3, group)
            doc.table(table)
            name = f"sensitivity_{i}.png"
            figure_sensitivity(table, method, f"{method} indices: {group}", out / name)
            doc.img(name, f"sensitivity indices, {group}")

    if found is not None:
        _discovery_section(doc, found, out)

    if fmt == "html":
        (out / "report.html").write_text(doc.html(title))
        return "report.html"
    (out / "report.md").write_text(doc.markdown())
    return "report.md"


def _discovery_section(doc: _Doc, found: Any, out: Path) -> None:
    from diplomacy_sim.analysis import discovery

    doc.h(2, "Scenario discovery (PRIM)")
    q = found.query
    what = (f"cells (one combination of the other factors and one replication) where "
            f"`{q.winner.doctrine}` {'does not win' if q.winner.negate else 'wins'}: strictly "
            f"the best `{q.winner.by}` of the doctrines "
            f"({'lowest' if q.winner.by in discovery.LOWER_IS_BETTER else 'highest'} is best)"
            if q.winner is not None else "runs meet it")
    doc.p(f"Condition `{q.text}`: {found.cases} of {found.n} {what}. PRIM (EMA Workbench, "
          f"peeling alpha 0.05, minimum mass 0.05) searched the factors "
          f"{', '.join(f'`{f}`' for f in found.factors) or '(none)'}. Coverage is the share "
          f"of all cases inside a box, density the share of the box that are cases, mass the "
          f"share of all {found.unit}s in it. Each box is the point of its peeling trajectory "
          f"with the best balance of coverage and density (their harmonic mean), and each "
          f"later box is sought among the {found.unit}s outside the earlier ones.")
    if found.note:
        doc.p(f"No box: {found.note}")
        return
    doc.table(pd.DataFrame([{"box": b.index, "coverage": b.coverage, "density": b.density,
                             "mass": b.mass, "runs in box" if found.unit == "run"
                             else "cells in box": b.n, "cases in box": b.k,
                             "restricted dimensions": len(b.restricted)}
                            for b in found.boxes]))
    names = dict(discovery.figures(found, out))
    for b in found.boxes:
        doc.h(3, f"Box {b.index}")
        if b.restricted:
            doc.table(pd.DataFrame([{"dimension": r["dimension"], "bounds": r["bounds"],
                                     "quasi-p": r["qp"]} for r in b.restricted]))
        else:
            doc.p("It restricts no dimension.")
        for name, alt in names.items():
            if name.startswith(f"discovery_box{b.index}_"):
                doc.img(name, alt)


__all__ = ["Results", "bases_of", "by_factor", "load_results", "mean_ci", "sensitivity",
           "write_report"]
