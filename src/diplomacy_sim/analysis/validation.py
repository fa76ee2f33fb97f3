"""Pattern-oriented validation on every shipped place, as pre-registered.

``experiments/validation/preregistration.yaml`` declares the patterns (the stylised facts of
the model brief), whether each is a CALIBRATION TARGET or a VALIDATION PATTERN, its checks,
the statistic and test of each check, the decision rule (Holm within a family, alpha 0.05),
the places it applies to and the ensemble sizes. This module implements exactly those checks:
one named function per pattern, run on each place's sweeps, returning a
:class:`PatternResult` whose checks carry their estimate, 95% interval, raw and
Holm-adjusted p-values and pass/fail; the verdict (reproduced, partly, not) follows the
pre-registered rule. It also computes the paired face-validity check of each place, the
ablation of doctrine components, the doctrine map (the probability that each doctrine is
best by condition, with Sobol indices of diplomacy's advantage) and how often each outcome
sits exactly at 0 or 1.

Layout of a validation run (``diplomacy-sim validate-patterns``; ``make validation``)::

    RUNS/<place>/<experiment>/        one sweep per experiment file
    RUNS/doctrine_map/doctrine_map/   the doctrine map's sweep

The analysis refuses to write anything when the sweeps do not all come from the model code
installed here (:func:`check_runs`): numbers from different versions of the model must not
be quoted side by side. Statistics are from :mod:`diplomacy_sim.analysis.stats` (scipy).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from diplomacy_sim.analysis import stats as st
from diplomacy_sim.analysis.report import load_results
from diplomacy_sim.analysis.validation_design import (
    EXPERIMENT_DIR,
    PREREGISTRATION,
    experiment_files,
    load_preregistration,
)
from diplomacy_sim.provenance import Provenance, problems

REPRODUCED, PARTLY, NOT = "reproduced", "partly", "not"
ALPHA = 0.05
UNIT_BOUNDED = ("integration", "trust", "pluralism", "engagement", "user_outcome", "strain",
                "avoidance")
"""Outcomes on a 0..1 scale, whose share of runs at exactly 0 or 1 is reported."""


# --------------------------------------------------------------------------- results
@dataclass
class Check:
    """One pre-registered check: its statistic, interval, test and decision."""

    name: str
    estimate: float
    ci: tuple[float, float]
    p: float
    """Raw one-sided p-value of the pre-registered test (H1: the pattern)."""
    n: int
    test: str
    p_holm: float = float("nan")
    """Holm-adjusted within the check's family."""
    passed: bool = False

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["ci"] = list(self.ci)
        return d


@dataclass
class PatternResult:
    """One pattern tested on one place."""

    key: str
    number: int
    title: str
    role: str
    """``validation`` or ``calibration`` (as pre-registered)."""
    place: str
    statistic: str
    """What ``estimate`` (the first check's) measures."""
    checks: list[Check]
    effect_size: float = float("nan")
    effect_label: str = ""
    verdict: str = NOT
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def estimate(self) -> float:
        return self.checks[0].estimate

    @property
    def ci(self) -> tuple[float, float]:
        return self.checks[0].ci

    def check(self, name: str) -> Check:
        for c in self.checks:
            if c.name == name:
                return c
        raise KeyError(f"{self.key}: no check {name!r}; checks: {[c.name for c in self.checks]}")

    def line(self) -> str:
        parts = [f"{c.name}: {c.estimate:.4g} [{c.ci[0]:.4g}, {c.ci[1]:.4g}] p={c.p:.3g} "
                 f"holm={c.p_holm:.3g} {'PASS' if c.passed else 'fail'}" for c in self.checks]
        return f"[{self.verdict}] {self.place} {self.number}. {self.title}: " + "; ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return _jsonable({
            "key": self.key, "number": self.number, "title": self.title, "role": self.role,
            "place": self.place, "statistic": self.statistic, "estimate": self.estimate,
            "ci": list(self.ci), "effect_size": self.effect_size,
            "effect_label": self.effect_label, "verdict": self.verdict,
            "checks": [c.to_dict() for c in self.checks], "details": self.details})


def _jsonable(x: Any) -> Any:
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_jsonable(v) for v in x]
    if isinstance(x, np.bool_ | bool):
        return bool(x)
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.floating | float):
        return None if not math.isfinite(float(x)) else round(float(x), 6)
    return x


def _t(name: str, p: st.Paired, test: str) -> Check:
    return Check(name, p.mean, (p.low, p.high), p.p, p.n, test)


def _b(name: str, pr: st.Proportion, test: str) -> Check:
    return Check(name, pr.share, (pr.low, pr.high), pr.p, pr.n, test)


def verdict_of(checks: list[Check]) -> str:
    """The pre-registered verdict: every check passes, some, or none."""
    passed = [c.passed for c in checks]
    if passed and all(passed):
        return REPRODUCED
    return PARTLY if any(passed) else NOT


def apply_holm(checks: Iterable[Check], alpha: float = ALPHA) -> None:
    """Holm-adjust a family of checks in place and decide each."""
    checks = list(checks)
    adj = st.holm([c.p for c in checks])
    for c, a in zip(checks, adj, strict=True):
        c.p_holm = a
        c.passed = bool(math.isfinite(a) and a < alpha)


# --------------------------------------------------------------------------- data helpers
@dataclass
class Sweep:
    """A sweep's summaries and (optional) timeseries."""

    summaries: pd.DataFrame
    timeseries: pd.DataFrame | None = None
    name: str = ""
    provenance: Provenance | None = None


def load_sweep(folder: str | Path) -> Sweep:
    """Read a results folder written by ``diplomacy-sim sweep``; only the runs that are ok."""
    r = load_results(folder)
    s = r.summaries[r.summaries["status"] == "ok"].reset_index(drop=True)
    ts = r.timeseries
    if ts is not None:
        ts = ts[ts["run_id"].isin(s["run_id"])]
    return Sweep(s, ts, str(r.manifest.get("experiment", {}).get("name", "")),
                 Provenance.of_manifest(str(folder), r.manifest))


def wide(sw: Sweep, col: str, runs: Iterable[int] | None = None) -> pd.DataFrame:
    """One row per run (index run_id), one column per step."""
    if sw.timeseries is None:
        raise ValueError(f"{sw.name}: this pattern needs timeseries (outputs: timeseries)")
    m = sw.timeseries.pivot(index="run_id", columns="step", values=col).sort_index()
    return m.loc[list(runs)] if runs is not None else m


def pair_by(s: pd.DataFrame, col: str, value: str, a: Any, b: Any,
            keys: tuple[str, ...] = ("replication",)) -> pd.DataFrame:
    """Rows aligned on ``keys`` (the shared seed) with columns a and b of ``value``."""
    sel = s[s[col].isin([a, b])]
    piv = sel.pivot_table(index=list(keys), columns=col, values=value, aggfunc="mean").dropna()
    return pd.DataFrame({"a": piv[a], "b": piv[b]})


def first_reach(mat: pd.DataFrame, level: float | pd.Series) -> pd.Series:
    """Per run: first step at which the series reaches ``level`` (per run if a Series); one
    past the last step if it never does (a censored time)."""
    steps = np.array([int(c) for c in mat.columns])
    lv: Any = np.asarray(level, float)
    hit = mat.to_numpy() >= (lv.reshape(-1, 1) if lv.ndim else lv)
    first = np.where(hit.any(axis=1), steps[hit.argmax(axis=1)], int(steps.max()) + 1)
    return pd.Series(first, index=mat.index)


def _at(mat: pd.DataFrame, week: int) -> int:
    """The column for ``week``, or the last one if the run is shorter."""
    cols = [int(c) for c in mat.columns]
    return week if week in cols else max(cols)


def by_replication(s: pd.DataFrame, value: pd.Series | str, col: str) -> pd.DataFrame:
    v = s[value] if isinstance(value, str) else value
    return pd.DataFrame({"replication": s.replication, col: s[col], "v": v}).pivot_table(
        index="replication", columns=col, values="v", aggfunc="mean")


# --------------------------------------------------------------------------- 1. reorganisation
DELAY_WEEKS = 78
"""Fulop et al. (BMJ 2002): mergers delayed planned service developments by >= 18 months."""
REORG_WEEK = 26


def reorganisation_dip(sw: Sweep, place: str) -> PatternResult:
    """Pattern 1: a reorganisation stalls integration for a long period (pre-registered)."""
    s = sw.summaries
    integ = wide(sw, "integration")
    meta = s.set_index("run_id")[["replication", "shock_regime"]]
    window = [c for c in integ.columns if REORG_WEEK <= int(c) < REORG_WEEK + DELAY_WEEKS]
    per = pd.DataFrame({"window": integ[window].mean(axis=1),
                        "reach": first_reach(integ, 0.1),
                        "final": integ.iloc[:, -1]}).join(meta)
    by = {k: per[per.shock_regime == k].set_index("replication").sort_index()
          for k in ("none", "reorganisation")}
    a, b = by["none"].align(by["reorganisation"], join="inner", axis=0)
    deficit = st.paired(a["window"], b["window"], "greater")
    delay = (b["reach"] - a["reach"]).to_numpy(float)
    delayed = int((delay >= DELAY_WEEKS).sum())
    lo, hi, _ = st.bootstrap_ci(delay, np.median)
    better = int((b["final"] >= a["final"]).sum())
    sign = st.proportion(delayed, len(delay), 0.5, "greater")
    rare = st.proportion(better, len(a), 0.25, "less")
    checks = [
        _t("deficit over 18 months > 0", deficit, "paired_t greater"),
        Check("median delay >= 78 weeks", float(np.median(delay)), (lo, hi), sign.p,
              len(delay), "sign_test greater (share delayed >= 78 weeks vs 1/2)"),
        _b("better off at 3 years in < 25% of pairs", rare, "binomial less vs 0.25"),
    ]
    return PatternResult(
        "reorganisation_dip", 1, "Reorganisation dip", "validation", place,
        "integration deficit, mean over the 78 weeks after the shock (paired)", checks,
        deficit.dz, "d_z",
        details={"share_delayed_78_weeks": sign.share, "share_better_off": rare.share,
                 "final_integration_none": float(a["final"].mean()),
                 "final_integration_reorganisation": float(b["final"].mean()),
                 "pairs_never_reaching_0.1_without_shock": int((a["reach"] > integ.columns.max()
                                                                ).sum())})


# --------------------------------------------------------------------------- 2. relational first
def relational_before_outcomes(sw: Sweep, place: str, doctrine: str = "diplomacy",
                               at: int = 104, gain: float = 0.02) -> PatternResult:
    """Pattern 2: trust can rise for years before user outcomes move (NAO 2017 on the BCF)."""
    s = sw.summaries
    runs = list(s[s.doctrine == doctrine].run_id)
    tr, uo = wide(sw, "trust", runs), wide(sw, "user_outcome", runs)
    adm = wide(sw, "avoidable_admissions", runs)
    w = _at(tr, at)
    lag = st.one_sample((first_reach(uo, uo.iloc[:, 0] + gain)
                         - first_reach(tr, tr.iloc[:, 0] + gain)).to_numpy(float), "greater")
    up = (tr[w] > tr.iloc[:, 0]).to_numpy()
    adm_not_down = (adm[w] >= adm.iloc[:, 0]).to_numpy()
    p_up = st.proportion(int(up.sum()), len(runs), 0.75, "greater")
    p_both = st.proportion(int((up & adm_not_down).sum()), len(runs), 0.5, "greater")
    checks = [_t("trust moves before user outcome (lag > 0)", lag, "one_sample_t greater"),
              _b("trust up at 2 years in > 75% of runs", p_up, "binomial greater vs 0.75"),
              _b("trust up and admissions not down at 2 years in > 50%", p_both,
                 "binomial greater vs 0.5")]
    return PatternResult(
        "relational_first", 2, "Relational gains before outcome gains", "calibration", place,
        f"weeks from trust +{gain} to user outcome +{gain} (within run)", checks, lag.dz,
        "d_z", details={"week": w,
                        "mean_trust_change_2y": float((tr[w] - tr.iloc[:, 0]).mean()),
                        "mean_user_outcome_change_2y": float((uo[w] - uo.iloc[:, 0]).mean())})


# --------------------------------------------------------------------------- 3. trust asymmetry
def fall_rise_ratios(trust: np.ndarray, tol: float = 1e-3) -> np.ndarray:
    """Per run (row): mean size of the weekly falls over mean size of the weekly rises
    (changes smaller than ``tol`` ignored; runs without both left out)."""
    out = []
    for row in np.diff(np.asarray(trust, float), axis=1):
        up, down = row[row > tol], -row[row < -tol]
        if up.size and down.size:
            out.append(down.mean() / up.mean())
    return np.array(out)


def _wilcoxon(x: np.ndarray, alternative: str) -> float:
    from scipy import stats

    x = x[np.isfinite(x)]
    if x.size == 0 or not np.any(x != 0):
        return 1.0
    return float(stats.wilcoxon(x, alternative=alternative).pvalue)


def trust_asymmetry(sw: Sweep, place: str, lo_hi: tuple[float, float] = (2.0, 6.0)
                    ) -> PatternResult:
    """Pattern 3: trust builds slowly and collapses quickly (Slovic, ~3-5 to 1)."""
    r = fall_rise_ratios(wide(sw, "trust").to_numpy())
    lr = np.log(r) if r.size else np.array([])
    med = float(np.median(r)) if r.size else float("nan")
    lo, hi, _ = st.bootstrap_ci(r, np.median)
    p_gt1 = _wilcoxon(lr, "greater")
    p_tost = max(_wilcoxon(lr - math.log(lo_hi[0]), "greater"),
                 _wilcoxon(lr - math.log(lo_hi[1]), "less"))
    checks = [Check("falls faster than rises (ratio > 1)", med, (lo, hi), p_gt1, int(r.size),
                    "wilcoxon greater (log ratio vs 0)"),
              Check("ratio within 3-5 (+-1)", med, (lo, hi), p_tost, int(r.size),
                    "tost_wilcoxon (log ratio vs log 2 and log 6)")]
    return PatternResult(
        "trust_asymmetry", 3, "Trust builds slowly, collapses quickly", "calibration", place,
        "median over runs of (mean weekly fall / mean weekly rise) of trust", checks,
        float(np.log(med)) if med > 0 else float("nan"), "log ratio",
        details={"mean_ratio": float(r.mean()) if r.size else None,
                 "runs_with_rises_and_falls": int(r.size),
                 "runs": len(sw.summaries)})


# --------------------------------------------------------------------------- 4. leader churn
HAZARD_HIGH, HAZARD_LOW = 0.021, 0.0027


def leader_churn(sw: Sweep, place: str) -> PatternResult:
    """Pattern 4: leader churn goes with poor performance (HSJ 2017 tenures)."""
    s = sw.summaries
    col = "parameters.turnover.executive_hazard"
    p = {o: st.paired(*pair_by(s, col, f"mean_{o}", HAZARD_HIGH, HAZARD_LOW).T.to_numpy(),
                      alternative="less")
         for o in ("integration", "trust", "user_outcome", "engagement")}
    checks = [_t("integration lower with high churn", p["integration"], "paired_t less"),
              _t("trust lower with high churn", p["trust"], "paired_t less")]
    return PatternResult(
        "leader_churn", 4, "Leader churn and performance", "validation", place,
        "mean integration, 11-month minus 7-year executive tenure (paired)", checks,
        p["integration"].dz, "d_z",
        details={f"{o}_diff": v.as_dict() for o, v in p.items()})


# --------------------------------------------------------------------------- 5. going cold
def going_cold(sw: Sweep, place: str) -> PatternResult:
    """Pattern 5: ignored priorities make a partner go cold; parallel workstreams keep all."""
    s = sw.summaries
    cold = "parameters.engagement.cold_after"
    default, never = sorted(s[cold].unique())[:2] if s[cold].nunique() > 1 else (None, None)
    base, nev = s[s[cold] == default], s[s[cold] == never]
    e_d = pair_by(base, "workstreams", "mean_engagement", "parallel", "sequential")
    e_n = pair_by(nev, "workstreams", "mean_engagement", "parallel", "sequential")
    gap = st.paired(e_d["a"], e_d["b"], "greater")
    a, b = e_d.align(e_n, join="inner", axis=0)
    did = st.paired(a["a"] - a["b"], b["a"] - b["b"], "greater")
    i_d = pair_by(base, "workstreams", "mean_integration", "parallel", "sequential")
    checks = [_t("parallel keeps more partners engaged", gap, "paired_t greater"),
              _t("gap caused by going cold (diff-in-diff > 0)", did, "paired_t greater")]
    return PatternResult(
        "going_cold", 5, "Ignored priorities go cold; parallel workstreams", "validation", place,
        "mean engagement, parallel minus sequential workstreams (paired)", checks, gap.dz, "d_z",
        details={"cold_after_default": default, "cold_after_never": never,
                 "integration_parallel_minus_sequential":
                     st.paired(i_d["a"], i_d["b"], "greater").as_dict(),
                 "engagement_parallel": float(e_d["a"].mean()),
                 "engagement_sequential": float(e_d["b"].mean())})


# --------------------------------------------------------------------------- 6. doctrines
def integration_lost(sw: Sweep) -> pd.Series:
    """Per run: the sum of weekly falls of integration (work that unravelled)."""
    m = wide(sw, "integration")
    d = np.diff(m.to_numpy(), axis=1)
    return pd.Series(np.clip(-d, 0, None).sum(axis=1), index=m.index)


def doctrines(sw: Sweep, place: str) -> PatternResult:
    """Pattern 6: under plural agendas diplomacy sustains more integration than command or
    stewardship (the HYPOTHESIS under test); stewardship narrows agendas and its deals
    unravel; command agrees sooner and delivers less."""
    s = sw.summaries.copy()
    s["lost"] = s.run_id.map(integration_lost(sw))
    s["start"] = s.run_id.map(first_reach(wide(sw, "integration"), 1e-9))
    piv = {c: s.pivot_table(index="replication", columns="doctrine", values=c)
           for c in ("mean_integration", "mean_pluralism", "lost", "start", "integration")}
    mi = piv["mean_integration"]
    p = {
        "dc": st.paired(mi["diplomacy"], mi["command"], "greater"),
        "ds": st.paired(mi["diplomacy"], mi["stewardship"], "greater"),
        "pl": st.paired(piv["mean_pluralism"]["diplomacy"], piv["mean_pluralism"]["stewardship"],
                        "greater"),
        "un": st.paired(piv["lost"]["stewardship"], piv["lost"]["diplomacy"], "greater"),
        "so": st.paired(piv["start"]["command"], piv["start"]["diplomacy"], "less"),
        "dl": st.paired(piv["integration"]["command"], piv["integration"]["diplomacy"], "less"),
    }
    best_other = mi[["command", "stewardship"]].max(axis=1)
    main = st.paired(mi["diplomacy"], best_other, "greater")
    checks = [_t("diplomacy > command (integration)", p["dc"], "paired_t greater"),
              _t("diplomacy > stewardship (integration)", p["ds"], "paired_t greater"),
              _t("stewardship narrows agendas (pluralism)", p["pl"], "paired_t greater"),
              _t("stewardship deals unravel more", p["un"], "paired_t greater"),
              _t("command agrees sooner", p["so"], "paired_t less"),
              _t("command delivers less", p["dl"], "paired_t less")]
    return PatternResult(
        "doctrines", 6, "Doctrines under plural agendas", "validation", place,
        "mean integration, diplomacy minus command (paired)", checks, p["dc"].dz, "d_z",
        details={"diplomacy_minus_best_of_command_stewardship": main.as_dict(),
                 "mean_integration_by_doctrine": {d: float(mi[d].mean()) for d in mi.columns},
                 "mean_pluralism_by_doctrine":
                     {d: float(piv["mean_pluralism"][d].mean()) for d in mi.columns},
                 "best_doctrine_share": best_shares(mi)})


def best_shares(mi: pd.DataFrame) -> dict[str, float]:
    """Share of seeds where each doctrine (column) has strictly the highest value; ties
    (several at the top) are counted apart."""
    arr = mi.to_numpy(float)
    top = arr.max(axis=1, keepdims=True)
    winners = np.isclose(arr, top, rtol=0, atol=1e-12)
    single = winners.sum(axis=1) == 1
    out = {d: float((winners[:, j] & single).mean()) for j, d in enumerate(mi.columns)}
    out["tie"] = float((~single).mean())
    return out


# --------------------------------------------------------------------------- 7. disturbance
def _intensity(regime: str) -> float:
    return int(regime[1:]) / 100.0


def disturbance_inverted_u(sw: Sweep, place: str) -> PatternResult:
    """Pattern 7: disturbance has an inverted-U effect on openness to change (Heifetz);
    openness is observed as agenda convergence, 1 - mean pluralism."""
    s = sw.summaries.copy()
    s["x"] = s.shock_regime.map(_intensity)
    s["y"] = 1.0 - s["mean_pluralism"]
    piv = s.pivot_table(index="replication", columns="x", values="y").dropna()
    xs = np.array(sorted(piv.columns), float)
    coef = np.array([np.polyfit(xs, row, 2)[0] for row in piv[xs].to_numpy()])
    quad = st.one_sample(coef, "less")
    interior = piv[xs[1:-1]].mean(axis=1)
    vs_none = st.paired(interior, piv[xs[0]], "greater")
    vs_max = st.paired(interior, piv[xs[-1]], "greater")
    integ = s.pivot_table(index="replication", columns="x", values="mean_integration").dropna()
    checks = [_t("quadratic coefficient < 0", quad, "one_sample_t less"),
              _t("moderate > none", vs_none, "paired_t greater"),
              _t("moderate > strongest", vs_max, "paired_t greater")]
    return PatternResult(
        "disturbance", 7, "Inverted-U disturbance (openness to change)", "validation", place,
        "per-seed quadratic coefficient of agenda convergence on disturbance intensity",
        checks, vs_none.dz, "d_z (moderate vs none)",
        details={"convergence_by_intensity": {str(k): float(piv[k].mean()) for k in xs},
                 "integration_by_intensity": {str(k): float(integ[k].mean()) for k in xs},
                 "integration_moderate_minus_none": st.paired(
                     integ[xs[1:-1]].mean(axis=1), integ[xs[0]], "greater").as_dict()})


# --------------------------------------------------------------------------- 8. austerity
CUT_WEEK = 13


def austerity(sw: Sweep, place: str) -> PatternResult:
    """Pattern 8: austerity squeezes discretionary and voluntary-sector capacity first."""
    s = sw.summaries
    integ, uo = wide(sw, "integration"), wide(sw, "user_outcome")
    post = [c for c in integ.columns if int(c) >= CUT_WEEK]
    per = pd.DataFrame({"i": integ[post].mean(axis=1), "u": uo[post].mean(axis=1)}).join(
        s.set_index("run_id")[["replication", "shock_regime"]])
    pi = per.pivot_table(index="replication", columns="shock_regime", values="i").dropna()
    pu = per.pivot_table(index="replication", columns="shock_regime", values="u").dropna()
    i0, i49, i10 = pi["cut_00"], pi["cut_49"], pi["cut_10"]
    loss = float(1 - i49.mean() / i0.mean()) if i0.mean() > 0 else float("nan")
    llo, lhi, _ = st.bootstrap_ci((i0.to_numpy(), i49.to_numpy()),
                                  lambda a, b: 1 - b.mean() / a.mean(), samples=2)
    prop = st.one_sample((0.51 * i0 - i49).to_numpy(), "greater")
    j = pu.index.intersection(pi.index)

    def diff(a0: np.ndarray, a49: np.ndarray, u0: np.ndarray, u49: np.ndarray) -> float:
        return float((1 - a49.mean() / a0.mean()) - (1 - u49.mean() / u0.mean()))

    arrays = (i0[j].to_numpy(), i49[j].to_numpy(), pu.loc[j, "cut_00"].to_numpy(),
              pu.loc[j, "cut_49"].to_numpy())
    d_est = diff(*arrays) if i0.mean() > 0 else float("nan")
    dlo, dhi, dp = st.bootstrap_ci(arrays, diff, samples=4, null=0.0) if i0.mean() > 0 else (
        float("nan"), float("nan"), 1.0)
    graded = st.paired(i10, i49, "greater")
    checks = [Check("integration loss >= 49% (more than proportional)", loss, (llo, lhi),
                    prop.p, prop.n, "paired_t greater on 0.51 x none - cut"),
              Check("integration loss > user-outcome loss", d_est, (dlo, dhi), dp, len(j),
                    "bootstrap greater vs 0"),
              _t("loss grows with the cut (49% vs 10%)", graded, "paired_t greater")]
    rel = {reg: float(1 - pi[reg].mean() / i0.mean()) if i0.mean() > 0 else None
           for reg in pi.columns if reg != "cut_00"}
    rel_u = {reg: float(1 - pu[reg].mean() / pu["cut_00"].mean()) for reg in pu.columns
             if reg != "cut_00"}
    return PatternResult(
        "austerity", 8, "Austerity squeezes discretionary capacity first", "calibration", place,
        "relative loss of mean integration after a 49% council cut (vs no cut)", checks,
        st.paired(i49, i0, "less").dz, "d_z (integration, cut - none)",
        details={"integration_relative_loss": rel, "user_outcome_relative_loss": rel_u,
                 "integration_no_cut": float(i0.mean())})


# --------------------------------------------------------------------------- 9. inertia
INERTIA_LEVEL = 0.25


def inertia_and_small_wins(baseline: Sweep, small: Sweep, place: str) -> PatternResult:
    """Pattern 9: collaborative inertia is the common outcome; small wins start a virtuous
    cycle of trust (Huxham & Vangen 2005; Ansell & Gash 2008)."""
    s = baseline.summaries
    act = s[s.doctrine.isin(["command", "stewardship", "diplomacy"])]
    stuck = int((act["integration"] < INERTIA_LEVEL).sum())
    inertia = st.proportion(stuck, len(act), 0.5, "greater")
    sm = small.summaries
    col = next(c for c in sm.columns if c.startswith("initiatives.") and c.endswith(".cost"))
    shipped, cheap = max(sm[col].unique()), min(sm[col].unique())
    tr = wide(small, "trust")
    last = [c for c in tr.columns if int(c) >= int(max(tr.columns)) - 51]
    sm = sm.assign(trust_last_year=sm.run_id.map(tr[last].mean(axis=1)))
    pt = pair_by(sm, col, "trust_last_year", cheap, shipped)
    pu = pair_by(sm, col, "mean_user_outcome", cheap, shipped)
    pi = pair_by(sm, col, "mean_integration", cheap, shipped)
    ptr = st.paired(pt["a"], pt["b"], "greater")
    puo = st.paired(pu["a"], pu["b"], "greater")
    checks = [_b("inertia in > 50% of runs", inertia, "binomial greater vs 0.5"),
              _t("small win raises trust", ptr, "paired_t greater"),
              _t("small win raises user outcome", puo, "paired_t greater")]
    return PatternResult(
        "inertia_small_wins", 9, "Collaborative inertia and small wins", "calibration", place,
        f"share of runs with integration < {INERTIA_LEVEL} at the horizon", checks,
        st.cohen_h(inertia.share, 0.5), "Cohen's h vs 50%",
        details={"inertia_share_by_doctrine": {
                     str(d): float((g["integration"] < INERTIA_LEVEL).mean())
                     for d, g in act.groupby("doctrine")},
                 "small_win_initiative": col.split(".")[1],
                 "small_win_integration": st.paired(pi["a"], pi["b"], "greater").as_dict()})


# --------------------------------------------------------------------------- face validity
def face_validity(with_: Sweep, without: Sweep, place: str, doctrine: str) -> dict[str, Any]:
    """A place's shocks should leave it worse off than the same place without them (paired
    seeds): checks on the place's shipped doctrine; every doctrine reported."""
    a, b = with_.summaries, without.summaries
    rows = {}
    checks: list[Check] = []
    for d in sorted(set(a.doctrine) & set(b.doctrine)):
        out = {}
        for o in ("integration", "user_outcome", "trust"):
            x = a[a.doctrine == d].set_index("replication")[f"mean_{o}"]
            y = b[b.doctrine == d].set_index("replication")[f"mean_{o}"]
            x, y = x.align(y, join="inner")
            out[o] = st.paired(x, y, "less")
        rows[d] = {o: v.as_dict() for o, v in out.items()}
        if d == doctrine:
            checks = [_t("shocks lower integration", out["integration"], "paired_t less"),
                      _t("shocks lower user outcome", out["user_outcome"], "paired_t less")]
    return {"place": place, "doctrine": doctrine, "checks": checks, "by_doctrine": rows}


def face_verdict(checks: list[Check]) -> str:
    v = verdict_of(checks)
    return {REPRODUCED: "worse off", PARTLY: "partly", NOT: "not worse off"}[v]


# --------------------------------------------------------------------------- ablation
def ablation(baseline: Sweep, variants: dict[str, Sweep], doctrine: str, place: str
             ) -> list[dict[str, Any]]:
    """Each removed component's effect: full doctrine minus the doctrine without it, on mean
    integration (and user outcome, trust), paired by seed; two-sided test."""
    s = baseline.summaries
    full = s[s.doctrine == doctrine].set_index("replication")
    out = []
    for comp, sw in variants.items():
        v = sw.summaries.set_index("replication")
        row: dict[str, Any] = {"place": place, "doctrine": doctrine, "component": comp}
        for o in ("integration", "user_outcome", "trust", "pluralism"):
            x, y = full[f"mean_{o}"].align(v[f"mean_{o}"], join="inner")
            row[o] = st.paired(x, y, "two-sided")
        row["check"] = _t(f"{doctrine} without {comp}", row["integration"], "paired_t two-sided")
        out.append(row)
    return out


# --------------------------------------------------------------------------- doctrine map
def doctrine_map(sw: Sweep, problem: dict[str, Any] | None, outcome: str = "mean_integration"
                 ) -> dict[str, Any]:
    """The probability that each doctrine is best, by agenda diversity x shock severity, over
    the sampled uncertain parameters and seeds (Wilson intervals), and the Sobol indices of
    diplomacy's advantage over the best other doctrine in each condition."""
    s = sw.summaries
    keys = ["base", "shock_regime", "point", "replication"]
    piv = s.pivot_table(index=keys, columns="doctrine", values=outcome).dropna()
    doctrines_ = [d for d in ("command", "stewardship", "diplomacy", "fatalism") if d in piv]
    cells = []
    sobol = []
    for (base, reg), g in piv.groupby(level=[0, 1]):
        shares = best_shares(g[doctrines_])
        n = len(g)
        cell: dict[str, Any] = {"base": base, "diversity": diversity_of(base), "regime": reg,
                                "n": n, "p_best": {}, "mean": {}}
        for d in doctrines_:
            k = round(shares[d] * n)
            pr = st.proportion(k, n, 0.5, "two-sided")
            cell["p_best"][d] = {"share": pr.share, "ci_low": pr.low, "ci_high": pr.high}
            cell["mean"][d] = float(g[d].mean())
        cell["p_tie"] = shares["tie"]
        others = [d for d in doctrines_ if d != "diplomacy"]
        adv = g["diplomacy"] - g[others].max(axis=1)
        m, lo, hi = st.mean_ci(adv)
        cell["diplomacy_advantage"] = {"mean": m, "ci_low": lo, "ci_high": hi}
        cells.append(cell)
        if problem is not None:
            y = adv.groupby(level="point").mean().sort_index()
            sobol.append({"base": base, "diversity": diversity_of(base), "regime": reg,
                          **sobol_indices(problem, y.to_numpy(float))})
    order = {"low": 0, "shipped": 1, "high": 2, "calm": 0, "severe": 2}

    def key(c: dict[str, Any]) -> tuple[int, int]:
        return order.get(c["diversity"], 1), order.get(c["regime"], 1)

    cells.sort(key=key)
    sobol.sort(key=key)
    return {"outcome": outcome, "doctrines": doctrines_, "cells": cells, "sobol": sobol,
            "parameters": problem["names"] if problem else [],
            "points": int(s.point.nunique()), "replications": int(s.replication.nunique())}


def diversity_of(base: str) -> str:
    for lv in ("low", "high"):
        if base.endswith(f"_{lv}_diversity"):
            return lv
    return "shipped"


def sobol_indices(problem: dict[str, Any], y: np.ndarray, seed: int = 12345
                  ) -> dict[str, Any]:
    """First-order and total Sobol indices (SALib, with bootstrap 95% intervals)."""
    from SALib.analyze import sobol

    if not np.isfinite(y).all() or float(np.ptp(y)) == 0.0:
        return {"S1": {}, "ST": {}, "note": "no variation in the output"}
    import warnings

    k = int(problem["num_vars"])
    if y.size % (k + 2):
        return {"S1": {}, "ST": {}, "note": f"incomplete Sobol sample ({y.size} points)"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = sobol.analyze(problem, y, calc_second_order=False, print_to_console=False,
                          seed=seed)
    names = problem["names"]
    return {"S1": {n: [float(r["S1"][i]), float(r["S1_conf"][i])] for i, n in enumerate(names)},
            "ST": {n: [float(r["ST"][i]), float(r["ST_conf"][i])] for i, n in enumerate(names)}}


# --------------------------------------------------------------------------- outcomes at bounds
def outcomes_at_bounds(sweeps: dict[str, dict[str, Sweep]]) -> dict[str, Any]:
    """Per place and outcome: the share of runs whose final value is exactly 0 or exactly 1
    (every validation ensemble of the place), and of run-weeks where timeseries are kept."""
    out: dict[str, Any] = {}
    for place_name, exps in sweeps.items():
        finals: dict[str, list[np.ndarray]] = {o: [] for o in UNIT_BOUNDED}
        weeks: dict[str, list[np.ndarray]] = {o: [] for o in UNIT_BOUNDED}
        for sw in exps.values():
            for o in UNIT_BOUNDED:
                if o in sw.summaries:
                    finals[o].append(sw.summaries[o].to_numpy(float))
                if sw.timeseries is not None and o in sw.timeseries:
                    weeks[o].append(sw.timeseries[o].to_numpy(float))
        row = {}
        for o in UNIT_BOUNDED:
            if not finals[o]:
                continue
            f = np.concatenate(finals[o])
            w = np.concatenate(weeks[o]) if weeks[o] else np.array([])
            row[o] = {"runs": int(f.size), "final_at_0": float((f == 0).mean()),
                      "final_at_1": float((f == 1).mean()),
                      "weeks_at_0": float((w == 0).mean()) if w.size else None,
                      "weeks_at_1": float((w == 1).mean()) if w.size else None}
        out[place_name] = row
    return out


# --------------------------------------------------------------------------- provenance
def sweep_folders(runs: str | Path) -> dict[str, Path]:
    """``<place>/<experiment>`` -> folder, for every sweep under ``runs``."""
    runs = Path(runs)
    return {f"{m.parent.parent.name}/{m.parent.name}": m.parent
            for m in sorted(runs.glob("*/*/manifest.json"))}


def check_runs(runs: str | Path, experiments: Path | None = EXPERIMENT_DIR
               ) -> tuple[list[str], dict[str, Any]]:
    """Whether the sweeps under ``runs`` can be reported together as the current model's.

    Returns the problems (empty when they can: one model fingerprint and one set of
    numerical packages for every folder and session, equal to the code installed here, and
    each experiment's design unchanged since it ran) and a provenance record for
    ``results.json``. Reads only the manifests (and the experiment files, if present).
    """
    from diplomacy_sim.batch.experiment import load_experiment

    found = sweep_folders(runs)
    prov: dict[str, Provenance] = {}
    bad: list[str] = []
    for folder in found.values():
        try:
            prov[str(folder)] = Provenance.of_manifest(
                str(folder), json.loads((folder / "manifest.json").read_text()))
        except (OSError, ValueError) as exc:
            bad.append(f"{folder}/manifest.json cannot be read: {exc}.")
    designs: dict[str, str] = {}
    if experiments is not None:
        for rel, folder in found.items():
            f = Path(experiments) / f"{rel}.yaml"
            if f.exists() and str(folder) in prov:
                designs[str(folder)] = load_experiment(f).design_sha256
            elif str(folder) in prov:
                bad.append(f"{folder}: no experiment file {f} (is it a validation sweep?).")
    here = Provenance.here()
    out = bad + problems(prov, here=here, designs_here=designs)
    record = {"consistent": not out, "problems": out, "here": here.as_dict(),
              "sweeps": {k: p.as_dict() for k, p in prov.items()}}
    return out, record


def preregistration_sha256(path: str | Path = PREREGISTRATION) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


# --------------------------------------------------------------------------- evaluate
PATTERN_FUNCTIONS = {
    "reorganisation_dip": ("reorganisation",),
    "relational_first": ("baseline",),
    "trust_asymmetry": ("baseline",),
    "leader_churn": ("leader_churn",),
    "going_cold": ("workstreams",),
    "doctrines": ("baseline",),
    "disturbance": ("disturbance",),
    "austerity": ("austerity",),
    "inertia_small_wins": ("baseline", "small_wins"),
}
"""Pattern key -> the experiments (per place) it reads."""


def _pattern(key: str, sw: dict[str, Sweep], place: str) -> PatternResult:
    if key == "reorganisation_dip":
        return reorganisation_dip(sw["reorganisation"], place)
    if key == "relational_first":
        return relational_before_outcomes(sw["baseline"], place)
    if key == "trust_asymmetry":
        return trust_asymmetry(sw["baseline"], place)
    if key == "leader_churn":
        return leader_churn(sw["leader_churn"], place)
    if key == "going_cold":
        return going_cold(sw["workstreams"], place)
    if key == "doctrines":
        return doctrines(sw["baseline"], place)
    if key == "disturbance":
        return disturbance_inverted_u(sw["disturbance"], place)
    if key == "austerity":
        return austerity(sw["austerity"], place)
    if key == "inertia_small_wins":
        return inertia_and_small_wins(sw["baseline"], sw["small_wins"], place)
    raise KeyError(key)


@dataclass
class Evaluation:
    """Everything the validation reports."""

    patterns: list[PatternResult]
    face: list[dict[str, Any]]
    ablation: list[dict[str, Any]]
    dmap: dict[str, Any]
    bounds: dict[str, Any]
    sweeps: dict[str, dict[str, Sweep]]
    prereg: dict[str, Any]


def load_all(runs: str | Path) -> dict[str, dict[str, Sweep]]:
    """place -> experiment -> sweep, for every sweep under ``runs``."""
    out: dict[str, dict[str, Sweep]] = {}
    for rel, folder in sweep_folders(runs).items():
        place_name, exp = rel.split("/")
        out.setdefault(place_name, {})[exp] = load_sweep(folder)
    return out


def evaluate(runs: str | Path, prereg: dict[str, Any] | None = None) -> Evaluation:
    """Every pre-registered analysis from the sweeps under ``runs``."""
    prereg = prereg or load_preregistration()
    alpha = float(prereg.get("alpha", ALPHA))
    sweeps = load_all(runs)
    dm = sweeps.pop("doctrine_map", {})
    results: list[PatternResult] = []
    for spec in prereg["patterns"]:
        key = spec["key"]
        for place_name in sorted(sweeps):
            sw = sweeps[place_name]
            if all(x in sw for x in PATTERN_FUNCTIONS[key]):
                r = _pattern(key, sw, place_name)
                declared = [c["name"] for c in spec["checks"]]
                if [c.name for c in r.checks] != declared:
                    raise ValueError(f"{key}: checks {[c.name for c in r.checks]} differ from "
                                     f"the pre-registration's {declared}")
                r.role = spec["role"]
                results.append(r)
    for role in ("validation", "calibration"):
        apply_holm([c for r in results if r.role == role for c in r.checks], alpha)
    for r in results:
        r.verdict = verdict_of(r.checks)

    face = []
    for place_name, sw in sorted(sweeps.items()):
        if "baseline" in sw and "baseline_no_shocks" in sw:
            from diplomacy_sim.scenario.loader import load_scenario

            d = str(load_scenario(place_name).doctrine)
            face.append(face_validity(sw["baseline"], sw["baseline_no_shocks"], place_name, d))
    apply_holm([c for f in face for c in f["checks"]], alpha)
    for f in face:
        f["verdict"] = face_verdict(f["checks"])

    abl: list[dict[str, Any]] = []
    for place_name, sw in sorted(sweeps.items()):
        if "baseline" not in sw:
            continue
        per_doctrine: dict[str, dict[str, Sweep]] = {}
        for exp, s in sw.items():
            if exp.startswith("ablation_"):
                _, doctrine, comp = exp.split("_", 2)
                per_doctrine.setdefault(doctrine, {})[comp] = s
        for doctrine, variants in sorted(per_doctrine.items()):
            abl += ablation(sw["baseline"], dict(sorted(variants.items())), doctrine, place_name)
    apply_holm([a["check"] for a in abl], alpha)

    dmap: dict[str, Any] = {}
    if "doctrine_map" in dm:
        folder = Path(runs) / "doctrine_map" / "doctrine_map"
        design = json.loads((folder / "design.json").read_text())
        dmap = doctrine_map(dm["doctrine_map"], design.get("problem"))
    every = {**sweeps, **({"doctrine_map": dm} if dm else {})}
    bounds = outcomes_at_bounds(every)
    return Evaluation(results, face, abl, dmap, bounds, every, prereg)


def summary_table(ev: Evaluation) -> dict[str, Any]:
    """Pattern -> {role, places: {place: verdict}, reproduced_in: "k of n"}."""
    out: dict[str, Any] = {}
    for spec in ev.prereg["patterns"]:
        rs = [r for r in ev.patterns if r.key == spec["key"]]
        k = sum(r.verdict == REPRODUCED for r in rs)
        out[spec["key"]] = {"number": spec["number"], "title": spec["title"],
                            "role": spec["role"], "places": {r.place: r.verdict for r in rs},
                            "reproduced_in": f"{k} of {len(rs)}", "source": spec["source"],
                            "why_calibration": spec.get("why_calibration", "")}
    return out


def payload(ev: Evaluation, record: dict[str, Any], timing: dict[str, Any] | None = None
            ) -> dict[str, Any]:
    """What results.json holds."""

    def abl_row(a: dict[str, Any]) -> dict[str, Any]:
        return {"place": a["place"], "doctrine": a["doctrine"], "component": a["component"],
                **{o: a[o].as_dict() for o in ("integration", "user_outcome", "trust",
                                               "pluralism")},
                "p_holm": a["check"].p_holm, "significant": a["check"].passed}

    return _jsonable({
        "preregistration": {"path": "experiments/validation/preregistration.yaml",
                            "sha256": preregistration_sha256()},
        "summary": summary_table(ev),
        "patterns": {f"{r.key}/{r.place}": r.to_dict() for r in ev.patterns},
        "face_validity": {f["place"]: {"doctrine": f["doctrine"], "verdict": f["verdict"],
                                       "checks": [c.to_dict() for c in f["checks"]],
                                       "by_doctrine": f["by_doctrine"]} for f in ev.face},
        "ablation": [abl_row(a) for a in ev.ablation],
        "doctrine_map": ev.dmap,
        "outcomes_at_bounds": ev.bounds,
        "runs": {f"{p}/{x}": len(s.summaries) for p, xs in ev.sweeps.items()
                 for x, s in xs.items()},
        "provenance": record,
        "timing": timing or {},
    })


def experiment_paths(dest: Path = EXPERIMENT_DIR) -> list[Path]:
    """Every validation experiment file (for the one command)."""
    return experiment_files(dest)
