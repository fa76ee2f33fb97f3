"""Values from the page and the URL are untrusted: checked on the server, by one mechanism,
with a message on the page; never a traceback, never a file named by them. The shock
panel starts from valid values for every kind and every scenario, offers only targets the
registry allows, and clears a message when its context changes."""

from __future__ import annotations

import ipyvuetify as v
import pytest
import solara
from explorer import render_explorer
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from diplomacy_sim.dashboard import app
from diplomacy_sim.dashboard.session import SHOCK_CLASSES, Session, Setup, scenario_catalogue
from diplomacy_sim.domain.shocks import SHOCK_KINDS, can_merge
from diplomacy_sim.scenario.loader import SCENARIO_DIR

SHIPPED = [n for n, _, _ in scenario_catalogue()]


def _click(rc, text: str) -> None:
    buttons = [b for b in rc.find(v.Btn).widgets if text in [c for c in b.children
                                                               if isinstance(c, str)]]
    assert len(buttons) == 1, f"{len(buttons)} buttons named {text!r}"
    buttons[0].click()


def render(setup: Setup, msg: str | None = None):
    return render_explorer(setup, msg)


def shock_select(rc) -> v.Select:
    return rc.find(v.Select, label="Shock").widget


def result_text(rc) -> str | None:
    found = rc.find(v.Alert, class_="shock-result").widgets
    return found[0].children[0] if found else None


# --------------------------------------------------------------------------- shock panel
@pytest.mark.parametrize("scenario", SHIPPED)
def test_every_kind_injects_with_the_panels_defaults_on_every_scenario(scenario):
    rc, session = render(Setup(scenario=scenario))
    try:
        for kind in SHOCK_CLASSES:
            shock_select(rc).v_model = kind
            before = len(session.injected)
            _click(rc, "Inject now")
            assert len(session.injected) == before + 1, (kind, result_text(rc))
            assert "injected" in result_text(rc)
    finally:
        rc.close()


def test_a_merge_offers_only_organisations_that_can_absorb_the_chosen_ones():
    rc, session = render(Setup(scenario="integrated_discharge"))
    try:
        shock_select(rc).v_model = "reorganisation"
        rc.find(v.Select, label="Mode").widget.v_model = "merge"
        orgs = {o.id: o.kind for o in session.spec.organisations}
        mergeable = [i["value"] for i in rc.find(v.Select, label="Organisations").widget.items]
        assert mergeable == [a for a in orgs if any(
            o != a and can_merge(orgs[a], orgs[o]) for o in orgs)], \
            "only organisations something here can absorb (no hospital: nothing absorbs it)"
        assert "northgate_hospital" not in mergeable
        for absorbed in mergeable:
            rc.find(v.Select, label="Organisations").widget.v_model = [absorbed]
            into = rc.find(v.Select, label="Into (the organisation kept)").widget
            offered = [i["value"] for i in into.items]
            assert absorbed not in offered
            assert offered == [o for o in orgs if o != absorbed
                               and can_merge(orgs[absorbed], orgs[o])]
            assert offered and into.v_model == offered[0]  # valid, never "needs `into`"
            before = len(session.injected)
            _click(rc, "Inject now")
            assert len(session.injected) == before + 1, result_text(rc)
            session.reset()
    finally:
        rc.close()


def test_a_national_mandate_offers_no_charity():
    rc, session = render(Setup(scenario="integrated_discharge"))
    try:
        shock_select(rc).v_model = "national_mandate"
        offered = [i["value"] for i in rc.find(v.Select, label="Organisations").widget.items]
        kinds = {o.id: o.kind for o in session.spec.organisations}
        assert offered and all(SHOCK_KINDS["national_mandate"].applies_to(kinds[o])
                               for o in offered)
        assert not any(kinds[o] == "charity" for o in offered)
    finally:
        rc.close()


def test_a_message_is_cleared_when_its_context_changes():
    rc, _ = render(Setup())
    try:
        field = rc.find(v.TextField, label="Share of the budget cut").widget
        field.v_model = "2"
        _click(rc, "Inject now")
        assert "Not injected" in result_text(rc)
        rc.find(v.TextField, label="Share of the budget cut").widget.v_model = "0.2"
        assert result_text(rc) is None  # the values changed: the message was about others
        rc.find(v.TextField, label="Share of the budget cut").widget.v_model = "2"
        _click(rc, "Inject now")
        shock_select(rc).v_model = "demand_surge"
        assert result_text(rc) is None  # another kind
        _click(rc, "Inject now")
        assert "injected" in result_text(rc)
        _click(rc, "Reset")
        assert result_text(rc) is None  # another run
    finally:
        rc.close()


# --------------------------------------------------------------------------- scenario choice
@pytest.mark.parametrize("value", [
    str(SCENARIO_DIR / "safeguarding_hub.yaml"), "/etc/passwd", "../scenarios/icb_merger",
    "/dev/zero", "x" * 10_000, "", None, 3, ["integrated_discharge"],
])
def test_a_scenario_value_that_is_not_a_catalogue_name_is_refused_on_the_server(value):
    rc, session = render(Setup())
    try:
        rc.find(v.Select, label="Scenario").widget.v_model = value
        assert rc.find(v.Alert, class_="scenario-error").widgets
        _click(rc, "Reset")
        assert session.spec.name == "integrated_discharge"
    finally:
        rc.close()


def test_a_forged_setup_never_loads_a_file():
    session = Session(Setup())
    with pytest.raises(Exception) as info:
        session.reset(Setup(scenario=str(SCENARIO_DIR / "icb_merger.yaml")))
    assert "not a scenario of the catalogue" in str(info.value)
    assert session.spec.name == "integrated_discharge"


# --------------------------------------------------------------------------- URL parameters
URL_VALUES = ["%C2%B2", "²", "١٢٣", "9" * 5000, "-1", "-" + "9" * 40, "1e3", "0x10", "",
              "%00", "nan", "1.5", " 7 "]


@pytest.mark.parametrize("value", URL_VALUES)
@pytest.mark.parametrize("key", ["seed", "people"])
def test_bad_url_numbers_give_a_message_and_the_page_still_renders(key, value):
    setup, msg = app._setup_from_url(f"{key}={value}")
    if value.strip() == "7":  # a fine value, spaces and all
        assert getattr(setup, key) == 7 and msg is None
        return
    if value == "":  # an empty parameter is no parameter: the scenario's own
        assert getattr(setup, key) is None and msg is None
        return
    assert getattr(setup, key) is None and msg and len(msg) < 400
    rc, session = render(setup, msg)
    try:
        assert any("Link ignored" in (a.children[0] if a.children else "")
                   for a in rc.find(v.Alert).widgets)
        assert session.model.week == 0
    finally:
        rc.close()


@settings(derandomize=True, max_examples=150, deadline=None,
          phases=[Phase.explicit, Phase.generate])
@given(query=st.text(max_size=300))
def test_any_query_string_gives_a_setup_without_raising(query):
    setup, msg = app._setup_from_url(query)
    assert setup.scenario in SHIPPED
    assert msg is None or len(msg) < 2000


@settings(derandomize=True, max_examples=60, deadline=None,
          phases=[Phase.explicit, Phase.generate])
@given(text=st.one_of(st.text(max_size=40), st.sampled_from(URL_VALUES),
                      st.integers().map(str)))
def test_typed_seeds_and_people_never_raise(text):
    from diplomacy_sim.dashboard.session import parse_people, parse_seed

    for parse in (parse_seed, parse_people):
        value, err = parse(text)
        assert (value is None) or (err is None)


@pytest.mark.parametrize("value", ["election", "nuclear_war", "", None, 3, ["budget_cut"],
                                   "x" * 10_000])
def test_a_shock_kind_the_panel_does_not_offer_is_ignored(value):
    rc, session = render(Setup())
    try:
        shock_select(rc).v_model = value
        _click(rc, "Inject now")
        assert session.injected and session.injected[-1]["kind"] == "budget_cut"
    finally:
        rc.close()


@pytest.mark.parametrize("value", [-1, 10**9, "abc", "²", None, 2.5, "9" * 5000])
def test_a_person_the_page_does_not_offer_is_ignored(value):
    rc, _ = render(Setup())
    try:
        select = rc.find(v.Select, label="See as").widget
        before = select.v_model
        select.v_model = value
        assert rc.find(v.Select, label="See as").widget.items  # still renders
        _click(rc, "Step")
        assert "Week 1" in "".join(w.unsafe_innerHTML or "" for w in
                                   rc.find(solara.widgets.HTML).widgets) or before is not None
    finally:
        rc.close()


@pytest.mark.parametrize("value", [99, 4, -1, "x", "2", None, 1.5, True, [1], {"i": 0},
                                   10**30])
def test_a_speed_the_toggle_does_not_offer_is_ignored(value):
    from diplomacy_sim.dashboard.components import ChoiceToggle

    speed = solara.reactive(app.SPEEDS[1])
    _, rc = solara.render(ChoiceToggle(speed, app.SPEEDS), handle_error=False)
    try:
        rc.find(v.BtnToggle).widget.v_model = value
        assert speed.value == app.SPEEDS[1]
        rc.find(v.BtnToggle).widget.v_model = 2
        assert speed.value == app.SPEEDS[2]
    finally:
        rc.close()
    rc, _ = render(Setup())  # the explorer's own toggle: the page still steps
    try:
        rc.find(v.BtnToggle).widget.v_model = value
        _click(rc, "Step")
        assert "Week 1" in "".join(w.unsafe_innerHTML or "" for w in
                                   rc.find(solara.widgets.HTML).widgets)
    finally:
        rc.close()
