"""Scenario discovery: a safe condition grammar, PRIM (EMA's) that recovers a planted box,
doctrine winners per cell, and `analyse --discover` in the report and on the command line."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from diplomacy_sim.analysis import discovery as dsc
from diplomacy_sim.analysis.report import Results
from diplomacy_sim.cli import main
from diplomacy_sim.scenario.loader import ScenarioError


# --------------------------------------------------------------------------- grammar
def test_conditions_parse_into_an_or_of_ands() -> None:
    q = dsc.parse("integration < 0.2 and mean_trust >= 4e-1 or strain != 0")
    assert q.unit == "run"
    assert q.any_of == ((dsc.Clause("integration", "<", 0.2), dsc.Clause("mean_trust", ">=", 0.4)),
                        (dsc.Clause("strain", "!=", 0.0),))
    w = dsc.parse("winner == diplomacy")
    assert w.unit == "cell" and w.winner == dsc.Winner("diplomacy", "mean_integration")
    assert dsc.parse("winner by strain != command").winner == dsc.Winner("command", "strain", True)


@pytest.mark.parametrize("text, says", [
    ("", "empty"),
    ("integration <", "ends early"),
    ("integration 0.2", "expected an operator"),
    ("cohesion < 0.2", "`cohesion` is not an outcome"),
    ("integration < high", "expected a number"),
    ("integration < 1e999", "not a finite number"),
    ("integration < 0.2 xor trust > 1", "expected `and` or `or`"),
    ("winner == bob", "`bob` is not a doctrine"),
    ("winner < diplomacy", "takes `==` or `!=`"),
    ("winner == diplomacy and integration < 0.2", "stands alone"),
    ("integration < 0.2 and winner == diplomacy", "stands alone"),
    ("__import__('os').system('true')", "cannot read"),
    ("integration < 0.2; trust > 0", "cannot read"),
    ("x" * 400, "characters long"),
    (" and ".join(["trust > 0"] * 9), "more than 8"),
])
def test_a_bad_condition_names_what_is_allowed(text: str, says: str) -> None:
    with pytest.raises(ScenarioError) as err:
        dsc.parse(text)
    message = str(err.value)
    assert says in message
    assert "allowed:" in message and "integration" in message and "diplomacy" in message


def test_run_cases_follow_the_condition() -> None:
    runs = pd.DataFrame({"integration": [0.1, 0.3, 0.1, 0.5], "trust": [0.9, 0.9, 0.1, 0.1]})
    q = dsc.parse("integration < 0.2 and trust > 0.5 or integration >= 0.5")
    assert dsc.run_cases(q, runs).tolist() == [True, False, False, True]


# --------------------------------------------------------------------------- PRIM
def _planted(n: int = 2000, seed: int = 11) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = pd.DataFrame({
        "a": rng.uniform(0, 1, n), "b": rng.uniform(0, 10, n), "c": rng.uniform(-1, 1, n),
        "regime": pd.Categorical(rng.choice(["calm", "cut", "surge"], n)),
    })
    inside = ((x.a > 0.6) & (x.b < 4.0) & (x.regime != "surge")).to_numpy()
    noise = rng.uniform(0, 1, n) < 0.02  # a few cases outside, a few misses inside
    return x, inside, inside ^ noise


def test_prim_recovers_a_planted_box() -> None:
    x, inside, y = _planted()
    planted_coverage = (inside & y).sum() / y.sum()  # the best any box can do, given noise
    planted_density = y[inside].mean()
    boxes = dsc.prim_boxes(x, y, max_boxes=1)
    assert len(boxes) == 1
    box = boxes[0]
    assert box.coverage > 0.8 and box.density > 0.9
    assert box.coverage == pytest.approx(planted_coverage, abs=0.05)
    assert box.density == pytest.approx(planted_density, abs=0.05)
    dims = {r["dimension"]: r for r in box.restricted}
    assert set(dims) == {"a", "b", "regime"}  # c is noise: left free
    assert dims["a"]["low"] == pytest.approx(0.6, abs=0.05)
    assert dims["b"]["high"] == pytest.approx(4.0, abs=0.5)
    assert set(dims["regime"]["low"]) == {"calm", "cut"}
    assert dims["regime"]["bounds"] == "in {calm, cut}"
    assert all(r["qp"] < 0.05 for r in box.restricted)


def _sweep(n_points: int = 400, seed: int = 5) -> Results:
    """A synthetic results folder's content: a sampled design (two parameters) x two
    doctrines x two regimes. Diplomacy integrates better than command, except in a planted
    box (high trust loss, under the cut), where its integration collapses."""
    rng = np.random.default_rng(seed)
    names = ["parameters.trust.loss_ratio", "parameters.influence.openness"]
    sample = np.column_stack([rng.uniform(1, 8, n_points), rng.uniform(0, 1, n_points)])
    rows = []
    run_id = 0
    for point in range(n_points):
        loss, openness = sample[point]
        for regime in ("calm", "cut"):
            for doctrine in ("command", "diplomacy"):
                low = doctrine == "diplomacy" and loss > 5.0 and regime == "cut"
                integ = (rng.uniform(0.0, 0.15) if low else rng.uniform(0.5, 0.9)
                         if doctrine == "diplomacy" else rng.uniform(0.2, 0.45))
                rows.append({"run_id": run_id, "base": "integrated_discharge", "seed": point,
                             "replication": 0, "point": point, "doctrine": doctrine,
                             "shock_regime": regime, "status": "ok", "integration": integ,
                             "mean_integration": integ, "trust": openness,
                             "mean_trust": openness})
                run_id += 1
    manifest = {"factor_columns": {}, "sampler": {"method": "lhs"}}
    design = {"problem": {"names": names, "num_vars": 2}, "sample": sample.tolist()}
    return Results(manifest, design, pd.DataFrame(rows), None)


def test_discovery_on_a_sweep_finds_where_integration_collapses() -> None:
    found = dsc.discover(_sweep(), "integration < 0.2")
    assert found.unit == "run" and found.n == 1600
    assert found.factors == ["doctrine", "shock_regime", "parameters.trust.loss_ratio",
                             "parameters.influence.openness"]
    box = found.boxes[0]
    dims = {r["dimension"]: r for r in box.restricted}
    assert set(dims) == {"doctrine", "shock_regime", "parameters.trust.loss_ratio"}
    assert set(dims["doctrine"]["low"]) == {"diplomacy"}
    assert set(dims["shock_regime"]["low"]) == {"cut"}
    assert dims["parameters.trust.loss_ratio"]["low"] == pytest.approx(5.0, abs=0.3)
    assert box.coverage > 0.9 and box.density > 0.9


def test_a_doctrine_winning_is_found_per_cell() -> None:
    found = dsc.discover(_sweep(), "winner == command")  # command wins where diplomacy collapses
    assert found.unit == "cell" and found.n == 800  # points x regimes, one replication
    assert "doctrine" not in found.factors
    dims = {r["dimension"]: r for r in found.boxes[0].restricted}
    assert set(dims) == {"shock_regime", "parameters.trust.loss_ratio"}
    assert dims["parameters.trust.loss_ratio"]["low"] == pytest.approx(5.0, abs=0.3)
    assert found.boxes[0].density > 0.9


def test_an_outcome_the_sweep_did_not_keep_is_refused() -> None:
    with pytest.raises(ScenarioError, match="has no `strain` column"):
        dsc.discover(_sweep(n_points=10), "winner by strain == command")
    with pytest.raises(ScenarioError, match="has no `user_outcome` column"):
        dsc.discover(_sweep(n_points=10), "user_outcome < 0.5")


def test_winner_needs_the_doctrine_and_a_rival() -> None:
    res = _sweep(n_points=20)
    with pytest.raises(ScenarioError, match="no `stewardship` runs"):
        dsc.discover(res, "winner == stewardship")
    one = Results(res.manifest, res.design, res.summaries[res.summaries.doctrine == "command"],
                  None)
    with pytest.raises(ScenarioError, match="one doctrine"):
        dsc.discover(one, "winner == command")


def test_lower_is_better_outcomes_win_by_their_lowest_value() -> None:
    runs = pd.DataFrame({"doctrine": ["command", "diplomacy"] * 2, "replication": [0, 0, 1, 1],
                         "cell": [0, 0, 1, 1], "strain": [0.5, 0.2, 0.1, 0.3]})
    cells = dsc.cell_winners(runs, dsc.Winner("diplomacy", "strain"), ["cell"])
    assert cells["case"].tolist() == [True, False]


# --------------------------------------------------------------------------- report and CLI
@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("sweep") / "smoke"
    done = CliRunner().invoke(main, ["sweep", "smoke", "--out", str(out), "--workers", "0",
                                     "--quiet"])
    assert done.exit_code == 0, done.output
    return out


def test_analyse_discover_writes_the_boxes_and_the_peeling_trajectory(smoke, tmp_path) -> None:
    summaries = pd.read_parquet(smoke / "summaries")
    cut = float(summaries["integration"].median())
    report = tmp_path / "report"
    done = CliRunner().invoke(main, ["analyse", str(smoke), "--out", str(report),
                                     "--discover", f"integration < {cut}"])
    assert done.exit_code == 0, done.output
    text = (report / "report.md").read_text()
    section = text.split("## Scenario discovery (PRIM)")[1]
    n = int((summaries["integration"] < cut).sum())
    assert f"Condition `integration < {cut}`: {n} of 24 runs meet it" in section
    assert "| box | coverage | density | mass |" in section
    assert "| dimension | bounds | quasi-p |" in section
    assert (report / "discovery_box1_peeling.png").read_bytes()[:4] == b"\x89PNG"
    assert "discovery_box1_peeling.png" in section

    done = CliRunner().invoke(main, ["analyse", str(smoke), "--out", str(report),
                                     "--discover", "winner == diplomacy", "--format", "html"])
    assert done.exit_code == 0, done.output
    html = (report / "report.html").read_text()
    assert "Scenario discovery (PRIM)" in html and "of 12 cells" in html


def test_a_bad_condition_exits_2_before_any_work(smoke, tmp_path) -> None:
    report = tmp_path / "r"
    done = CliRunner().invoke(main, ["analyse", str(smoke), "--out", str(report),
                                     "--discover", "open('/etc/passwd')"])
    assert done.exit_code == 2
    assert "--discover" in done.output and "allowed:" in done.output
    assert "Traceback" not in done.output
    assert not report.exists()


def test_without_the_extra_the_message_names_it(smoke, tmp_path, monkeypatch) -> None:
    for name in [m for m in sys.modules if m == "ema_workbench" or m.startswith("ema_workbench.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "ema_workbench", None)  # import fails as if not installed
    done = CliRunner().invoke(main, ["analyse", str(smoke), "--out", str(tmp_path / "r"),
                                     "--discover", "integration < 0.2"])
    assert done.exit_code == 2
    assert 'pip install "diplomacy-sim[ema]"' in done.output
    assert "Traceback" not in done.output
