"""Pattern-oriented validation on small seeded ensembles (``pytest -m validation``).

Each test runs a reduced copy of an experiment in ``experiments/validation/`` through the
batch runner (a process pool of 2), with its own master seed (an independent replication of
the ensembles behind ``docs/validation.md``), and asserts the pattern as the literature
states it, with the tolerance given in :mod:`diplomacy_sim.analysis.validation`. Effect
size, 95% CI and n are printed (``-s`` or ``-rA`` shows them).

A pattern (or part of one) the model does not reproduce is written as the literature states
it and marked ``xfail(strict=True)``: if the model starts reproducing it the test fails and
``docs/validation.md`` must be updated. Thresholds are never loosened to make a test pass.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from diplomacy_sim.analysis import validation as v
from diplomacy_sim.batch.experiment import load_experiment
from diplomacy_sim.batch.runner import sweep

pytestmark = pytest.mark.validation

EXP = Path(__file__).resolve().parents[2] / "experiments" / "validation"
SEED_OFFSET = 1000
"""Test ensembles use master seed + 1000: independent of the documented runs."""
SIZES: dict[str, dict[str, Any]] = {
    # experiment -> overrides of the experiment file (ensembles sized for CI). The baseline
    # carries the small doctrine effects (diplomacy - stewardship d_z about 0.2 needs about
    # 200 pairs for 80% power) and borderline shares (inertia near 50%), so it is the largest;
    # leader churn keeps its documented 60 pairs so that "not distinguishable" is not just a
    # small sample.
    "reorganisation": {"replications": 20},
    "baseline": {"replications": 200},
    "workstreams": {"replications": 12},
    "leader_churn": {"replications": 60},
    "disturbance": {"replications": 10},
    "austerity": {"replications": 12},
    "small_wins": {"replications": 30},
}
DOC = "documented in docs/validation.md"


@pytest.fixture(scope="session")
def ensemble(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], v.Sweep]:
    """Run (once per session) the reduced ensemble of an experiment and load it."""
    cache: dict[str, v.Sweep] = {}
    root = tmp_path_factory.mktemp("validation")

    def get(name: str) -> v.Sweep:
        if name not in cache:
            exp = load_experiment(EXP / f"{name}.yaml")
            upd = {**SIZES[name], "master_seed": exp.spec.master_seed + SEED_OFFSET}
            exp = dataclasses.replace(exp, spec=exp.spec.model_copy(update=upd))
            outcome = sweep(exp, root / name, workers=2, progress=False)
            assert outcome.failed == 0, f"{name}: {outcome.failed} runs failed"
            cache[name] = v.load_sweep(root / name)
        return cache[name]

    return get


def report(r: v.PatternResult) -> str:
    print(r.line())
    return r.line()


def check(r: v.PatternResult, name: str) -> None:
    assert r.checks[name], report(r)
    report(r)


# --------------------------------------------------------------------------- 1. reorganisation
def test_reorganisation_stalls_integration(ensemble: Callable[[str], v.Sweep]) -> None:
    check(v.reorganisation_dip(ensemble("reorganisation")), "deficit over 18 months > 0")


# "Rarely better off at 3 years" (share of pairs <= 25%) holds in the documented 100-pair
# ensemble (24%) but its 95% CI (17-33%) still contains 25%: on 20 pairs the verdict would be
# decided by the seeds, in either direction, so it is reported in docs/validation.md and not
# asserted here.


@pytest.mark.xfail(strict=True, reason="the model's reorganisation delay is about a year "
                   "(median 52 weeks), short of Fulop's 18 months: " + DOC)
def test_reorganisation_delays_by_18_months(ensemble: Callable[[str], v.Sweep]) -> None:
    check(v.reorganisation_dip(ensemble("reorganisation")), "median delay >= 78 weeks")


# --------------------------------------------------------------------------- 2. relational first
def test_trust_moves_before_user_outcomes(ensemble: Callable[[str], v.Sweep]) -> None:
    check(v.relational_before_outcomes(ensemble("baseline")),
          "trust moves before user outcome (lag CI > 0)")


# Calibration target, not an out-of-sample test: the default promise tolerance (0.3) was
# chosen on this pattern (docs/validation.md, "Calibration note: promise tolerance"). The test
# guards the calibration against later changes to the model.
def test_joint_working_improves_almost_everywhere(ensemble: Callable[[str], v.Sweep]) -> None:
    r = v.relational_before_outcomes(ensemble("baseline"))
    check(r, "trust up at 2 years in >= 75% of runs")
    check(r, "trust up and admissions not down at 2 years in >= 50%")


# --------------------------------------------------------------------------- 3. trust asymmetry
def test_trust_builds_slowly_and_collapses_quickly(ensemble: Callable[[str], v.Sweep]) -> None:
    r = v.trust_asymmetry(ensemble("baseline"))
    check(r, "falls faster than rises (CI > 1)")
    check(r, "ratio within 3-5 (+-1)")


# --------------------------------------------------------------------------- 4. leader churn
def test_leader_churn_destroys_relational_capital(ensemble: Callable[[str], v.Sweep]) -> None:
    check(v.leader_churn(ensemble("leader_churn")), "trust lower with high churn (CI < 0)")


@pytest.mark.xfail(strict=True, reason="the integration loss from HSJ-level churn is not "
                   "distinguishable from run-to-run variation: " + DOC)
def test_leader_churn_lowers_performance(ensemble: Callable[[str], v.Sweep]) -> None:
    check(v.leader_churn(ensemble("leader_churn")),
          "integration lower with high churn (CI < 0)")


# --------------------------------------------------------------------------- 5. going cold
def test_parallel_workstreams_keep_partners_at_the_table(
    ensemble: Callable[[str], v.Sweep],
) -> None:
    r = v.going_cold(ensemble("workstreams"))
    check(r, "parallel keeps more partners engaged (CI > 0)")
    check(r, "gap caused by going cold (diff-in-diff CI > 0)")


# --------------------------------------------------------------------------- 6. doctrines
def test_command_agrees_sooner(ensemble: Callable[[str], v.Sweep]) -> None:
    check(v.doctrines(ensemble("baseline")), "command agrees sooner")


@pytest.mark.xfail(strict=True, reason="at the calibrated promise tolerance command's quick, "
                   "mandated deals are delivered: command sustains as much integration as "
                   "diplomacy at the shipped conditions; " + DOC)
def test_diplomacy_beats_command(ensemble: Callable[[str], v.Sweep]) -> None:
    check(v.doctrines(ensemble("baseline")), "diplomacy > command (integration)")


@pytest.mark.xfail(strict=True, reason="command's deals no longer unravel more than "
                   "diplomacy's: final integration is not distinguishably lower; " + DOC)
def test_command_delivers_less(ensemble: Callable[[str], v.Sweep]) -> None:
    check(v.doctrines(ensemble("baseline")), "command delivers less")


def test_stewardship_narrows_agendas_and_unravels(ensemble: Callable[[str], v.Sweep]) -> None:
    r = v.doctrines(ensemble("baseline"))
    check(r, "stewardship narrows agendas (pluralism)")
    check(r, "stewardship deals unravel more")


def test_diplomacy_beats_stewardship(ensemble: Callable[[str], v.Sweep]) -> None:
    check(v.doctrines(ensemble("baseline")), "diplomacy > stewardship (integration)")


# --------------------------------------------------------------------------- 7. disturbance
def test_moderate_disturbance_opens_minds_more_than_none_or_much(
    ensemble: Callable[[str], v.Sweep],
) -> None:
    r = v.disturbance_inverted_u(ensemble("disturbance"))
    check(r, "best interior > none (paired CI > 0)")
    check(r, "best interior > strongest (paired CI > 0)")


@pytest.mark.xfail(strict=True, reason="openness peaks at a low disturbance and then falls "
                   "steeply: the response is skewed, not a symmetric inverted U; " + DOC)
def test_disturbance_quadratic_inverted_u(ensemble: Callable[[str], v.Sweep]) -> None:
    check(v.disturbance_inverted_u(ensemble("disturbance")), "quadratic coefficient < 0 (CI)")


@pytest.mark.xfail(strict=True, reason="for integration any disturbance hurts: the openness "
                   "gain does not reach delivery; " + DOC)
def test_moderate_disturbance_helps_integration(ensemble: Callable[[str], v.Sweep]) -> None:
    check(v.disturbance_inverted_u(ensemble("disturbance"), "integration"),
          "best interior > none (paired CI > 0)")


# --------------------------------------------------------------------------- 8. austerity
def test_austerity_squeezes_joint_work_first(ensemble: Callable[[str], v.Sweep]) -> None:
    r = v.austerity(ensemble("austerity"))
    check(r, "integration loss >= 49% (more than proportional)")
    check(r, "integration loss > user-outcome loss")
    mech = r.details["mechanism_49"]
    # the rule itself: statutory duties come first, so discretion falls more than the budget
    assert mech["city_council_discretionary_fall"] > mech["city_council_budget_fall"]
    assert mech["home_first_charity_budget_fall"] > 0


def test_austerity_loss_grows_with_the_cut(ensemble: Callable[[str], v.Sweep]) -> None:
    check(v.austerity(ensemble("austerity")), "loss grows with the cut (49% vs 10%, CI > 0)")


# --------------------------------------------------------------------------- 9. inertia
@pytest.mark.xfail(strict=True, reason="at the calibrated promise tolerance fewer than half "
                   "the runs stay in inertia (45% after 3 years; diplomacy about a third): "
                   "the trade-off with pattern 2 is " + DOC)
def test_collaborative_inertia_is_common(ensemble: Callable[[str], v.Sweep]) -> None:
    r = v.inertia_and_small_wins(ensemble("baseline"), ensemble("small_wins"))
    check(r, "inertia in >= 50% of runs")


def test_small_wins_start_a_virtuous_cycle(ensemble: Callable[[str], v.Sweep]) -> None:
    r = v.inertia_and_small_wins(ensemble("baseline"), ensemble("small_wins"))
    check(r, "small win raises trust (CI > 0)")
    check(r, "small win raises user outcome (CI > 0)")
