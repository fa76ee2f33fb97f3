"""Pattern-oriented validation: the stylised facts of the model brief as ensemble tests.

Each stylised fact in ``/work/shared/design/model-brief.md`` (the literature's patterns) is a
named function here. It takes the results of a sweep (the run summaries and, where it needs
them, the per-step timeseries, as written by :mod:`diplomacy_sim.batch.store`) and returns a
:class:`PatternResult`: the statistic, its 95% confidence interval, the number of runs or
pairs, an effect size, the threshold the literature suggests, and a verdict
(``reproduced``, ``partly`` or ``not``).

Counterfactuals use common random numbers (``seeds: common`` in the experiment): run r with
the cause and run r without it share a seed, and the statistics are paired differences.

The experiments are in ``experiments/validation/``; ``docs/validation.md`` reports the
results. Regenerate the figures and the result table with::

    for x in experiments/validation/*.yaml; do
        diplomacy-sim sweep $x --out runs/validation/$(basename $x .yaml); done
    python -m diplomacy_sim.analysis.validation runs/validation docs/

The last step refuses to write anything when the sweeps do not all come from the model code
installed here (see :func:`check_runs`): numbers from different versions of the model must
not be quoted side by side.

Thresholds are the literature's numbers where it gives them, stated in each function; they
are never tuned to the model's output.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from diplomacy_sim.analysis.report import load_results
from diplomacy_sim.provenance import Provenance, problems
from diplomacy_sim.scenario.schema import DeliveryParams

Verdict = str
REPRODUCED, PARTLY, NOT = "reproduced", "partly", "not"


# --------------------------------------------------------------------------- results
@dataclass
class PatternResult:
    """One stylised fact tested on an ensemble."""

    key: str
    title: str
    statistic: str
    """What ``estimate`` measures, in words."""
    estimate: float
    ci: tuple[float, float]
    """95% confidence interval of ``estimate``."""
    n: int
    """Runs or seed pairs behind the estimate."""
    effect_size: float
    """Standardised effect: Cohen's d_z for paired differences, or as ``effect_label`` says."""
    effect_label: str
    threshold: str
    verdict: Verdict
    checks: dict[str, bool] = field(default_factory=dict)
    """The sub-tests the verdict combines, each pass/fail."""
    details: dict[str, Any] = field(default_factory=dict)

    def line(self) -> str:
        lo, hi = self.ci
        return (f"[{self.verdict}] {self.title}: {self.statistic} = {self.estimate:.4g} "
                f"(95% CI {lo:.4g} to {hi:.4g}; n={self.n}; {self.effect_label} "
                f"{self.effect_size:.3g}); threshold: {self.threshold}; checks: {self.checks}")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["ci"] = list(self.ci)
        return _jsonable(d)


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


# --------------------------------------------------------------------------- statistics
@dataclass(frozen=True)
class Paired:
    """Mean of paired differences a - b, its t-based 95% CI, Cohen's d_z and n."""

    mean: float
    low: float
    high: float
    dz: float
    n: int

    @property
    def positive(self) -> bool:
        return self.low > 0

    @property
    def negative(self) -> bool:
        return self.high < 0

    def as_dict(self) -> dict[str, float]:
        return {"mean": self.mean, "ci_low": self.low, "ci_high": self.high, "dz": self.dz,
                "n": self.n}


def paired(a: Any, b: Any) -> Paired:
    """Paired difference a - b (aligned arrays): mean, t-based 95% CI, d_z."""
    from scipy import stats

    d = np.asarray(a, float) - np.asarray(b, float)
    d = d[np.isfinite(d)]
    n = d.size
    if n < 2:
        m = float(d.mean()) if n else float("nan")
        return Paired(m, float("nan"), float("nan"), float("nan"), n)
    m, sd = float(d.mean()), float(d.std(ddof=1))
    half = float(stats.t.ppf(0.975, n - 1)) * sd / math.sqrt(n)
    dz = m / sd if sd > 0 else (0.0 if m == 0 else math.copysign(math.inf, m))
    return Paired(m, m - half, m + half, dz, n)


def mean_ci(x: Any) -> tuple[float, float, float]:
    """Mean and t-based 95% CI of one sample."""
    p = paired(x, np.zeros(len(np.asarray(x))))
    return p.mean, p.low, p.high


def bootstrap_ci(x: Any, stat: Callable[[np.ndarray], float] = np.mean, n_boot: int = 2000,
                 seed: int = 12345) -> tuple[float, float]:
    """Percentile bootstrap 95% CI of ``stat`` over the rows of ``x`` (seeded: repeatable)."""
    x = np.asarray(x, float)
    if len(x) < 2:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(x), (n_boot, len(x)))
    vals = np.array([stat(x[i]) for i in idx])
    vals = vals[np.isfinite(vals)]
    return float(np.quantile(vals, 0.025)), float(np.quantile(vals, 0.975))


def wilson(k: int, n: int) -> tuple[float, float]:
    """Wilson 95% interval of a proportion k/n."""
    if n == 0:
        return float("nan"), float("nan")
    z = 1.959963984540054
    p = k / n
    den = 1 + z * z / n
    c = (p + z * z / (2 * n)) / den
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return c - h, c + h


def cohen_h(p: float, p0: float) -> float:
    """Effect size of a proportion against a reference proportion."""
    return 2 * math.asin(math.sqrt(min(max(p, 0), 1))) - 2 * math.asin(math.sqrt(p0))


# --------------------------------------------------------------------------- data helpers
@dataclass
class Sweep:
    """A sweep's summaries and (optional) timeseries."""

    summaries: pd.DataFrame
    timeseries: pd.DataFrame | None = None
    name: str = ""
    revision: str = ""
    """The git revision of the code that ran the sweep (from its manifest)."""
    provenance: Provenance | None = None
    """What produced the sweep (model fingerprint, git revision, versions, sessions)."""


def load_sweep(folder: str | Path) -> Sweep:
    """Read a results folder written by ``diplomacy-sim sweep``; only the runs that are ok."""
    r = load_results(folder)
    s = r.summaries[r.summaries["status"] == "ok"].reset_index(drop=True)
    ts = r.timeseries
    if ts is not None:
        ts = ts[ts["run_id"].isin(s["run_id"])]
    return Sweep(s, ts, str(r.manifest.get("experiment", {}).get("name", "")),
                 str(r.manifest.get("git_revision", "")),
                 Provenance.of_manifest(str(folder), r.manifest))


def wide(sw: Sweep, col: str) -> pd.DataFrame:
    """One row per run (index run_id), one column per step."""
    if sw.timeseries is None:
        raise ValueError(f"{sw.name}: this pattern needs timeseries (outputs: timeseries)")
    return sw.timeseries.pivot(index="run_id", columns="step", values=col).sort_index()


def pair_by(s: pd.DataFrame, col: str, value_col: str, a: Any, b: Any,
            keys: tuple[str, ...] = ("replication",)) -> pd.DataFrame:
    """Rows aligned on ``keys`` (the shared seed) with columns a and b of ``value_col``."""
    sel = s[s[col].isin([a, b])]
    piv = sel.pivot_table(index=list(keys), columns=col, values=value_col, aggfunc="mean")
    piv = piv.dropna()
    return pd.DataFrame({"a": piv[a], "b": piv[b]})


def first_reach(mat: pd.DataFrame, level: float | pd.Series) -> pd.Series:
    """Per run: first step at which the series reaches ``level`` (per run if a Series); the
    horizon (one past the last step) if it never does: a censored time."""
    steps = np.array(_steps(mat))
    lv: Any = np.asarray(level, float)
    hit = mat.to_numpy() >= (lv.reshape(-1, 1) if lv.ndim else lv)
    first = np.where(hit.any(axis=1), steps[hit.argmax(axis=1)], int(steps.max()) + 1)
    return pd.Series(first, index=mat.index)


def _steps(mat: pd.DataFrame) -> list[int]:
    return [int(c) for c in mat.columns]


def _verdict(core: bool, checks: dict[str, bool]) -> Verdict:
    if all(checks.values()):
        return REPRODUCED
    return PARTLY if core or any(checks.values()) else NOT


# --------------------------------------------------------------------------- 1. reorganisation
LITERATURE_DELAY_WEEKS = 78
"""Fulop et al. (BMJ 2002): mergers delayed planned service developments by at least 18 months."""


def reorganisation_dip(sw: Sweep, shock_week: int = 26, level: float = 0.1) -> PatternResult:
    """Pattern 1: a reorganisation stalls integration for a long period.

    Statistic: the paired integration deficit (no-shock minus shock), averaged over the 18
    months after the shock. Checks: the deficit is positive (95% CI above 0); the median
    delay in reaching ``level`` integration (a tenth of the joint work delivered) is at least
    18 months (Fulop: "at least 18 months"); within 3 years the reorganised system is rarely
    better off: the share of seed pairs where it ends at or above the no-shock run is at most
    25% ("rarely").
    """
    s = sw.summaries
    integ = wide(sw, "integration")
    meta = s.set_index("run_id")[["replication", "shock_regime"]]
    window = [c for c in _steps(integ) if shock_week <= c < shock_week + LITERATURE_DELAY_WEEKS]
    per_run = pd.DataFrame({"window": integ[window].mean(axis=1),
                            "reach": first_reach(integ, level),
                            "final": integ.iloc[:, -1]}).join(meta)
    by = {k: per_run[per_run.shock_regime == k].set_index("replication").sort_index()
          for k in ("none", "reorganisation")}
    a, b = by["none"].align(by["reorganisation"], join="inner", axis=0)
    deficit = paired(a["window"], b["window"])
    delay = (b["reach"] - a["reach"]).to_numpy(float)
    med_delay = float(np.median(delay))
    dlo, dhi = bootstrap_ci(delay, np.median)
    better = int((b["final"] >= a["final"]).sum())
    n = len(a)
    share_better = better / n
    checks = {
        "deficit over 18 months > 0": deficit.positive,
        "median delay >= 78 weeks": med_delay >= LITERATURE_DELAY_WEEKS,
        "better off at 3 years in <= 25% of pairs": share_better <= 0.25,
    }
    return PatternResult(
        key="reorganisation_dip", title="1. Reorganisation dip",
        statistic="integration deficit, mean over the 78 weeks after the shock (paired)",
        estimate=deficit.mean, ci=(deficit.low, deficit.high), n=deficit.n,
        effect_size=deficit.dz, effect_label="d_z",
        threshold="deficit CI > 0; median delay to integration 0.1 >= 78 weeks (Fulop 2002); "
                  "reorganised run better off at week 156 in <= 25% of pairs",
        verdict=_verdict(deficit.positive, checks), checks=checks,
        details={"median_delay_weeks": med_delay, "median_delay_ci": [dlo, dhi],
                 "mean_delay_weeks": float(delay.mean()),
                 "share_delayed_78_weeks": float((delay >= 78).mean()),
                 "share_better_off": share_better, "share_better_off_ci": list(wilson(better, n)),
                 "final_integration_none": float(a["final"].mean()),
                 "final_integration_reorganisation": float(b["final"].mean())},
    )


# --------------------------------------------------------------------------- 2. relational first
def relational_before_outcomes(sw: Sweep, doctrine: str = "diplomacy", at: int = 104,
                               gain: float = 0.02) -> PatternResult:
    """Pattern 2: trust can rise for years before user outcomes move (NAO 2017 on the BCF).

    Statistic: the paired lag (weeks) between the first week cross-organisation trust is
    ``gain`` above its starting value and the first week the user outcome is ``gain`` above
    its own (horizon + 1 if never). Checks: the lag is positive (CI above 0); at two years
    (the NAO's window) trust has risen in at least 75% of runs (NAO: joint working improved in
    over 90% of areas; 15 points' tolerance) while avoidable admissions have not fallen in at
    least half of them.
    """
    s = sw.summaries
    runs = s[s.doctrine == doctrine].run_id
    tr = wide(sw, "trust").loc[runs]
    uo = wide(sw, "user_outcome").loc[runs]
    adm = wide(sw, "avoidable_admissions").loc[runs]
    t_trust = first_reach(tr, tr.iloc[:, 0] + gain)
    t_out = first_reach(uo, uo.iloc[:, 0] + gain)
    lag = paired(t_out, t_trust)
    trust_up = (tr[at] > tr.iloc[:, 0]).to_numpy()
    adm_not_down = (adm[at] >= adm.iloc[:, 0]).to_numpy()
    n = len(runs)
    share_up = float(trust_up.mean())
    share_both = float((trust_up & adm_not_down).mean())
    checks = {
        "trust moves before user outcome (lag CI > 0)": lag.positive,
        "trust up at 2 years in >= 75% of runs": share_up >= 0.75,
        "trust up and admissions not down at 2 years in >= 50%": share_both >= 0.5,
    }
    return PatternResult(
        key="relational_first", title="2. Relational gains before outcome gains",
        statistic=f"weeks from trust +{gain} to user outcome +{gain} (paired within run)",
        estimate=lag.mean, ci=(lag.low, lag.high), n=lag.n, effect_size=lag.dz,
        effect_label="d_z",
        threshold="lag CI > 0; trust up at week 104 in >= 75% of runs (NAO: >90% of areas); "
                  "trust up while admissions not down in >= 50%",
        verdict=_verdict(lag.positive, checks), checks=checks,
        details={"share_trust_up_2y": share_up,
                 "share_trust_up_2y_ci": list(wilson(int(trust_up.sum()), n)),
                 "share_trust_up_admissions_not_down_2y": share_both,
                 "median_week_trust_gain": float(t_trust.median()),
                 "median_week_outcome_gain": float(t_out.median()),
                 "mean_trust_change_2y": float((tr[at] - tr.iloc[:, 0]).mean()),
                 "mean_user_outcome_change_2y": float((uo[at] - uo.iloc[:, 0]).mean())},
    )


# --------------------------------------------------------------------------- 3. trust asymmetry
def _fall_rise_ratios(trust: np.ndarray, tol: float = 1e-3) -> np.ndarray:
    """Per run (row): mean size of the weekly falls over mean size of the weekly rises
    (changes smaller than ``tol`` ignored; runs without both left out)."""
    ratios = []
    for row in np.diff(np.asarray(trust, float), axis=1):
        up, down = row[row > tol], -row[row < -tol]
        if up.size and down.size:
            ratios.append(down.mean() / up.mean())
    return np.array(ratios)


def trust_asymmetry(sw: Sweep, tol: float = 1e-3) -> PatternResult:
    """Pattern 3: trust builds slowly and collapses quickly (Slovic's asymmetry, ~3-5 to 1).

    Statistic: per run, the mean size of the weekly falls of cross-organisation trust divided
    by the mean size of its weekly rises (changes smaller than ``tol`` ignored); the median
    over runs with a bootstrap CI. Checks: the asymmetry is real (CI above 1) and of the
    literature's size (median between 2 and 6: the 3-5 range with a tolerance of 1).
    """
    tr = wide(sw, "trust").to_numpy()
    d = np.diff(tr, axis=1)
    r = _fall_rise_ratios(tr, tol)
    med = float(np.median(r))
    lo, hi = bootstrap_ci(r, np.median)
    checks = {"falls faster than rises (CI > 1)": lo > 1.0,
              "ratio within 3-5 (+-1)": 2.0 <= med <= 6.0}
    return PatternResult(
        key="trust_asymmetry", title="3. Trust builds slowly, collapses quickly",
        statistic="median over runs of (mean weekly fall / mean weekly rise) of trust",
        estimate=med, ci=(lo, hi), n=len(r), effect_size=float(np.log(med)),
        effect_label="log ratio",
        threshold="CI > 1 and median in [2, 6] (Slovic: 3-5 to 1)",
        verdict=_verdict(lo > 1.0, checks), checks=checks,
        details={"mean_ratio": float(r.mean()),
                 "share_runs_ratio_above_1": float((r > 1).mean()),
                 "mean_rise": float(np.mean(d[d > tol])), "mean_fall": float(-np.mean(d[d < -tol])),
                 "weeks_rising_share": float((d > tol).mean()),
                 "weeks_falling_share": float((d < -tol).mean())},
    )


# --------------------------------------------------------------------------- 4. leader churn
def leader_churn(sw: Sweep, high: float = 0.021, low: float = 0.0027) -> PatternResult:
    """Pattern 4: leader churn goes with poor performance; turnover destroys relational capital.

    Executive hazards match the HSJ (2017) median tenures: 11 months (inadequate trusts) and
    over 7 years (outstanding). Statistic: the paired difference in mean integration (high
    churn minus low churn). Checks: integration is lower with high churn (CI below 0), and so
    is mean cross-organisation trust (relational capital).
    """
    s = sw.summaries
    col = "parameters.turnover.executive_hazard"
    res = {o: pair_by(s, col, f"mean_{o}", high, low)
           for o in ("integration", "trust", "user_outcome", "engagement")}
    p = {o: paired(v["a"], v["b"]) for o, v in res.items()}
    checks = {"integration lower with high churn (CI < 0)": p["integration"].negative,
              "trust lower with high churn (CI < 0)": p["trust"].negative}
    return PatternResult(
        key="leader_churn", title="4. Leader churn and performance",
        statistic="mean integration, 11-month minus 7-year executive tenure (paired)",
        estimate=p["integration"].mean, ci=(p["integration"].low, p["integration"].high),
        n=p["integration"].n, effect_size=p["integration"].dz, effect_label="d_z",
        threshold="integration and trust both lower with HSJ inadequate-trust churn (CI < 0)",
        verdict=_verdict(p["integration"].negative, checks), checks=checks,
        details={f"{o}_diff": v.as_dict() for o, v in p.items()},
    )


# --------------------------------------------------------------------------- 5. going cold
def going_cold(sw: Sweep) -> PatternResult:
    """Pattern 5: ignored priorities make a partner go cold; parallel workstreams keep all.

    Statistic: paired difference in mean engagement, parallel minus sequential workstreams,
    with partners going cold after 8 weeks (the default). Checks: parallel keeps more
    partners engaged (CI above 0); the cause is the going-cold rule: with partners that never
    go cold (counterfactual) the workstream gap in engagement vanishes (the difference in
    differences is positive, CI above 0).
    """
    s = sw.summaries
    cold = "parameters.engagement.cold_after"
    base = s[s[cold] == 8]
    never = s[s[cold] == 104]
    e8 = pair_by(base, "workstreams", "mean_engagement", "parallel", "sequential")
    e104 = pair_by(never, "workstreams", "mean_engagement", "parallel", "sequential")
    p8 = paired(e8["a"], e8["b"])
    a, b = e8.align(e104, join="inner", axis=0)
    did = paired(a["a"] - a["b"], b["a"] - b["b"])
    i8 = pair_by(base, "workstreams", "mean_integration", "parallel", "sequential")
    pi = paired(i8["a"], i8["b"])
    cost = pair_by(s[s.workstreams == "parallel"], cold, "mean_integration", 8, 104)
    pcost = paired(cost["a"], cost["b"])
    checks = {"parallel keeps more partners engaged (CI > 0)": p8.positive,
              "gap caused by going cold (diff-in-diff CI > 0)": did.positive}
    return PatternResult(
        key="going_cold", title="5. Ignored priorities go cold; parallel workstreams",
        statistic="mean engagement, parallel minus sequential workstreams (paired)",
        estimate=p8.mean, ci=(p8.low, p8.high), n=p8.n, effect_size=p8.dz,
        effect_label="d_z",
        threshold="engagement gap CI > 0, and it vanishes when partners never go cold",
        verdict=_verdict(p8.positive, checks), checks=checks,
        details={"diff_in_diff": did.as_dict(), "integration_parallel_minus_sequential":
                 pi.as_dict(), "integration_cold8_minus_never_cold": pcost.as_dict(),
                 "engagement_parallel": float(e8["a"].mean()),
                 "engagement_sequential": float(e8["b"].mean())},
    )


# --------------------------------------------------------------------------- 6. doctrines
def integration_lost(sw: Sweep) -> pd.Series:
    """Per run: the sum of weekly falls of integration (work that unravelled)."""
    m = wide(sw, "integration").to_numpy()
    d = np.diff(m, axis=1)
    return pd.Series(np.clip(-d, 0, None).sum(axis=1), index=wide(sw, "integration").index)


def doctrines(sw: Sweep) -> PatternResult:
    """Pattern 6: under plural agendas diplomacy sustains more integration than command or
    stewardship while keeping pluralism; stewardship narrows agendas but deals unravel in
    delivery; command gets quick agreement and poor delivery.

    Statistic: paired difference in mean integration, diplomacy minus the better of command
    and stewardship (per seed). Checks, each paired: diplomacy > command and > stewardship in
    mean integration; stewardship keeps less pluralism than diplomacy; more of stewardship's
    integration unravels (sum of weekly falls); command starts delivering sooner than
    diplomacy (first week of integration > 0) and ends with less integration.
    """
    s = sw.summaries.copy()
    lost = integration_lost(sw)
    start = first_reach(wide(sw, "integration"), 1e-9)
    s["lost"] = s.run_id.map(lost)
    s["start"] = s.run_id.map(start)
    piv = {c: s.pivot_table(index="replication", columns="doctrine", values=c)
           for c in ("mean_integration", "mean_pluralism", "lost", "start", "integration")}
    mi = piv["mean_integration"]
    best_other = mi[["command", "stewardship"]].max(axis=1)
    main = paired(mi["diplomacy"], best_other)
    p = {
        "integration: diplomacy - command": paired(mi["diplomacy"], mi["command"]),
        "integration: diplomacy - stewardship": paired(mi["diplomacy"], mi["stewardship"]),
        "pluralism: diplomacy - stewardship": paired(piv["mean_pluralism"]["diplomacy"],
                                                     piv["mean_pluralism"]["stewardship"]),
        "unravelled: stewardship - diplomacy": paired(piv["lost"]["stewardship"],
                                                      piv["lost"]["diplomacy"]),
        "first delivery week: command - diplomacy": paired(piv["start"]["command"],
                                                           piv["start"]["diplomacy"]),
        "final integration: command - diplomacy": paired(piv["integration"]["command"],
                                                         piv["integration"]["diplomacy"]),
    }
    checks = {
        "diplomacy > command (integration)": p["integration: diplomacy - command"].positive,
        "diplomacy > stewardship (integration)":
            p["integration: diplomacy - stewardship"].positive,
        "stewardship narrows agendas (pluralism)":
            p["pluralism: diplomacy - stewardship"].positive,
        "stewardship deals unravel more": p["unravelled: stewardship - diplomacy"].positive,
        "command agrees sooner": p["first delivery week: command - diplomacy"].negative,
        "command delivers less": p["final integration: command - diplomacy"].negative,
    }
    core = checks["diplomacy > command (integration)"] or \
        checks["diplomacy > stewardship (integration)"]
    return PatternResult(
        key="doctrines", title="6. Doctrines under plural agendas",
        statistic="mean integration, diplomacy minus the better of command and stewardship",
        estimate=main.mean, ci=(main.low, main.high), n=main.n, effect_size=main.dz,
        effect_label="d_z",
        threshold="each paired sub-claim significant in the stated direction (95% CI)",
        verdict=_verdict(core, checks), checks=checks,
        details={**{k: v.as_dict() for k, v in p.items()},
                 "mean_integration_by_doctrine": {d: float(mi[d].mean()) for d in mi.columns},
                 "mean_pluralism_by_doctrine":
                     {d: float(piv["mean_pluralism"][d].mean()) for d in mi.columns},
                 "diplomacy_beats_both_share": float((mi["diplomacy"] > best_other).mean())},
    )


DIVERSITY_ORDER = ("low", "mid", "high")
REGIME_ORDER = ("calm", "moderate", "moderate_cut", "severe")
"""Shock regimes of the map, by rising turbulence (moderate_cut: moderate + a 10% council cut)."""
REGIME_LABELS = {"moderate_cut": "moderate +\n10% council cut"}
MAP_FACTORS = {
    "parameters.authorising.risk_tolerance": "risk tolerance",
    "parameters.authorising.target_pressure": "target pressure",
    "network.informal_ties": "informal ties per leader",
    "network.frontline_ties": "frontline ties per worker",
}


def doctrine_advantage(maps: dict[str, Sweep], outcome: str = "mean_integration"
                       ) -> pd.DataFrame:
    """One row per (diversity, regime, point, replication): diplomacy minus the better of
    command and stewardship, with the condition's factor values."""
    rows = []
    for div, sw in maps.items():
        s = sw.summaries
        keys = ["shock_regime", "point", "replication"]
        piv = s.pivot_table(index=keys, columns="doctrine", values=outcome)
        fac = s.groupby(keys)[list(MAP_FACTORS)].first()
        df = fac.join(piv).dropna(subset=["command", "stewardship", "diplomacy"]).reset_index()
        df["diversity"] = div
        df["advantage"] = df["diplomacy"] - df[["command", "stewardship"]].max(axis=1)
        df["vs_command"] = df["diplomacy"] - df["command"]
        df["vs_stewardship"] = df["diplomacy"] - df["stewardship"]
        rows.append(df)
    return pd.concat(rows, ignore_index=True)


def doctrine_map(maps: dict[str, Sweep]) -> dict[str, Any]:
    """The map: diplomacy's integration advantage by agenda diversity x shock regime, and
    along each authorising/network factor (terciles), with 95% CIs."""
    adv = doctrine_advantage(maps)
    cells = []
    for (div, reg), g in adv.groupby(["diversity", "shock_regime"]):
        m, lo, hi = mean_ci(g["advantage"])
        cells.append({"diversity": div, "regime": reg, "mean": m, "ci_low": lo, "ci_high": hi,
                      "n": len(g), "win_share": float((g["advantage"] > 0).mean()),
                      "vs_command": float(g["vs_command"].mean()),
                      "vs_stewardship": float(g["vs_stewardship"].mean()),
                      "mean_integration_by_doctrine": {
                          d: float(g[d].mean()) for d in ("command", "stewardship", "diplomacy")}})
    factors = {}
    for col, label in MAP_FACTORS.items():
        q = pd.qcut(adv[col], 3, labels=["low", "mid", "high"])
        out = []
        for lvl, g in adv.groupby(q, observed=True):
            m, lo, hi = mean_ci(g["advantage"])
            out.append({"level": str(lvl), "range": [float(g[col].min()), float(g[col].max())],
                        "mean": m, "ci_low": lo, "ci_high": hi, "n": len(g)})
        # slope of the advantage on the factor (standardised), for a one-number summary
        x = (adv[col] - adv[col].mean()) / adv[col].std()
        slope = float(np.polyfit(x, adv["advantage"], 1)[0])
        factors[label] = {"terciles": out, "slope_per_sd": slope}
    m, lo, hi = mean_ci(adv["advantage"])
    return {"cells": cells, "factors": factors, "overall": {"mean": m, "ci_low": lo,
                                                           "ci_high": hi, "n": len(adv)}}


# --------------------------------------------------------------------------- 7. disturbance
def _intensity(regime: str) -> float:
    return int(regime[1:]) / 100.0


def disturbance_inverted_u(sw: Sweep, outcome: str = "convergence") -> PatternResult:
    """Pattern 7: disturbance has an inverted-U effect on openness to change (Heifetz).

    Openness to change is observed as agenda convergence at the table, 1 - mean pluralism
    (people moving their views towards others'); integration is the secondary measure.
    Statistic: the quadratic coefficient of the outcome on disturbance intensity, with seed
    (replication) fixed effects. Checks: the coefficient is negative (CI below 0); the vertex
    lies inside the range tried (0 to 0.9); the best interior intensity beats both no
    disturbance and the strongest (paired CIs above 0).
    """
    s = sw.summaries.copy()
    s["x"] = s.shock_regime.map(_intensity)
    s["convergence"] = 1.0 - s["mean_pluralism"]
    s["integration_"] = s["mean_integration"]
    ycol = "convergence" if outcome == "convergence" else "integration_"
    y = s[ycol] - s.groupby("replication")[ycol].transform("mean")
    x = s["x"].to_numpy()
    xc = x - x.mean()
    X = np.column_stack([xc, xc**2 - (xc**2).mean()])
    beta, *_ = np.linalg.lstsq(X, y.to_numpy(), rcond=None)
    resid = y.to_numpy() - X @ beta
    n_rep = s.replication.nunique()
    dof = len(y) - 2 - n_rep
    from scipy import stats

    sigma2 = float(resid @ resid) / max(dof, 1)
    cov = sigma2 * np.linalg.inv(X.T @ X)
    se2 = math.sqrt(cov[1, 1])
    t = float(stats.t.ppf(0.975, max(dof, 1)))
    b2 = float(beta[1])
    vertex = float(x.mean() - beta[0] / (2 * b2)) if b2 != 0 else float("nan")
    means = s.groupby("x")[ycol].mean()
    xs = sorted(means.index)
    interior = xs[1:-1]
    peak = max(interior, key=lambda v: means[v])
    piv = s.pivot_table(index="replication", columns="x", values=ycol)
    vs_none = paired(piv[peak], piv[xs[0]])
    vs_max = paired(piv[peak], piv[xs[-1]])
    checks = {"quadratic coefficient < 0 (CI)": b2 + t * se2 < 0,
              "vertex is a maximum inside the range": b2 < 0 and xs[0] < vertex < xs[-1],
              "best interior > none (paired CI > 0)": vs_none.positive,
              "best interior > strongest (paired CI > 0)": vs_max.positive}
    return PatternResult(
        key=f"disturbance_{outcome}", title=f"7. Inverted-U disturbance ({outcome})",
        statistic=f"quadratic coefficient of {outcome} on disturbance intensity",
        estimate=b2, ci=(b2 - t * se2, b2 + t * se2), n=len(y),
        effect_size=vs_none.dz, effect_label="d_z (best interior vs none)",
        threshold="coefficient CI < 0 with its vertex inside (0, 0.9); the best interior "
                  "intensity above both ends (paired CIs > 0)",
        verdict=_verdict(checks["quadratic coefficient < 0 (CI)"], checks), checks=checks,
        details={"means_by_intensity": {str(k): float(v) for k, v in means.items()},
                 "vertex": vertex, "peak_intensity": peak,
                 "peak_minus_none": vs_none.as_dict(), "peak_minus_strongest": vs_max.as_dict()},
    )


# --------------------------------------------------------------------------- 8. austerity
def _cut(regime: str) -> float:
    return int(regime.split("_")[1]) / 100.0


def austerity_mechanism(fraction: float = 0.49) -> dict[str, float]:
    """What a council cut of ``fraction`` does to discretionary money, directly from the
    budget rule of the shipped integrated discharge scenario (one step, deterministic)."""
    from diplomacy_sim import api
    from diplomacy_sim.scenario.loader import apply_overrides, load_scenario, scenario_from_dict

    base = load_scenario("integrated_discharge").model_dump(mode="json")
    data = apply_overrides(base, {"shocks": [{"kind": "budget_cut", "at": 0,
                                              "organisations": ["city_council"],
                                              "fraction": fraction}]})
    model = api.build_model(scenario_from_dict(data), seed=1)
    o = model.state.orgs
    disc0 = o.discretionary().copy()
    bud0 = o.budget.copy()
    model.step()
    disc1, bud1 = o.discretionary(), o.budget
    out = {}
    for i, oid in enumerate(o.ids):
        out[f"{oid}_budget_fall"] = float(1 - bud1[i] / bud0[i])
        out[f"{oid}_discretionary_fall"] = float(1 - disc1[i] / disc0[i]) if disc0[i] else 0.0
    return out


def austerity(sw: Sweep, cut_week: int = 13) -> PatternResult:
    """Pattern 8: austerity squeezes discretionary and voluntary-sector capacity first.

    With a 49% cut to the council (the real-terms fall in council central funding,
    2010/11-2017/18), joint work, which lives on discretionary money, should fall by more
    than the cut itself, and by more than user outcomes (statutory services). Statistic: the
    relative loss of mean integration after the cut, 49% cut against no cut (ratio of means
    over seed pairs; bootstrap CI). Checks: the loss is at least 49% (more than
    proportional); it exceeds the relative loss of user outcome; the loss grows with the cut
    (the loss at 49% exceeds the loss at 10%, bootstrap CI above 0).
    """
    s = sw.summaries
    integ = wide(sw, "integration")
    uo = wide(sw, "user_outcome")
    post = [c for c in _steps(integ) if c >= cut_week]
    per = pd.DataFrame({"integ": integ[post].mean(axis=1), "uo": uo[post].mean(axis=1)})
    per = per.join(s.set_index("run_id")[["replication", "shock_regime"]])
    pi = per.pivot_table(index="replication", columns="shock_regime", values="integ")
    pu = per.pivot_table(index="replication", columns="shock_regime", values="uo")

    def rel_loss(mat: pd.DataFrame, reg: str) -> tuple[float, float, float]:
        both = mat[["cut_00", reg]].to_numpy()

        def stat(x: np.ndarray) -> float:
            return float(1 - x[:, 1].mean() / x[:, 0].mean())

        lo, hi = bootstrap_ci(both, stat)
        return stat(both), lo, hi

    losses = {reg: rel_loss(pi, reg) for reg in pi.columns if reg != "cut_00"}
    uo_losses = {reg: rel_loss(pu, reg) for reg in pu.columns if reg != "cut_00"}
    est, lo, hi = losses["cut_49"]
    p49 = paired(pi["cut_49"], pi["cut_00"])
    both = pi[["cut_00", "cut_10", "cut_49"]].to_numpy()

    def graded(x: np.ndarray) -> float:  # loss at 49% minus loss at 10%
        return float(x[:, 1].mean() / x[:, 0].mean() - x[:, 2].mean() / x[:, 0].mean())

    g_lo, g_hi = bootstrap_ci(both, graded)
    checks = {"integration loss >= 49% (more than proportional)": est >= 0.49,
              "integration loss > user-outcome loss": lo > uo_losses["cut_49"][2],
              "loss grows with the cut (49% vs 10%, CI > 0)": g_lo > 0}
    mech = austerity_mechanism(0.49)
    return PatternResult(
        key="austerity", title="8. Austerity squeezes discretionary capacity first",
        statistic="relative loss of mean integration after a 49% council cut (vs no cut)",
        estimate=est, ci=(lo, hi), n=len(pi), effect_size=p49.dz,
        effect_label="d_z (integration, cut - none)",
        threshold="loss >= 0.49 and above the user-outcome loss; larger at 49% than at 10%",
        verdict=_verdict(lo > 0, checks), checks=checks,
        details={"integration_relative_loss": {k: list(v) for k, v in losses.items()},
                 "user_outcome_relative_loss": {k: list(v) for k, v in uo_losses.items()},
                 "integration_diff_49": p49.as_dict(), "mechanism_49": mech,
                 "loss_49_minus_loss_10": [graded(both), g_lo, g_hi]},
    )


# --------------------------------------------------------------------------- 9. inertia
def inertia_and_small_wins(baseline: Sweep, small: Sweep, inertia_level: float = 0.25
                           ) -> PatternResult:
    """Pattern 9: collaborative inertia is the common outcome; small wins start a virtuous
    cycle of trust and commitment (Huxham & Vangen 2005; Ansell & Gash 2008).

    Statistic: the share of runs (command, stewardship and diplomacy on the shipped
    partnership) in collaborative inertia: integration below ``inertia_level`` after three
    years. Checks: inertia is the common outcome (share >= 50%, Wilson CI reported); a small
    win (the reablement service made cheap) raises trust over the last year (paired CI > 0)
    and so the user outcome (paired CI > 0) - the virtuous cycle, beyond the win itself.
    """
    s = baseline.summaries
    act = s[s.doctrine.isin(["command", "stewardship", "diplomacy"])]
    stuck = int((act["integration"] < inertia_level).sum())
    n = len(act)
    share = stuck / n
    lo, hi = wilson(stuck, n)
    sm = small.summaries
    col = "initiatives.reablement.cost"
    tr = wide(small, "trust")
    last = [c for c in _steps(tr) if c >= max(_steps(tr)) - 51]
    sm = sm.assign(trust_last_year=sm.run_id.map(tr[last].mean(axis=1)))
    pt = pair_by(sm, col, "trust_last_year", 0.05, 0.3)
    ptr = paired(pt["a"], pt["b"])
    pu = pair_by(sm, col, "mean_user_outcome", 0.05, 0.3)
    puo = paired(pu["a"], pu["b"])
    pi = pair_by(sm, col, "mean_integration", 0.05, 0.3)
    pin = paired(pi["a"], pi["b"])
    checks = {"inertia in >= 50% of runs": share >= 0.5,
              "small win raises trust (CI > 0)": ptr.positive,
              "small win raises user outcome (CI > 0)": puo.positive}
    return PatternResult(
        key="inertia_small_wins", title="9. Collaborative inertia and small wins",
        statistic=f"share of runs with integration < {inertia_level} at 3 years",
        estimate=share, ci=(lo, hi), n=n, effect_size=cohen_h(share, 0.5),
        effect_label="Cohen's h vs 50%",
        threshold="inertia share >= 0.5; small-win trust and user-outcome gains CI > 0",
        verdict=_verdict(share >= 0.5, checks), checks=checks,
        details={"inertia_share_by_doctrine": {
                     str(d): float((g["integration"] < inertia_level).mean())
                     for d, g in act.groupby("doctrine")},
                 "small_win_trust_last_year": ptr.as_dict(),
                 "small_win_user_outcome": puo.as_dict(),
                 "small_win_integration": pin.as_dict()},
    )


# --------------------------------------------------------------------------- calibration
def promise_tolerance_sensitivity(sw: Sweep, at: int = 104, inertia_level: float = 0.25
                                  ) -> pd.DataFrame:
    """Calibration evidence for the default promise tolerance (calibrated on pattern 2).

    Per promise tolerance, on the diplomacy runs: the pattern-2 statistic (share of runs with
    trust up at two years) and user-outcome change at two years, the pattern-9 statistic
    (share in collaborative inertia at three years), mean integration, and the pattern-3
    statistic (median fall/rise ratio of weekly trust changes), with 95% CIs. Where the sweep
    also has command runs (same seeds), the paired difference in mean integration, command
    minus diplomacy (pattern 6)."""
    s = sw.summaries
    col = "parameters.delivery.promise_tolerance"
    tr, uo, integ = wide(sw, "trust"), wide(sw, "user_outcome"), wide(sw, "integration")
    rows = []
    for _, g_all in s.groupby(col):
        g = g_all[g_all.doctrine == "diplomacy"]
        ids = g.run_id
        up = (tr.loc[ids, at] > tr.loc[ids].iloc[:, 0]).to_numpy()
        stuck = (integ.loc[ids].iloc[:, -1] < inertia_level).to_numpy()
        duo = (uo.loc[ids, at] - uo.loc[ids].iloc[:, 0]).to_numpy()
        m, lo, hi = mean_ci(duo)
        mi, mlo, mhi = mean_ci(g["mean_integration"])
        ratios = _fall_rise_ratios(tr.loc[ids].to_numpy())
        rlo, rhi = bootstrap_ci(ratios, np.median)
        row = {
            "promise_tolerance": float(g[col].iloc[0]), "n": len(g),
            "share_trust_up_2y": float(up.mean()), "trust_up_ci": list(wilson(int(up.sum()), len(g))),
            "share_inertia": float(stuck.mean()),
            "inertia_ci": list(wilson(int(stuck.sum()), len(g))),
            "user_outcome_change_2y": m, "user_outcome_change_ci": [lo, hi],
            "mean_integration": mi, "mean_integration_ci": [mlo, mhi],
            "trust_fall_rise_ratio": float(np.median(ratios)), "trust_fall_rise_ratio_ci": [rlo, rhi],
        }
        if "command" in set(g_all.doctrine):
            pc = pair_by(g_all, "doctrine", "mean_integration", "command", "diplomacy")
            d = paired(pc["a"], pc["b"])
            row["integration_command_minus_diplomacy"] = d.mean
            row["integration_command_minus_diplomacy_ci"] = [d.low, d.high]
            row["integration_command_minus_diplomacy_dz"] = d.dz
        rows.append(row)
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- all, figures
EXPERIMENTS = ("reorganisation", "baseline", "workstreams", "leader_churn", "disturbance",
               "austerity", "small_wins", "doctrine_map_low", "doctrine_map_mid",
               "doctrine_map_high", "promise_tolerance")


EXPERIMENT_DIR = Path(__file__).resolve().parents[3] / "experiments" / "validation"
"""The shipped validation experiments (in a source checkout)."""


def check_runs(runs: str | Path, experiments: Path | None = EXPERIMENT_DIR
               ) -> tuple[list[str], dict[str, Any]]:
    """Whether the sweeps under ``runs`` can be reported together as the current model's.

    Returns the problems (empty when they can: one model fingerprint and one set of
    numerical packages for every folder and session, equal to the code installed here, and
    each experiment's design unchanged since it ran) and a provenance record for
    ``results.json``. Reads only the manifests (and the experiment files, if present).
    """
    from diplomacy_sim.batch.experiment import load_experiment

    runs = Path(runs)
    found = {x: runs / x for x in EXPERIMENTS if (runs / x / "manifest.json").exists()}
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
        for x, folder in found.items():
            if (experiments / f"{x}.yaml").exists() and str(folder) in prov:
                designs[str(folder)] = load_experiment(experiments / f"{x}.yaml").design_sha256
    here = Provenance.here()
    out = bad + problems(prov, here=here, designs_here=designs)
    record = {"consistent": not out, "problems": out, "here": here.as_dict(),
              "sweeps": {k: p.as_dict() for k, p in prov.items()}}
    return out, record


def evaluate(runs: str | Path) -> tuple[dict[str, PatternResult], dict[str, Any],
                                        dict[str, Sweep]]:
    """Every pattern from the sweeps under ``runs`` (one folder per experiment)."""
    runs = Path(runs)
    sw = {x: load_sweep(runs / x) for x in EXPERIMENTS if (runs / x / "manifest.json").exists()}
    res: dict[str, PatternResult] = {}
    if "reorganisation" in sw:
        res["reorganisation_dip"] = reorganisation_dip(sw["reorganisation"])
    if "baseline" in sw:
        res["relational_first"] = relational_before_outcomes(sw["baseline"])
        res["trust_asymmetry"] = trust_asymmetry(sw["baseline"])
        res["doctrines"] = doctrines(sw["baseline"])
    if "leader_churn" in sw:
        res["leader_churn"] = leader_churn(sw["leader_churn"])
    if "workstreams" in sw:
        res["going_cold"] = going_cold(sw["workstreams"])
    if "disturbance" in sw:
        res["disturbance_convergence"] = disturbance_inverted_u(sw["disturbance"])
        res["disturbance_integration"] = disturbance_inverted_u(sw["disturbance"], "integration")
    if "austerity" in sw:
        res["austerity"] = austerity(sw["austerity"])
    if "baseline" in sw and "small_wins" in sw:
        res["inertia_small_wins"] = inertia_and_small_wins(sw["baseline"], sw["small_wins"])
    maps = {d: sw[f"doctrine_map_{d}"] for d in DIVERSITY_ORDER if f"doctrine_map_{d}" in sw}
    dmap = doctrine_map(maps) if maps else {}
    return res, dmap, sw


def _band(ax: Any, mat: pd.DataFrame, label: str, color: str) -> None:
    m = mat.mean(axis=0)
    se = mat.std(axis=0, ddof=1) / np.sqrt(len(mat))
    ax.plot(m.index, m.values, color=color, label=label, lw=1.6)
    ax.fill_between(m.index, m - 1.96 * se, m + 1.96 * se, color=color, alpha=0.2, lw=0)


def figures(res: dict[str, PatternResult], dmap: dict[str, Any], sw: dict[str, Sweep],
            out: str | Path) -> list[Path]:
    """Write one PNG per pattern and the doctrine map into ``out``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    c = {"diplomacy": "#1b7837", "command": "#b2182b", "stewardship": "#2166ac",
         "fatalism": "#777777"}

    def save(fig: Any, name: str) -> None:
        p = out / f"{name}.png"
        fig.tight_layout()
        fig.savefig(p, dpi=80)
        plt.close(fig)
        written.append(p)

    def runs_of(x: str, col: str, **eq: Any) -> pd.DataFrame:
        s = sw[x].summaries
        for k, v in eq.items():
            s = s[s[k] == v]
        return wide(sw[x], col).loc[s.run_id]

    if "reorganisation" in sw:
        fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
        for reg, col in (("none", "#555555"), ("reorganisation", "#b2182b")):
            _band(axes[0], runs_of("reorganisation", "integration", shock_regime=reg), reg, col)
            _band(axes[1], runs_of("reorganisation", "trust", shock_regime=reg), reg, col)
        for ax, t in zip(axes, ("integration", "cross-organisation trust"), strict=True):
            ax.axvline(26, color="k", ls=":", lw=1)
            ax.axvspan(26, 26 + 78, color="#f4a582", alpha=0.15)
            ax.set_xlabel("week")
            ax.set_title(t)
        axes[0].legend(fontsize=8)
        save(fig, "p1_reorganisation")
    if "baseline" in sw:
        fig, axes = plt.subplots(1, 3, figsize=(11, 3.3))
        for col, ax in zip(("trust", "user_outcome", "avoidable_admissions"), axes, strict=True):
            for d in ("command", "stewardship", "diplomacy", "fatalism"):
                _band(ax, runs_of("baseline", col, doctrine=d), d, c[d])
            ax.set_title(col)
            ax.set_xlabel("week")
            ax.axvline(104, color="k", ls=":", lw=1)
        axes[0].legend(fontsize=7)
        save(fig, "p2_relational_first")
        fig, ax = plt.subplots(figsize=(5.5, 3.3))
        dw = np.diff(wide(sw["baseline"], "trust").to_numpy(), axis=1).ravel()
        dw = dw[np.abs(dw) > 1e-3]
        ax.hist(dw, bins=80, color="#4d4d4d")
        ax.set_yscale("log")
        ax.set_xlabel("weekly change of cross-organisation trust (|change| > 0.001)")
        ax.set_ylabel("run-weeks")
        if "trust_asymmetry" in res:
            ax.set_title(f"fall/rise ratio (median over runs) = "
                         f"{res['trust_asymmetry'].estimate:.2f}", fontsize=9)
        save(fig, "p3_trust_asymmetry")
        fig, axes = plt.subplots(1, 3, figsize=(11, 3.3))
        for col, ax in zip(("integration", "pluralism", "engagement"), axes, strict=True):
            for dd in ("command", "stewardship", "diplomacy", "fatalism"):
                _band(ax, runs_of("baseline", col, doctrine=dd), dd, c[dd])
            ax.set_title(col)
            ax.set_xlabel("week")
        axes[0].legend(fontsize=7)
        save(fig, "p6_doctrines")
    if "leader_churn" in res:
        fig, ax = plt.subplots(figsize=(5.5, 3.3))
        det = res["leader_churn"].details
        names = ["integration", "trust", "user_outcome", "engagement"]
        m = [det[f"{o}_diff"]["mean"] for o in names]
        err = [[det[f"{o}_diff"]["mean"] - det[f"{o}_diff"]["ci_low"] for o in names],
               [det[f"{o}_diff"]["ci_high"] - det[f"{o}_diff"]["mean"] for o in names]]
        ax.errorbar(range(4), m, yerr=err, fmt="o", color="#b2182b", capsize=4)
        ax.axhline(0, color="k", lw=0.8)
        ax.set_xticks(range(4), [f"mean {o}" for o in names], fontsize=8)
        ax.set_ylabel("11-month minus 7-year tenure")
        save(fig, "p4_leader_churn")
    if "workstreams" in sw:
        fig, axes = plt.subplots(1, 2, figsize=(9, 3.3))
        cold = "parameters.engagement.cold_after"
        for ws, col in (("parallel", "#1b7837"), ("sequential", "#b2182b")):
            for ca, ls in ((8, "-"), (104, "--")):
                s = sw["workstreams"].summaries
                ids = s[(s.workstreams == ws) & (s[cold] == ca)].run_id
                for ax, o in zip(axes, ("engagement", "integration"), strict=True):
                    mat = wide(sw["workstreams"], o).loc[ids]
                    ax.plot(mat.columns, mat.mean(axis=0), color=col, ls=ls,
                            label=f"{ws}, cold after {ca if ca < 104 else 'never'}")
        for ax, o in zip(axes, ("engagement", "integration"), strict=True):
            ax.set_title(o)
            ax.set_xlabel("week")
        axes[0].legend(fontsize=7)
        save(fig, "p5_going_cold")
    if "disturbance" in sw:
        fig, axes = plt.subplots(1, 2, figsize=(9, 3.3))
        s = sw["disturbance"].summaries.assign(
            x=lambda d: d.shock_regime.map(_intensity),
            convergence=lambda d: 1 - d.mean_pluralism)
        for ax, o in zip(axes, ("convergence", "mean_integration"), strict=True):
            g = s.groupby("x")[o]
            gm: pd.Series = g.mean()
            gse: pd.Series = g.std(ddof=1) / np.sqrt(g.count())
            ax.errorbar(gm.index, gm.values, yerr=1.96 * gse, fmt="o-", capsize=3)
            ax.set_xlabel("disturbance intensity (pulse every 13 weeks)")
            ax.set_title("agenda convergence (1 - mean pluralism)" if o == "convergence"
                         else "mean integration")
        save(fig, "p7_disturbance")
    if "austerity" in sw:
        fig, axes = plt.subplots(1, 2, figsize=(9, 3.3))
        for reg, col in zip(("cut_00", "cut_10", "cut_25", "cut_49"),
                            ("#555555", "#fdb863", "#e66101", "#b2182b"), strict=True):
            _band(axes[0], runs_of("austerity", "integration", shock_regime=reg), reg, col)
        axes[0].set_title("integration")
        axes[0].set_xlabel("week")
        axes[0].legend(fontsize=7)
        if "austerity" in res:
            det = res["austerity"].details
            xs = [0.10, 0.25, 0.49]
            for key, lab, col in (("integration_relative_loss", "integration", "#b2182b"),
                                  ("user_outcome_relative_loss", "user outcome", "#2166ac")):
                v = [det[key][f"cut_{int(x * 100):02d}"] for x in xs]
                axes[1].errorbar(xs, [a[0] for a in v], fmt="o-", color=col, label=lab,
                                 yerr=[[a[0] - a[1] for a in v], [a[2] - a[0] for a in v]],
                                 capsize=3)
            axes[1].plot([0, 0.5], [0, 0.5], "k:", lw=1, label="proportional")
            axes[1].set_xlabel("cut to council budget")
            axes[1].set_ylabel("relative loss after the cut")
            axes[1].legend(fontsize=7)
        save(fig, "p8_austerity")
    if "small_wins" in sw:
        fig, axes = plt.subplots(1, 2, figsize=(9, 3.3))
        col = "initiatives.reablement.cost"
        for cost, colr, lab in ((0.3, "#555555", "as shipped"), (0.05, "#1b7837", "small win")):
            for ax, o in zip(axes, ("trust", "integration"), strict=True):
                _band(ax, runs_of("small_wins", o, **{col: cost}), lab, colr)
        for ax, o in zip(axes, ("trust", "integration"), strict=True):
            ax.set_title(o)
            ax.set_xlabel("week")
        axes[0].legend(fontsize=7)
        save(fig, "p9_small_wins")
    if "promise_tolerance" in sw:
        cal = promise_tolerance_sensitivity(sw["promise_tolerance"])
        default = float(DeliveryParams().promise_tolerance)
        fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
        x = cal["promise_tolerance"]

        def bars(key: str, ci: str) -> np.ndarray:
            y = cal[key]
            return np.clip([[y[i] - cal[ci][i][0], cal[ci][i][1] - y[i]]
                            for i in range(len(y))], 0, None).T

        ax = axes[0]
        for key, ci, lab, colr in (
            ("share_trust_up_2y", "trust_up_ci", "trust up at 2 years (pattern 2)", "#1b7837"),
            ("share_inertia", "inertia_ci", "inertia at 3 years (pattern 9)", "#b2182b"),
            ("mean_integration", "mean_integration_ci", "mean integration", "#2166ac"),
        ):
            ax.errorbar(x, cal[key], yerr=bars(key, ci), fmt="o-", capsize=3, label=lab,
                        color=colr)
        ax.axhline(0.9, color="#1b7837", ls=":", lw=0.8)
        ax.axhline(0.5, color="#b2182b", ls=":", lw=0.8)
        ax.set_ylabel("share of runs / integration (diplomacy)")
        ax.set_title("patterns 2 and 9 (dotted: NAO 90%, inertia 50%)", fontsize=9)
        ax.legend(fontsize=7)
        if "integration_command_minus_diplomacy" in cal:
            axes[1].errorbar(x, cal["integration_command_minus_diplomacy"],
                             yerr=bars("integration_command_minus_diplomacy",
                                       "integration_command_minus_diplomacy_ci"),
                             fmt="o-", capsize=3, color="#b2182b")
            axes[1].axhline(0, color="k", lw=0.8)
        axes[1].set_title("pattern 6: mean integration, command - diplomacy", fontsize=9)
        axes[2].errorbar(x, cal["trust_fall_rise_ratio"],
                         yerr=bars("trust_fall_rise_ratio", "trust_fall_rise_ratio_ci"),
                         fmt="o-", capsize=3, color="#4d4d4d")
        axes[2].axhspan(3, 5, color="#f4a582", alpha=0.25, lw=0)
        axes[2].set_title("pattern 3: trust fall/rise ratio (shaded: Slovic 3-5)", fontsize=9)
        for ax in axes:
            ax.axvline(default, color="k", ls=":", lw=1)
            ax.set_xlabel(f"promise tolerance (default {default:g}, dotted)")
        save(fig, "calibration_promise_tolerance")
    if dmap:
        cells = pd.DataFrame(dmap["cells"])
        divs = [d for d in DIVERSITY_ORDER if d in set(cells.diversity)]
        regs = [r for r in REGIME_ORDER if r in set(cells.regime)]
        grid = np.full((len(divs), len(regs)), np.nan)
        ann = [["" for _ in regs] for _ in divs]
        for _, r in cells.iterrows():
            i, j = divs.index(r.diversity), regs.index(r.regime)
            grid[i, j] = r["mean"]
            star = "*" if r.ci_low > 0 or r.ci_high < 0 else ""
            ann[i][j] = f"{r['mean']:+.3f}{star}\n[{r.ci_low:+.3f}, {r.ci_high:+.3f}]"
        fig = plt.figure(figsize=(12, 4.2))
        ax = fig.add_subplot(1, 2, 1)
        lim = float(np.nanmax(np.abs(grid))) or 0.01
        im = ax.imshow(grid, cmap="RdYlGn", vmin=-lim, vmax=lim, aspect="auto")
        for i in range(len(divs)):
            for j in range(len(regs)):
                ax.text(j, i, ann[i][j], ha="center", va="center", fontsize=7)
        ax.set_xticks(range(len(regs)), [REGIME_LABELS.get(r, r) for r in regs], fontsize=8)
        ax.set_yticks(range(len(divs)), [f"{d} diversity" for d in divs])
        ax.set_xlabel("shock regime")
        ax.set_title("diplomacy minus best of command/stewardship\n(mean integration; * CI "
                     "excludes 0)", fontsize=9)
        fig.colorbar(im, ax=ax, fraction=0.046)
        ax2 = fig.add_subplot(1, 2, 2)
        for k, (label, f) in enumerate(dmap["factors"].items()):
            t = f["terciles"]
            xpos = np.arange(len(t)) + (k - 1.5) * 0.12
            ax2.errorbar(xpos, [r["mean"] for r in t],
                         yerr=[[r["mean"] - r["ci_low"] for r in t],
                               [r["ci_high"] - r["mean"] for r in t]],
                         fmt="o-", capsize=3, label=label)
        ax2.axhline(0, color="k", lw=0.8)
        ax2.set_xticks(range(3), ["low third", "middle third", "high third"])
        ax2.set_title("advantage along authorising and network factors", fontsize=9)
        ax2.legend(fontsize=7)
        save(fig, "doctrine_map")
    return written


def main(argv: list[str] | None = None) -> int:
    """``python -m diplomacy_sim.analysis.validation RUNS_DIR DOCS_DIR``."""
    parser = argparse.ArgumentParser(
        prog="python -m diplomacy_sim.analysis.validation",
        description="Evaluate every validation pattern on the sweeps under RUNS_DIR and write "
                    "DOCS_DIR/figures/validation (figures and results.json).")
    parser.add_argument("runs", metavar="RUNS_DIR", type=Path,
                        help="one results folder per experiment of experiments/validation")
    parser.add_argument("docs", metavar="DOCS_DIR", type=Path)
    parser.add_argument("--experiments", metavar="DIR", type=Path, default=EXPERIMENT_DIR,
                        help="the experiment files the sweeps ran (default: the shipped "
                             "experiments/validation); a sweep whose design differs from its "
                             "file's is reported")
    parser.add_argument("--accept-mixed-code", action="store_true",
                        help="write the results even when the sweeps do not all come from "
                             "the model code here (the problems are recorded in results.json)")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    runs, docs = args.runs, args.docs
    if not runs.is_dir():
        print(f"{runs}: no such folder (run the sweeps first: see docs/validation.md).",
              file=sys.stderr)
        return 2
    trouble, record = check_runs(runs, args.experiments)
    if trouble:
        print(f"{runs}: the sweeps cannot be reported together as this model's results:",
              file=sys.stderr)
        for t in trouble:
            print(f"  - {t}", file=sys.stderr)
        if not args.accept_mixed_code:
            print(f"Nothing was written to {docs}. Re-run the sweeps named above, each into an "
                  "empty folder (docs/validation.md, 'How to reproduce'), or pass "
                  "--accept-mixed-code to write anyway with these problems recorded in "
                  "results.json.", file=sys.stderr)
            return 1
    res, dmap, sw = evaluate(runs)
    out = docs / "figures" / "validation"
    written = figures(res, dmap, sw, out)
    cal = (promise_tolerance_sensitivity(sw["promise_tolerance"]).to_dict(orient="records")
           if "promise_tolerance" in sw else [])
    payload = {"patterns": {k: v.to_dict() for k, v in res.items()},
               "calibration_promise_tolerance": _jsonable(cal),
               "doctrine_map": _jsonable(dmap),
               "runs": {k: len(v.summaries) for k, v in sw.items()},
               "provenance": record}
    (out / "results.json").write_text(json.dumps(payload, indent=1) + "\n")
    for r in res.values():
        print(r.line())
    for row in cal:
        print("promise tolerance:", _jsonable(row))
    if dmap:
        print("doctrine map overall:", _jsonable(dmap["overall"]))
        for cell in dmap["cells"]:
            print("  ", _jsonable(cell))
        for k, f in dmap["factors"].items():
            print("  ", k, _jsonable(f))
    for p in written:
        print(f"wrote {p} ({p.stat().st_size // 1024} KB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
