"""Doctrines as policies: the decisions each makes for its organisations (issue 14, point 5)."""

from __future__ import annotations

import numpy as np
import pytest

import diplomacy_sim as ds
from diplomacy_sim.domain import doctrines as dc
from diplomacy_sim.domain import engagement as eg

M = 3
ALIVE = np.ones(M, bool)
AUTH = np.array([0.4, 0.9, 0.5])


NEVER = np.zeros(M, np.int64)


def decide(name, engaged=ALIVE, ignored=NEVER):
    return dc.autopilot(dc.DOCTRINES[name], M, engaged, ALIVE, AUTH, ignored,
                        np.full(M, -1, np.int64), np.zeros(M))


def test_command_asks_a_mandate_for_its_most_authoritative_organisation_only():
    d = decide("command")
    assert list(d.mandate) == [False, True, False]
    assert not decide("diplomacy").mandate.any()


def test_diplomacy_cedes_agrees_to_disagree_and_courts_the_partner_cold_longest():
    engaged = np.array([True, False, False])
    d = decide("diplomacy", engaged, np.array([0, 5, 12]))
    assert np.all(d.cede == 1.0) and np.all(d.agree_to_disagree == 1.0)
    assert d.court[0] == 2 and d.court[1] == -1  # the warm court the coldest; the cold don't
    s = decide("stewardship", engaged, np.array([0, 5, 12]))
    assert np.all(s.cede == 0.0) and np.all(s.court == -1)


def test_stewardship_argues_mostly_from_the_whole_system():
    assert np.all(decide("stewardship").own_weight == pytest.approx(0.2))
    assert np.all(decide("diplomacy").own_weight == 1.0)


def test_fatalism_gives_joint_work_a_small_share_but_not_none():
    share = decide("fatalism").joint_share
    assert np.all((share > 0) & (share < 0.5))


def test_cold_organisations_do_not_attend():
    d = decide("diplomacy", np.array([True, False, True]))
    assert list(d.attend) == [True, False, True]


def test_command_proposes_from_the_leads_own_agenda_diplomacy_for_the_ignored():
    adv = np.array([[1.0, 0.0], [0.0, 1.0]])
    parties = np.ones((2, M), bool)
    table = np.array([[0.5, 0.5], [0.9, 0.1], [0.1, 0.9]])
    box = table.copy()
    cand = np.array([0, 1])
    prop, _ = dc.proposal_scores(dc.DOCTRINES["command"], adv, parties, cand, table, box,
                                 ALIVE, AUTH, np.zeros(M, np.int64))
    assert prop[1] == 0 and prop[0] == -1 and prop[2] == -1  # the lead (org 1) wants issue 0
    prop, _ = dc.proposal_scores(dc.DOCTRINES["diplomacy"], adv, parties, cand, table, box,
                                 ALIVE, AUTH, np.array([0, 0, 30]))
    assert np.all(prop == 1)  # org 2 (priority issue 1) has been ignored longest


def test_a_held_decision_survives_the_autopilot_until_its_week():
    current = dc.Decisions.empty(M)
    current.hold("joint_share", 0, 0.1, until=5)
    fresh = decide("diplomacy")
    out = dc.merge(current, fresh, week=4)
    assert out.joint_share[0] == 0.1 and out.joint_share[1] == 1.0
    out = dc.merge(out, decide("diplomacy"), week=5)
    assert out.joint_share[0] == 1.0


def test_engagement_rules_state_their_direction_and_size():
    assert eg.informal_use(0.25, 1.5, 0.5, 0.5) == pytest.approx(0.375)
    assert eg.informal_use(0.9, 1.5, 0.5, 1.0) == 1.0
    assert eg.visible_possibility(np.array([0.0, 1.0]), 0.4) == pytest.approx([0.4, 1.0])
    assert eg.courted_back(0.1, 3.0) == pytest.approx(1 - 0.9 ** 3)
    assert eg.courted_back(0.1, 0.0) == 0.0
    courted = eg.deliberate_courting(np.array([2, 2, -1]), np.array([True, False, True]), 3, 3.0)
    assert list(courted) == [0.0, 0.0, 3.0]  # only the engaged courtier's contacts count
    p = eg.regulator_pressure(np.array([0.6, 1.0]), np.zeros(2), 0.5, 2.0)
    assert p == pytest.approx([0.4, 0.0])


def test_every_doctrine_can_get_work_into_delivery(discharge):
    for name in dc.DOCTRINES:
        m = ds.DiplomacyModel(discharge.model_copy(update={"doctrine": name, "shocks": []}),
                              seed=2)
        m.run_to_end()
        assert max(r["integration"] for r in m.rows) > 0, name


def test_a_doctrine_component_is_ablated_by_its_schema_path_keeping_the_rest(discharge):
    from diplomacy_sim.scenario.loader import apply_overrides, scenario_from_dict
    data = apply_overrides(discharge.model_dump(mode="json"),
                           {"parameters.doctrines.diplomacy.courts": False})
    m = ds.DiplomacyModel(scenario_from_dict(data), seed=1)
    assert not m.doctrine.courts
    assert m.doctrine.cedes == 1.0 and m.doctrine.attends_to_ignored  # the rest as defined
    assert dc.DOCTRINES["diplomacy"].courts  # the default profile is untouched
