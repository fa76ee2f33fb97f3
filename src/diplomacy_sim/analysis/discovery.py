"""Scenario discovery on a sweep: which conditions lead to an outcome of interest (PRIM).

``diplomacy-sim analyse DIR --discover "integration < 0.2"`` marks each run that meets
the condition. ``--discover "winner == diplomacy"`` marks each cell where that doctrine
did best. EMA Workbench's PRIM (``ema_workbench.analysis.prim``, the ``ema`` extra) then
looks for boxes in the sweep's factors where those cases concentrate. The report gives each
box's coverage (the share of all cases of interest inside the box), its density (the share
of the box's runs that are cases) and mass, the restricted dimensions with their bounds
and quasi-p-values, and the peeling trajectory.

The condition is parsed by :func:`parse`, a small hand-written parser over a fixed grammar
(never ``eval``):

    query   := clause (("and" | "or") clause)*        "and" binds tighter than "or"
    clause  := OUTCOME OP NUMBER                      e.g.  integration < 0.2
             | "winner" ["by" OUTCOME] ("==" | "!=") DOCTRINE
    OUTCOME := one of the outcome names, or mean_<outcome> (the mean over the run)
    OP      := <  <=  >  >=  ==  !=
    DOCTRINE:= command | stewardship | diplomacy | fatalism

A ``winner`` clause stands alone: its unit is a cell, not a run. A cell is one combination
of every factor except the doctrine, with one replication; with ``seeds: common`` its
doctrines share the seed. In a cell the winner is the doctrine with strictly the best value
of the outcome (``mean_integration`` unless ``by`` says otherwise, as in the validation's
doctrine map). Best is the highest value, except for outcomes where lower is better
(:data:`LOWER_IS_BETTER`). A tie has no winner.

The factors PRIM searches are what the sweep varies: the base scenario, the doctrine (for
run conditions), the shock regime, the grid factors and the sampled parameters (from
design.json). Text factors are categorical dimensions, and numbers are ranges.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from diplomacy_sim.domain.outcomes import OUTCOMES
from diplomacy_sim.scenario.loader import ScenarioError

DOCTRINES = ("command", "stewardship", "diplomacy", "fatalism")
OUTCOME_NAMES = (*OUTCOMES, *(f"mean_{o}" for o in OUTCOMES))
LOWER_IS_BETTER = frozenset(
    name for o in ("avoidable_admissions", "delayed_discharges", "strain", "avoidance")
    for name in (o, f"mean_{o}"))
"""Outcomes where a lower value is the better one (for ``winner``)."""
WINNER_DEFAULT = "mean_integration"
OPERATORS = ("<=", ">=", "==", "!=", "<", ">")
MAX_QUERY_CHARS = 300
MAX_CLAUSES = 8
MAX_BOXES = 3
SOURCE = "--discover"
_TOKEN = re.compile(r"\s*(?:(?P<num>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)"
                    r"|(?P<op><=|>=|==|!=|<|>)|(?P<word>[A-Za-z_][A-Za-z0-9_]*))")
ALLOWED = (f"a condition such as `integration < 0.2`, `mean_trust >= 0.4 and strain > 0.3` "
           f"or `winner == diplomacy` (`winner by user_outcome == diplomacy`); outcomes: "
           f"{', '.join(OUTCOME_NAMES)}; operators: {' '.join(OPERATORS)}; joined by `and` / "
           f"`or`; doctrines: {', '.join(DOCTRINES)}")


@dataclass(frozen=True)
class Clause:
    outcome: str
    op: str
    value: float


@dataclass(frozen=True)
class Winner:
    doctrine: str
    by: str = WINNER_DEFAULT
    negate: bool = False


@dataclass(frozen=True)
class Query:
    """A parsed condition: clauses in disjunctive form (an OR of ANDs), or one winner test."""

    text: str
    any_of: tuple[tuple[Clause, ...], ...] = ()
    winner: Winner | None = None

    @property
    def unit(self) -> Literal["run", "cell"]:
        return "cell" if self.winner is not None else "run"


def _bad(problem: str) -> ScenarioError:
    return ScenarioError(SOURCE, [f"{problem}; allowed: {ALLOWED}."])


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise _bad(f"cannot read `{text[pos:pos + 20].strip()}` (at character {pos + 1})")
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


def parse(text: str) -> Query:
    """The condition ``text`` as a :class:`Query`, or a :class:`ScenarioError` saying what
    is allowed (the CLI turns it into exit code 2)."""
    if not isinstance(text, str) or not text.strip():
        raise _bad("the condition is empty")
    if len(text) > MAX_QUERY_CHARS:
        raise _bad(f"the condition is {len(text)} characters long (at most {MAX_QUERY_CHARS})")
    toks = _tokens(text)
    i = 0

    def take(kind: str | None = None, what: str = "") -> str:
        nonlocal i
        if i >= len(toks):
            raise _bad(f"the condition ends early: expected {what}")
        k, v = toks[i]
        if kind is not None and k != kind:
            raise _bad(f"expected {what}, found `{v}`")
        i += 1
        return v

    if toks and toks[0] == ("word", "winner"):
        i = 1
        by = WINNER_DEFAULT
        if i < len(toks) and toks[i] == ("word", "by"):
            i += 1
            by = take("word", "an outcome name after `by`")
            if by not in OUTCOME_NAMES:
                raise _bad(f"`{by}` is not an outcome")
        op = take("op", "`==` or `!=` after `winner`")
        if op not in ("==", "!="):
            raise _bad(f"`winner` takes `==` or `!=`, not `{op}`")
        d = take("word", "a doctrine")
        if d not in DOCTRINES:
            raise _bad(f"`{d}` is not a doctrine")
        if i != len(toks):
            raise _bad("a `winner` condition stands alone (its unit is a cell of doctrines, "
                       "not a run)")
        return Query(text, winner=Winner(d, by, negate=op == "!="))

    groups: list[list[Clause]] = [[]]
    n = 0
    while True:
        name = take("word", "an outcome name")
        if name == "winner":
            raise _bad("a `winner` condition stands alone and comes first")
        if name not in OUTCOME_NAMES:
            raise _bad(f"`{name}` is not an outcome")
        op = take("op", f"an operator after `{name}`")
        raw = take("num", f"a number after `{name} {op}`")
        value = float(raw)
        if not math.isfinite(value):
            raise _bad(f"`{raw}` is not a finite number")
        groups[-1].append(Clause(name, op, value))
        n += 1
        if n > MAX_CLAUSES:
            raise _bad(f"more than {MAX_CLAUSES} comparisons")
        if i == len(toks):
            break
        joiner = take("word", "`and` or `or`")
        if joiner == "or":
            groups.append([])
        elif joiner != "and":
            raise _bad(f"expected `and` or `or`, found `{joiner}`")
    return Query(text, any_of=tuple(tuple(g) for g in groups))


_COMPARE = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal,
            "==": np.equal, "!=": np.not_equal}


def run_cases(query: Query, runs: pd.DataFrame) -> np.ndarray:
    """Which runs meet an outcome condition (boolean, one per row of ``runs``)."""
    out = np.zeros(len(runs), dtype=bool)
    for group in query.any_of:
        hit = np.ones(len(runs), dtype=bool)
        for c in group:
            hit &= _COMPARE[c.op](runs[c.outcome].to_numpy(dtype=float), c.value)
        out |= hit
    return out


# --------------------------------------------------------------------------- factors
def factor_table(runs: pd.DataFrame, manifest: dict[str, Any], design: dict[str, Any],
                 with_doctrine: bool = True) -> pd.DataFrame:
    """The sweep's varying factors, one row per run (text as categories, numbers as is)."""
    cols: dict[str, pd.Series] = {}
    names = ["base", "doctrine", "shock_regime", *manifest.get("factor_columns", {})]
    for c in dict.fromkeys(names):
        if c == "doctrine" and not with_doctrine:
            continue
        if c in runs and runs[c].nunique(dropna=False) > 1:
            cols[c] = runs[c]
    problem = design.get("problem") or {}
    if problem.get("names") and "sample" in design and "point" in runs:
        sample = np.asarray(design["sample"], dtype=float)
        points = runs["point"].to_numpy(dtype=int)
        for j, name in enumerate(problem["names"]):
            cols[name] = pd.Series(sample[points, j], index=runs.index)
    x = pd.DataFrame(cols, index=runs.index)
    for c in x.columns:
        if x[c].dtype == bool or not pd.api.types.is_numeric_dtype(x[c]):
            x[c] = pd.Categorical(x[c].astype(str))
        else:
            x[c] = x[c].astype(float)
    return x.reset_index(drop=True)


def cell_winners(runs: pd.DataFrame, winner: Winner, keys: list[str]) -> pd.DataFrame:
    """One row per cell (``keys`` + replication): its factors and whether ``winner.doctrine``
    did strictly best on ``winner.by`` (a tie: no winner)."""
    piv = runs.pivot_table(index=[*keys, "replication"], columns="doctrine",
                           values=winner.by, observed=True).dropna()
    doctrines = [d for d in DOCTRINES if d in piv.columns]
    if winner.doctrine not in doctrines:
        raise _bad(f"the sweep has no `{winner.doctrine}` runs (its doctrines: "
                   f"{', '.join(doctrines) or 'none'})")
    if len(doctrines) < 2:
        raise _bad("the sweep has one doctrine: no doctrine can win against another")
    arr = piv[doctrines].to_numpy(dtype=float)
    if winner.by in LOWER_IS_BETTER:
        arr = -arr
    top = arr.max(axis=1, keepdims=True)
    at_top = np.isclose(arr, top, rtol=0, atol=1e-12)
    single = at_top.sum(axis=1) == 1
    wins = at_top[:, doctrines.index(winner.doctrine)] & single
    cells = piv.index.to_frame(index=False)
    cells["case"] = ~wins if winner.negate else wins
    return cells


# --------------------------------------------------------------------------- PRIM
@dataclass
class Box:
    """One PRIM box: where it sits on its peeling trajectory and what it restricts."""

    index: int
    coverage: float
    density: float
    mass: float
    n: int
    k: int
    restricted: list[dict[str, Any]]
    trajectory: pd.DataFrame = field(repr=False)
    prim_box: Any = field(default=None, repr=False)
    """EMA's PrimBox (for its figures)."""


@dataclass
class Discovery:
    query: Query
    unit: str
    n: int
    cases: int
    factors: list[str]
    boxes: list[Box]
    note: str = ""
    figures: list[tuple[str, str]] = field(default_factory=list)


def _bounds(value_min: Any, value_max: Any) -> str:
    if isinstance(value_min, set | frozenset):
        return "in {" + ", ".join(sorted(map(str, value_min))) + "}"
    return f"{float(value_min):.4g} to {float(value_max):.4g}"


def box_data(box: Any, i: int | None = None) -> tuple[pd.Series, list[dict[str, Any]]]:
    """A PrimBox's statistics and restricted dimensions at trajectory point ``i`` (default:
    the current box), from its ``peeling_trajectory``, ``box_lims`` and ``p_values``.

    What ``PrimBox.inspect(style="data")`` gives, read directly: in EMA Workbench 3.0 under
    pandas 3.1 that method fails on a restricted categorical dimension (it writes a set into
    a float column).
    """
    i = int(box._cur_box) if i is None else i
    stats = box.peeling_trajectory.iloc[i]
    lims, start = box.box_lims[i], box.box_lims[0]
    qp = box.p_values[i] if i < len(box.p_values) else {}
    restricted = []
    for dim in lims.columns:
        lo, hi = lims[dim].iloc[0], lims[dim].iloc[1]
        lo0, hi0 = start[dim].iloc[0], start[dim].iloc[1]
        if isinstance(lo, set | frozenset):
            if set(lo) == set(lo0):
                continue
        elif float(lo) == float(lo0) and float(hi) == float(hi0):
            continue
        ps = [float(v) for v in qp.get(dim, []) if v is not None and float(v) >= 0]
        restricted.append({"dimension": str(dim), "bounds": _bounds(lo, hi), "low": lo,
                           "high": hi, "qp": min(ps) if ps else float("nan")})
    return stats, restricted


def prim_boxes(x: pd.DataFrame, y: np.ndarray, max_boxes: int = MAX_BOXES,
               mass_min: float = 0.05, peel_alpha: float = 0.05) -> list[Box]:
    """EMA Workbench's PRIM on (x, y): up to ``max_boxes`` boxes.

    Each box is the point of its peeling trajectory that best balances coverage and
    density: the highest harmonic mean of the two (the F1 score of the box as a classifier
    of the cases). The end of the trajectory is the densest box, but peeling there has
    often cut into the region of interest to shed a few noisy runs. That point is selected
    (``PrimBox.select``) before the next box is sought among the runs left outside. A box
    no denser than the share of cases among all rows says nothing and is not kept.
    """
    from diplomacy_sim.ema import quiet, require_ema

    require_ema()
    with quiet():
        from ema_workbench.analysis import prim

        p = prim.Prim(x.copy(), np.asarray(y, dtype=bool), peel_alpha=peel_alpha,
                      mass_min=mass_min)
    base_rate = float(np.mean(y))
    boxes: list[Box] = []
    for i in range(max_boxes):
        with quiet():
            box = p.find_box()
        if box is None:
            break
        traj = box.peeling_trajectory
        cov, dens = traj["coverage"].to_numpy(float), traj["density"].to_numpy(float)
        f1 = np.divide(2 * cov * dens, cov + dens, out=np.zeros_like(cov), where=cov + dens > 0)
        with quiet():
            box.select(int(np.argmax(f1)))
        if float(box.density) <= base_rate:
            break
        stats, restricted = box_data(box)
        boxes.append(Box(i + 1, float(stats["coverage"]), float(stats["density"]),
                         float(stats["mass"]), int(stats["n"]), int(stats["k"]), restricted,
                         box.peeling_trajectory.copy(), box))
    return boxes


def discover(res: Any, text: str) -> Discovery:
    """Parse ``text`` and run PRIM over the sweep ``res`` (:class:`report.Results`)."""
    query = parse(text)
    runs = res.summaries[res.summaries["status"] == "ok"].reset_index(drop=True)
    needed = ([query.winner.by] if query.winner is not None
              else [c.outcome for g in query.any_of for c in g])
    for name in dict.fromkeys(needed):
        if name not in runs:
            raise ScenarioError(SOURCE, [f"the sweep has no `{name}` column; its outcomes: "
                                         + ", ".join(c for c in OUTCOME_NAMES if c in runs)
                                         + "."])
    if runs.empty:
        raise ScenarioError(SOURCE, ["the sweep has no successful runs to search."])
    if query.winner is None:
        x = factor_table(runs, res.manifest, res.design)
        y = run_cases(query, runs)
        unit = "run"
    else:
        xr = factor_table(runs, res.manifest, res.design, with_doctrine=False)
        keys = list(xr.columns) + (["point"] if "point" in runs and "point" not in xr else [])
        joined = pd.concat([runs[["doctrine", "replication", query.winner.by]]
                            .reset_index(drop=True), xr], axis=1)
        if "point" in keys:
            joined["point"] = runs["point"].to_numpy()
        if not keys:
            joined["_all"] = 0
            keys = ["_all"]
        cells = cell_winners(joined, query.winner, keys)
        x = cells[[c for c in xr.columns]].copy()
        for c in x.columns:
            if isinstance(xr[c].dtype, pd.CategoricalDtype):
                x[c] = pd.Categorical(x[c].astype(str))
        y = cells["case"].to_numpy(dtype=bool)
        unit = "cell"
    found = Discovery(query, unit, len(y), int(y.sum()), list(x.columns), [])
    if x.shape[1] == 0:
        found.note = "the sweep varies no factor: there is nothing for PRIM to restrict."
    elif found.cases == 0:
        found.note = f"no {unit} meets the condition."
    elif found.cases == found.n:
        found.note = f"every {unit} meets the condition: no box can be denser than the whole."
    else:
        found.boxes = prim_boxes(x, y)
        if not found.boxes:
            found.note = "PRIM found no box denser than the sweep as a whole."
    return found


def figures(found: Discovery, out: Path) -> list[tuple[str, str]]:
    """The peeling trajectory and the coverage-density trade-off of each box (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    from diplomacy_sim.ema import quiet

    names: list[tuple[str, str]] = []
    for b in found.boxes:
        box = b.prim_box
        if box is None:
            continue
        for kind, draw in (("peeling", box.show_ppt), ("tradeoff", box.show_tradeoff)):
            with quiet():
                fig = draw()
            name = f"discovery_box{b.index}_{kind}.png"
            fig.savefig(out / name, dpi=110, bbox_inches="tight")
            plt.close(fig)
            names.append((name, f"PRIM box {b.index}: "
                          + ("peeling trajectory" if kind == "peeling"
                             else "coverage-density trade-off")))
    found.figures = names
    return names
