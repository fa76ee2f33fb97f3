"""Doctrines as policies: what each one has its leaders propose, court and give, week by week."""

from __future__ import annotations

import numpy as np
import pytest

from diplomacy_sim.domain import doctrines as dc

ADVANCES = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]])  # three initiatives over two issues
PARTIES = np.array([[True, False, True], [False, True, True], [True, True, True]])
TABLE = np.array([[0.9, 0.1], [0.6, 0.4], [0.1, 0.9]])
ALIVE = np.ones(3, bool)
AUTHORITY = np.array([0.3, 0.9, 0.5])


def scores(name, ignored=(0, 0, 0), candidates=(0, 1, 2), alive=ALIVE):
    return dc.proposal_scores(dc.DOCTRINES[name], ADVANCES, PARTIES, np.array(candidates),
                              TABLE, TABLE, alive, AUTHORITY, np.array(ignored))


def test_under_command_only_the_most_authoritative_proposes_and_from_its_own_agenda():
    proposal, score = scores("command", candidates=(1, 2))
    # org 1 leads; its agenda [0.6, 0.4] values initiative 1 at 0.4/0.6 and 2 at 0.5/0.6
    assert list(proposal) == [-1, 2, -1]
    assert score[1] == pytest.approx(0.5 / 0.6)


def test_a_led_proposal_comes_from_work_the_lead_is_party_to():
    # initiative 0 would serve the lead best (0.6/0.6), but it is not a party to it
    proposal, _ = scores("command")
    assert proposal[1] == 2


def test_stewards_propose_the_work_of_most_value_to_the_whole_system():
    proposal, score = scores("stewardship")
    system = TABLE.mean(axis=0)  # [0.5333, 0.4667]: initiative 2 (0.5, 0.5) scores 0.5/0.5333
    values = (ADVANCES @ system) / system.max()
    assert list(proposal) == [int(np.argmax(values))] * 3
    np.testing.assert_allclose(score, values.max())


def test_diplomats_propose_the_work_that_serves_the_partner_ignored_longest():
    # org 2's top priority is issue 1; it has waited longest, so initiative 1 (issue 1, org 2
    # a party) is proposed, although the whole system would value initiative 2 more
    proposal, _ = scores("diplomacy", ignored=(0, 0, 10))
    assert list(proposal) == [1, 1, 1]
    proposal, _ = scores("diplomacy", ignored=(10, 0, 0))
    assert list(proposal) == [0, 0, 0]


def test_no_candidates_no_proposal():
    proposal, score = scores("diplomacy", candidates=())
    assert list(proposal) == [-1, -1, -1] and not score.any()


def test_diplomats_court_the_cold_partner_left_waiting_longest_and_others_court_no_one():
    engaged = np.array([True, False, False])
    ignored = np.array([0, 5, 12])
    court = dc.courting_targets(dc.DOCTRINES["diplomacy"], engaged, ALIVE, ignored)
    assert list(court) == [2, -1, -1]  # only the warm court, and they court org 2
    for name in ("command", "stewardship", "fatalism"):
        assert list(dc.courting_targets(dc.DOCTRINES[name], engaged, ALIVE, ignored)) == [-1] * 3


def test_the_autopilot_gives_joint_work_the_doctrines_share_and_its_switches():
    for name, doctrine in dc.DOCTRINES.items():
        d = dc.autopilot(doctrine, 3, np.array([True, False, True]), ALIVE, AUTHORITY,
                         np.zeros(3, np.int64), np.full(3, -1), np.zeros(3))
        np.testing.assert_array_equal(d.joint_share, doctrine.joint_share)
        np.testing.assert_array_equal(d.cede, doctrine.cedes)
        np.testing.assert_array_equal(d.agree_to_disagree, doctrine.agrees_to_disagree)
        np.testing.assert_array_equal(d.own_weight, doctrine.own_agenda_at_table)
        assert list(d.attend) == [True, False, True], name
        assert list(d.mandate) == ([False, True, False] if doctrine.asks_mandate else [False] * 3)


def test_a_participants_decision_holds_until_its_week_then_the_autopilot_resumes():
    current = dc.Decisions.empty(3)
    current.hold("joint_share", 1, 0.0, until=10)
    fresh = dc.Decisions.empty(3)
    fresh.joint_share[:] = 0.7
    kept = dc.merge(current, fresh, week=9)
    np.testing.assert_allclose(kept.joint_share, [0.7, 0.0, 0.7])
    fresh2 = dc.Decisions.empty(3)
    fresh2.joint_share[:] = 0.7
    np.testing.assert_allclose(dc.merge(kept, fresh2, week=10).joint_share, 0.7)
