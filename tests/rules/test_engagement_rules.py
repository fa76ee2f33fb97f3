"""Engagement, belief signals and regulator pressure, stated with hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest

from diplomacy_sim.domain import engagement as en


def test_informal_ties_are_used_more_where_bosses_tolerate_risk():
    assert en.informal_use(0.25, 1.0, 0.5, 0.5) == pytest.approx(0.25)
    assert en.informal_use(0.25, 1.0, 0.5, 0.0) == pytest.approx(0.125)
    assert en.informal_use(0.25, 1.5, 0.5, 1.0) == pytest.approx(0.5625)
    assert en.informal_use(1.0, 1.5, 1.0, 1.0) == 1.0


def test_what_people_see_as_possible_rises_from_the_floor_with_progress():
    np.testing.assert_allclose(en.visible_possibility(np.array([0.0, 0.5, 1.0]), 0.4),
                               [0.4, 0.7, 1.0])


def test_regulator_pressure_is_the_unmet_target_need_plus_any_mandate():
    got = en.regulator_pressure(np.array([0.8, 0.8, 0.0]), np.array([0.0, 0.3, 0.5]), 0.5, 2.0)
    np.testing.assert_allclose(got, [0.2, 0.5, 1.0])


def test_each_courting_partner_makes_its_contacts_with_the_one_it_courts():
    court = np.array([-1, 2, 2, 0])
    engaged = np.array([True, True, True, False])
    np.testing.assert_allclose(en.deliberate_courting(court, engaged, 4, 3.0), [0, 0, 6, 0])


def test_the_chance_a_cold_partner_comes_back_compounds_over_contacts():
    assert en.courted_back(0.1, 3.0) == pytest.approx(1 - 0.9**3)
    assert en.courted_back(0.1, 0.0) == 0.0
