"""Messages a page sends to a Vue template widget, held to what the template declares.

Every template widget on a page (the room's browser store, the explorer's narrative list,
Solara's own menus and theme) is an ipyvue ``VueTemplate``. ipyvue 1.13 answers a page's
``custom`` message on such a widget by what the message says:

- ``create_widget: [module, name]`` imports ``module`` and calls ``name(**props)``, any
  module and any callable: one message from any page, an anonymous one included, ran code
  in the server (``logging.basicConfig`` truncated the room database and then wrote an
  importable file; importing it ran it);
- a prop ``{"functionRef": name, "args": ..., "kwargs": ...}`` calls any method of the
  widget with the page's arguments, and ``{"objectRef": name}`` reads any attribute;
- ``update_ref`` sets any attribute of any widget in the process, by its id.

ipyvue means these for a template whose ``components`` names the widget classes its Vue
code may create; none of this project's templates, nor Solara's, names any. So on this
server (:func:`guard_if_serving`), a message is passed on only if :func:`refusal` finds
nothing wrong in it: a class created is one the widget's own ``components`` declares, a
reference names one of its synchronised properties (never a method), an ``update_ref``
sets a synchronised property of a widget this one created, and an event names one of the
widget's ``vue_`` handlers. Anything else is dropped, with one line in the server's log.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from diplomacy_sim.dashboard.log_bound import REFUSED
from diplomacy_sim.dashboard.serving import server_module

logger = logging.getLogger(REFUSED)  # the log keeps a bounded number a minute

OBJECT_REF = "objectRef"
FUNCTION_REF = "functionRef"
NAME_MAX = 100
"""Longest event, property or class name a message may carry."""


def _name(x: object) -> bool:
    return isinstance(x, str) and 0 < len(x) <= NAME_MAX and x.isidentifier()


def _synced(widget: Any) -> set[str]:
    keys = getattr(widget, "keys", None)
    return set(keys) if isinstance(keys, list | tuple | set) else set()


def declared_classes(widget: Any) -> set[tuple[str, str]]:
    """(module, name) of each widget class the template's ``components`` declares."""
    components = getattr(widget, "components", None)
    if not isinstance(components, dict):
        return set()
    return {(c.__module__, c.__name__) for c in components.values() if isinstance(c, type)}


def _ref_refusal(widget: Any, value: object) -> str | None:
    if not isinstance(value, dict) or not ({OBJECT_REF, FUNCTION_REF} & value.keys()):
        return None  # a plain value, passed as it is
    if FUNCTION_REF in value:
        return "a prop that calls a method of the widget"
    name, path = value.get(OBJECT_REF), value.get("path", [])
    if not _name(name) or name not in _synced(widget):
        return "a reference to something that is not one of the widget's properties"
    if not isinstance(path, list) or len(path) > 20 or not all(
            isinstance(p, str | int) and not isinstance(p, bool) for p in path):
        return "a reference path that is not a short list of keys"
    return None


def refusal(widget: Any, content: object) -> str | None:
    """Why a page's ``custom`` message to the template ``widget`` is not passed on (None:
    it is)."""
    if not isinstance(content, dict):
        return "a message that is not an object"
    if "create_widget" in content:
        what, props = content.get("create_widget"), content.get("props", {})
        if not (isinstance(what, list) and len(what) == 2 and all(isinstance(x, str) for x in what)):
            return "a widget to create that is not [module, class]"
        if (what[0], what[1]) not in declared_classes(widget):
            return "a widget class the template does not declare"
        if not isinstance(props, dict) or not all(isinstance(k, str) for k in props):
            return "props that are not an object"
        for v in props.values():
            if (why := _ref_refusal(widget, v)) is not None:
                return why
        return None
    if "update_ref" in content:
        if not declared_classes(widget):  # it created nothing (and ``_component_instances``
            return "an update of a widget the template did not create"  # is the page's)
        target = next((w for w in getattr(widget, "_component_instances", [])
                       if getattr(w, "model_id", None) == content.get("id")), None)
        if target is None:
            return "an update of a widget the template did not create"
        prop = content.get("prop")
        if not _name(prop) or prop not in _synced(target):
            return "an update of something that is not one of the widget's properties"
        return _ref_refusal(widget, content.get("update_ref"))
    if "destroy_widget" in content:
        return None  # drops one of the widget's own creations, or nothing
    if "event" in content:
        event = content.get("event")
        if not _name(event) or not callable(getattr(widget, f"vue_{event}", None)):
            return "an event the template does not handle"
        return None
    return None  # ipyvue does nothing with any other message


def checked(handle: Callable[..., Any]) -> Callable[..., Any]:
    """ipyvue's handler of a template's messages, passing on only those :func:`refusal`
    finds nothing wrong with."""

    def handle_checked(self: Any, widget: Any, content: Any, buffers: Any) -> Any:
        why = refusal(self, content)
        if why is not None:
            logger.warning("a page's message to a %s was dropped: %s", type(self).__name__, why)
            return None
        return handle(self, widget, content, buffers)

    handle_checked.checked_messages = True  # type: ignore[attr-defined]
    return handle_checked


def guard_if_serving() -> bool:
    """In the server process (Solara's Starlette server imported), check every template's
    messages (:func:`checked`); before any page opens, so every template made registers the
    checked handler. Returns whether it did (a test process rendering pages, or a notebook,
    keeps ipyvue as it is)."""
    if server_module() is None:
        return False
    from ipyvue.VueTemplateWidget import Events

    if not getattr(Events._handle_event, "checked_messages", False):
        Events._handle_event = checked(Events._handle_event)  # type: ignore[method-assign]
    return True
