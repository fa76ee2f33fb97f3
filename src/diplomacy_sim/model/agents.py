"""Mesa agents: the inspectable facade over the model's state arrays.

Agents do not step themselves (the model steps the arrays in one go); they give names,
properties and small verbs to rows of the state so that a learner, a test or the dashboard
can ask an organisation or a person about itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import mesa
import numpy as np

from diplomacy_sim.domain.state import ROLE_NAMES, Channel, Stage

if TYPE_CHECKING:
    from diplomacy_sim.model.mesa_model import DiplomacyModel

BELIEFS = ("goals_are_good", "change_is_possible", "it_will_happen")


class Organisation(mesa.Agent):
    """A hospital, council, charity or any scenario-defined kind of organisation."""

    kind = "organisation"

    def __init__(self, model: DiplomacyModel, index: int) -> None:
        super().__init__(model)
        self.index = index

    @property
    def _o(self) -> Any:
        return self.model.state.orgs

    @property
    def key(self) -> str:
        return str(self._o.ids[self.index])

    @property
    def name(self) -> str:
        return str(self._o.names[self.index])

    @property
    def agenda(self) -> dict[str, float]:
        ids = self.model.state.issue_ids
        return {k: float(v) for k, v in zip(ids, self._o.agenda[self.index], strict=True)}

    @property
    def budget(self) -> float:
        return float(self._o.budget[self.index])

    @property
    def discretionary_budget(self) -> float:
        return float(self._o.discretionary()[self.index])

    @property
    def engaged(self) -> bool:
        return bool(self._o.engaged[self.index])

    @property
    def alive(self) -> bool:
        return bool(self._o.alive[self.index])

    @property
    def identity(self) -> float:
        return float(self._o.identity[self.index])

    @property
    def authority(self) -> float:
        return float(self._o.authority[self.index])

    @property
    def weeks_ignored(self) -> int:
        return int(self._o.ignored_weeks[self.index])

    def members(self) -> list[Person]:
        p = self.model.state.people
        rows = np.flatnonzero((p.org == self.index) & p.active)
        return [self.model.people_agents[i] for i in rows]

    def initiatives(self, stages: tuple[Stage, ...] = tuple(Stage)) -> list[str]:
        ini = self.model.state.initiatives
        sel = ini.parties[:, self.index] & np.isin(ini.stage, stages)
        return [ini.names[q] for q in np.flatnonzero(sel)]


class Hospital(Organisation):
    """An acute trust: its regulator's targets press hardest on it."""

    kind = "hospital"


class Council(Organisation):
    """A local authority with elected members and statutory social care."""

    kind = "council"


class Charity(Organisation):
    """A voluntary-sector organisation, often living on council grants."""

    kind = "charity"


ORG_CLASSES: dict[str, type[Organisation]] = {
    "hospital": Hospital,
    "council": Council,
    "charity": Charity,
}


class Person(mesa.Agent):
    """An executive, manager, frontline worker, councillor or enabler."""

    def __init__(self, model: DiplomacyModel, index: int) -> None:
        super().__init__(model)
        self.index = index

    @property
    def _p(self) -> Any:
        return self.model.state.people

    @property
    def role(self) -> str:
        return ROLE_NAMES[int(self._p.role[self.index])]

    @property
    def organisation(self) -> Organisation:
        return self.model.organisations[int(self._p.org[self.index])]

    @property
    def agenda(self) -> dict[str, float]:
        ids = self.model.state.issue_ids
        return {k: float(v) for k, v in zip(ids, self._p.agenda[self.index], strict=True)}

    @property
    def beliefs(self) -> dict[str, float]:
        return {k: float(v) for k, v in zip(BELIEFS, self._p.beliefs[self.index], strict=True)}

    @property
    def anxiety(self) -> float:
        return float(self._p.anxiety[self.index])

    @property
    def strain(self) -> float:
        return float(self._p.strain[self.index])

    @property
    def tenure(self) -> int:
        return int(self._p.tenure[self.index])

    @property
    def active(self) -> bool:
        return bool(self._p.active[self.index])

    def ties(self) -> list[dict[str, Any]]:
        """This person's ties: who they trust, how much, through which channel."""
        t = self.model.state.ties
        lo, hi = np.searchsorted(t.src, [self.index, self.index + 1])
        return [
            {
                "to": int(t.dst[e]),
                "trust": float(t.trust[e]),
                "channel": Channel(int(t.channel[e])).name.lower(),
                "age": int(t.age[e]),
            }
            for e in range(lo, hi)
        ]


def make_agents(model: DiplomacyModel) -> tuple[list[Organisation], list[Person]]:
    st = model.state
    orgs = [ORG_CLASSES.get(k, Organisation)(model, i) for i, k in enumerate(st.orgs.kinds)]
    people = [Person(model, i) for i in range(st.people.n)]
    return orgs, people
