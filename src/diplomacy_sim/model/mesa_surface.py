"""The Mesa-native surface of the model: ``steps``, ``agents_by_type``, ``datacollector``.

Mesa users reach for three things on a model, and each is the model's own record here:

* ``model.steps`` **is the week**. Mesa 3 wraps ``step()`` and adds one to ``steps`` before
  calling it; the model keeps its own week counter (advanced at the end of a step, and only
  before the horizon). :class:`MesaSurface` makes ``steps`` read that counter, so there is
  one counter and it stops at the horizon: calling ``step()`` on a finished model leaves
  ``steps`` at the horizon (Mesa's ``time`` still counts calls).
* ``model.agents_by_type[Hospital]`` (``Council``, ``Charity``, ``Organisation``, ``Person``)
  are Mesa ``AgentSet``\\ s of the real agent objects (model/agents.py): every agent is a
  ``mesa.Agent`` registered with the model when it is built.
* ``model.datacollector`` is a real :class:`mesa.DataCollector` (:class:`RecordCollector`)
  filled from the record the model already keeps, never by the step: its model variables
  are the outcome rows (``model.rows``, one per week, the same numbers as
  ``api.timeseries``), copied in when the collector is read. Its agent variables are
  snapshots of the organisations and people taken from the state arrays at a week: the
  model keeps no per-person history (recording one would slow every step), so a snapshot
  is taken by ``datacollector.collect(model)`` — call it after each step, as in Mesa's own
  examples, to have every week — and, for the current week, whenever an agent frame is
  asked for.

Frames: ``get_model_vars_dataframe()`` has one column per outcome and the week as its
index, numbered as everywhere else (:func:`~diplomacy_sim.domain.events.week_number`: 1, 2,
..., ``api.timeseries``'s ``week``, which is also Mesa's ``model.steps`` when the row was
collected); ``get_agent_vars_dataframe()`` is indexed by (``Step``, ``AgentID``) with the
same week numbering, and
``get_agenttype_vars_dataframe(Organisation | Person)`` gives each kind's own variables.
Nothing here changes a run's numbers: it only reads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import mesa
import numpy as np

from diplomacy_sim.domain.events import week_number
from diplomacy_sim.domain.outcomes import OUTCOMES
from diplomacy_sim.domain.state import ROLE_NAMES
from diplomacy_sim.model.agents import BELIEFS, Organisation, Person

if TYPE_CHECKING:
    from diplomacy_sim.model.mesa_model import DiplomacyModel

AGENT_VARIABLES = ("kind", "organisation", "active")
"""Variables of every agent: its kind (an organisation's kind, a person's role), the key of
its organisation (its own for an organisation), whether it takes part (an organisation that
still exists; a person in post)."""
ORGANISATION_VARIABLES = ("budget", "engaged", "alive", "identity", "authority",
                          "weeks_ignored")
PERSON_VARIABLES = ("role", "anxiety", "strain", "tenure", "active", *BELIEFS)


def _unused(_: Any) -> None:  # the reporters' slots: values come from the record
    return None


class RecordCollector(mesa.DataCollector):
    """A Mesa DataCollector whose data come from a :class:`DiplomacyModel`'s record."""

    def __init__(self, model: DiplomacyModel) -> None:
        super().__init__(
            model_reporters={k: k for k in OUTCOMES},
            agent_reporters={k: _unused for k in AGENT_VARIABLES},
            agenttype_reporters={
                Organisation: {k: _unused for k in ORGANISATION_VARIABLES},
                Person: {k: _unused for k in PERSON_VARIABLES},
            },
        )
        self._model = model
        self._rows_copied = 0

    # ------------------------------------------------------------------ filling
    def sync(self) -> RecordCollector:
        """Copy in the outcome rows recorded since the last call (cheap; idempotent)."""
        rows = self._model.rows
        for row in rows[self._rows_copied:]:
            self._collection_steps.append(week_number(int(row["step"])))
            for k in OUTCOMES:
                self.model_vars[k].append(row[k])
        self._rows_copied = len(rows)
        return self

    def collect(self, model: Any = None) -> None:
        """Mesa's habitual call: copy in the record and snapshot the agents at this week."""
        self.sync()
        self._snapshot()

    def _snapshot(self) -> None:
        """The organisations and people as they stand after the last week measured (none
        before the first step: the record starts with week 0's outcome row)."""
        if self._model.steps < 1:
            return
        week = week_number(self._model.steps - 1)
        if week in self._agent_records:
            return
        m = self._model
        o, p = m.state.orgs, m.state.people
        org_ids = [a.unique_id for a in m.organisations]
        person_ids = [a.unique_id for a in m.people_agents]
        org_keys = [str(k) for k in o.ids]
        kinds = [str(k) for k in o.kinds]
        roles = [ROLE_NAMES[int(r)] for r in p.role]
        alive = o.alive.tolist()
        active = p.active.tolist()
        person_org = [org_keys[int(i)] for i in p.org]
        self._agent_records[week] = (
            [(week, uid, kinds[i], org_keys[i], bool(alive[i])) for i, uid in enumerate(org_ids)]
            + [(week, uid, roles[i], person_org[i], bool(active[i]))
               for i, uid in enumerate(person_ids)])
        org_cols = [o.budget.tolist(), o.engaged.tolist(), alive, o.identity.tolist(),
                    o.authority.tolist(), o.ignored_weeks.tolist()]
        beliefs = np.asarray(p.beliefs)
        person_cols = [roles, p.anxiety.tolist(), p.strain.tolist(), p.tenure.tolist(), active,
                       *(beliefs[:, j].tolist() for j in range(len(BELIEFS)))]
        types = (float, bool, bool, float, float, int)
        self._agenttype_records[week] = {
            Organisation: [(week, uid, *(t(c[i]) for t, c in zip(types, org_cols, strict=True)))
                           for i, uid in enumerate(org_ids)],
            Person: [(week, uid, person_cols[0][i], float(person_cols[1][i]),
                      float(person_cols[2][i]), int(person_cols[3][i]), bool(person_cols[4][i]),
                      *(float(c[i]) for c in person_cols[5:]))
                     for i, uid in enumerate(person_ids)],
        }

    # ------------------------------------------------------------------ frames
    def get_model_vars_dataframe(self) -> Any:
        """One column per outcome, indexed by the week (``api.timeseries``'s ``week``)."""
        self.sync()
        df = super().get_model_vars_dataframe()
        df.index = list(self._collection_steps)
        return df

    def get_agent_vars_dataframe(self) -> Any:
        """Every agent's :data:`AGENT_VARIABLES`, indexed by (``Step``, ``AgentID``)."""
        self.sync()
        self._snapshot()
        if not self._agent_records:
            return _empty(AGENT_VARIABLES)
        return super().get_agent_vars_dataframe()

    def get_agenttype_vars_dataframe(self, agent_type: Any) -> Any:
        """``Organisation``'s or ``Person``'s own variables, indexed like the agent frame."""
        self.sync()
        self._snapshot()
        if not self._agenttype_records and agent_type in self.agenttype_reporters:
            return _empty(tuple(self.agenttype_reporters[agent_type]))
        return super().get_agenttype_vars_dataframe(agent_type)


def _empty(columns: tuple[str, ...]) -> Any:
    """The frame of no snapshot yet: the columns and the (Step, AgentID) index, no rows."""
    import pandas as pd

    index = pd.MultiIndex.from_arrays([[], []], names=["Step", "AgentID"])
    return pd.DataFrame(index=index, columns=list(columns))


class MesaSurface:
    """Mixin for :class:`DiplomacyModel`: Mesa's ``steps`` and ``datacollector``."""

    week: int
    _datacollector: RecordCollector | None = None

    @property
    def steps(self) -> int:
        """Weeks simulated so far: the model's one week counter (stops at the horizon)."""
        return getattr(self, "week", 0)

    @steps.setter
    def steps(self, value: int) -> None:
        # Mesa 3 sets steps = 0 in Model.__init__ and adds 1 just before it calls step();
        # the week itself is advanced by the step (only before the horizon), so those two
        # writes are absorbed. Any other write would make two counters: refused.
        week = getattr(self, "week", None)
        if week is None and value == 0:
            return
        if week is not None and value == week + 1:
            return
        raise AttributeError(
            f"model.steps is the model's week ({week}); it advances only by model.step()")

    @property
    def datacollector(self) -> RecordCollector:
        """A Mesa DataCollector over the model's record (made on first use, then kept)."""
        if self._datacollector is None:
            self._datacollector = RecordCollector(self)  # type: ignore[arg-type]
        return self._datacollector.sync()
