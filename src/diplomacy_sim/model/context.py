"""The per-step context passed explicitly between the phases of a step."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from diplomacy_sim.domain.doctrines import Decisions
from diplomacy_sim.domain.negotiation import TableView


@dataclass
class StepContext:
    """What one phase of a week hands to the next (nothing of it outlives the week)."""

    week: int
    board_week: bool
    m: int
    decisions: Decisions  # each organisation's decisions this week
    present: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))  # at the table
    box_agenda: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    met: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))  # ties in play
    channel_w: np.ndarray = field(default_factory=lambda: np.zeros(4))
    view: TableView | None = None
    meetings: np.ndarray = field(default_factory=lambda: np.zeros(0))  # per organisation
    unproductive: np.ndarray = field(default_factory=lambda: np.zeros(0))
    verdict: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))  # review degrees

    def __post_init__(self) -> None:
        self.meetings = np.zeros(self.m)
        self.unproductive = np.zeros(self.m)
        self.verdict = np.zeros((self.m, self.m))
