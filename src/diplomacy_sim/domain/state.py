"""The state of a place as numpy arrays: people, ties, organisations, initiatives.

These are plain containers. The rules in the sibling modules are functions over them; the
Mesa model owns one :class:`SystemState` and the agents are a facade over its rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np
from numpy.typing import NDArray

F = NDArray[np.float64]
I = NDArray[np.int64]  # noqa: E741
B = NDArray[np.bool_]


class Channel(IntEnum):
    """The channel a tie runs through."""

    FORMAL = 0
    INFORMAL = 1
    FRONTLINE = 2
    WITHIN = 3  # colleagues inside one organisation


class Stage(IntEnum):
    """Life cycle of an initiative."""

    PROPOSED = 0
    NEGOTIATING = 1
    AGREED = 2
    DELIVERING = 3
    LIVE = 4
    ABANDONED = 5


def stage_mask(*stages: Stage) -> np.ndarray:
    """A lookup table: ``stage_mask(A, B)[stage]`` is True for stages A and B."""
    out = np.zeros(len(Stage), dtype=bool)
    out[[int(s) for s in stages]] = True
    return out


ROLE_INDEX = {"executive": 0, "manager": 1, "frontline": 2, "councillor": 3, "enabler": 4}
ROLE_NAMES = tuple(ROLE_INDEX)
LEADER_MASK_BY_ROLE = np.array([True, True, False, True, True])
TABLE_MASK_BY_ROLE = np.array([True, False, False, True, True])  # who sits at formal boards


@dataclass
class People:
    """One row per person slot. A person who leaves is replaced in the same slot."""

    org: I
    role: I
    agenda: F  # (n, K) priority weights, rows on the simplex
    anchor: F  # (n, K) the starting view each person stays anchored to
    anchoring: F  # weight on the anchor (1 - susceptibility)
    openness: F  # confidence bound (agenda distance)
    skill: F  # diplomatic skill 0..1
    beliefs: F  # (n, 3): goals good, change possible, will happen
    anxiety: F
    strain: F
    tenure: I  # weeks in post
    person_id: I  # unique id of the current holder of the slot (changes on replacement)
    active: B  # False once the person has left the system (their body was abolished)

    @property
    def n(self) -> int:
        return int(self.org.shape[0])


TIE_ARRAYS = ("src", "dst", "trust", "channel", "age")
"""The arrays of :class:`Ties`, one entry per tie each."""
FEW_CHANGES = 64
"""Up to this many ties added or removed at once, :class:`Ties` copies the runs of
unchanged ties between them (a few memcpy calls) instead of a pass of masks."""


@dataclass
class Ties:
    """Directed ties i -> j: i's trust in j. Kept sorted by (src, dst)."""

    src: I
    dst: I
    trust: F
    channel: I
    age: I

    @property
    def m(self) -> int:
        return int(self.src.shape[0])

    def keep(self, mask: B) -> None:
        """Keep the ties where ``mask`` is true, in their order (``mask`` may also be an
        array of positions, as from a sort)."""
        if mask.dtype == np.bool_:
            gone = (~mask).nonzero()[0]
            if gone.size <= FEW_CHANGES:  # copy the runs between the few removed ties
                if gone.size:
                    bounds = [0, *(gone + 1).tolist()]
                    ends = [*gone.tolist(), self.m]
                    for name in TIE_ARRAYS:
                        was = getattr(self, name)
                        setattr(self, name, np.concatenate(
                            [was[a:b] for a, b in zip(bounds, ends, strict=True)]))
                return
        for name in TIE_ARRAYS:
            setattr(self, name, getattr(self, name)[mask])

    def append(self, src: I, dst: I, trust: F, channel: I) -> None:
        """Add new ties, keeping the (src, dst) order; a pair already tied keeps its tie."""
        if src.size == 0:
            return
        # the new pairs in (src, dst) order, each pair once (its first row): keys need only
        # order the new pairs among themselves
        width = int(max(src.max(), dst.max())) + 1
        first = np.unique(src * width + dst, return_index=True)[1]
        s_new, d_new = src[first], dst[first]
        # where each would go: the run of its src, then its place among that run's dst
        # (both sorted), which is where its key would go among the old keys
        lo = np.searchsorted(self.src, s_new, side="left")
        hi = np.searchsorted(self.src, s_new, side="right")
        if first.size <= FEW_CHANGES:
            at = np.array([a + int(np.searchsorted(self.dst[a:b], d))
                           for a, b, d in zip(lo.tolist(), hi.tolist(), d_new.tolist(),
                                              strict=True)], dtype=np.int64)
        else:
            big = int(max(self.dst.max(initial=0), d_new.max())) + 1
            at = np.searchsorted(self.src * big + self.dst, s_new * big + d_new)
        tied = (at < hi) & (self.dst[np.minimum(at, max(self.m - 1, 0))] == d_new) \
            if self.m else np.zeros(first.size, bool)
        fresh, at = first[~tied], at[~tied]
        if fresh.size == 0:
            return
        news = (src[fresh], dst[fresh], trust[fresh], channel[fresh],
                np.zeros(fresh.size, dtype=np.int64))
        if fresh.size <= FEW_CHANGES:  # the runs of old ties with the new ones between
            cuts = [0, *at.tolist(), self.m]
            for name, new in zip(TIE_ARRAYS, news, strict=True):
                was = getattr(self, name)
                new = new.astype(was.dtype, copy=False)
                pieces = [was[cuts[0]:cuts[1]]]
                for k in range(fresh.size):
                    pieces += [new[k:k + 1], was[cuts[k + 1]:cuts[k + 2]]]
                setattr(self, name, np.concatenate(pieces))
            return
        # one placement for all five arrays (what np.insert would compute five times): ``at``
        # is sorted, so the k-th new tie lands at at[k] + k
        pos = at + np.arange(fresh.size)
        old = np.ones(self.m + fresh.size, dtype=bool)
        old[pos] = False
        for name, new in zip(TIE_ARRAYS, news, strict=True):
            was = getattr(self, name)
            out = np.empty(old.size, dtype=was.dtype)
            out[pos] = new
            out[old] = was
            setattr(self, name, out)

    def sort(self) -> None:
        # sort by (src, dst); among duplicates of a pair the most trusted row comes first
        order = np.lexsort((-self.trust, self.dst, self.src))
        self.keep(order)  # type: ignore[arg-type]
        # remove duplicate (src, dst) pairs, keeping that most trusted row
        if self.m > 1:
            dup = (self.src[1:] == self.src[:-1]) & (self.dst[1:] == self.dst[:-1])
            if dup.any():
                keep = np.ones(self.m, dtype=bool)
                keep[1:][dup] = False
                self.keep(keep)


@dataclass
class Organisations:
    """One row per organisation (abolished ones stay, flagged not alive)."""

    ids: list[str]
    names: list[str]
    kinds: list[str]
    agenda: F  # (m, K) the official agenda: the "box"
    budget: F  # current £m per year
    budget0: F
    statutory_share: F
    identity: F
    authority: F
    target: I  # issue index or -1
    funded_by: I  # org index or -1
    grant_share: F
    alive: B
    engaged: B
    ignored_weeks: I  # weeks since its top priority was on the agenda
    distraction: I  # weeks of diverted attention left
    disturbance: F  # recent disturbance felt (0..1)
    pressure: F  # performance pressure from its regulator (0..1)
    mandate: F  # extra pressure from a national mandate, fading with disturbance (0..1)
    concession: F  # concession exponent e of each organisation (<1 boulware, >1 conceder)
    statutory_elasticity: float  # how far statutory spending falls with the budget

    @property
    def m(self) -> int:
        return len(self.ids)

    def statutory(self) -> F:
        """Spending on statutory duties: protected, so it falls less than the budget does.

        statutory = statutory_share * budget0 * (budget / budget0) ** elasticity
        """
        ratio = np.maximum(self.budget / self.budget0, 0.0)
        return self.statutory_share * self.budget0 * ratio**self.statutory_elasticity

    def discretionary(self) -> F:
        """Budget free for joint work: what statutory duties leave (squeezed first by cuts)."""
        return np.maximum(self.budget - self.statutory(), 0.0)


@dataclass
class Initiatives:
    ids: list[str]
    names: list[str]
    advances: F  # (q, K)
    parties: B  # (q, m)
    lead: I  # org index
    cost: F
    reach: F
    weight: F
    stage: I
    progress: F
    shares: F  # (q, m) cost shares, rows sum to 1 over parties
    rounds: I  # negotiation rounds so far
    broken_streak: I
    abandoned_at: I
    agreed_at: I
    agree_to_disagree: B  # agreed for different reasons
    promised: F  # (q, m) effort each party promised at agreement

    @property
    def q(self) -> int:
        return len(self.ids)


@dataclass
class Services:
    demand_multiplier: float = 1.0
    surge_weeks_left: int = 0
    met: F = field(default_factory=lambda: np.zeros(0))  # (K,) share of need met per issue
    joint: F = field(default_factory=lambda: np.zeros(0))  # (K,) joint work reaching the flows
    waiting: float = 0.0  # people fit to leave hospital and still waiting (a stock)
    inflow: float = 0.0  # people becoming fit to leave this week
    admissions: float = 0.0  # avoidable admissions this week (a flow)
    staff0: F = field(default_factory=lambda: np.zeros(0))  # (m,) staff posts at the start


@dataclass
class SystemState:
    people: People
    ties: Ties
    orgs: Organisations
    initiatives: Initiatives
    services: Services
    issue_ids: list[str]
    issue_labels: list[str]
    issue_service: list[str]
    issue_weight: F
    next_person_id: int = 0

    @property
    def K(self) -> int:
        return len(self.issue_ids)
