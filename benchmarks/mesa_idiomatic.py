"""The core influence loop written as idiomatic Mesa, for bench_core's comparison row.

Agents with a ``step`` method, activated by ``model.agents.shuffle_do("step")``, and a
``DataCollector`` recording one outcome a week: the way a Mesa tutorial would write the
model's anchored bounded-confidence influence (see ``domain/people.py::influence``), on the
same people and ties as our model's default scenario. It does *only* that loop (no
negotiation, delivery, services or shocks), so it is a lower bound on what a per-agent Mesa
version of the whole model would cost. Updates are synchronous (``advance``) as in ours.
"""

from __future__ import annotations

import mesa
import numpy as np

from diplomacy_sim.model.model import DiplomacyModel


class Person(mesa.Agent):
    def __init__(self, model: InfluenceModel, agenda: list[float], anchoring: float,
                 eps: float) -> None:
        super().__init__(model)
        self.agenda = agenda
        self.anchor = list(agenda)
        self.anchoring = anchoring
        self.eps = eps
        self.ties: list[tuple[Person, float, float]] = []  # (whom I hear, weight, meet chance)
        self.next_agenda = agenda

    def step(self) -> None:
        s = self.model.self_weight
        num = [s * x for x in self.agenda]
        den = s
        for other, w, chance in self.ties:
            if self.model.random.random() < chance:
                d = 0.5 * sum(abs(a - b) for a, b in zip(self.agenda, other.agenda, strict=True))
                if d < self.eps:
                    den += w
                    for k, x in enumerate(other.agenda):
                        num[k] += w * x
        a = self.anchoring
        self.next_agenda = [a * x0 + (1 - a) * v / den for x0, v in zip(self.anchor, num,
                                                                        strict=True)]

    def advance(self) -> None:
        self.agenda = self.next_agenda


def spread(model: InfluenceModel) -> float:
    people = list(model.agents)
    k = len(people[0].agenda)
    means = [sum(p.agenda[i] for p in people) / len(people) for i in range(k)]
    return sum(abs(p.agenda[i] - means[i]) for p in people for i in range(k)) / len(people)


class InfluenceModel(mesa.Model):
    """People and ties copied from a built :class:`DiplomacyModel`."""

    def __init__(self, source: DiplomacyModel, seed: int = 1) -> None:
        super().__init__(rng=seed)
        p, t = source.state.people, source.state.ties
        self.self_weight = source.params.influence.self_weight
        enc = source.params.encounters  # each channel's weekly chance of a meeting
        chance = [1.0 / enc.board_cadence, enc.informal_rate, enc.frontline_rate,
                  enc.within_rate]
        people = [Person(self, [float(x) for x in p.agenda[i]], float(p.anchoring[i]),
                         float(p.openness[i])) for i in range(p.n)]
        for s, d, w, c in zip(t.src.tolist(), t.dst.tolist(), t.trust.tolist(),
                              t.channel.tolist(), strict=True):
            people[s].ties.append((people[d], w, chance[c]))
        self.datacollector = mesa.DataCollector(model_reporters={"spread": spread})

    def step(self) -> None:
        self.agents.shuffle_do("step")
        self.agents.do("advance")
        self.datacollector.collect(self)


def run(source: DiplomacyModel, steps: int, seed: int = 1) -> InfluenceModel:
    model = InfluenceModel(source, seed=seed)
    for _ in range(steps):
        model.step()
    assert np.isfinite(model.datacollector.get_model_vars_dataframe()["spread"]).all()
    return model
