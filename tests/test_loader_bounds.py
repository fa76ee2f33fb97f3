"""Every check the loader makes, at its exact bound: the bound is allowed, one step past is not.

The bounded fields are found by walking the schema itself (every field with ``ge``/``le``
metadata, in every model a scenario can hold, shocks of every kind included), so a
parameter added to the schema is covered here without editing this file. At each bound the
value is accepted; the nearest value past it (the next float, or the next whole number) is
refused with one message naming the field and saying it is out of range.
"""

from __future__ import annotations

import copy
import math
import types
import typing
from dataclasses import dataclass
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from diplomacy_sim.scenario import schema
from diplomacy_sim.scenario.loader import SCENARIO_DIR, ScenarioError, scenario_from_dict
from diplomacy_sim.scenario.schema import Scenario, tunable_parameters

BASE_NAME = "integrated_discharge"
FUNDED_ORG = 2  # home_first_charity: has `funded_by`, so any grant_share is allowed

EXAMPLE_SHOCKS: dict[str, dict[str, Any]] = {
    "reorganisation": {"mode": "restructure", "organisations": ["city_council"]},
    "budget_cut": {"organisations": ["city_council"]},
    "demand_surge": {},
    "leadership_turnover": {"organisation": "northgate_hospital"},
    "national_mandate": {"issue": "discharge", "organisations": ["northgate_hospital"]},
    "election": {},
}
"""A minimal valid shock of each kind (``kind`` and ``at`` are added)."""


def base() -> dict[str, Any]:
    """The shipped discharge scenario with one shock of every kind, all in week 0."""
    data = yaml.safe_load((SCENARIO_DIR / f"{BASE_NAME}.yaml").read_text(encoding="utf-8"))
    data["shocks"] = [{"kind": k, "at": 0, **v} for k, v in EXAMPLE_SHOCKS.items()]
    return data


def shock_members() -> dict[str, type[BaseModel]]:
    union = typing.get_args(typing.get_args(schema.Shock)[0])
    return {m.model_fields["kind"].annotation.__args__[0]: m for m in union}


@dataclass(frozen=True)
class Bounded:
    """A bounded numeric field at one place in a scenario's data."""

    path: tuple[Any, ...]  # keys and list positions into the data
    shown: str  # the path as the loader's messages write it
    kind: type
    low: float | None
    high: float | None


def _limits(metadata: list[Any]) -> tuple[Any, Any]:
    lo = hi = None
    for m in metadata:
        lo = getattr(m, "ge", lo)
        hi = getattr(m, "le", hi)
    return lo, hi


def _shown(path: tuple[Any, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out


def _numeric(ann: Any) -> tuple[type | None, list[Any]]:
    """(int or float, extra bound metadata) for a numeric annotation, else (None, [])."""
    if ann in (int, float):
        return ann, []
    if typing.get_origin(ann) in (typing.Union, types.UnionType):  # optional: `float | None`
        inner = [a for a in typing.get_args(ann) if a is not type(None)]
        return _numeric(inner[0]) if len(inner) == 1 else (None, [])
    if typing.get_origin(ann) is typing.Annotated:
        inner, *meta = typing.get_args(ann)
        extra = [x for m in meta for x in getattr(m, "metadata", [m])]
        return (inner if inner in (int, float) else None), extra
    return None, []


def walk(model: type[BaseModel], data: dict[str, Any], path: tuple[Any, ...]):
    """Every bounded numeric field reachable from ``model`` at ``data``."""
    for name, field in model.model_fields.items():
        ann = field.annotation
        here = (*path, name)
        kind, _ = _numeric(ann)
        if kind is not None:
            lo, hi = _limits(field.metadata)
            if lo is not None or hi is not None:
                yield Bounded(here, _shown(here), kind, lo, hi)
            continue
        origin = typing.get_origin(ann)
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            yield from walk(ann, data.get(name) or {}, here)
        elif origin is dict:
            vkind, meta = _numeric(typing.get_args(ann)[1])
            lo, hi = _limits(meta)
            if vkind is not None and (lo is not None or hi is not None):
                key = next(iter(data[name]))
                yield Bounded((*here, key), _shown((*here, key)), vkind, lo, hi)
        elif origin is list and name == "shocks":
            members = shock_members()
            for pos, shock in enumerate(data[name]):
                yield from walk(members[shock["kind"]], shock, (*here, pos))
        elif origin is list:
            inner = typing.get_args(ann)[0]
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                pos = FUNDED_ORG if name == "organisations" else 0
                yield from walk(inner, data[name][pos], (*here, pos))


BOUNDED = list(walk(Scenario, base(), ()))


def with_value(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    data = base()
    node: Any = data
    for part in path[:-1]:
        node = node.setdefault(part, {}) if isinstance(part, str) else node[part]
    node[path[-1]] = value
    return data


def past(value: Any, kind: type, direction: float) -> Any:
    return value + int(direction) if kind is int else math.nextafter(float(value), direction * math.inf)


def at(value: Any, kind: type) -> Any:
    return int(value) if kind is int else float(value)


def cases(side: str):
    out = []
    for b in BOUNDED:
        bound = b.low if side == "low" else b.high
        if bound is not None:
            out.append(pytest.param(b, bound, id=f"{b.shown}={bound:g}"))
    return out


def refused(data: dict[str, Any]) -> list[str]:
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(data, source="bounds.yaml")
    assert str(err.value).startswith("bounds.yaml: "), "the message names the file"
    return err.value.problems


# --------------------------------------------------------------------------- schema bounds
def test_the_walk_finds_every_tunable_parameter_and_every_entity_and_shock_bound():
    shown = {b.shown for b in BOUNDED}
    assert {p.path for p in tunable_parameters()} <= shown
    for kind in shock_members():
        assert any(b.shown.startswith("shocks[") and b.path[1] == list(EXAMPLE_SHOCKS).index(kind)
                   for b in BOUNDED), f"no bounded field found for shock kind {kind}"
    for expected in ("organisations[2].budget", "organisations[2].people.executive",
                     "initiatives[0].cost", "initiatives[0].advances.discharge",
                     "issues[0].weight", "seed", "shocks[0].at", "shocks[2].multiplier"):
        assert expected in shown, expected


def test_every_shock_kind_has_an_example_here():
    assert set(EXAMPLE_SHOCKS) == set(shock_members()) == set(schema.SHOCK_KINDS)


@pytest.mark.parametrize(("field", "bound"), cases("low"))
def test_a_field_at_its_lower_bound_is_accepted(field, bound):
    scenario_from_dict(with_value(field.path, at(bound, field.kind)), source="bounds.yaml")


@pytest.mark.parametrize(("field", "bound"), cases("high"))
def test_a_field_at_its_upper_bound_is_accepted(field, bound):
    data = with_value(field.path, at(bound, field.kind))
    if "people" not in field.path or bound < schema.MAX_PEOPLE:
        scenario_from_dict(data, source="bounds.yaml")
        return
    # one role's count may reach the cap on people in all, but the place's other people then
    # take it past the cap: that rule, and no range of this field, is the only refusal
    problems = refused(data)
    assert len(problems) == 1, problems
    assert "people in all" in problems[0] and f"{schema.MAX_PEOPLE:,}" in problems[0], problems
    assert "out of range" not in problems[0], problems


@pytest.mark.parametrize(("field", "bound"), cases("low"))
def test_a_field_just_below_its_lower_bound_is_refused_by_name(field, bound):
    value = past(bound, field.kind, -1.0)
    problems = refused(with_value(field.path, value))
    assert len(problems) == 1, problems
    assert f"field `{field.shown}`" in problems[0] and "out of range" in problems[0], problems[0]


@pytest.mark.parametrize(("field", "bound"), cases("high"))
def test_a_field_just_above_its_upper_bound_is_refused_by_name(field, bound):
    value = past(bound, field.kind, 1.0)
    problems = refused(with_value(field.path, value))
    assert len(problems) == 1, problems
    assert f"field `{field.shown}`" in problems[0] and "out of range" in problems[0], problems[0]


def test_productive_width_at_zero_is_refused_and_its_lower_bound_runs():
    problems = refused(with_value(("parameters", "affect", "productive_width"), 0.0))
    assert "parameters.affect.productive_width" in problems[0] and "0.01" in problems[0]
    import diplomacy_sim as ds

    low = scenario_from_dict(with_value(("parameters", "affect", "productive_width"), 0.01))
    ts = ds.run(low.model_copy(update={"steps": 8}), seed=1).timeseries
    assert ts.drop(columns="week").notna().all().all()


# --------------------------------------------------------------------------- the horizon
def test_a_shock_in_the_last_week_is_accepted():
    data = base()
    data["steps"] = 10
    data["shocks"][0]["at"] = 9
    scenario_from_dict(data)


def test_a_shock_in_the_week_after_the_last_is_refused():
    data = base()
    data["steps"] = 10
    data["shocks"][0]["at"] = 10
    problems = refused(data)
    assert problems == ["field `shocks[0].at`: week 10 is past the horizon; allowed: 0 to 9."]


# --------------------------------------------------------------------------- agendas and people
def test_an_all_zero_agenda_is_refused():
    data = base()
    org = data["organisations"][0]
    org["agenda"] = {k: 0.0 for k in org["agenda"]}
    problems = refused(data)
    assert problems == ["field `organisations[0].agenda`: weights must add up to more than 0."]


def test_an_agenda_with_the_smallest_positive_weight_is_accepted():
    data = base()
    org = data["organisations"][0]
    org["agenda"] = {k: 0.0 for k in org["agenda"]}
    org["agenda"]["discharge"] = 5e-324
    scenario_from_dict(data)


def test_a_zero_agenda_weight_is_allowed_and_the_next_float_below_is_refused():
    data = base()
    data["organisations"][0]["agenda"]["housing"] = 0.0
    scenario_from_dict(data)
    data["organisations"][0]["agenda"]["housing"] = -5e-324
    problems = refused(data)
    assert len(problems) == 1 and "organisations[0].agenda.housing" in problems[0]
    assert "negative" in problems[0]


def test_an_organisation_with_nobody_is_refused_and_with_one_person_accepted():
    data = base()
    data["organisations"][0]["people"] = {"executive": 0}
    problems = refused(data)
    assert problems == ["field `organisations[0].people`: an organisation needs at least one person."]
    data["organisations"][0]["people"] = {"executive": 1}
    scenario_from_dict(data)


def test_a_grant_needs_a_funder_from_the_smallest_share_up():
    data = base()
    org = data["organisations"][0]
    org["grant_share"] = 0.0
    scenario_from_dict(data)  # no grant, no funder needed
    org["grant_share"] = 5e-324
    problems = refused(data)
    assert problems == ["field `organisations[0].grant_share`: needs `funded_by` to name the funder."]


# --------------------------------------------------------------------------- identifiers
@pytest.mark.parametrize("ident", ["a", "a_b", "x9", "a" * 60])
def test_identifiers_of_lower_case_letters_digits_and_underscores_are_accepted(ident):
    data = base()
    data["name"] = ident
    scenario_from_dict(data)


@pytest.mark.parametrize("ident", ["a.b", "A", "9a", "_a", "a-b", "a b", "é"])
def test_an_identifier_with_a_dot_or_other_character_is_refused(ident):
    data = base()
    data["name"] = ident
    problems = refused(data)
    assert problems == [f"field `name`: {ident!r} is not a valid identifier; allowed: lower-case "
                        "letters, digits and underscores, starting with a letter."]


def test_an_identifier_one_past_the_longest_is_refused():
    data = base()
    data["name"] = "a" * 61
    problems = refused(data)
    assert len(problems) == 1 and "`name`" in problems[0]


def test_an_organisation_id_with_a_dot_is_refused():
    data = base()
    data["organisations"][1]["id"] = "city.council"
    problems = refused(data)
    assert problems[0].startswith("field `organisations[1].id`: 'city.council' is not a valid")


# --------------------------------------------------------------------------- lists and references
def test_two_organisations_are_enough_and_one_is_refused():
    data = base()
    data["organisations"] = data["organisations"][:2]
    data["organisations"][1].pop("funded_by", None)
    data["initiatives"] = [{"id": "x", "name": "X", "advances": {"discharge": 1.0},
                            "parties": ["northgate_hospital", "city_council"]}]
    data["shocks"] = []
    scenario_from_dict(data)
    data["organisations"] = data["organisations"][:1]
    data["initiatives"][0]["parties"] = ["northgate_hospital"]
    problems = refused(data)
    assert len(problems) == 1 and "`organisations`" in problems[0]


@pytest.mark.parametrize("field", ["issues", "initiatives"])
def test_at_least_one_issue_and_one_initiative(field):
    data = base()
    data[field] = []
    problems = refused(data)
    assert problems == [f"field `{field}`: must not be empty."]


def test_a_lead_must_be_a_party():
    data = base()
    data["initiatives"][0]["lead"] = "shelter_link"
    problems = refused(data)
    assert len(problems) == 1 and "initiatives[0].lead" in problems[0]
    data["initiatives"][0]["lead"] = data["initiatives"][0]["parties"][-1]
    scenario_from_dict(data)


def test_a_merge_needs_the_organisation_kept():
    data = base()
    data["shocks"][0].update(mode="merge", organisations=["city_council", "shelter_link"])
    (problem,) = refused(data)
    assert problem.startswith("field `shocks[0].into`: a merge needs `into`, the organisation "
                              "kept; ")
    assert "no organisation here can absorb city_council, shelter_link" in problem, \
        "the only local-government body is among those merged: nothing can keep them"
    assert "a local government body absorbs local government or voluntary bodies" in problem
    data["shocks"][0]["into"] = "city_council"
    scenario_from_dict(data)


def test_ids_defined_twice_are_refused():
    data = base()
    data["initiatives"][1]["id"] = data["initiatives"][0]["id"]
    problems = refused(data)
    assert len(problems) == 1 and "initiatives[1].id" in problems[0] and "twice" in problems[0]


def test_the_base_of_these_cases_is_itself_valid():
    spec = scenario_from_dict(base())
    assert [s.kind for s in spec.shocks] == list(EXAMPLE_SHOCKS)
    assert copy.deepcopy(base()) == base()


# --------------------------------------------------------------------------- scaling
def test_scaling_to_one_person_per_organisation_is_the_least_allowed():
    from diplomacy_sim.scenario.loader import scale_people

    spec = scenario_from_dict(base())
    m = len(spec.organisations)
    small = scale_people(spec, m)
    assert small.n_people == m
    assert all(o.people.get("executive") == 1 for o in small.organisations)
    with pytest.raises(ScenarioError) as err:
        scale_people(spec, m - 1)
    assert err.value.problems == [
        f"{m - 1} is too few; this scenario needs at least {m} (one executive per organisation)."]


GONE_SCHEDULES = {
    "merge into a merged body": [
        {"kind": "reorganisation", "at": 3, "mode": "merge",
         "organisations": ["home_first_charity"], "into": "shelter_link"},
        {"kind": "reorganisation", "at": 5, "mode": "merge",
         "organisations": ["shelter_link"], "into": "home_first_charity"}],
    "two merges in one week, listed so": [
        {"kind": "reorganisation", "at": 4, "mode": "merge",
         "organisations": ["home_first_charity"], "into": "shelter_link"},
        {"kind": "reorganisation", "at": 4, "mode": "merge",
         "organisations": ["shelter_link"], "into": "home_first_charity"}],
    "restructure of an abolished body": [
        {"kind": "reorganisation", "at": 2, "mode": "abolish", "organisations": ["shelter_link"]},
        {"kind": "reorganisation", "at": 9, "mode": "restructure",
         "organisations": ["shelter_link"]}],
    "listed late, lands later": [
        {"kind": "reorganisation", "at": 9, "mode": "restructure",
         "organisations": ["shelter_link"]},
        {"kind": "reorganisation", "at": 2, "mode": "abolish", "organisations": ["shelter_link"]}],
}


@pytest.mark.parametrize("shocks", GONE_SCHEDULES.values(), ids=GONE_SCHEDULES.keys())
def test_a_reorganisation_of_a_body_an_earlier_shock_removed_is_refused(shocks):
    data = base()
    data["shocks"] = shocks
    (problem,) = refused(data)
    late = max(range(len(shocks)), key=lambda i: (shocks[i]["at"], i))
    assert problem.startswith(f"field `shocks[{late}].")
    assert "no longer exists by then (an earlier shock merged or abolished it)" in problem
    data["shocks"] = [shocks[late]]  # alone, the same shock is fine
    scenario_from_dict(data)
    data["shocks"] = shocks[:1] if late else shocks[1:]
    scenario_from_dict(data)


@pytest.mark.parametrize(
    ("shock", "expected"),
    [
        ({"mode": "abolish", "organisations": ["home_first_charity", "shelter_link"],
          "into": "shelter_link"}, "field `shocks[0].into`: `shelter_link` is among the "
                                   "organisations abolished"),
        ({"mode": "merge", "organisations": ["shelter_link", "shelter_link"],
          "into": "home_first_charity"},
         "field `shocks[0].organisations[1]`: `shelter_link` is listed twice"),
        ({"mode": "restructure", "organisations": ["city_council", "city_council"]},
         "field `shocks[0].organisations[1]`: `city_council` is listed twice"),
    ],
    ids=["abolished into itself", "merged twice", "restructured twice"],
)
def test_a_reorganisation_names_each_body_once_and_never_abolishes_its_heir(
        shock, expected):
    data = base()
    data["shocks"] = [{"kind": "reorganisation", "at": 3, **shock}]
    problems = refused(data)
    assert any(p.startswith(expected) for p in problems), problems
