"""merge's shortcut (no hold runs this week) gives what the full check gives."""

from __future__ import annotations

import numpy as np

from diplomacy_sim.domain import doctrines as dc


def fresh(m: int) -> dc.Decisions:
    d = dc.Decisions.empty(m)
    d.joint_share[:] = 0.7
    d.proposal[:] = 2
    return d


def test_a_hold_is_kept_whether_or_not_the_latest_hold_week_is_known():
    known = dc.Decisions.empty(3)
    known.hold("joint_share", 1, 0.0, until=10)
    assert known.latest_hold == 10
    unknown = dc.Decisions(**{**vars(dc.Decisions.empty(3)), "latest_hold": -1})
    unknown.hold("joint_share", 1, 0.0, until=10)
    for current in (known, unknown):
        out = dc.merge(current, fresh(3), week=9)
        np.testing.assert_array_equal(out.joint_share, [0.7, 0.0, 0.7])
        out = dc.merge(out, fresh(3), week=10)  # the hold has run out
        np.testing.assert_array_equal(out.joint_share, [0.7, 0.7, 0.7])


def test_with_no_hold_every_decision_is_the_autopilots():
    current, new = dc.Decisions.empty(4), fresh(4)
    out = dc.merge(current, new, week=0)
    for name in dc.DECISIONS:
        assert getattr(out, name) is getattr(new, name)


def test_the_autopilots_decisions_are_separate_arrays():
    d = dc.autopilot(dc.DOCTRINES["diplomacy"], 3, np.ones(3, bool), np.ones(3, bool),
                     np.ones(3), np.zeros(3, np.int64), np.full(3, -1), np.zeros(3))
    d.hold("cede", 0, 1.0, until=5)
    assert d.cede[0] == 1.0 and d.joint_share[0] == dc.DOCTRINES["diplomacy"].joint_share
    assert d.held_until["cede"][0] == 5 and d.held_until["attend"][0] == 0
