"""Drawing the trust network with numpy from a named generator (no global random state)."""

from __future__ import annotations

import numpy as np

from diplomacy_sim.domain.state import (
    LEADER_MASK_BY_ROLE,
    ROLE_INDEX,
    TABLE_MASK_BY_ROLE,
    Channel,
    I,
    Ties,
)

BOARD_SEATS = 10
"""Formal ties a table member has at most: boards are meeting-sized at any scale."""


def _cross_pairs(
    rng: np.random.Generator, pool: I, org: I, per_person: np.ndarray, tries: int = 4
) -> tuple[I, I]:
    """Each member of ``pool`` draws ``per_person`` partners from ``pool`` in other orgs."""
    if pool.size < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    src = np.repeat(pool, per_person.astype(np.int64))
    dst = pool[rng.integers(0, pool.size, size=src.size)]
    for _ in range(tries):
        bad = org[src] == org[dst]
        if not bad.any():
            break
        dst[bad] = pool[rng.integers(0, pool.size, size=int(bad.sum()))]
    ok = org[src] != org[dst]
    return src[ok], dst[ok]


def _within_pairs(rng: np.random.Generator, org: I, mean_degree: float) -> tuple[I, I]:
    order = np.argsort(org, kind="stable")
    sorted_org = org[order]
    starts = np.searchsorted(sorted_org, sorted_org, side="left")
    ends = np.searchsorted(sorted_org, sorted_org, side="right")
    size = ends - starts
    k = np.minimum(rng.poisson(mean_degree / 2.0, size=org.size), size - 1)
    src_pos = np.repeat(np.arange(org.size), k)
    span = np.repeat(size - 1, k)
    offs = (rng.random(src_pos.size) * span).astype(np.int64)
    dst_pos = np.repeat(starts, k) + offs
    dst_pos = np.where(dst_pos >= src_pos, dst_pos + 1, dst_pos)  # skip oneself
    return order[src_pos], order[dst_pos]


def draw_ties(
    rng: np.random.Generator,
    org: I,
    role: I,
    within_ties: float,
    informal_ties: float,
    frontline_ties: float,
    trust_within: float,
    trust_cross: float,
) -> Ties:
    """The starting trust network: colleagues, boards, informal contacts, frontline contacts.

    Every tie is made in both directions (each side holds its own trust in the other).
    """
    n = org.size
    srcs, dsts, chans = [], [], []

    s, d = _within_pairs(rng, org, within_ties)
    srcs.append(s)
    dsts.append(d)
    chans.append(np.full(s.size, Channel.WITHIN))

    table = np.flatnonzero(TABLE_MASK_BY_ROLE[role])
    seats = np.full(table.size, float(BOARD_SEATS) / 2.0)
    s, d = _cross_pairs(rng, table, org, seats)
    srcs.append(s)
    dsts.append(d)
    chans.append(np.full(s.size, Channel.FORMAL))

    leaders = np.flatnonzero(LEADER_MASK_BY_ROLE[role])
    s, d = _cross_pairs(rng, leaders, org, rng.poisson(informal_ties / 2.0, leaders.size))
    srcs.append(s)
    dsts.append(d)
    chans.append(np.full(s.size, Channel.INFORMAL))

    front = np.flatnonzero(role == ROLE_INDEX["frontline"])
    s, d = _cross_pairs(rng, front, org, rng.poisson(frontline_ties / 2.0, front.size))
    srcs.append(s)
    dsts.append(d)
    chans.append(np.full(s.size, Channel.FRONTLINE))

    src = np.concatenate(srcs + dsts)
    dst = np.concatenate(dsts + srcs)
    channel = np.concatenate(chans + chans).astype(np.int64)
    base = np.where(channel == Channel.WITHIN, trust_within, trust_cross)
    jitter = rng.uniform(-0.05, 0.05, size=src.size)
    trust = np.clip(base + jitter, 0.0, 1.0)
    ties = Ties(
        src=src.astype(np.int64),
        dst=dst.astype(np.int64),
        trust=trust,
        channel=channel,
        age=np.zeros(src.size, np.int64),
    )
    ties.sort()
    assert np.all(ties.src != ties.dst) or n == 0
    return ties


def board_ties_for(
    rng: np.random.Generator, person: int, org: I, role: I, alive_org: np.ndarray,
    seated: I | None = None, seated_org: I | None = None,
) -> I:
    """Table members in other live organisations a newly appointed leader will sit with.

    ``seated``: the positions of everyone who sits at a live organisation's table
    (``np.flatnonzero(TABLE_MASK_BY_ROLE[role] & alive_org[org])``, ascending) and
    ``seated_org`` their organisations, when the caller seats several leaders at once (the
    same table members, found without a pass over everyone for each leader).
    """
    if seated is None:
        seated = np.flatnonzero(TABLE_MASK_BY_ROLE[role] & alive_org[org])
        seated_org = org[seated]
    elif seated_org is None:
        seated_org = org[seated]
    table = seated[seated_org != org[person]]
    if table.size > BOARD_SEATS:
        table = np.sort(rng.choice(table, size=BOARD_SEATS, replace=False))
    return table.astype(np.int64)
