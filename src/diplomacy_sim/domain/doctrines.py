"""Doctrines: what leaders DO, week by week. The central research comparison.

A doctrine is a policy (an "autopilot") that makes each organisation's decisions each week:
what to propose, whether to attend the board, what share of discretionary capacity to give
joint work, whether to cede cost share, whether to agree to disagree, whether to ask for a
mandate, which cold partner to court, and which vantage point to argue from. The decisions
live in per-organisation arrays (:class:`Decisions`) that the model's phases read; in the
training room a participant's move overrides an organisation's decision for some weeks and
the policy plays the rest. Which doctrine sustains more integration must emerge from how
these decisions meet agendas, trust and shocks, never be set by them.

The profiles (``parameters.doctrines`` in the schema, so an experiment can ablate any
component) are the doctrines' definitions (the treatment being compared), read from the
source essays: command leads from the top and mandates; stewardship argues from the
whole system and lets go of its organisation's view; diplomacy keeps its own vantage point
but cedes, agrees to disagree, courts cold partners and attends to the partner ignored
longest; fatalism believes nothing will change and gives joint work little.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from diplomacy_sim.domain.negotiation import benefit
from diplomacy_sim.domain.numerics import mean_rows, nonzero
from diplomacy_sim.domain.state import B, F, I
from diplomacy_sim.scenario.schema import DoctrineParams, DoctrineProfile


@dataclass(frozen=True)
class Doctrine:
    name: str
    own_agenda_at_table: float
    """Weight of a party's own agenda at the table (1 = keeps its vantage point; the rest is
    the whole-system agenda)."""
    anchoring_factor: float
    """Multiplies leaders' anchoring and identity pull while at the table."""
    formal_weight_factor: float
    """Multiplies the influence of formal meetings."""
    informal_factor: float
    """Multiplies how often its people use informal channels."""
    cedes: float
    """Willingness to cede surplus cost share so the deal works for another (0..1)."""
    agrees_to_disagree: float
    """Share of the consensus norm set aside: accepts for its own reasons (0..1)."""
    led: bool
    """The most authoritative organisation leads: it proposes from its own agenda and makes
    every offer; the others comply or not."""
    asks_mandate: bool
    """The lead asks for a national mandate behind its plans (authority at a cost in trust)."""
    attends_to_ignored: bool
    """Proposes the work that serves the partner ignored longest."""
    courts: bool
    """Courts cold partners deliberately through informal contacts."""
    joint_share: float
    """Share of discretionary capacity each organisation gives to joint work."""


def from_profile(name: str, profile: DoctrineProfile) -> Doctrine:
    """The doctrine ``name`` as a scenario's ``parameters.doctrines.<name>`` defines it."""
    return Doctrine(name=name, **profile.model_dump())


DOCTRINES: dict[str, Doctrine] = {
    name: from_profile(name, getattr(DoctrineParams(), name))
    for name in DoctrineParams.model_fields
}
"""The doctrines at their default profiles (the schema's ``parameters.doctrines``)."""

DECISIONS: tuple[str, ...] = (
    "proposal", "score", "attend", "joint_share", "cede", "agree_to_disagree", "mandate",
    "court", "own_weight",
)
"""Per-organisation decisions, in the order :class:`Decisions` holds them."""


@dataclass
class Decisions:
    """Each organisation's decisions for this week (arrays over organisations)."""

    proposal: I  # initiative it would put on the table (-1: none)
    score: F  # how much it wants it (the place takes up the most wanted proposal)
    attend: B  # attends the partnership board
    joint_share: F  # share of discretionary capacity given to joint work (0..1)
    cede: F  # willingness to cede surplus cost share (0..1)
    agree_to_disagree: F  # share of the consensus norm it sets aside (0..1)
    mandate: B  # asks for a mandate behind the initiatives it leads
    court: I  # cold organisation it courts (-1: none)
    own_weight: F  # weight of its own agenda at the table (the rest: the whole system's)
    held_until: dict[str, I] = field(default_factory=dict)  # week a participant's hold ends
    latest_hold: int = -1
    """No hold runs past this week (an upper bound kept by :meth:`hold`; -1: unknown, so
    :func:`merge` checks every decision)."""

    @classmethod
    def empty(cls, m: int) -> Decisions:
        return cls(
            proposal=np.full(m, -1, np.int64), score=np.zeros(m), attend=np.ones(m, bool),
            joint_share=np.ones(m), cede=np.zeros(m), agree_to_disagree=np.zeros(m),
            mandate=np.zeros(m, bool), court=np.full(m, -1, np.int64), own_weight=np.ones(m),
            held_until=_no_holds(m), latest_hold=0,
        )

    def hold(self, name: str, org: int, value: object, until: int) -> None:
        """A participant sets ``org``'s decision ``name`` until week ``until``."""
        getattr(self, name)[org] = value
        self.held_until[name][org] = until
        if self.latest_hold >= 0:
            self.latest_hold = max(self.latest_hold, int(until))

    def held(self, name: str, week: int) -> np.ndarray:
        return self.held_until[name] > week


def _no_holds(m: int) -> dict[str, I]:
    """A zero hold week per decision (one block of memory, a row per decision)."""
    return dict(zip(DECISIONS, np.zeros((len(DECISIONS), m), np.int64), strict=True))


def merge(current: Decisions, fresh: Decisions, week: int) -> Decisions:
    """The autopilot's fresh decisions, except where a participant's decision still holds."""
    if 0 <= current.latest_hold <= week:  # no hold runs this week: all of it is fresh
        for name in DECISIONS:
            setattr(current, name, getattr(fresh, name))
        return current
    for name in DECISIONS:
        keep = current.held_until[name] > week
        new = getattr(fresh, name)
        setattr(current, name, np.where(keep, getattr(current, name), new)
                if keep.any() else new)
    return current


def proposal_scores(
    doctrine: Doctrine, advances: F, parties: B, candidates: I, table_agenda: F,
    box_agenda: F, alive: B, authority: F, ignored_weeks: I,
) -> tuple[I, F]:
    """What each organisation would propose from the candidates, and how much it wants it.

    Command: only the lead proposes, the work that serves its own agenda most. Diplomacy:
    the work that serves the partner ignored longest. Others: the work of most value to
    the whole system's agenda.
    """
    m = alive.size
    proposal = np.full(m, -1, np.int64)
    score = np.zeros(m)
    if candidates.size == 0 or not alive.any():
        return proposal, score
    system = mean_rows(table_agenda[alive], keepdims=True)
    offered = advances[candidates]  # (c, K)
    sys_value = benefit(system, offered.T)[0]
    if doctrine.led:
        lead = int(np.argmax(np.where(alive, authority, -1.0)))
        own = benefit(table_agenda[lead:lead + 1], offered.T)[0]
        mine = parties[candidates, lead]
        pick = nonzero(mine) if mine.any() else np.arange(candidates.size)
        best = pick[np.argmax(own[pick])]
        proposal[lead], score[lead] = candidates[best], own[best]
        return proposal, score
    if doctrine.attends_to_ignored:
        top = box_agenda.argmax(axis=1)
        neglect = ignored_weeks * alive
        serves = offered[:, top] * parties[candidates]  # (c, m)
        value = (serves * (1.0 + neglect)).max(axis=1)
        best = int(np.lexsort((-sys_value, -value))[0])  # ties broken by system value
    else:
        best = int(np.argmax(sys_value))
    proposal[alive] = candidates[best]
    score[alive] = sys_value[best]
    return proposal, score


def courting_targets(doctrine: Doctrine, engaged: B, alive: B, ignored_weeks: I) -> I:
    """Diplomacy courts the cold partner (the one left waiting longest); others court no one."""
    out = np.full(alive.size, -1, np.int64)
    cold = nonzero(alive & ~engaged)
    if not doctrine.courts or cold.size == 0:
        return out
    target = int(cold[np.argmax(ignored_weeks[cold])])
    warm = alive & engaged
    out[warm] = target
    return out


def autopilot(
    doctrine: Doctrine, m: int, engaged: B, alive: B, authority: F, ignored_weeks: I,
    proposal: I, score: F, held_until: dict[str, I] | None = None,
) -> Decisions:
    """The doctrine's decisions for every organisation this week.

    ``held_until``: the hold weeks the fresh decisions carry (zeros if not given); a caller
    that merges them into its current decisions (:func:`merge`) may pass the current ones,
    which merge keeps anyway.
    """
    shares = np.empty((4, m))  # one block for the four per-organisation shares
    shares[0], shares[1] = doctrine.joint_share, doctrine.cedes
    shares[2], shares[3] = doctrine.agrees_to_disagree, doctrine.own_agenda_at_table
    d = Decisions(
        proposal=proposal, score=score, attend=engaged & alive, joint_share=shares[0],
        cede=shares[1], agree_to_disagree=shares[2], mandate=np.zeros(m, bool),
        court=courting_targets(doctrine, engaged, alive, ignored_weeks),
        own_weight=shares[3], held_until=_no_holds(m) if held_until is None else held_until,
        latest_hold=0,
    )
    if doctrine.asks_mandate and alive.any():
        d.mandate[int(np.argmax(np.where(alive, authority, -1.0)))] = True
    return d
