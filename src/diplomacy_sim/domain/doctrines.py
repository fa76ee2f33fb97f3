"""Doctrines: how leaders behave at the table. The central research comparison.

A doctrine is a bundle of behaviours, never an outcome. Which doctrine sustains more
integration must emerge from how these behaviours meet agendas, trust and shocks.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Doctrine:
    name: str
    own_agenda_at_table: float
    """Weight of a party's own agenda when it values a deal (1 = keeps its vantage point;
    the rest is the whole-system agenda)."""
    anchoring_factor: float
    """Multiplies leaders' anchoring while at the table (stewardship asks people to let go
    of their organisation's view)."""
    formal_weight_factor: float
    """Multiplies the influence of formal meetings."""
    informal_factor: float
    """Multiplies how often informal channels are used."""
    cedes: bool
    """Parties with surplus cede cost share to make the deal work for another."""
    agrees_to_disagree: bool
    """Deals may be accepted for different reasons (no consensus on purpose needed)."""
    mandates: bool
    """A lead organisation picks initiatives from its own agenda and mandates them."""
    attends_to_ignored: bool
    """Next initiative is chosen to serve the partner ignored longest."""
    engagement: float
    """Multiplies the drive to propose and the effort put into joint work."""


DOCTRINES: dict[str, Doctrine] = {
    "command": Doctrine(
        name="command",
        own_agenda_at_table=1.0,
        anchoring_factor=1.0,
        formal_weight_factor=1.0,
        informal_factor=0.5,
        cedes=False,
        agrees_to_disagree=False,
        mandates=True,
        attends_to_ignored=False,
        engagement=1.0,
    ),
    "stewardship": Doctrine(
        name="stewardship",
        own_agenda_at_table=0.2,
        anchoring_factor=0.3,
        formal_weight_factor=1.5,
        informal_factor=1.0,
        cedes=False,
        agrees_to_disagree=False,
        mandates=False,
        attends_to_ignored=False,
        engagement=1.0,
    ),
    "diplomacy": Doctrine(
        name="diplomacy",
        own_agenda_at_table=1.0,
        anchoring_factor=1.0,
        formal_weight_factor=1.0,
        informal_factor=1.5,
        cedes=True,
        agrees_to_disagree=True,
        mandates=False,
        attends_to_ignored=True,
        engagement=1.0,
    ),
    "fatalism": Doctrine(
        name="fatalism",
        own_agenda_at_table=1.0,
        anchoring_factor=1.0,
        formal_weight_factor=1.0,
        informal_factor=0.5,
        cedes=False,
        agrees_to_disagree=False,
        mandates=False,
        attends_to_ignored=False,
        engagement=0.3,
    ),
}
