"""Scenario files: what every shipped scenario promises, and how bad input is reported.

Each bad-input test writes a small broken scenario and checks the one thing a user needs:
a single clear problem naming the file, the field and what is allowed there.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

import diplomacy_sim as ds
from diplomacy_sim.scenario.loader import (
    SCENARIO_DIR,
    ScenarioError,
    load_scenario,
    parse_override,
    scale_people,
    scenario_from_dict,
)
from diplomacy_sim.scenario.schema import ROLES, Scenario

SHIPPED = sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml"))
NEW = [
    "austerity_perfect_storm",
    "devolution_reorganisation",
    "icb_merger",
    "national_body_abolition",
    "safeguarding_hub",
]


@pytest.fixture(scope="module")
def shipped() -> dict[str, Scenario]:
    return {name: load_scenario(name) for name in SHIPPED}


def _raw(name: str) -> dict[str, Any]:
    return yaml.safe_load((SCENARIO_DIR / f"{name}.yaml").read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- shipped scenarios
def test_the_six_scenarios_are_shipped():
    assert set(NEW) | {"integrated_discharge"} <= set(SHIPPED)


@pytest.mark.parametrize("name", SHIPPED)
def test_a_shipped_scenario_validates_and_runs_a_few_weeks(name, shipped):
    spec = shipped[name]
    assert spec.name == name, "the file name and the scenario's name agree"
    result = ds.run(spec, seed=1, steps=6)
    assert len(result.timeseries) == 6
    assert result.summary["people"] == spec.n_people
    assert np.isfinite(result.timeseries.drop(columns="week").to_numpy()).all()


@pytest.mark.parametrize("name", SHIPPED)
def test_a_shipped_scenario_explains_itself_to_learners(name, shipped):
    spec = shipped[name]
    sentences = [s for s in spec.description.replace("?", ".").split(". ") if s.strip()]
    assert 2 <= len(sentences) <= 5, "a short plain-words description"
    assert "try" in spec.description.lower() or "compare" in spec.description.lower(), (
        "the description says what to try"
    )
    assert spec.source.strip(), "the situation is grounded in a named source"


@pytest.mark.parametrize("name", SHIPPED)
def test_every_organisation_has_joint_work_on_its_top_priority(name, shipped):
    """Otherwise it goes cold from the first weeks, whatever the doctrine."""
    spec = shipped[name]
    for org in spec.organisations:
        priorities = {max(org.agenda, key=lambda k: org.agenda[k])}
        if org.target:
            priorities.add(org.target)
        for top in priorities:
            assert any(
                org.id in ini.parties and ini.advances.get(top, 0.0) >= 0.25
                for ini in spec.initiatives
            ), f"{org.id}: no initiative it is party to advances {top}"


@pytest.mark.parametrize("name", SHIPPED)
def test_agendas_cover_four_to_six_issues(name, shipped):
    spec = shipped[name]
    assert 4 <= len(spec.issues) <= 6
    for org in spec.organisations:
        assert sum(org.agenda.values()) == pytest.approx(1.0)


def test_sizes_range_from_a_training_table_to_a_whole_place(shipped):
    sizes = {name: s.n_people for name, s in shipped.items()}
    assert min(sizes.values()) <= 20, sizes
    assert max(sizes.values()) >= 300, sizes
    assert 12 <= sizes["safeguarding_hub"] <= 20
    assert 300 <= sizes["devolution_reorganisation"] <= 600


def _kinds(spec: Scenario) -> dict[str, str]:
    return {o.id: o.kind for o in spec.organisations}


def test_icb_merger_merges_two_icbs_with_a_cut(shipped):
    spec = shipped["icb_merger"]
    kinds = _kinds(spec)
    merges = [s for s in spec.shocks if s.kind == "reorganisation" and s.mode == "merge"]
    assert len(merges) == 1
    merge = merges[0]
    assert 50 <= merge.at <= 70
    assert {kinds[o] for o in [*merge.organisations, merge.into]} == {"icb"}
    cuts = [s for s in spec.shocks if s.kind == "budget_cut"]
    assert cuts and all(kinds[o] == "icb" for c in cuts for o in c.organisations)


def test_national_body_abolition_passes_functions_to_an_icb(shipped):
    spec = shipped["national_body_abolition"]
    kinds = _kinds(spec)
    (abolish,) = [s for s in spec.shocks if s.kind == "reorganisation"]
    assert abolish.mode == "abolish"
    assert [kinds[o] for o in abolish.organisations] == ["national_body"]
    assert kinds[abolish.into] == "icb"
    assert abolish.distraction_weeks >= 26, "attention is diverted for months"
    assert any(s.kind == "leadership_turnover" for s in spec.shocks)


def test_austerity_cuts_the_council_repeatedly_and_its_grants_with_it(shipped):
    spec = shipped["austerity_perfect_storm"]
    kinds = _kinds(spec)
    cuts = [s for s in spec.shocks if s.kind == "budget_cut"]
    assert len(cuts) >= 2
    assert all(kinds[o] == "council" for c in cuts for o in c.organisations)
    funded = [o for o in spec.organisations if o.funded_by and o.grant_share > 0]
    assert len(funded) >= 2 and all(o.kind == "charity" for o in funded)
    assert all(kinds[o.funded_by] == "council" for o in funded)
    assert any(s.kind == "demand_surge" for s in spec.shocks)


def test_safeguarding_hub_brings_the_agencies_and_an_election(shipped):
    spec = shipped["safeguarding_hub"]
    assert {"council", "police", "school", "charity"} <= set(_kinds(spec).values())
    assert any(s.kind == "election" for s in spec.shocks)
    council = next(o for o in spec.organisations if o.kind == "council")
    assert council.people.get("councillor", 0) >= 1, "an election needs councillors"


def test_devolution_folds_two_districts_into_a_unitary(shipped):
    spec = shipped["devolution_reorganisation"]
    kinds = _kinds(spec)
    (merge,) = [s for s in spec.shocks if s.kind == "reorganisation" and s.mode == "merge"]
    assert [kinds[o] for o in merge.organisations] == ["district_council"] * 2
    assert kinds[merge.into] == "council"


@pytest.mark.parametrize("name", NEW)
def test_some_joint_work_gets_going_under_diplomacy(name, shipped):
    """Not a degenerate scenario: in some of seeds 1-3 joint work is delivered."""
    peaks = []
    for seed in (1, 2, 3):
        ts = ds.run(shipped[name], seed=seed).timeseries
        peaks.append(float(ts["integration"].max()))
        if peaks[-1] > 0.1:
            break
    assert max(peaks) > 0.1, peaks


# --------------------------------------------------------------------------- --people
@pytest.mark.parametrize("name", SHIPPED)
@pytest.mark.parametrize("factor", [0.5, 3.0])
def test_scaling_keeps_the_total_the_proportions_and_an_executive_each(name, factor, shipped):
    spec = shipped[name]
    n = max(int(spec.n_people * factor), 2 * len(spec.organisations))
    scaled = scale_people(spec, n)
    assert scaled.n_people == n
    for before, after in zip(spec.organisations, scaled.organisations, strict=True):
        assert after.people.get("executive", 0) >= 1
        assert set(after.people) <= set(before.people) | {"executive"}
        for role in ROLES:
            want = before.people.get(role, 0) * n / spec.n_people
            got = after.people.get(role, 0)
            assert abs(got - want) <= 1.5, (after.id, role, got, want)
    assert scaled.model_dump(exclude={"organisations"}) == spec.model_dump(
        exclude={"organisations"}
    ), "nothing but the head-counts changes"


def test_scaling_down_to_a_table_keeps_one_executive_per_organisation(shipped):
    spec = shipped["devolution_reorganisation"]
    m = len(spec.organisations)
    scaled = scale_people(spec, m)
    assert [o.people.get("executive") for o in scaled.organisations] == [1] * m
    assert scaled.n_people == m


def test_scaling_gives_an_organisation_without_an_executive_one(shipped):
    data = shipped["integrated_discharge"].model_dump(mode="json")
    data["organisations"][3]["people"] = {"manager": 1, "frontline": 3}
    scaled = scale_people(scenario_from_dict(data), 40)
    assert scaled.organisations[3].people["executive"] == 1
    assert scaled.n_people == 40


def test_scaling_below_one_executive_per_organisation_is_refused(shipped):
    with pytest.raises(ScenarioError, match=r"(?s)--people.*3 is too few.*at least 4"):
        scale_people(shipped["integrated_discharge"], 3)


def test_load_with_people_scales(shipped):
    spec = load_scenario("safeguarding_hub", people=60)
    assert spec.n_people == 60


# --------------------------------------------------------------------------- bad input
BASE = "integrated_discharge"


def _write(tmp_path: Path, data: Any = None, text: str | None = None) -> Path:
    path = tmp_path / "broken.yaml"
    if text is None:
        text = yaml.safe_dump(data, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path


def _problem(path: Path, **kwargs: Any) -> str:
    """The single problem reported for ``path``; the message is one clear paragraph."""
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, **kwargs)
    exc = info.value
    message = str(exc)
    assert message.startswith(f"{path}: 1 problem(s) found."), message
    assert len(exc.problems) == 1, exc.problems
    assert "Traceback" not in message and "\n\n" not in message
    assert "pydantic" not in message.lower() and "errors.pydantic.dev" not in message
    return exc.problems[0]


def _mutated(change: Any) -> dict[str, Any]:
    data = copy.deepcopy(_raw(BASE))
    change(data)
    return data


BAD_FIELDS: list[tuple[str, Any, list[str]]] = [
    (
        "unknown top-level key",
        lambda d: d.update(doctrin="command"),
        ["field `doctrin`", "unknown key `doctrin`", "Did you mean `doctrine`?",
         "Allowed keys here:"],
    ),
    (
        "unknown nested parameter",
        lambda d: d.update(parameters={"trust": {"los_ratio": 3}}),
        ["field `parameters.trust.los_ratio`", "Did you mean `loss_ratio`?"],
    ),
    (
        "unknown key in an organisation",
        lambda d: d["organisations"][1].update(budjet=3),
        ["field `organisations[1].budjet`", "Did you mean `budget`?"],
    ),
    (
        "unknown key in a shock",
        lambda d: d["shocks"][0].update(multipler=2),
        ["field `shocks[0].multipler`", "Did you mean `multiplier`?",
         "Allowed keys here: at, duration, intensity, kind, label, multiplier"],
    ),
    (
        "wrong type for a whole number",
        lambda d: d.update(steps="many"),
        ["field `steps`", "'many' has the wrong type", "allowed: a whole number from 1 to 5200"],
    ),
    (
        "wrong type for a number",
        lambda d: d["organisations"][0].update(budget="lots"),
        ["field `organisations[0].budget`", "wrong type", "a number from 0.01 to 100000"],
    ),
    (
        "a list where a group of settings belongs",
        lambda d: d.update(parameters={"trust": [1, 2]}),
        ["field `parameters.trust`", "wrong type", "a mapping with keys from", "loss_ratio"],
    ),
    (
        "out-of-range organisation field",
        lambda d: d["organisations"][0].update(identity=1.5),
        ["field `organisations[0].identity`", "1.5 is out of range", "from 0 to 1"],
    ),
    (
        "out-of-range parameter",
        lambda d: d.update(parameters={"trust": {"loss_ratio": 0.5}}),
        ["field `parameters.trust.loss_ratio`", "0.5 is out of range", "from 1 to 10", "ratio"],
    ),
    (
        "out-of-range shock field",
        lambda d: d["shocks"][0].update(multiplier=9),
        ["field `shocks[0].multiplier`", "9 is out of range", "from 1 to 5"],
    ),
    (
        "negative week",
        lambda d: d["shocks"][0].update(at=-1),
        ["field `shocks[0].at`", "-1 is out of range", "at least 0"],
    ),
    (
        "a doctrine that does not exist",
        lambda d: d.update(doctrine="diplomcy"),
        ["field `doctrine`", "`diplomcy` is not allowed", "'command'", "Did you mean `diplomacy`?"],
    ),
    (
        "a role that does not exist",
        lambda d: d["organisations"][0]["people"].update(nurse=3),
        ["field `organisations[0].people.nurse`", "'executive'", "'enabler'"],
    ),
    (
        "a shock kind that does not exist",
        lambda d: d["shocks"].append({"kind": "budget_cuts", "at": 3}),
        ["field `shocks[2].kind`", "`budget_cuts` is not a shock kind",
         "Did you mean `budget_cut`?"],
    ),
    (
        "a shock without a kind",
        lambda d: d["shocks"].append({"at": 3}),
        ["field `shocks[2]`", "needs a `kind`"],
    ),
    (
        "a required field missing",
        lambda d: d.pop("issues"),
        ["field `issues`", "required but missing"],
    ),
    (
        "an id that is not an identifier",
        lambda d: d.update(name="Bad Name"),
        ["field `name`", "lower-case letters, digits and underscores"],
    ),
    (
        "agenda on an issue that does not exist",
        lambda d: d["organisations"][0]["agenda"].update(housin=0.1),
        ["field `organisations[0].agenda.housin`", "`housin` is not a known issue",
         "allowed: discharge, admissions", "Did you mean `housing`?"],
    ),
    (
        "initiative party that does not exist",
        lambda d: d["initiatives"][0]["parties"].append("city_councl"),
        ["field `initiatives[0].parties[3]`", "not a known organisation",
         "allowed: northgate_hospital, city_council", "Did you mean `city_council`?"],
    ),
    (
        "initiative advancing an issue that does not exist",
        lambda d: d["initiatives"][1]["advances"].update(prevension=0.5),
        ["field `initiatives[1].advances.prevension`", "not a known issue",
         "Did you mean `prevention`?"],
    ),
    (
        "initiative lead that is not a party",
        lambda d: d["initiatives"][3].update(lead="shelter_link"),
        ["field `initiatives[3].lead`", "not a known party of this initiative",
         "allowed: city_council, home_first_charity"],
    ),
    (
        "shock on an organisation that does not exist",
        lambda d: d["shocks"].append(
            {"kind": "budget_cut", "at": 3, "organisations": ["citycouncil"]}
        ),
        ["field `shocks[2].organisations[0]`", "`citycouncil` is not a known organisation",
         "Did you mean `city_council`?"],
    ),
    (
        "leadership turnover in an organisation that does not exist",
        lambda d: d["shocks"].append(
            {"kind": "leadership_turnover", "at": 3, "organisation": "northgate"}
        ),
        ["field `shocks[2].organisation`", "not a known organisation"],
    ),
    (
        "a merge into an organisation that does not exist",
        lambda d: d["shocks"].append({"kind": "reorganisation", "mode": "merge", "at": 3,
                                      "organisations": ["shelter_link"], "into": "nobody"}),
        ["field `shocks[2].into`", "`nobody` is not a known organisation"],
    ),
    (
        "a merge without `into`",
        lambda d: d["shocks"].append({"kind": "reorganisation", "mode": "merge", "at": 3,
                                      "organisations": ["shelter_link"]}),
        ["field `shocks[2].into`", "a merge needs `into`"],
    ),
    (
        "a mandate on an issue that does not exist",
        lambda d: d["shocks"].append({"kind": "national_mandate", "at": 3, "issue": "waits",
                                      "organisations": ["city_council"]}),
        ["field `shocks[2].issue`", "`waits` is not a known issue"],
    ),
    (
        "a shock scheduled past the horizon",
        lambda d: d["shocks"].append({"kind": "election", "at": 200}),
        ["field `shocks[2].at`", "week 200 is past the horizon", "allowed: 0 to 155"],
    ),
    (
        "a grant without a funder",
        lambda d: d["organisations"][3].pop("funded_by"),
        ["field `organisations[3].grant_share`", "needs `funded_by`"],
    ),
    (
        "a funder that does not exist",
        lambda d: d["organisations"][3].update(funded_by="county_council"),
        ["field `organisations[3].funded_by`", "not a known organisation"],
    ),
    (
        "an issue defined twice",
        lambda d: d["issues"].append({"id": "housing", "label": "Housing again"}),
        ["field `issues[5].id`", "`housing` is defined twice"],
    ),
    (
        "an organisation with nobody in it",
        lambda d: d["organisations"][3].update(people={"frontline": 0}),
        ["field `organisations[3].people`", "at least one person"],
    ),
]


@pytest.mark.parametrize(
    ("case", "change", "expected"), BAD_FIELDS, ids=[c[0] for c in BAD_FIELDS]
)
def test_a_bad_field_is_named_with_what_is_allowed(tmp_path, case, change, expected):
    path = _write(tmp_path, _mutated(change))
    problem = _problem(path)
    for text in expected:
        assert text in problem, f"{case}: {text!r} not in {problem!r}"


BAD_FILES: list[tuple[str, str, list[str]]] = [
    ("malformed YAML", "name: x\n  title: [unclosed\n",
     ["not valid YAML at line 2, column 8", "indentation"]),
    ("unclosed bracket", "name: x\nissues: [a, b\n", ["not valid YAML at line 3"]),
    ("a comma inside unquoted flow text",
     "issues:\n  - {id: a, label: Debt, benefits}\n", ["field `issues[0].benefits`"]),
    ("empty file", "", ["the file is empty", "allowed: a YAML mapping"]),
    ("only comments", "# a scenario, one day\n", ["the file is empty"]),
    ("top level is a list", "- name: x\n- title: y\n",
     ["field `(top level)`", "holds a list", "allowed: a YAML mapping"]),
    ("top level is text", "integrated discharge\n", ["holds a single piece of text"]),
]


@pytest.mark.parametrize(("case", "text", "expected"), BAD_FILES, ids=[c[0] for c in BAD_FILES])
def test_a_file_that_is_not_a_scenario_mapping_is_explained(tmp_path, case, text, expected):
    path = _write(tmp_path, text=text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    assert "Traceback" not in message
    for part in expected:
        assert part in message, f"{case}: {part!r} not in {message!r}"


def test_a_missing_file_lists_the_shipped_scenarios(tmp_path):
    with pytest.raises(ScenarioError) as info:
        load_scenario("integrated_dischage")
    message = str(info.value)
    assert message.startswith("integrated_dischage: ")
    assert "file not found" in message and "integrated_discharge" in message


def test_every_problem_in_a_file_is_reported_at_once(tmp_path):
    def two(d: dict[str, Any]) -> None:
        d["doctrin"] = "command"
        d["organisations"][0]["identity"] = 2.0

    with pytest.raises(ScenarioError) as info:
        load_scenario(_write(tmp_path, _mutated(two)))
    assert len(info.value.problems) == 2


# --------------------------------------------------------------------------- --set
def _set(*texts: str) -> Scenario:
    return load_scenario(BASE, overrides=dict(parse_override(t) for t in texts))


def test_set_changes_parameters_and_entities_by_id_or_position():
    spec = _set(
        "parameters.trust.loss_ratio=3",
        "doctrine=command",
        "organisations.city_council.budget=200",
        "organisations.city_council.agenda.housing=0.5",
        "shocks.0.multiplier=1.5",
    )
    assert spec.parameters.trust.loss_ratio == 3.0
    assert spec.doctrine == "command"
    council = next(o for o in spec.organisations if o.id == "city_council")
    assert council.budget == 200 and council.agenda["housing"] == 0.5
    assert spec.shocks[0].multiplier == 1.5


BAD_SETS: list[tuple[str, list[str]]] = [
    ("parameters.trust.los_ratio=3",
     ["--set `parameters.trust.los_ratio`", "unknown key `los_ratio`", "allowed: encounter_gain",
      "Did you mean `loss_ratio`?"]),
    ("parameters.trst.loss_ratio=3", ["unknown key `trst`", "Did you mean `trust`?"]),
    ("doctrin=command", ["--set `doctrin`", "Did you mean `doctrine`?"]),
    ("steps.weeks=3", ["`steps` is a single value", "no key `weeks`"]),
    ("organisations.city_counil.budget=3",
     ["no element `city_counil`", "an id: northgate_hospital", "Did you mean `city_council`?"]),
    ("shocks.9.at=3", ["`shocks` has no element `9`", "a position from 0 to 1"]),
    ("parameters.trust.loss_ratio=99",
     ["field `parameters.trust.loss_ratio`", "99 is out of range", "from 1 to 10"]),
    ("parameters.trust.loss_ratio=high", ["field `parameters.trust.loss_ratio`", "wrong type"]),
]


@pytest.mark.parametrize(("text", "expected"), BAD_SETS, ids=[t for t, _ in BAD_SETS])
def test_a_bad_set_names_the_path_and_what_is_allowed(text, expected):
    with pytest.raises(ScenarioError) as info:
        _set(text)
    message = str(info.value)
    assert message.startswith(str(SCENARIO_DIR / f"{BASE}.yaml"))
    assert len(info.value.problems) == 1
    for part in expected:
        assert part in message, f"{part!r} not in {message!r}"


def test_a_set_without_a_value_is_refused():
    with pytest.raises(ScenarioError, match=r"(?s)--set.*`steps`: no `=`; allowed: PATH=VALUE"):
        parse_override("steps")
