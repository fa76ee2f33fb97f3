"""Designs are sized before they start: the run count is computed without building the
design (and agrees with it), printed with an estimated time, and a design past the limit is
refused at once unless confirmed."""

from __future__ import annotations

import time

import pytest
from click.testing import CliRunner
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from diplomacy_sim.batch.design import build_design
from diplomacy_sim.batch.experiment import MAX_RUNS, design_size, load_experiment, size_problem
from diplomacy_sim.cli import main
from diplomacy_sim.limits import MAX_RUNS_UNCONFIRMED

from .conftest import write_experiment

LOSS = [1.5, 2.0, 3.0, 4.0, 5.0, 6.0]
OPEN = [0.1, 0.2, 0.3, 0.4]


@settings(derandomize=True, max_examples=25, deadline=None,
          phases=[Phase.explicit, Phase.generate])
@given(reps=st.integers(1, 4), n_loss=st.integers(1, 6), n_open=st.integers(0, 4),
       n_doc=st.integers(0, 4), regimes=st.integers(1, 3),
       sampler=st.sampled_from([None, ("lhs", 5), ("sobol", 4), ("morris", 3)]))
def test_the_counted_size_is_the_built_size(tmp_path_factory, reps, n_loss, n_open, n_doc,
                                            regimes, sampler):
    factors = {"parameters.trust.loss_ratio": LOSS[:n_loss]}
    if n_open:
        factors["parameters.influence.openness"] = OPEN[:n_open]
    changes: dict = {
        "replications": reps, "factors": factors,
        "doctrines": ["command", "stewardship", "diplomacy", "fatalism"][:n_doc] or None,
        "shock_regimes": {f"r{i}": [] for i in range(regimes)}, "outputs": "summary",
    }
    if sampler is not None:
        method, n = sampler
        changes["sampler"] = {"method": method, "n": n, "ranges": {
            "parameters.negotiation.ceding_rate": None, "parameters.delivery.progress_rate": None,
            "parameters.affect.belief_rate": [0.01, 0.2]}}
    path = write_experiment(tmp_path_factory.mktemp("e"), **changes)
    exp = load_experiment(path)
    assert design_size(exp) == len(build_design(exp).runs)


@pytest.mark.parametrize("changes,runs", [
    ({"replications": 100_000}, 100_000 * 2 * 2 * 2),
    ({"replications": 100_000, "factors": {}}, 100_000 * 2 * 2),
    ({"sampler": {"method": "sobol", "n": 2**19, "ranges": {
        "parameters.trust.loss_ratio": None, "parameters.influence.openness": None}},
      "factors": {}}, 2**19 * 4 * 2 * 2 * 2),
    ({"factors": {f"parameters.trust.{k}": [0.1, 0.2, 0.3, 0.4, 0.5] for k in (
        "initial_within", "initial_cross", "new_tie", "encounter_gain", "friction",
        "promise_gain", "formation_rate")}}, 5**7 * 2 * 2 * 2),
])
def test_a_large_design_is_refused_at_once_with_its_size(tmp_path, changes, runs):
    path = write_experiment(tmp_path, **changes)
    t0 = time.perf_counter()
    r = CliRunner().invoke(main, ["sweep", str(path), "--out", str(tmp_path / "out"),
                                  "--quiet", "--workers", "0"])
    assert time.perf_counter() - t0 < 30
    assert r.exit_code == 2, r.output
    assert f"{runs:,} runs" in r.output and "estimated" in r.output
    assert "--allow-large" in r.output or f"at most {MAX_RUNS:,}" in r.output
    assert not (tmp_path / "out").exists()  # nothing started


def test_the_limits_in_words():
    assert size_problem(None, MAX_RUNS_UNCONFIRMED, False) is None  # type: ignore[arg-type]
    assert "--allow-large" in size_problem(None, MAX_RUNS_UNCONFIRMED + 1, False)  # type: ignore[arg-type,operator]
    assert size_problem(None, MAX_RUNS_UNCONFIRMED + 1, True) is None  # type: ignore[arg-type]
    assert f"at most {MAX_RUNS:,}" in size_problem(None, MAX_RUNS + 1, True)  # type: ignore[arg-type,operator]


def test_a_sweep_prints_its_run_count_and_estimate_first(tmp_path):
    path = write_experiment(tmp_path, replications=1, steps=2, factors={},
                            shock_regimes={"calm": []})
    r = CliRunner().invoke(main, ["sweep", str(path), "--out", str(tmp_path / "out"),
                                  "--quiet", "--workers", "0"])
    assert r.exit_code == 0, r.output
    first = r.output.splitlines()[0]
    assert first.startswith("tiny: 2 runs, about ") and "estimated" in first
