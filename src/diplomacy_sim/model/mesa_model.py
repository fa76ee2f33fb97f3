"""The Mesa model: :class:`~diplomacy_sim.model.model.DiplomacyCore` as a real ``mesa.Model``.

Everything a run computes is the core's (model/model.py); this class adds what Mesa users
reach for: ``mesa.Model`` itself (``agents``, ``agents_by_type``, ``rng``, ``random``, the
wrapped ``step``), the Mesa surface (``steps`` is the week, ``datacollector``:
model/mesa_surface.py) and one ``mesa.Agent`` per organisation and person
(model/agents.py). It draws only from the run's ``"mesa"`` stream (``mesa.Model`` seeds
its ``random`` from it), which no rule reads, so a ``DiplomacyModel`` and a core built from
the same scenario and seed step to the same bits.
"""

from __future__ import annotations

import mesa

from diplomacy_sim.model.agents import make_agents
from diplomacy_sim.model.mesa_surface import MesaSurface
from diplomacy_sim.model.model import DiplomacyCore


class DiplomacyModel(MesaSurface, DiplomacyCore, mesa.Model):
    """A place where organisations and people negotiate agendas under shocks.

    Args:
        scenario: a validated :class:`~diplomacy_sim.scenario.schema.Scenario`.
        seed: master seed; defaults to the scenario's. Stored with every result.
        engine: ``"vectorised"`` (fast) or ``"reference"`` (per-agent loops, the oracle).
    """

    def _start_mesa(self) -> None:
        mesa.Model.__init__(self, rng=self.rngs["mesa"])

    def _make_agents(self) -> None:
        self.organisations, self.people_agents = make_agents(self)
