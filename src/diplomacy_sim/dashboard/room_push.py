"""How a change in a shared room reaches every page of that room (and no other).

A room is a plain Python object shared by every browser tab (Solara kernel) of its
participants. Solara's reactive values belong to one kernel, so a room never sets them: its
``subscribe`` callback only sets a :class:`threading.Event`. Each page has a watcher thread of
its own, started in the page's kernel context (Solara starts threads with the context of
the kernel that created them), which waits on that event, reads the room's version and sets
the page's own state; the page then re-renders in its own kernel, on its own thread. So:

* the thread that changed the room (say, the trainer closing the round) never renders
  anyone else's page, and closing a round does not wait for 36 pages to draw;
* a page subscribes only to the room it shows, so rooms never hear each other;
* a failing or slow page cannot block the room or the other pages.

Also here: :func:`BrowserStore`, the one front-end component of the room, which keeps a
participant's token or a trainer's key in the browser's localStorage and shows
"Reconnecting…" while the connection is down.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import solara

WAKE_TIMEOUT_S = 2.0
"""A watcher re-checks the room at least this often (a missed wake-up costs at most this)."""

_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.\-\[\]:]{1,200}$")


class Subscribable(Protocol):
    version: int

    def subscribe(self, callback: Callable[[int], None]) -> Callable[[], None]: ...


def watch_room(room: Subscribable, on_version: Callable[[int], None],
               cancel: threading.Event) -> None:
    """Call ``on_version(v)`` now and after every change of ``room`` until ``cancel`` is set.

    Runs on the page's own thread; the room's callback only wakes it."""
    wake = threading.Event()
    unsubscribe = room.subscribe(lambda _v: wake.set())
    try:
        seen: int | None = None
        while not cancel.is_set():
            v = int(room.version)
            if v != seen:
                seen = v
                on_version(v)
            wake.wait(WAKE_TIMEOUT_S)
            wake.clear()
    finally:
        unsubscribe()


def use_room_version(room: Subscribable | None) -> int:
    """The room's version as this page last saw it; the page re-renders when it changes."""
    version, set_version = solara.use_state(-1)

    def watch(cancel: threading.Event) -> None:
        if room is not None:
            watch_room(room, set_version, cancel)

    solara.use_thread(watch, dependencies=[room], intrusive_cancel=False)
    return version


_UNSET = object()


def use_room_view(room: Subscribable | None, read: Callable[[], Any], key: Any = None) -> Any:
    """What ``read()`` gives for ``room`` now (None until first read), re-read on the page's
    watcher thread after every change of the room; the page re-renders only when the value
    differs (a participant's page does not redraw when someone else submits moves). An
    exception from ``read`` (e.g. the room refusing a key) is returned as the value.
    ``key``: what ``read`` depends on besides the room (a token, a key)."""
    value, set_value = solara.use_state(cast_none())

    def watch(cancel: threading.Event) -> None:
        if room is None:
            return
        last: list[Any] = [_UNSET]

        def on_version(_v: int) -> None:
            try:
                got = read()
            except Exception as exc:  # shown by the page; the watcher carries on
                got = exc
            if isinstance(got, Exception) or got != last[0]:
                last[0] = got
                set_value(got)

        watch_room(room, on_version, cancel)

    solara.use_thread(watch, dependencies=[room, key], intrusive_cancel=False)
    return value


def cast_none() -> Any:
    return None


def safe_origin(origin: Any) -> str | None:
    """The page's origin as the browser reports it (``http://host:port``), or None if it is
    not a plain http(s) origin; used only to print and encode the join address."""
    text = str(origin or "")
    return text if _ORIGIN.match(text) else None


@solara.component_vue(str(Path(__file__).parent / "vue" / "browser_store.vue"))
def BrowserStore(slot: str, stored: str | None = None,
                 event_loaded: Callable[[dict[str, Any]], None] | None = None) -> None:
    """localStorage[``slot``]: read once when shown (``event_loaded({"value", "origin"})``),
    written whenever ``stored`` changes (None: leave it; "": forget it)."""
