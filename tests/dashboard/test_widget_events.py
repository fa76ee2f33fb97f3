"""A page's messages to a Vue template widget do only what the template declares: no
message imports a module, calls a function or a method, reads an attribute or sets one
outside the template's own properties (ipyvue 1.13 did each of these for any page)."""

from __future__ import annotations

import logging
import sys
from typing import Any

import ipyvue
import pytest
import traitlets

from diplomacy_sim.dashboard import widget_events
from diplomacy_sim.dashboard.widget_events import checked, refusal


class Child(ipyvue.VueTemplate):
    template = traitlets.Unicode("<template><span/></template>").tag(sync=True)
    label = traitlets.Unicode("").tag(sync=True)


class Store(ipyvue.VueTemplate):
    """A template like the room's browser store: one property, one event handler."""

    template = traitlets.Unicode("<template><div/></template>").tag(sync=True)
    value = traitlets.Unicode("kept").tag(sync=True)
    secret = "not a property"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.got: list[Any] = []

    def vue_loaded(self, data: Any) -> None:
        self.got.append(data)


class Parent(Store):
    """A template that declares one widget class its Vue code may create."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(components={"child": Child}, **kwargs)


def _send(widget: Any, content: Any) -> None:
    widget._handle_msg({"content": {"data": {"method": "custom", "content": content}},
                        "buffers": []})


CALLABLES = [["logging", "basicConfig"], ["os", "system"], ["builtins", "eval"],
             ["subprocess", "Popen"], ["importlib", "import_module"], ["pathlib", "Path"],
             ["diplomacy_sim.room.store", "Store"], ["ipyvue", "VueTemplate"],
             [__name__, "Store"]]  # a real widget class, but one neither template declares
MALFORMED = [None, "logging", ["logging"], ["logging", "basicConfig", "x"], [1, 2],
             {"module": "os"}, ["", ""]]
BAD_REFS = [{"functionRef": "send", "args": [{"method": "x"}]}, {"functionRef": "close"},
            {"functionRef": "__setattr__", "args": ["value", "x"]}, {"objectRef": "secret"},
            {"objectRef": "__class__"}, {"objectRef": "_handle_event"},
            {"objectRef": "value", "path": "x" * 5}, {"objectRef": "value", "path": [True]},
            {"objectRef": "value", "path": list(range(21))}, {"objectRef": 7},
            {"objectRef": "x" * 101}]


@pytest.mark.parametrize("what", [*CALLABLES, *MALFORMED], ids=str)
@pytest.mark.parametrize("cls", [Store, Parent])
def test_no_page_creates_a_widget_of_a_class_its_template_does_not_declare(cls, what):
    assert refusal(cls(), {"create_widget": what, "props": {}, "id": "x"}) is not None


@pytest.mark.parametrize("ref", BAD_REFS, ids=str)
def test_no_prop_calls_a_method_or_reads_anything_but_a_property(ref):
    parent = Parent()
    assert refusal(parent, {"create_widget": [__name__, "Child"], "props": {"label": ref},
                            "id": "x"}) is not None
    child = Child()
    parent._component_instances = [child]
    assert refusal(parent, {"update_ref": ref, "id": child.model_id, "prop": "label"}) is not None


def test_what_a_template_declares_still_works():
    parent = Parent()
    ok = {"create_widget": [__name__, "Child"], "props": {"label": "a", "n": 3}, "id": "c1"}
    assert refusal(parent, ok) is None
    assert refusal(parent, {**ok, "props": {"label": {"objectRef": "value", "path": []}}}) is None
    assert refusal(parent, {"event": "loaded", "data": {}}) is None
    assert refusal(parent, {"destroy_widget": "c1"}) is None
    assert refusal(parent, {"something": "ipyvue ignores"}) is None


def test_an_update_ref_sets_only_a_property_of_a_widget_the_template_made():
    parent, mine, other = Parent(), Child(), Child()
    parent._component_instances = [mine]
    assert refusal(parent, {"update_ref": "x", "id": mine.model_id, "prop": "label"}) is None
    for bad in ({"update_ref": "x", "id": other.model_id, "prop": "label"},
                {"update_ref": "x", "id": mine.model_id, "prop": "template_file"},
                {"update_ref": "x", "id": mine.model_id, "prop": "__class__"},
                {"update_ref": "x", "id": "no-such-widget", "prop": "label"}):
        assert refusal(parent, bad) is not None, bad
    store = Store()  # declares nothing: its list of creations is only what the page set
    store._component_instances = [mine]
    assert refusal(store, {"update_ref": "x", "id": mine.model_id, "prop": "label"}) is not None


@pytest.mark.parametrize("event", ["missing", "", "x" * 101, None, 7, ["loaded"], "loaded()",
                                   "__init__", "_handle_event"])
def test_an_event_reaches_only_a_handler_the_template_has(event):
    assert refusal(Store(), {"event": event, "data": {}}) is not None


@pytest.mark.parametrize("content", [None, "x", 7, [], ["create_widget"]])
def test_a_message_that_is_not_an_object_is_dropped(content):
    assert refusal(Store(), content) is not None


@pytest.fixture
def checked_handler(monkeypatch):
    """ipyvue's handler checked, as the server installs it (restored afterwards)."""
    from ipyvue.VueTemplateWidget import Events

    monkeypatch.setattr(Events, "_handle_event", checked(Events._handle_event))


def test_a_dropped_message_runs_nothing_and_says_so_in_the_log(checked_handler, tmp_path,
                                                                 caplog):
    store = Store()
    target = tmp_path / "written-by-a-page.txt"
    with caplog.at_level(logging.WARNING, logger="diplomacy_sim.dashboard"):
        _send(store, {"create_widget": ["logging", "basicConfig"], "id": "a",
                      "props": {"filename": str(target), "force": True}})
        _send(store, {"event": "loaded", "data": {"value": {"functionRef": "close"}}})
    assert not target.exists()  # ipyvue's handler opens it
    assert store.got == [{"value": {"functionRef": "close"}}]  # a handled event goes through
    assert "was dropped: a widget class the template does not declare" in caplog.text


def test_the_server_process_checks_every_template_and_a_test_process_does_not(monkeypatch):
    from ipyvue.VueTemplateWidget import Events

    original = Events._handle_event
    monkeypatch.delitem(sys.modules, "solara.server.starlette", raising=False)
    assert widget_events.guard_if_serving() is False and Events._handle_event is original
    monkeypatch.setitem(sys.modules, "solara.server.starlette", object())
    monkeypatch.setattr(Events, "_handle_event", original)  # restored after the test
    assert widget_events.guard_if_serving() is True
    guarded = Events._handle_event
    assert guarded is not original and widget_events.guard_if_serving() is True
    assert Events._handle_event is guarded  # installed once


def test_no_template_on_the_pages_declares_a_widget_class():
    """So every ``create_widget`` and ``update_ref`` from the project's pages is refused, and
    nothing on them depends on ipyvue's (the explorer's templates, the room's browser store)."""
    from explorer import render_explorer

    from diplomacy_sim.dashboard.room_push import BrowserStore

    rc, _ = render_explorer()
    try:
        templates = rc.find(ipyvue.VueTemplate).widgets
        assert templates
        assert all(widget_events.declared_classes(w) == set() for w in templates)
    finally:
        rc.close()
    import solara

    _, rc = solara.render(BrowserStore(slot="s"), handle_error=False)
    try:
        (store,) = rc.find(ipyvue.VueTemplate).widgets
        assert widget_events.declared_classes(store) == set()
    finally:
        rc.close()
