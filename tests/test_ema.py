"""The EMA Workbench adapter: the model as an EMA model, parameters from the schema,
experiments equal to api.run bit for bit under EMA's sequential and multiprocessing
evaluators, and results that go on to EMA's analysis."""

from __future__ import annotations

import numpy as np
import pytest

from diplomacy_sim import api, ema
from diplomacy_sim.domain.outcomes import OUTCOMES
from diplomacy_sim.scenario.loader import load_scenario
from diplomacy_sim.scenario.schema import tunable_parameters

ew = ema.require_ema()  # the `ema` extra is installed by `make setup`: a missing one fails

PLACE = "safeguarding_hub"
STEPS = 10


def test_uncertainties_and_levers_come_from_the_schema_by_one_rule() -> None:
    unc, lev = ema.parameter_specs(PLACE)
    infos = {p.path: p for p in tunable_parameters()}
    scenario = load_scenario(PLACE)
    by_path = {p.path: p for p in [*unc, *lev]}
    assert lev[0].name == "doctrine" and lev[0].categories == ema.DOCTRINES
    assert lev[0].default == scenario.doctrine
    assert unc[0].name == "seed" and unc[0].default == scenario.seed
    for path, info in infos.items():
        role = ema.role_of(path)
        if role == "left out":
            assert path not in by_path
            assert path == "steps" or path.startswith(("parameters.doctrines.", "parameters.moves."))
            continue
        spec = by_path[path]
        assert (spec in lev) == (role == "lever")
        assert (spec.low, spec.high) == (info.low, info.high)
        assert spec.kind == ("integer" if info.type is int else "real")
        value = scenario
        for part in path.split("."):
            value = getattr(value, part)
        assert spec.default == value  # the base scenario's value (the schema's by default)
        assert spec.name.isidentifier()
    assert {p.path for p in lev} == {"doctrine", *(p for p in infos if ema.role_of(p) == "lever")}
    assert ema.role_of("parameters.authorising.target_pressure") == "lever"
    assert ema.role_of("parameters.trust.loss_ratio") == "uncertainty"
    assert ema.role_of("network.within_ties") == "uncertainty"


def test_the_model_declares_the_outcome_names_and_the_parameters() -> None:
    m = ema.ema_model(PLACE, steps=STEPS)
    unc, lev = ema.parameter_specs(PLACE)
    assert [o.name for o in m.outcomes] == list(OUTCOMES)
    assert [u.name for u in m.uncertainties] == [p.name for p in unc]
    assert [x.name for x in m.levers] == [p.name for p in lev]
    loss = m.uncertainties["trust__loss_ratio"]
    info = next(p for p in tunable_parameters() if p.path == "parameters.trust.loss_ratio")
    assert (loss.lower_bound, loss.upper_bound) == (info.low, info.high)
    with pytest.raises(ValueError, match="not a tunable parameter"):
        ema.parameter_specs(PLACE, uncertainties=["parameters.trust.nope"])


def _expected(experiments, specs) -> dict[str, np.ndarray]:
    """Each experiment run again with api.run, from its recorded values."""
    paths = {p.name: p.path for p in specs}
    rows = []
    for _, row in experiments.iterrows():
        overrides = {paths[k]: row[k].item() if hasattr(row[k], "item") else row[k]
                     for k in paths if k != "seed"}
        summary = api.run(PLACE, seed=int(row["seed"]), steps=STEPS, overrides=overrides).summary
        rows.append([summary[k] for k in OUTCOMES])
    values = np.array(rows)
    return {k: values[:, j] for j, k in enumerate(OUTCOMES)}


@pytest.mark.parametrize("evaluator", ["sequential", "multiprocessing"])
def test_experiments_equal_api_run_bit_for_bit(evaluator: str) -> None:
    m = ema.ema_model(PLACE, steps=STEPS)
    unc, lev = ema.parameter_specs(PLACE)
    with ema.quiet():
        make = (ew.SequentialEvaluator(m) if evaluator == "sequential"
                else ew.MultiprocessingEvaluator(m, n_processes=2))
        with make as ev:
            experiments, outcomes = ev.perform_experiments(
                scenarios=3, policies=2, uncertainty_sampling_kwargs={"rng": 42},
                lever_sampling_kwargs={"rng": 7})
    assert len(experiments) == 6
    assert set(experiments["doctrine"]) <= set(ema.DOCTRINES)
    for name, p in {p.name: p for p in [*unc, *lev]}.items():
        if p.kind != "categorical":
            assert experiments[name].between(p.low, p.high).all(), name
    expected = _expected(experiments, [*unc, *lev])
    for k in OUTCOMES:
        assert np.array_equal(np.asarray(outcomes[k], dtype=float), expected[k]), k


def test_both_evaluators_give_the_same_outcomes_for_the_same_points() -> None:
    m = ema.ema_model(PLACE, steps=STEPS, uncertainties=["seed", "parameters.trust.loss_ratio"],
                      levers=["doctrine"])
    scenarios = [ew.Sample(seed=s, trust__loss_ratio=r) for s, r in ((1, 1.5), (2, 4.0))]
    policies = [ew.Sample(doctrine=d) for d in ("command", "diplomacy")]
    runs = {}
    with ema.quiet():
        for kind in ("sequential", "multiprocessing"):
            ev = (ew.SequentialEvaluator(m) if kind == "sequential"
                  else ew.MultiprocessingEvaluator(m, n_processes=2))
            with ev:
                runs[kind] = ev.perform_experiments(scenarios=scenarios, policies=policies)
    (e1, o1), (e2, o2) = runs["sequential"], runs["multiprocessing"]
    assert e1[["seed", "trust__loss_ratio", "doctrine"]].equals(
        e2[["seed", "trust__loss_ratio", "doctrine"]])
    for k in OUTCOMES:
        assert np.array_equal(o1[k], o2[k]), k
    direct = api.run(PLACE, seed=2, steps=STEPS,
                     overrides={"parameters.trust.loss_ratio": 4.0, "doctrine": "diplomacy"})
    row = int(np.flatnonzero((e1["seed"] == 2).to_numpy() & (e1["doctrine"] == "diplomacy")
                             .to_numpy())[0])
    assert [o1[k][row] for k in OUTCOMES] == [direct.summary[k] for k in OUTCOMES]


def test_results_go_on_to_emas_feature_scoring() -> None:
    m = ema.ema_model(PLACE, steps=STEPS,
                      uncertainties=["seed", "parameters.trust.loss_ratio",
                                     "parameters.influence.openness"], levers=["doctrine"])
    with ema.quiet(), ew.SequentialEvaluator(m) as ev:
        experiments, outcomes = ev.perform_experiments(
            scenarios=8, policies=2, uncertainty_sampling_kwargs={"rng": 3},
            lever_sampling_kwargs={"rng": 4})
    scores = ema.feature_scores(experiments, outcomes)
    assert set(scores.index) == {"seed", "trust__loss_ratio", "influence__openness", "doctrine"}
    assert list(scores.columns) == list(OUTCOMES)
    assert np.allclose(scores.sum(axis=0).dropna(), 1.0)  # extra-trees importances sum to 1
