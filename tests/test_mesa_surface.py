"""The model speaks Mesa: steps is the week, agents_by_type, and a DataCollector over the record."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from mesa.agentset import AbstractAgentSet

from diplomacy_sim import api
from diplomacy_sim.domain.outcomes import OUTCOMES
from diplomacy_sim.model.agents import Charity, Council, Hospital, Organisation, Person
from diplomacy_sim.model.mesa_surface import (
    AGENT_VARIABLES,
    ORGANISATION_VARIABLES,
    PERSON_VARIABLES,
)
from diplomacy_sim.scenario.loader import load_scenario

SCENARIO = "integrated_discharge"


def _model(steps: int | None = 12, seed: int = 5) -> object:
    s = load_scenario(SCENARIO)
    if steps is not None:
        s = s.model_copy(update={"steps": steps, "shocks": [x for x in s.shocks if x.at < steps]})
    return api.build_model(s, seed=seed)


def test_steps_is_the_week_and_stops_at_the_horizon() -> None:
    m = _model(steps=6)
    assert m.steps == m.week == 0
    for k in range(1, 7):
        m.step()
        assert m.steps == m.week == k  # Mesa's own increment is not a second counter
    assert not m.running
    m.step()
    m.step()
    assert m.steps == m.week == m.horizon == 6
    with pytest.raises(AttributeError, match=r"advances only by model\.step"):
        m.steps = 2


def test_agents_by_type_are_mesa_agentsets_of_the_real_agents() -> None:
    m = _model()
    kinds = [str(k) for k in m.state.orgs.kinds]
    for cls, kind in ((Hospital, "hospital"), (Council, "council"), (Charity, "charity")):
        agents = m.agents_by_type[cls]
        assert isinstance(agents, AbstractAgentSet)  # what Mesa 3.5 gives: select, do, agg, ...
        assert sorted(a.index for a in agents) == [i for i, k in enumerate(kinds) if k == kind]
        assert all(a is m.organisations[a.index] for a in agents)
    people = m.agents_by_type[Person]
    assert len(people) == m.state.people.n
    assert all(a is m.people_agents[a.index] for a in people)
    assert sum(len(s) for s in m.agents_by_type.values()) == len(m.agents)


def test_model_frame_equals_the_timeseries_exactly() -> None:
    m = _model(steps=None)
    m.run_to_end()
    frame = m.datacollector.get_model_vars_dataframe()
    ts = api.timeseries(m)
    assert list(frame.columns) == list(OUTCOMES)
    assert list(frame.index) == ts["week"].tolist() == list(range(1, m.horizon + 1))
    pd.testing.assert_frame_equal(frame, ts.set_index("week")[list(OUTCOMES)],
                                  check_names=False, check_index_type=False, rtol=0, atol=0)


def test_the_collector_is_filled_from_the_record_not_by_the_step() -> None:
    m = _model(steps=10)
    for _ in range(4):
        m.step()
    assert m._datacollector is None  # stepping made no collector
    dc = m.datacollector
    assert len(dc.get_model_vars_dataframe()) == 4
    m.run_to_end()
    assert m.datacollector is dc  # made once, kept, caught up on read
    pd.testing.assert_frame_equal(dc.get_model_vars_dataframe(),
                                  api.timeseries(m).set_index("week")[list(OUTCOMES)],
                                  check_names=False, check_index_type=False, rtol=0, atol=0)


def test_agent_frames_hold_each_weeks_state_when_collected_after_each_step() -> None:
    m = _model(steps=8)
    seen: dict[int, dict[int, tuple[float, float, bool]]] = {}
    budgets: dict[int, dict[int, float]] = {}
    while not m.done:
        m.step()
        m.datacollector.collect(m)
        week = m.week  # the week just run, as numbered everywhere (week_number(m.week - 1))
        seen[week] = {a.unique_id: (a.anxiety, a.strain, a.active) for a in m.people_agents}
        budgets[week] = {a.unique_id: a.budget for a in m.organisations}
    agents = m.datacollector.get_agent_vars_dataframe()
    assert list(agents.columns) == list(AGENT_VARIABLES)
    assert agents.index.names == ["Step", "AgentID"]
    assert sorted(set(agents.index.get_level_values("Step"))) == list(range(1, 9))
    assert len(agents) == 8 * len(m.agents)
    people = m.datacollector.get_agenttype_vars_dataframe(Person)
    orgs = m.datacollector.get_agenttype_vars_dataframe(Organisation)
    assert list(people.columns) == list(PERSON_VARIABLES)
    assert list(orgs.columns) == list(ORGANISATION_VARIABLES)
    for week, values in seen.items():
        for uid, (anxiety, strain, active) in values.items():
            row = people.loc[(week, uid)]
            assert (row["anxiety"], row["strain"], bool(row["active"])) == (anxiety, strain, active)
        for uid, budget in budgets[week].items():
            assert orgs.loc[(week, uid), "budget"] == budget
    person = m.people_agents[0]
    assert agents.loc[(8, person.unique_id), "kind"] == person.role
    assert agents.loc[(8, person.unique_id), "organisation"] == person.organisation.key


def test_an_agent_frame_read_after_a_run_is_the_last_week() -> None:
    m = _model(steps=5)
    assert m.datacollector.get_agent_vars_dataframe().empty  # nothing measured yet
    m.run_to_end()
    agents = m.datacollector.get_agent_vars_dataframe()
    assert set(agents.index.get_level_values("Step")) == {5}
    assert np.array_equal(
        agents.xs(5, level="Step").loc[[a.unique_id for a in m.people_agents], "active"]
        .to_numpy(dtype=bool), m.state.people.active)


def test_the_surface_changes_no_number() -> None:
    m = _model(steps=30, seed=11)
    plain = api.run(m.spec, seed=11)
    while not m.done:
        m.step()
        m.datacollector.collect(m)
    pd.testing.assert_frame_equal(api.timeseries(m), plain.timeseries, rtol=0, atol=0)


def _same_run(a: object, b: object) -> None:
    assert a.rows == b.rows  # type: ignore[attr-defined]
    assert [e.record() for e in a.events] == [e.record() for e in b.events]  # type: ignore[attr-defined]
    for name, gen in a.rngs.items():  # type: ignore[attr-defined]
        if name != "mesa":  # every stream but Mesa's own is left where the run left it
            assert gen.bit_generator.state == b.rngs[name].bit_generator.state, name  # type: ignore[attr-defined]


@pytest.mark.parametrize("scenario", [
    "integrated_discharge", "austerity_perfect_storm", "devolution_reorganisation",
    "icb_merger", "national_body_abolition", "safeguarding_hub"])
def test_the_mesa_free_core_steps_to_the_same_bits_as_the_mesa_model(scenario: str) -> None:
    import mesa

    from diplomacy_sim.model.mesa_model import DiplomacyModel
    from diplomacy_sim.model.model import DiplomacyCore

    s = load_scenario(scenario)
    core, mesa_model = DiplomacyCore(s, seed=7), DiplomacyModel(s, seed=7)
    assert isinstance(mesa_model, mesa.Model) and isinstance(mesa_model, DiplomacyCore)
    assert not isinstance(core, mesa.Model) and not hasattr(core, "agents")
    inject = {"kind": "leadership_turnover", "organisation": s.organisations[0].id}
    for m in (core, mesa_model):
        while not m.done:
            if m.week == 5:
                m.inject(dict(inject))
            m.step()
    _same_run(core, mesa_model)
    plain = DiplomacyModel(s, seed=7)  # api.run (by name) runs a core: the same result
    plain.run_to_end()
    by_name = api.run(scenario, seed=7)
    assert by_name.summary == api.summarise(plain)
    pd.testing.assert_frame_equal(by_name.timeseries, api.timeseries(plain), rtol=0, atol=0)


def test_the_core_equals_the_mesa_model_on_the_reference_engine_too() -> None:
    from diplomacy_sim.model.mesa_model import DiplomacyModel
    from diplomacy_sim.model.model import DiplomacyCore

    s = load_scenario("safeguarding_hub").model_copy(update={"steps": 20})
    core = DiplomacyCore(s, seed=3, engine="reference")
    mesa_model = DiplomacyModel(s, seed=3, engine="reference")
    core.run_to_end()
    mesa_model.run_to_end()
    _same_run(core, mesa_model)


def test_the_mesa_model_is_reached_through_every_old_path() -> None:
    import diplomacy_sim as ds
    from diplomacy_sim.model import mesa_model, model

    assert model.DiplomacyModel is mesa_model.DiplomacyModel is ds.DiplomacyModel
    assert type(api.build_model(SCENARIO)) is mesa_model.DiplomacyModel
    with pytest.raises(AttributeError, match="no attribute 'DiplomacyModell'"):
        model.DiplomacyModell  # noqa: B018
