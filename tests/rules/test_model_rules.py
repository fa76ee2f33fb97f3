"""Rules as they act inside a run: paired runs of the tiny place, with and without a shock.

Two runs from the same seed see the same bits until the shock lands, so the difference the
shock makes in the week it lands can be stated exactly from the rules: disturbance on the
organisation hit (and a ripple on its partners) raises anxiety by the anxiety rate times
that disturbance, and the disturbance then fades at its decay rate.
"""

from __future__ import annotations

import copy
import itertools

import numpy as np
import pytest

import diplomacy_sim as ds
from diplomacy_sim.scenario.loader import scenario_from_dict

from .conftest import COUNCIL, TINY

CALM = {"turnover": {"executive_hazard": 0.0}}


def spec(shocks=(), parameters=None, network=None):
    data = copy.deepcopy(TINY)
    data["steps"] = 40
    data["shocks"] = list(shocks)
    data["parameters"] = copy.deepcopy(parameters or CALM)
    if network is not None:
        data["network"] = network
    return scenario_from_dict(data)


CUT = {"kind": "budget_cut", "at": 2, "organisations": ["council"], "fraction": 0.2,
       "intensity": 0.4}


def run_weeks(s, weeks, seed=5):
    model = ds.DiplomacyModel(s, seed=seed)
    history = []
    for _ in range(weeks):
        model.step()
        history.append((model.state.people.anxiety.copy(), model.state.orgs.disturbance.copy()))
    return model, history


def test_a_shock_raises_its_organisations_anxiety_by_the_rate_times_its_disturbance():
    calm_model, calm = run_weeks(spec(), 3)
    hit_model, hit = run_weeks(spec([CUT]), 3)
    rate = calm_model.params.affect.anxiety_rate
    org = hit_model.state.people.org
    np.testing.assert_array_equal(hit[1][0], calm[1][0])  # identical until the shock
    rise = hit[2][0] - calm[2][0]
    # the council feels the cut (0.4) and the ripple (0.5 x 0.4 x 0.5); the others the ripple
    np.testing.assert_allclose(rise[org == COUNCIL], rate * 0.5, rtol=1e-9)
    np.testing.assert_allclose(rise[org != COUNCIL], rate * 0.1, rtol=1e-9)


def test_a_shocks_disturbance_fades_at_the_decay_rate():
    model, history = run_weeks(spec([CUT]), 8)
    decay = model.params.affect.disturbance_decay
    council = np.array([d[COUNCIL] for _, d in history[2:]])
    np.testing.assert_allclose(council[1:] / council[:-1], 1.0 - decay, rtol=1e-12)
    assert council[0] == pytest.approx(0.5 * (1.0 - decay))


def test_in_calm_times_anxiety_stays_at_its_baseline():
    model, history = run_weeks(spec(), 6)
    base = model.params.affect.anxiety_baseline
    for anxiety, _ in history:
        np.testing.assert_allclose(anxiety, base, rtol=1e-12)


def test_an_isolated_person_keeps_the_no_evidence_belief_that_others_will_deliver():
    params = {**CALM, "affect": {"signal_noise": 0.0, "belief_rate": 0.2}}
    s = spec(parameters=params,
             network={"within_ties": 0.0, "informal_ties": 0.0, "frontline_ties": 0.0})
    model = ds.DiplomacyModel(s, seed=5)
    p, t = model.state.people, model.state.ties
    alone = np.flatnonzero(np.bincount(t.src, minlength=p.n) == 0)
    assert alone.size > 0, "frontline staff have no ties here"
    will = [p.beliefs[alone, 2].copy()]
    for _ in range(30):
        model.step()
        will.append(model.state.people.beliefs[alone, 2].copy())
    # each week the belief moves a fifth of the way to one half (no evidence either way)
    for before, after in itertools.pairwise(will):
        np.testing.assert_allclose(after, before + 0.2 * (0.5 - before), rtol=1e-12)
    np.testing.assert_allclose(will[-1], 0.5, atol=2e-3)


def test_people_whose_organisation_is_reorganising_feel_the_distraction_disturbance():
    quiet = {"kind": "reorganisation", "at": 2, "mode": "restructure",
             "organisations": ["council"], "intensity": 0.0, "tie_loss": 0.0, "leavers": 0.0,
             "distraction_weeks": 4}
    calm_model, calm = run_weeks(spec(), 4)
    hit_model, hit = run_weeks(spec([quiet]), 4)
    af = calm_model.params.affect
    org = hit_model.state.people.org
    rise = hit[2][0] - calm[2][0]
    np.testing.assert_allclose(rise[org == COUNCIL], af.anxiety_rate * af.distraction_disturbance,
                               rtol=1e-9)
    np.testing.assert_array_equal(rise[org != COUNCIL], 0.0)
