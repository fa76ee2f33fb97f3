"""The shock registry is the one list of shock kinds: every layer reads it, and its rules
(which organisations a kind may hit, what may merge into what) hold wherever a shock comes
from: a scenario file, an experiment, an injection, the dashboard's panel."""

from __future__ import annotations

import itertools

import pytest
import yaml
from click.testing import CliRunner

from diplomacy_sim.cli import main
from diplomacy_sim.dashboard import session as dash
from diplomacy_sim.domain.shocks import SHOCK_KINDS, can_merge, sector_of
from diplomacy_sim.model.model import DiplomacyModel
from diplomacy_sim.scenario import loader, schema
from diplomacy_sim.scenario.loader import (
    SCENARIO_DIR,
    ScenarioError,
    load_scenario,
    scenario_from_dict,
)

SHIPPED = sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml"))


def test_every_layer_reads_the_one_list_of_kinds():
    names = tuple(SHOCK_KINDS)
    assert schema.SHOCK_KINDS == names
    assert tuple(schema.SHOCK_CLASSES) == names
    assert tuple(loader._shock_tags()) == names
    assert set(dash.SHOCK_CLASSES) == {n for n, k in SHOCK_KINDS.items() if k.injectable}
    out = CliRunner().invoke(main, ["shocks"]).output
    assert [line.split(":")[0] for line in out.splitlines() if not line.startswith(" ")] == \
        list(names)


def test_every_kind_names_organisation_fields_its_schema_class_has():
    for name, kind in SHOCK_KINDS.items():
        assert set(kind.org_fields) <= set(schema.SHOCK_CLASSES[name].model_fields), name
        assert set(kind.panel_defaults) <= set(schema.SHOCK_CLASSES[name].model_fields), name


def _with_shock(data: dict, shock: dict) -> dict:
    return {**data, "shocks": [shock]}


def _shock_of(kind: str, data: dict, orgs: list[str]) -> dict:
    issue = data["issues"][0]["id"]
    base = {"kind": kind, "at": 1}
    return {
        "reorganisation": {**base, "mode": "restructure", "organisations": orgs[:1]},
        "budget_cut": {**base, "organisations": orgs[:1]},
        "demand_surge": base,
        "leadership_turnover": {**base, "organisation": orgs[0]},
        "national_mandate": {**base, "issue": issue, "organisations": orgs[:1]},
        "election": base,
    }[kind]


@pytest.mark.parametrize("name", SHIPPED)
@pytest.mark.parametrize("kind", list(SHOCK_KINDS))
def test_each_kind_is_applied_through_the_registry_on_every_scenario(name, kind):
    data = load_scenario(name).model_dump(mode="json")
    allowed = [o["id"] for o in data["organisations"]
               if SHOCK_KINDS[kind].applies_to(o["kind"])]
    s = scenario_from_dict(_with_shock({**data, "steps": 3}, _shock_of(kind, data, allowed)))
    m = DiplomacyModel(s)
    m.step()
    m.step()
    assert any(e.kind == kind for e in m.events) or kind == "leadership_turnover"


def _pairs():
    for name in SHIPPED:
        orgs = load_scenario(name).organisations
        for a, b in itertools.permutations(orgs, 2):
            yield pytest.param(name, a.id, a.kind, b.id, b.kind,
                               id=f"{name}:{a.kind}->{b.kind}:{a.id}")


@pytest.mark.parametrize("name,a,akind,b,bkind", list(_pairs()))
def test_a_merge_is_accepted_exactly_when_the_rule_allows_it(name, a, akind, b, bkind):
    data = load_scenario(name).model_dump(mode="json")
    shock = {"kind": "reorganisation", "at": 1, "mode": "merge", "organisations": [a],
             "into": b}
    if can_merge(akind, bkind):
        scenario_from_dict(_with_shock(data, shock))
    else:
        with pytest.raises(ScenarioError) as info:
            scenario_from_dict(_with_shock(data, shock))
        (msg,) = info.value.problems
        assert "shocks[0].organisations[0]" in msg and "cannot be merged into" in msg
        into = sector_of(bkind)
        absorbs = {into} | ({"voluntary"} if into in ("nhs", "local_government") else set())
        assert f"absorbs only: {', '.join(sorted(absorbs))}" in msg


def test_a_hospital_cannot_be_merged_into_a_charity_but_a_charity_into_a_council_can():
    assert not can_merge("hospital", "charity")
    assert can_merge("charity", "council")
    assert can_merge("district_council", "council")
    assert not can_merge("council", "hospital")
    assert can_merge("police", "police") and not can_merge("police", "school")


@pytest.mark.parametrize("name", SHIPPED)
def test_a_national_mandate_never_binds_a_charity(name):
    data = load_scenario(name).model_dump(mode="json")
    charities = [o["id"] for o in data["organisations"] if o["kind"] == "charity"]
    if not charities:
        pytest.skip("no charity here")
    shock = {"kind": "national_mandate", "at": 1, "issue": data["issues"][0]["id"],
             "organisations": charities}
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(_with_shock(data, shock))
    assert len(info.value.problems) == len(charities)
    assert all("does not apply to the voluntary sector" in p for p in info.value.problems)


def test_an_injected_merge_obeys_the_rule_too():
    s = load_scenario("integrated_discharge")
    m = DiplomacyModel(s)
    hospital = next(o.id for o in s.organisations if o.kind == "hospital")
    charity = next(o.id for o in s.organisations if o.kind == "charity")
    with pytest.raises(ScenarioError, match="cannot be merged into"):
        m.inject({"kind": "reorganisation", "mode": "merge", "organisations": [hospital],
                  "into": charity})


def test_an_experiment_regime_obeys_the_rule(tmp_path):
    from diplomacy_sim.batch.experiment import load_experiment

    s = load_scenario("integrated_discharge")
    hospital = next(o.id for o in s.organisations if o.kind == "hospital")
    charity = next(o.id for o in s.organisations if o.kind == "charity")
    path = tmp_path / "e.yaml"
    path.write_text(yaml.safe_dump({
        "name": "e", "title": "E", "description": "E.", "base": "integrated_discharge",
        "master_seed": 1, "shock_regimes": {"bad": [
            {"kind": "reorganisation", "at": 1, "mode": "merge", "organisations": [hospital],
             "into": charity}]}}))
    with pytest.raises(ScenarioError) as info:
        load_experiment(path)
    assert "cannot be merged into" in str(info.value)
