"""Services as a stock and flow of patients, stated with hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from diplomacy_sim.domain import services as sv

from .conftest import CHARITY, COUNCIL, HOSP


def test_demand_peaks_in_winter_and_is_lowest_half_a_year_later():
    assert sv.seasonal_demand(26, 0.1, 26) == pytest.approx(1.1)
    assert sv.seasonal_demand(0, 0.1, 26) == pytest.approx(0.9)
    assert sv.seasonal_demand(39, 0.1, 26) == pytest.approx(1.0, abs=1e-12)
    assert sv.seasonal_demand(26 + 52, 0.1, 26) == pytest.approx(1.1)
    assert sv.seasonal_demand(10, 0.0, 26) == 1.0


def test_joint_work_reaches_the_flows_after_a_lag():
    got = sv.lagged_joint(np.array([0.0, 0.5]), np.array([1.0, 0.5]), 26.0)
    np.testing.assert_allclose(got, [1.0 / 26.0, 0.5])


def test_the_share_of_need_met_saturates_with_capacity_and_falls_with_demand():
    got = sv.share_met(np.array([0.0, 0.65, 1.3, 0.65]), 1.0, 0.65)
    np.testing.assert_allclose(got[:3], [0.0, 1 - math.exp(-1), 1 - math.exp(-2)])
    surge = sv.share_met(np.array([0.65]), 1.3, 0.65)[0]
    assert surge == pytest.approx(1 - math.exp(-1 / 1.3)) and surge < got[1]
    assert np.all(sv.share_met(np.array([100.0]), 1.0, 0.65) < 1.0 + 1e-15)


def test_the_discharge_queue_keeps_those_the_services_cannot_take():
    assert sv.discharge_queue(10.0, 5.0, 0.6) == pytest.approx(6.0)
    assert sv.discharge_queue(10.0, 5.0, 0.0) == 15.0
    assert sv.discharge_queue(10.0, 5.0, 1.0) == 0.0


# ---------------------------------------------------------------- capacity from money and staff
# the tiny place: agenda x starting budget per issue is hospital [8, 2], council [6, 14],
# charity [1, 1] (sums [15, 17])
def test_staff_at_work_are_the_doers_less_absence_with_strain(tiny):
    p = tiny.people
    p.strain[p.org == HOSP] = 0.5
    np.testing.assert_allclose(sv.staff(tiny, 0.3), [4 * (1 - 0.3 * 0.5), 2.0, 2.0])
    np.testing.assert_allclose(sv.staff(tiny, 0.0), [4.0, 2.0, 2.0])


def test_capacity_is_full_at_the_start_and_a_cut_takes_its_budget_weighted_share(tiny):
    tiny.services.staff0 = sv.staff(tiny, 0.0)
    np.testing.assert_allclose(sv.capacity(tiny, tiny.services.staff0), [1.0, 1.0])
    tiny.orgs.budget[COUNCIL] *= 0.5
    np.testing.assert_allclose(sv.capacity(tiny, tiny.services.staff0), [12 / 15, 10 / 17])


def test_staff_lost_take_their_budget_weighted_share_of_capacity(tiny):
    tiny.services.staff0 = sv.staff(tiny, 0.0)
    half_staff = tiny.services.staff0 * np.array([0.5, 1.0, 1.0])
    np.testing.assert_allclose(sv.capacity(tiny, half_staff), [11 / 15, 16 / 17])


def test_an_abolished_body_adds_no_capacity(tiny):
    tiny.services.staff0 = sv.staff(tiny, 0.0)
    tiny.orgs.alive[CHARITY] = False
    np.testing.assert_allclose(sv.capacity(tiny, tiny.services.staff0), [14 / 15, 16 / 17])


def test_money_and_staff_are_both_needed_the_lesser_sets_capacity(tiny):
    tiny.services.staff0 = sv.staff(tiny, 0.0)
    half_staff = tiny.services.staff0 * np.array([0.5, 1.0, 1.0])
    tiny.orgs.budget[HOSP] *= 2.0  # more money does not make up for missing staff
    np.testing.assert_allclose(sv.capacity(tiny, half_staff), [11 / 15, 16 / 17])
    tiny.orgs.budget[HOSP] *= 0.125  # a quarter of its money: now money is the lesser
    np.testing.assert_allclose(sv.capacity(tiny, half_staff), [(2 + 6 + 1) / 15, (0.5 + 15) / 17])
