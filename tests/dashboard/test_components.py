"""Dashboard components without a browser (solara.render)."""

from __future__ import annotations

import ipyvuetify as v
import pytest
import solara

from diplomacy_sim.dashboard import app
from diplomacy_sim.dashboard.session import Session, Setup, parameter_controls
from diplomacy_sim.scenario.schema import tunable_parameters


def _type(widget: v.TextField, text: str) -> None:
    widget.v_model = text
    widget.fire_event("focusout", None)


def _click(rc: solara.test.RenderContext, text: str) -> None:  # type: ignore[name-defined]
    buttons = [b for b in rc.find(v.Btn).widgets if text in [c for c in b.children
                                                               if isinstance(c, str)]]
    assert len(buttons) == 1, f"{len(buttons)} buttons named {text!r}"
    buttons[0].click()


@pytest.fixture
def page():
    box: dict[str, Session] = {}
    orig = app.Session

    def spy(setup: Setup) -> Session:
        box["s"] = orig(setup)
        return box["s"]

    app.Session = spy  # type: ignore[misc]
    try:
        el = solara.AppLayout(children=[app.Dashboard(Setup())])
        _, rc = solara.render(el, handle_error=False)
        yield rc, box["s"]
    finally:
        app.Session = orig  # type: ignore[misc]
        rc.close()


def test_parameter_controls_come_from_the_schema(page) -> None:
    rc, _ = page
    infos = list(parameter_controls())
    assert [i.path for i in infos] == [i.path for i in tunable_parameters()]
    groups = {i.path.split(".")[-2] if "." in i.path else "run" for i in infos}
    for g in groups:
        _click(rc, "▸ " + g.replace("_", " ").capitalize())
    fields = rc.find(v.TextField, class_="param-field").widgets
    assert len(fields) == len(infos)
    labels = {f.label for f in fields}
    assert labels == {i.description for i in infos}  # labels read from the schema
    msgs = " ".join(m for f in fields for m in f.messages)
    for i in infos:
        assert i.unit in msgs


def test_bad_seed_and_out_of_range_value_show_a_message_and_apply_on_reset(page) -> None:
    rc, session = page
    seed = rc.find(v.TextField, class_="seed-field").widget
    _type(seed, "abc")
    assert seed.error and "not a seed" in seed.messages[0]
    _type(seed, "7")
    assert not seed.error
    assert session.model.seed != 7 or session.setup.seed is None  # not yet applied
    rc.find(v.Alert, class_="pending-changes").assert_single()
    _click(rc, "▸ Trust")
    field = rc.find(v.TextField, label="How much faster broken promises destroy trust than "
                    "kept build it").widget
    _type(field, "99")
    assert field.error and "out of range" in field.messages[0]
    _type(field, "2")
    assert not field.error
    _click(rc, "Step")
    _click(rc, "Reset")
    assert session.model.seed == 7
    assert session.model.params.trust.loss_ratio == 2
    assert session.week == 0
    rc.find(v.Alert, class_="pending-changes").assert_empty()


def test_perspective_switch(page) -> None:
    rc, session = page
    _click(rc, "Step")
    def chart_html() -> str:
        for w in rc.find(solara.widgets.HTML).widgets:
            if 'class="charts"' in (w.unsafe_innerHTML or ""):
                return str(w.unsafe_innerHTML)
        raise AssertionError("no charts")

    person_view = chart_html()
    assert person_view.count('class="chart"') == 3 and "(as seen)" in person_view
    _click(rc, "Go to the balcony")
    balcony = chart_html()
    assert balcony.count('class="chart"') == 7 and "Pluralism" in balcony
    _click(rc, "Back to my role")
    assert chart_html().count('class="chart"') == 3


def test_shock_panel_injects_and_rejects_bad_values(page) -> None:
    rc, session = page
    _click(rc, "Step")
    field = rc.find(v.TextField, label="Share of the budget cut").widget
    field.v_model = "2"
    _click(rc, "Inject now")
    assert not session.injected
    assert "Not injected" in rc.find(v.Alert, class_="shock-result").widget.children[0]
    field = rc.find(v.TextField, label="Share of the budget cut").widget
    field.v_model = "0.3"
    _click(rc, "Inject now")
    assert len(session.injected) == 1 and session.injected[0]["fraction"] == 0.3
    _click(rc, "Step")
    assert any(e.injected for e in session.model.events)
    assert session.baseline is not None
