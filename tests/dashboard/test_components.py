"""Dashboard components without a browser (solara.render)."""

from __future__ import annotations

import io
import json
import re
import threading
import time

import ipyvuetify as v
import pytest
import solara
from explorer import render_explorer, unfold

from diplomacy_sim.dashboard import app
from diplomacy_sim.dashboard.session import Session, Setup, humanise, parameter_controls
from diplomacy_sim.scenario.schema import tunable_parameters


def _type(widget: v.TextField, text: str) -> None:
    widget.v_model = text
    widget.fire_event("focusout", None)


def _click(rc: solara.test.RenderContext, text: str) -> None:  # type: ignore[name-defined]
    buttons = [b for b in rc.find(v.Btn).widgets if text in [c for c in b.children
                                                               if isinstance(c, str)]]
    assert len(buttons) == 1, f"{len(buttons)} buttons named {text!r}"
    buttons[0].click()


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


def _panel_folded(rc: solara.test.RenderContext) -> bool:  # type: ignore[name-defined]
    """Whether the one set-up panel is folded (solara.Column's classes, then ours)."""
    folded = rc.find(v.Sheet, class_="d-flex ma-0 setup-panel folded").widgets
    shown = rc.find(v.Sheet, class_="d-flex ma-0 setup-panel").widgets
    assert len(folded) + len(shown) == 1
    return bool(folded)


def test_the_panel_mounts_its_forms_on_first_opening_and_keeps_what_was_typed() -> None:
    rc, session = render_explorer(panel=False)
    try:
        # folded at first, and its forms (about half the page's widgets) not yet made
        assert _panel_folded(rc)
        for label in ("Shock", "Scenario", "Doctrine"):
            rc.find(v.Select, label=label).assert_empty()
        rc.find(v.TextField, class_="seed-field").assert_empty()
        assert [b for b in rc.find(v.Btn).widgets if "Make a link" in b.children] == []
        unfold(rc)
        assert not _panel_folded(rc)
        _type(rc.find(v.TextField, class_="seed-field").widget, "77")
        _click(rc, "▸ Trust")
        trust = rc.find(v.TextField, label="How much faster broken promises destroy trust "
                        "than kept build it").widget
        _type(trust, "2.5")
        for fold, unfold_again in (("Hide set-up", "Set-up & shocks"),
                                   ("Presentation", "Leave presentation")):
            _click(rc, fold)
            assert _panel_folded(rc)
            # folded, the forms stay mounted with what was typed
            assert rc.find(v.TextField, class_="seed-field").widget.v_model == "77"
            _click(rc, unfold_again)
            if fold == "Presentation":
                _click(rc, "Set-up & shocks")
            assert not _panel_folded(rc)
            assert rc.find(v.TextField, class_="seed-field").widget.v_model == "77"
            assert rc.find(v.TextField, label=trust.label).widget.v_model == "2.5"
        _click(rc, "Reset")
        assert session.model.seed == 77 and session.model.params.trust.loss_ratio == 2.5
    finally:
        rc.close()


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
    rc, _ = page
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
    # every outcome: the seven shares and the two counts
    assert balcony.count('class="chart"') == 9 and "Pluralism" in balcony
    assert 'data-outcome="avoidable_admissions"' in balcony
    assert 'data-outcome="delayed_discharges"' in balcony
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


def _wait(cond, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def _buttons(rc: solara.test.RenderContext, text: str) -> list[v.Btn]:  # type: ignore[name-defined]
    return [b for b in rc.find(v.Btn).widgets if text in [c for c in b.children
                                                           if isinstance(c, str)]]


def _week_shown(rc: solara.test.RenderContext) -> int:  # type: ignore[name-defined]
    for w in rc.find(solara.widgets.HTML).widgets:
        m = re.search(r'class="week-indicator"[^>]*>Week (\d+) of', w.unsafe_innerHTML or "")
        if m:
            return int(m.group(1))
    raise AssertionError("no week indicator")


def test_play_advances_and_pause_stops(page) -> None:
    rc, session = page
    rc.find(v.BtnToggle).widget.v_model = 3  # 8 weeks a second
    _click(rc, "Play")
    _wait(lambda: session.week >= 3)
    assert not _buttons(rc, "Play") and len(_buttons(rc, "Pause")) == 1
    assert _buttons(rc, "Step")[0].disabled  # no Step while playing
    _click(rc, "Pause")
    _wait(lambda: len(_buttons(rc, "Play")) == 1)
    time.sleep(0.3)  # a step already on its way lands
    week = session.week
    time.sleep(0.8)
    assert session.week == week  # stopped
    assert _week_shown(rc) == week
    _click(rc, "Step")
    assert session.week == week + 1 and _week_shown(rc) == week + 1


def test_play_loop_skips_ticks_while_busy_and_stops_at_once() -> None:
    session = Session(Setup())
    live = app.LiveState(session, *(solara.reactive(x) for x in (
        0, 0, False, True, 8, True, 0, session.setup, session.setup, None, None)))
    cancel = threading.Event()
    live.busy.acquire()  # a Step of the learner's is on its way
    t = threading.Thread(target=app.play_loop, args=(live, cancel, 8))
    t.start()
    time.sleep(0.4)
    assert session.week == 0  # ticks skipped, not queued
    live.busy.release()
    _wait(lambda: session.week >= 2)
    cancel.set()
    t.join(timeout=1.0)
    assert not t.is_alive()
    assert live.version.value == session.week


def _download(rc: solara.test.RenderContext, filename: str) -> bytes:  # type: ignore[name-defined]
    from solara.components.file_download import FileDownloadWidget

    w = rc.find(FileDownloadWidget, filename=filename).widget
    w.request_download = True  # what the front end does on a click
    _wait(lambda: w.bytes is not None)
    data = bytes(w.bytes)
    w.request_download = False  # the front end, once it saved the file
    return data


def test_downloads_have_content_and_the_scenario_repeats_the_run(page, tmp_path) -> None:
    import pandas as pd

    import diplomacy_sim

    rc, session = page
    for _ in range(6):
        _click(rc, "Step")
    name = session.model.spec.name
    csv = _download(rc, f"{name}_timeseries.csv").decode()
    df = pd.read_csv(io.StringIO(csv))
    assert len(df) == 6 and "integration" in df.columns
    events = _download(rc, f"{name}_events.jsonl").decode().splitlines()
    assert events and all("text" in json.loads(line) for line in events)
    assert _download(rc, f"{name}_charts.png").startswith(b"\x89PNG")
    path = tmp_path / "scenario.yaml"
    path.write_bytes(_download(rc, f"{name}_scenario.yaml"))
    again = diplomacy_sim.run(path, steps=6).timeseries
    pd.testing.assert_frame_equal(again[df.columns].reset_index(drop=True), df,
                                  check_dtype=False)


def test_people_field_and_url_parameter() -> None:
    setup, msg = app._setup_from_url("people=60&seed=3")
    assert (setup.people, setup.seed, msg) == (60, 3, None)
    setup_bad, msg = app._setup_from_url("people=2")
    assert setup_bad.people is None and msg and "people" in msg
    rc, session = render_explorer(setup)
    try:
        assert session.model.state.people.n == 60
        field = rc.find(v.TextField, class_="people-field").widget
        assert field.v_model == "60"
        _type(field, "3")
        assert field.error and "from 5 to 5000" in field.messages[0]
        _type(field, "25")
        assert not field.error
        rc.find(v.Alert, class_="pending-changes").assert_single()
        assert session.model.state.people.n == 60  # not before Reset
        _click(rc, "Reset")
        assert session.model.state.people.n == 25 and session.model.seed == 3
        rc.find(v.Alert, class_="pending-changes").assert_empty()
    finally:
        rc.close()


def test_the_role_views_signals_are_the_models_one_signal_rule_week_by_week() -> None:
    """The "as seen" chart reads model.views.signals_seen: the same draw as the person's own
    view for the current week, the same draws whatever order the weeks are asked in."""
    from diplomacy_sim.model import views

    session = Session(Setup())
    m = session.model
    for _ in range(6):
        m.step()
    person = 3
    seen = session.person_signals(person)
    assert [s["step"] for s in seen] == [r["step"] for r in m.rows]
    assert {k: v for k, v in seen[-1].items() if k != "step"} == \
        views.person_view(m, person)["signals"]
    for w in (4, 1, 6):
        assert {k: v for k, v in seen[w - 1].items() if k != "step"} == \
            views.signals_seen(m, person, w)
    noisy = [s["integration"] != r["integration"] for s, r in zip(seen, m.rows, strict=True)]
    assert any(noisy), "the role view is a noisy signal, not the true value"


def test_a_shock_free_baseline_is_shared_while_its_sessions_live_and_goes_with_them() -> None:
    import gc

    from diplomacy_sim.dashboard import session as sess

    cut = {"kind": "budget_cut", "organisations": ["city_council"], "fraction": 0.3,
           "intensity": 0.3}
    a, b, other = Session(Setup(seed=901)), Session(Setup(seed=901)), Session(Setup(seed=902))
    for s in (a, b, other):
        s.step(2)
        s.inject(cut)
    assert a.shared is b.shared and a.shared is not other.shared  # computed once per run
    key = sess.spec_key(a.spec)
    b.step(3)
    assert len(a.baseline_rows()) == 2 and len(b.baseline_rows()) == 5
    del a
    gc.collect()
    assert key in sess._BASELINES  # b still uses it
    del b
    gc.collect()
    # the last session of that run is gone: so is its baseline (nothing of a closed burst
    # of sessions stays behind in the process); the other run's stays with its session
    assert key not in sess._BASELINES
    assert sess.spec_key(other.spec) in sess._BASELINES


@pytest.mark.parametrize(("name", "words"), [
    ("joint_work", "Joint work"), ("budget_cut", "Budget cut"), ("live", "Live"),
    ("Avoidable A&E admissions", "Avoidable A&E admissions"), ("NHS England", "NHS England"),
    ("Crisis cafés as an alternative to A&E", "Crisis cafés as an alternative to A&E")])
def test_an_identifier_reads_as_words_and_a_name_for_people_as_written(name, words):
    assert humanise(name) == words
