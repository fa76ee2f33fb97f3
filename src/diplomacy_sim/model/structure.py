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

from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from diplomacy_sim.domain import delivery, services
from diplomacy_sim.domain.numerics import add_reduce, nonzero
from diplomacy_sim.domain.people import org_cells, org_pair_counts, org_pair_key
from diplomacy_sim.domain.state import ROLE_INDEX, Channel, SystemState

if TYPE_CHECKING:
    from diplomacy_sim.domain.doctrines import Doctrine
    from diplomacy_sim.scenario.schema import Parameters


class PlaceStructure:
    """People- and organisation-level arrays that only a shock changes."""

    __slots__ = (
        "_cells",
        "_org",
        "_pair_cells",
        "_working",
        "active_den",
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
        "table_den",
        "table_f",
    )

    def __init__(self, state: SystemState, table_roles: np.ndarray, params: Parameters,
                 doctrine: Doctrine) -> None:
        p, o, ini = state.people, state.orgs, state.initiatives
        self._org = p.org
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
        # the organisation sums' weights and cell indices (people.org_sums)
        self.table_den = np.bincount(p.org, weights=self.table_f, minlength=o.m)
        self.active_den = np.bincount(p.org, weights=self.active_f, minlength=o.m)
        self._cells: dict[int, np.ndarray] = {}
        self._working: dict[bytes, WorkingSet] = {}
        m = o.m
        self._pair_cells = [(ps[:, None] * m + ps) for ps in self.party_list]

    def pair_cells(self, q: int) -> np.ndarray:
        """Initiative ``q``'s (party, party) cells of an (m, m) array, flat: ``a.take(...)``
        is ``a[parties[:, None], parties]``."""
        return self._pair_cells[q]

    def working_set(self, working: np.ndarray, advances: np.ndarray) -> WorkingSet:
        """What delivery reads of the initiatives ``working`` (kept per set of initiatives)."""
        key = working.tobytes()
        out = self._working.get(key)
        if out is None:
            if len(self._working) >= 64:
                self._working.clear()
            out = self._working[key] = WorkingSet(working, self.parties, self.party_list,
                                                  advances)
        return out

    def cells(self, c: int) -> np.ndarray:
        """``people.org_cells(org, c)``: the (organisation, column) cell of each value."""
        out = self._cells.get(c)
        if out is None:
            out = self._cells[c] = org_cells(self._org, c)
        return out


class WorkingSet:
    """A set of initiatives in delivery: their parties (each, and all in order), each
    organisation's load (the number of them it is party to) and their advances."""

    __slots__ = ("advances", "everyone", "load", "parties")

    def __init__(self, working: np.ndarray, parties: np.ndarray, party_list: list[np.ndarray],
                 advances: np.ndarray) -> None:
        self.parties = [party_list[q] for q in working]
        self.everyone = np.concatenate(self.parties) if len(self.parties) != 1 \
            else self.parties[0]
        self.load = add_reduce(parties[working], axis=0).astype(float)
        self.advances = advances[working]


class TieStructure:
    """Tie-level arrays: each tie's organisations, the cross-boundary and channel masks.

    Each is computed when first read (``cached_property``): in a large place the ties change
    twice a week (turnover, then tie formation) and what is read between those changes is
    only a few of these (the degrees, then the measured ties).
    """

    def __init__(self, state: SystemState, place: PlaceStructure, channel_w: np.ndarray) -> None:
        t = state.ties
        self.place = place
        self._org = state.people.org
        self._n = state.people.n
        self._channel_weights = channel_w
        self.src, self.dst, self.channel = t.src, t.dst, t.channel
        self._by_channel: dict[tuple[float, ...], np.ndarray] = {}
        self._short: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._pairs: dict[bool, tuple[Any, ...]] = {}

    @cached_property
    def src_org(self) -> np.ndarray:
        return self._org[self.src]

    @cached_property
    def dst_org(self) -> np.ndarray:
        return self._org[self.dst]

    @cached_property
    def cross(self) -> np.ndarray:
        """Whether each tie crosses an organisation's boundary."""
        return self.src_org != self.dst_org

    @cached_property
    def cross_idx(self) -> np.ndarray:
        return nonzero(self.cross)

    @cached_property
    def cross_src_org(self) -> np.ndarray:
        return self.src_org[self.cross_idx]

    @cached_property
    def cross_dst_org(self) -> np.ndarray:
        return self.dst_org[self.cross_idx]

    @cached_property
    def front_idx(self) -> np.ndarray:
        """The cross-boundary frontline ties."""
        return nonzero(self.cross & (self.channel == Channel.FRONTLINE))

    @cached_property
    def front_src_org(self) -> np.ndarray:
        return self.src_org[self.front_idx]

    @cached_property
    def front_dst_org(self) -> np.ndarray:
        return self.dst_org[self.front_idx]

    def pair_count(self, frontline: bool, m: int) -> tuple[np.ndarray, ...]:
        """Each cross-boundary (``frontline``: cross-boundary frontline) tie's
        (organisation, organisation) key, ``src_org * m + dst_org``; the number of such
        ties per pair, as ``people.org_pair_sums`` counts them; whether a pair has any; and
        the count, at least 1."""
        kept = self._pairs.get(frontline)
        if kept is None or kept[0] != m:
            if frontline:
                src_org, dst_org = self.front_src_org, self.front_dst_org
            else:
                src_org, dst_org = self.cross_src_org, self.cross_dst_org
            key = org_pair_key(src_org, dst_org, m)
            count = org_pair_counts(key, m)
            kept = self._pairs[frontline] = (m, key, count, count > 0, np.maximum(count, 1))
        return kept[1:]

    @cached_property
    def measured_idx(self) -> np.ndarray:
        """The ties the trust outcome averages: across a boundary, colleagues' excluded."""
        return nonzero(self.cross & (self.channel != Channel.WITHIN))

    @cached_property
    def formal_idx(self) -> np.ndarray:
        return nonzero(self.channel == Channel.FORMAL)

    @cached_property
    def formal_src(self) -> np.ndarray:
        return self.src[self.formal_idx]

    @cached_property
    def formal_dst(self) -> np.ndarray:
        return self.dst[self.formal_idx]

    @cached_property
    def informal_idx(self) -> np.ndarray:
        return nonzero(self.channel == Channel.INFORMAL)

    @cached_property
    def informal_src_org(self) -> np.ndarray:
        return self.src_org[self.informal_idx]

    @cached_property
    def informal_dst_org(self) -> np.ndarray:
        return self.dst_org[self.informal_idx]

    @cached_property
    def channel_w(self) -> np.ndarray:
        """Each tie's influence weight when met."""
        return self._channel_weights[self.channel]

    @cached_property
    def degree(self) -> dict[int, np.ndarray]:
        """Each person's number of informal and frontline ties."""
        return {c: np.bincount(self.src[self.channel == c], minlength=self._n)
                for c in (Channel.INFORMAL, Channel.FRONTLINE)}

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


TIE_ARRAYS: tuple[str, ...] = tuple(
    name for name, v in vars(TieStructure).items() if isinstance(v, cached_property))
"""The names of the arrays a :class:`TieStructure` computes when first read."""
