"""Patient flows through hospital and care, as specifications (issue 14, point 3)."""

from __future__ import annotations

import numpy as np
import pytest

import diplomacy_sim as ds
from diplomacy_sim.domain import services as sv
from diplomacy_sim.domain.state import Stage


def test_demand_peaks_in_winter_and_dips_half_a_year_later():
    assert sv.seasonal_demand(26, 0.1, 26) == pytest.approx(1.1)
    assert sv.seasonal_demand(0, 0.1, 26) == pytest.approx(0.9)
    assert sv.seasonal_demand(13, 0.1, 26) == pytest.approx(1.0)


def test_share_met_saturates_smoothly_with_capacity_and_falls_with_demand():
    c = np.array([0.0, 0.3, 0.6, 1.0, 3.0])
    f = sv.share_met(c, 1.0, 0.65)
    assert f[0] == 0.0 and np.all(np.diff(f) > 0) and f[-1] < 1.0
    assert f[2] == pytest.approx(1 - np.exp(-0.6 / 0.65))
    assert np.all(sv.share_met(c[1:], 1.3, 0.65) < f[1:])  # a surge meets less of the need


def test_the_discharge_queue_grows_when_less_can_leave_and_settles_at_its_steady_state():
    w = 0.0
    for _ in range(200):
        w = sv.discharge_queue(w, 40.0, 0.6)
    # steady state: inflow (1 - f) / f
    assert w == pytest.approx(40.0 * 0.4 / 0.6)
    assert sv.discharge_queue(w, 40.0, 0.5) > w


def test_joint_work_reaches_the_flows_after_a_lag():
    j = np.zeros(1)
    for _ in range(26):
        j = sv.lagged_joint(j, np.ones(1), 26.0)
    assert 0.6 < j[0] < 0.7  # 1 - (25/26)^26: about two thirds after one lag


@pytest.fixture
def model(discharge):
    return ds.DiplomacyModel(discharge, seed=4)


def test_a_budget_cut_lowers_capacity_and_the_user_outcome_directly(model):
    st = model.state
    before = sv.user_share(st)
    st.orgs.budget[:] = 0.7 * st.orgs.budget0
    sv.update(st, model.week, model.params.services)
    assert sv.user_share(st) < before


def test_strained_staff_lower_capacity(model):
    st = model.state
    cap = sv.capacity(st, sv.staff(st, 0.3))
    st.people.strain[:] = 0.8
    assert np.all(sv.capacity(st, sv.staff(st, 0.3)) <= cap)
    assert sv.capacity(st, sv.staff(st, 0.3)).sum() < cap.sum()


def test_staff_moved_in_without_money_add_no_capacity(model):
    st = model.state
    cap = sv.capacity(st, sv.staff(st, 0.0))
    assert sv.capacity(st, 2.0 * sv.staff(st, 0.0)) == pytest.approx(cap)


def test_live_joint_work_cuts_avoidable_admissions_and_delayed_discharges(discharge):
    def flows(live: bool) -> tuple[float, float]:
        m = ds.DiplomacyModel(discharge.model_copy(update={"shocks": []}), seed=4)
        st = m.state
        for _ in range(80):
            if live:
                st.initiatives.stage[:] = Stage.LIVE
                st.initiatives.progress[:] = 1.0
            sv.update(st, m.week, m.params.services)
        return st.services.admissions, st.services.waiting
    (a_live, w_live), (a_none, w_none) = flows(True), flows(False)
    assert a_live < a_none and w_live < w_none


def test_a_surge_lengthens_the_discharge_queue(model):
    st = model.state
    sv.update(st, model.week, model.params.services)
    calm = st.services.waiting
    st.services.demand_multiplier = 1.3
    for _ in range(4):
        sv.update(st, model.week, model.params.services)
    assert st.services.waiting > calm
