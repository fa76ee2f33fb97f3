"""The per-step context passed explicitly between the phases of a step."""

from __future__ import annotations

import numpy as np

from diplomacy_sim.domain.doctrines import Decisions
from diplomacy_sim.domain.negotiation import TableView
from diplomacy_sim.model.structure import TieStructure

_NONE_BOOL = np.zeros(0, bool)
_NONE_2D = np.zeros((0, 0))
_NONE_INT = np.zeros(0, np.int64)
_NONE_FLOAT = np.zeros(0)


class StepContext:
    """What one phase of a week hands to the next (nothing of it outlives the week).

    A plain class with slots, not a dataclass with array factories: a step builds one, and
    the phases fill in every field they read (``present``, ``box_agenda``: decisions;
    ``met``: encounters; ``channel_w``: influence; ``view``: negotiation). ``src_org``,
    ``dst_org`` and ``cross`` are each tie's organisations and whether it crosses a
    boundary, computed once a step after the shocks (the ties stay the same until turnover
    and tie formation at the end of the week); ``structure`` holds them with the other
    arrays derived from the place's structure (:mod:`diplomacy_sim.model.structure`).
    """

    __slots__ = ("board_week", "box_agenda", "channel_w", "cross", "decisions", "dst_org",
                 "focus", "m", "meetings", "met", "openness", "present", "src_org",
                 "structure", "table_agendas", "unproductive", "verdict", "view", "week")

    def __init__(self, week: int, board_week: bool, m: int, decisions: Decisions,
                 structure: TieStructure) -> None:
        self.week = week
        self.board_week = board_week
        self.m = m
        self.decisions = decisions  # each organisation's decisions this week
        self.present: np.ndarray = _NONE_BOOL  # at the table
        self.box_agenda: np.ndarray = _NONE_2D
        self.met: np.ndarray = _NONE_BOOL  # ties in play
        self.channel_w: np.ndarray = _NONE_FLOAT
        self.view: TableView | None = None
        self.meetings = np.zeros(m)  # per organisation
        self.unproductive = np.zeros(m)
        self.verdict = np.zeros((m, m))  # review degrees
        self.src_org: np.ndarray = _NONE_INT
        self.dst_org: np.ndarray = _NONE_INT
        self.cross: np.ndarray = _NONE_BOOL
        self.structure = structure  # the place's structure as the week begins
        self.openness: np.ndarray = _NONE_FLOAT  # each person's openness factor this week
        self.focus: np.ndarray = _NONE_FLOAT  # each organisation's table members' openness
        # the organisations' table agendas as negotiation saw them; None once a
        # replacement has changed someone's agenda since
        self.table_agendas: np.ndarray | None = None
