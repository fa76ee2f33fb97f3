"""The validation's figures, drawn from an :class:`~.validation.Evaluation` (PNG, matplotlib).

* ``verdicts.png`` — every pattern on every place, coloured by verdict;
* ``patterns_by_place.png`` — each pattern's headline statistic with its 95% interval, per
  place;
* ``face_validity.png`` — the shocks' paired effect on integration and user outcome, per
  place;
* ``ablation.png`` — each removed doctrine component's effect on integration, per place;
* ``doctrine_map.png`` — the probability that each doctrine is best, by agenda diversity x
  shock severity;
* ``sobol.png`` — total Sobol indices of diplomacy's advantage, by condition.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from diplomacy_sim.analysis.validation import NOT, PARTLY, REPRODUCED, Evaluation

COLOURS = {"command": "#b2182b", "stewardship": "#2166ac", "diplomacy": "#1b7837",
           "fatalism": "#777777"}
VERDICT_COLOURS = {REPRODUCED: "#1b7837", PARTLY: "#fdb863", NOT: "#b2182b"}
SHORT = {"austerity_perfect_storm": "austerity", "devolution_reorganisation": "devolution",
         "icb_merger": "ICB merger", "integrated_discharge": "discharge",
         "national_body_abolition": "nat. body", "safeguarding_hub": "safeguarding"}


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def figures(ev: Evaluation, out: str | Path) -> list[Path]:
    """Write every figure into ``out``; returns the paths."""
    plt = _plt()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def save(fig: Any, name: str) -> None:
        p = out / f"{name}.png"
        fig.tight_layout()
        fig.savefig(p, dpi=80)
        plt.close(fig)
        written.append(p)

    places = sorted({r.place for r in ev.patterns})
    specs = ev.prereg["patterns"]
    if ev.patterns:
        fig, ax = plt.subplots(figsize=(9, 0.45 * len(specs) + 1.4))
        for i, spec in enumerate(specs):
            for j, pl in enumerate(places):
                r = next((r for r in ev.patterns if r.key == spec["key"] and r.place == pl),
                         None)
                colour = VERDICT_COLOURS[r.verdict] if r else "#eeeeee"
                ax.add_patch(plt.Rectangle((j, i), 0.95, 0.9, color=colour))
                ax.text(j + 0.47, i + 0.45, r.verdict if r else "n/a", ha="center",
                        va="center", fontsize=7, color="white" if r and r.verdict != PARTLY
                        else "black")
        ax.set_xlim(0, len(places))
        ax.set_ylim(len(specs), 0)
        ax.set_xticks(np.arange(len(places)) + 0.47, [SHORT.get(p, p) for p in places],
                      fontsize=8)
        ax.set_yticks(np.arange(len(specs)) + 0.45,
                      [f"{s['number']}. {s['title']} ({s['role'][:5]}.)" for s in specs],
                      fontsize=7)
        ax.set_title("Verdict of each pattern in each place (Holm, alpha 0.05)", fontsize=9)
        ax.tick_params(length=0)
        for sp in ax.spines.values():
            sp.set_visible(False)
        save(fig, "verdicts")

        n = len(specs)
        cols = 3
        rows = (n + cols - 1) // cols
        fig, axes = plt.subplots(rows, cols, figsize=(12, 2.6 * rows))
        for ax, spec in zip(np.ravel(axes), specs, strict=False):
            rs = [r for r in ev.patterns if r.key == spec["key"]]
            for k, r in enumerate(rs):
                c = r.checks[0]
                lo, hi = c.ci
                ax.errorbar([k], [c.estimate], yerr=[[max(c.estimate - lo, 0)],
                                                     [max(hi - c.estimate, 0)]]
                            if np.isfinite(lo) and np.isfinite(hi) else None,
                            fmt="o", color=VERDICT_COLOURS[r.verdict], capsize=3)
            ax.axhline(0, color="k", lw=0.6)
            ax.set_xticks(range(len(rs)), [SHORT.get(r.place, r.place) for r in rs],
                          fontsize=6, rotation=30)
            ax.set_title(f"{spec['number']}. {rs[0].checks[0].name if rs else spec['title']}",
                         fontsize=8)
        for ax in np.ravel(axes)[n:]:
            ax.set_visible(False)
        save(fig, "patterns_by_place")

    if ev.face:
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.2))
        for ax, c_i, label in ((axes[0], 0, "mean integration"),
                               (axes[1], 1, "mean user outcome")):
            for k, f in enumerate(ev.face):
                c = f["checks"][c_i]
                ax.errorbar([k], [c.estimate], yerr=[[c.estimate - c.ci[0]],
                                                     [c.ci[1] - c.estimate]],
                            fmt="o", capsize=3, color="#1b7837" if c.passed else "#b2182b")
            ax.axhline(0, color="k", lw=0.6)
            ax.set_xticks(range(len(ev.face)), [SHORT.get(f["place"], f["place"])
                                                for f in ev.face], fontsize=7, rotation=20)
            ax.set_title(f"{label}: with minus without the place's shocks", fontsize=9)
        save(fig, "face_validity")

    if ev.ablation:
        comps = sorted({(a["doctrine"], a["component"]) for a in ev.ablation})
        fig, ax = plt.subplots(figsize=(10, 0.35 * len(comps) * 1.0 + 1.8))
        for j, pl in enumerate(places):
            for i, (d, comp) in enumerate(comps):
                a = next((a for a in ev.ablation if a["place"] == pl and a["doctrine"] == d
                          and a["component"] == comp), None)
                if a is None:
                    continue
                e = a["integration"]
                y = i + (j - len(places) / 2) * 0.12
                ax.errorbar([e.mean], [y], xerr=[[e.mean - e.low], [e.high - e.mean]],
                            fmt="o", ms=3, capsize=2, color=f"C{j}",
                            label=SHORT.get(pl, pl) if i == 0 else None)
        ax.axvline(0, color="k", lw=0.6)
        ax.set_yticks(range(len(comps)), [f"{d}: {c.replace('_', ' ')}" for d, c in comps],
                      fontsize=7)
        ax.set_xlabel("mean integration, full doctrine minus doctrine without the component")
        ax.legend(fontsize=6, ncol=3)
        save(fig, "ablation")

    if ev.dmap.get("cells"):
        cells = ev.dmap["cells"]
        divs = [d for d in ("low", "shipped", "high") if any(c["diversity"] == d for c in cells)]
        regs = [r for r in ("calm", "shipped", "severe") if any(c["regime"] == r for c in cells)]
        docs = ev.dmap["doctrines"]
        fig, axes = plt.subplots(len(divs), len(regs), figsize=(3.2 * len(regs),
                                                                 2.3 * len(divs)),
                                 squeeze=False, sharey=True)
        for i, dv in enumerate(divs):
            for j, rg in enumerate(regs):
                ax = axes[i][j]
                c = next((c for c in cells if c["diversity"] == dv and c["regime"] == rg), None)
                if c is None:
                    ax.set_visible(False)
                    continue
                for k, d in enumerate(docs):
                    pb = c["p_best"][d]
                    ax.bar(k, pb["share"], color=COLOURS[d])
                    ax.errorbar(k, pb["share"], yerr=[[pb["share"] - pb["ci_low"]],
                                                      [pb["ci_high"] - pb["share"]]],
                                color="k", capsize=2, lw=0.8)
                ax.bar(len(docs), c["p_tie"], color="#dddddd")
                ax.set_xticks(range(len(docs) + 1), [d[:5] for d in docs] + ["tie"],
                              fontsize=7)
                ax.set_ylim(0, 1)
                ax.set_title(f"diversity {dv}, shocks {rg} (n={c['n']})", fontsize=8)
        fig.suptitle("Probability that each doctrine sustains the most integration "
                     "(Sobol sample of uncertain parameters x seeds; Wilson 95%)", fontsize=9)
        save(fig, "doctrine_map")

    if ev.dmap.get("sobol") and ev.dmap.get("parameters"):
        names = ev.dmap["parameters"]
        sob = [s for s in ev.dmap["sobol"] if s.get("ST")]
        if sob:
            fig, ax = plt.subplots(figsize=(11, 3.6))
            width = 0.8 / len(sob)
            for k, s in enumerate(sob):
                v = [s["ST"][n][0] for n in names]
                e = [s["ST"][n][1] for n in names]
                ax.bar(np.arange(len(names)) + k * width, v, width, yerr=e, capsize=1,
                       label=f"{s['diversity']}/{s['regime']}")
            ax.set_xticks(np.arange(len(names)) + 0.4, [n.split(".", 1)[1] for n in names],
                          fontsize=6, rotation=25, ha="right")
            ax.set_ylabel("total Sobol index")
            ax.set_title("What decides diplomacy's advantage (total Sobol index, by diversity/"
                         "shocks)", fontsize=9)
            ax.legend(fontsize=6, ncol=3)
            save(fig, "sobol")
    return written
