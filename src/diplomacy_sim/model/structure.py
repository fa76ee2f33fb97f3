"""What a step reads of the place's structure, computed once per change of structure.

A place's structure (who is in which organisation, with which role, who is still active,
which organisations are alive and party to which initiative, their budgets and targets,
and which ties exist on which channel) changes only when a shock lands, a leader is
replaced or a tie is formed: a few times a run. The arrays a step derives from it (each
tie's organisations, the cross-boundary masks, the tie positions of each channel, the
active executives, the organisations' discretionary budgets, each initiative's parties ...)
are therefore computed here once per change instead of in every phase of every week. Each
array is exactly what the phase computed before (the same numpy operations on the same
inputs), so the results are the same bits.

Two caches with their own keys:

* :class:`PlaceStructure`: people and organisations. The model drops it whenever a shock
  lands (``DiplomacyModel._apply``), the only place that changes these arrays.
* :class:`TieStructure`: the ties and the people's organisations. It is valid while the
  tie arrays are the same objects (``Ties.keep`` and ``Ties.append`` rebind every array
  they change) and the place structure it was built with is current.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from diplomacy_sim.domain import delivery, services
from diplomacy_sim.domain.numerics import nonzero
from diplomacy_sim.domain.state import ROLE_INDEX, Channel, SystemState

if TYPE_CHECKING:
    from diplomacy_sim.domain.doctrines import Doctrine
    from diplomacy_sim.scenario.schema import Parameters


class PlaceStructure:
    """People- and organisation-level arrays that only a shock changes."""

    __slots__ = (
        "active_f",
        "alive_parties",
        "anchoring",
        "box_rows",
        "box_targets",
        "capacity",
        "discretionary",
        "doers",
        "exec_org",
        "execs",
        "identity_pull",
        "members_alive",
        "org_agenda",
        "parties",
        "party_list",
        "spare_capacity",
        "table_f",
    )

    def __init__(self, state: SystemState, table_roles: np.ndarray, params: Parameters,
                 doctrine: Doctrine) -> None:
        p, o, ini = state.people, state.orgs, state.initiatives
        self.table_f = table_roles.astype(float)
        # leaders hold to their view the more at the table under some doctrines
        self.anchoring = np.where(table_roles, p.anchoring * doctrine.anchoring_factor,
                                  p.anchoring)
        self.identity_pull = params.influence.identity_pull * o.identity[p.org]
        self.org_agenda = o.agenda[p.org]  # each person's organisation's official agenda
        self.active_f = p.active.astype(float)
        alive = o.alive
        self.alive_parties = ~(ini.parties & ~alive[None, :]).any(axis=1) & ini.parties.any(axis=1)
        self.parties = ini.parties.copy()
        self.party_list = [nonzero(row) for row in ini.parties]  # each initiative's parties
        self.box_rows = nonzero(o.target >= 0)  # organisations under a regulator's target
        self.box_targets = o.target[self.box_rows]  # and their targets
        self.members_alive = p.active & alive[p.org]
        self.execs = nonzero((p.role == ROLE_INDEX["executive"]) & p.active & alive[p.org])
        self.exec_org = p.org[self.execs]
        self.doers = services.DOERS[p.role] & p.active
        self.discretionary = o.discretionary()
        self.spare_capacity = delivery.spare_capacity(self.discretionary, o.budget0,
                                                      o.statutory_share)
        self.capacity = services.capacity_basis(state)


class TieStructure:
    """Tie-level arrays: each tie's organisations, the cross-boundary and channel masks."""

    __slots__ = ("_by_channel", "_short", "channel", "channel_w", "cross", "cross_dst_org", "cross_idx",
                 "cross_src_org", "degree", "dst", "dst_org", "formal_dst", "formal_idx",
                 "formal_src", "front_dst_org", "front_idx", "front_src_org", "informal",
                 "measured_idx", "place", "src", "src_org")

    def __init__(self, state: SystemState, place: PlaceStructure, channel_w: np.ndarray) -> None:
        t, org = state.ties, state.people.org
        self.place = place
        self.channel_w = channel_w[t.channel]  # each tie's influence weight when met
        self._by_channel: dict[tuple[float, ...], np.ndarray] = {}
        self.src, self.dst, self.channel = t.src, t.dst, t.channel
        self.src_org, self.dst_org = org[t.src], org[t.dst]
        self.cross = self.src_org != self.dst_org
        self.cross_idx = nonzero(self.cross)
        self.cross_src_org = self.src_org[self.cross_idx]
        self.cross_dst_org = self.dst_org[self.cross_idx]
        front = self.cross & (t.channel == Channel.FRONTLINE)
        self.front_idx = nonzero(front)
        self.front_src_org = self.src_org[self.front_idx]
        self.front_dst_org = self.dst_org[self.front_idx]
        # the ties the trust outcome averages: across a boundary, colleagues' ties excluded
        self.measured_idx = nonzero(self.cross & (t.channel != Channel.WITHIN))
        self.formal_idx = nonzero(t.channel == Channel.FORMAL)
        self.formal_src, self.formal_dst = t.src[self.formal_idx], t.dst[self.formal_idx]
        self.informal = t.channel == Channel.INFORMAL
        n = state.people.n
        self.degree: dict[int, np.ndarray] = {c: np.bincount(t.src[t.channel == c], minlength=n)
                       for c in (Channel.INFORMAL, Channel.FRONTLINE)}
        self._short: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def by_channel(self, values: tuple[float, ...]) -> np.ndarray:
        """``np.array(values)[channel]``: each tie's value of its channel (kept per values:
        a run uses only a few, such as the encounter chances of board and other weeks)."""
        out = self._by_channel.get(values)
        if out is None:
            out = self._by_channel[values] = np.array(values)[self.channel]
        return out

    def short_of(self, channel: int, target: np.ndarray) -> np.ndarray:
        """Active people of live organisations with fewer ties on ``channel`` than
        ``target`` (each person's number)."""
        kept = self._short.get(channel)
        if kept is None or kept[0] is not target:
            short = nonzero((self.degree[channel] < target) & self.place.members_alive)
            kept = self._short[channel] = (target, short)
        return kept[1]

    def current(self, state: SystemState, place: PlaceStructure) -> bool:
        t = state.ties
        return (self.place is place and self.src is t.src and self.dst is t.dst
                and self.channel is t.channel)
