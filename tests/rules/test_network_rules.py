"""The starting trust network: who is tied to whom, through which channel, at what trust."""

from __future__ import annotations

import numpy as np
import pytest

from diplomacy_sim.domain.network import BOARD_SEATS, board_ties_for, draw_ties
from diplomacy_sim.domain.state import LEADER_MASK_BY_ROLE, ROLE_INDEX, TABLE_MASK_BY_ROLE, Channel


def population(n_per_org=200, orgs=4):
    roles = np.tile(np.repeat(np.arange(5), n_per_org // 5), orgs).astype(np.int64)
    org = np.repeat(np.arange(orgs), n_per_org).astype(np.int64)
    return org, roles


def draw(seed=1, within=6.0, informal=2.0, frontline=1.5, tw=0.6, tc=0.3):
    org, role = population()
    return org, role, draw_ties(np.random.default_rng(seed), org, role, within, informal,
                                frontline, tw, tc)


def test_every_tie_is_held_both_ways_and_none_is_to_oneself():
    _, _, t = draw()
    assert np.all(t.src != t.dst)
    pairs = {(int(a), int(b)) for a, b in zip(t.src, t.dst, strict=True)}
    assert all((b, a) in pairs for a, b in pairs)
    # colleagues are colleagues both ways (a cross-boundary pair drawn on two channels
    # keeps its most trusted row each way, so its two directions may differ in channel)
    within = {(int(a), int(b)) for a, b in zip(t.src[t.channel == Channel.WITHIN],
                                                t.dst[t.channel == Channel.WITHIN], strict=True)}
    assert all((b, a) in within for a, b in within)


def test_ties_are_sorted_and_each_pair_is_tied_once():
    _, _, t = draw()
    key = t.src * 10_000 + t.dst
    assert np.all(np.diff(key) > 0)


def test_colleague_ties_stay_inside_an_organisation_and_the_rest_cross_its_boundary():
    org, _, t = draw()
    within = t.channel == Channel.WITHIN
    assert within.any() and (~within).any()
    assert np.all(org[t.src[within]] == org[t.dst[within]])
    assert np.all(org[t.src[~within]] != org[t.dst[~within]])


def test_each_channel_joins_the_roles_it_belongs_to():
    _, role, t = draw()
    formal = t.channel == Channel.FORMAL
    informal = t.channel == Channel.INFORMAL
    front = t.channel == Channel.FRONTLINE
    assert formal.any() and informal.any() and front.any()
    assert TABLE_MASK_BY_ROLE[role[t.src[formal]]].all()
    assert TABLE_MASK_BY_ROLE[role[t.dst[formal]]].all()
    assert LEADER_MASK_BY_ROLE[role[t.src[informal]]].all()
    assert LEADER_MASK_BY_ROLE[role[t.dst[informal]]].all()
    assert np.all(role[t.src[front]] == ROLE_INDEX["frontline"])
    assert np.all(role[t.dst[front]] == ROLE_INDEX["frontline"])


def test_starting_trust_is_the_channels_level_within_five_hundredths():
    _, _, t = draw(tw=0.6, tc=0.3)
    within = t.channel == Channel.WITHIN
    assert np.all(np.abs(t.trust[within] - 0.6) <= 0.05)
    assert np.all(np.abs(t.trust[~within] - 0.3) <= 0.05)
    assert t.trust[within].mean() == pytest.approx(0.6, abs=0.005)


def test_colleague_degree_is_about_the_mean_asked_for():
    org, _, t = draw(within=6.0)
    degree = np.bincount(t.src[t.channel == Channel.WITHIN], minlength=org.size)
    # each person starts ~mean/2 ties and receives as many; a few duplicates merge
    assert 5.4 <= degree.mean() <= 6.0


def test_no_ties_are_drawn_on_a_channel_asked_for_none():
    _, _, t = draw(within=0.0, informal=0.0, frontline=0.0)
    assert set(np.unique(t.channel).tolist()) == {int(Channel.FORMAL)}


def test_a_new_leader_sits_with_table_members_of_other_live_bodies_only():
    org, role = population(n_per_org=20, orgs=3)
    alive = np.array([True, True, False])
    person = int(np.flatnonzero((org == 0) & (role == ROLE_INDEX["executive"]))[0])
    seats = board_ties_for(np.random.default_rng(0), person, org, role, alive)
    assert seats.size == min(BOARD_SEATS, int((TABLE_MASK_BY_ROLE[role] & (org == 1)).sum()))
    assert np.all(org[seats] == 1) and TABLE_MASK_BY_ROLE[role[seats]].all()
    assert np.all(np.diff(seats) > 0)


def test_a_new_leader_gets_at_most_a_boards_worth_of_seats():
    org, role = population(n_per_org=200, orgs=3)
    person = int(np.flatnonzero(role == ROLE_INDEX["executive"])[0])
    seats = board_ties_for(np.random.default_rng(0), person, org, role, np.ones(3, bool))
    assert seats.size == BOARD_SEATS
    assert len(set(seats.tolist())) == BOARD_SEATS


def _naive_append(t, src, dst, trust, channel):
    """Ties.append spelt out: old ties first, then the new ones in order; the first row of
    each (src, dst) pair stays; the result sorted by (src, dst)."""
    s = np.concatenate([t.src, src])
    d = np.concatenate([t.dst, dst])
    tr = np.concatenate([t.trust, trust])
    ch = np.concatenate([t.channel, channel])
    age = np.concatenate([t.age, np.zeros(src.size, np.int64)])
    order = np.lexsort((np.arange(s.size), d, s))
    s, d, tr, ch, age = s[order], d[order], tr[order], ch[order], age[order]
    first = np.ones(s.size, bool)
    first[1:] = (s[1:] != s[:-1]) | (d[1:] != d[:-1])
    return s[first], d[first], tr[first], ch[first], age[first]


APPENDED = [1, 5, 64, 65, 500]
REMOVED = [0, 1, 30, 64, 65, 2000]


def test_the_tie_cases_cover_both_ways_of_changing_ties():
    from diplomacy_sim.domain.state import FEW_CHANGES

    for cases in (APPENDED, REMOVED):
        assert min(cases) <= FEW_CHANGES < max(cases)


@pytest.mark.parametrize("k", APPENDED)
def test_appending_ties_by_runs_or_by_masks_keeps_the_order_and_the_old_ties(k):
    org, _, t = draw(seed=k)
    t.age[:] = np.arange(t.m) % 7
    rng = np.random.default_rng(k)
    n = org.size
    src, dst = rng.integers(0, n, k), rng.integers(0, n, k)
    dst = np.where(dst == src, (dst + 1) % n, dst)
    if k > 2:  # some pairs already tied, and a pair twice among the new
        src[:2], dst[:2] = t.src[[3, 40]], t.dst[[3, 40]]
        src[-1], dst[-1] = src[-2], dst[-2]
    trust, channel = rng.random(k), rng.integers(0, 4, k)
    want = _naive_append(t, src, dst, trust, channel)
    t.append(src, dst, trust, channel)
    for name, w in zip(("src", "dst", "trust", "channel", "age"), want, strict=True):
        got = getattr(t, name)
        assert got.dtype == w.dtype and np.array_equal(got, w), name


@pytest.mark.parametrize("gone", REMOVED)
def test_keeping_ties_by_runs_or_by_masks_gives_the_same_ties(gone):
    _, _, t = draw(seed=gone + 1)
    rng = np.random.default_rng(gone)
    mask = np.ones(t.m, bool)
    mask[rng.choice(t.m, gone, replace=False)] = False
    want = [getattr(t, name)[mask] for name in ("src", "dst", "trust", "channel", "age")]
    t.keep(mask)
    for name, w in zip(("src", "dst", "trust", "channel", "age"), want, strict=True):
        assert np.array_equal(getattr(t, name), w), name


def test_board_seats_from_the_seated_positions_are_those_found_from_everyone():
    org, role = population(n_per_org=200, orgs=4)
    alive = np.array([True, True, False, True])
    seated = np.flatnonzero(TABLE_MASK_BY_ROLE[role] & alive[org])
    for person in np.flatnonzero(role == ROLE_INDEX["executive"])[::37]:
        a = board_ties_for(np.random.default_rng(int(person)), int(person), org, role, alive)
        b = board_ties_for(np.random.default_rng(int(person)), int(person), org, role, alive,
                           seated, org[seated])
        assert a.dtype == b.dtype and np.array_equal(a, b)
        assert not np.isin(a, np.flatnonzero(org == org[person])).any()
