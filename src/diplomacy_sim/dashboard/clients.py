"""Who a page's request comes from, as the server sees it, and how many pages one client may
hold open.

A client is the network address its page's websocket came from. Not Solara's session id:
that is a cookie, which a browser (or a script) can drop to look new with every connection.
The same address names the client for the training room's throttle of wrong join codes and
its per-client bounds, and for the bound on open pages here.

Solara's own ``SOLARA_KERNEL_MAX_PER_SESSION`` does not bound this: Solara 1.64 enforces it
only when a state-persistence backend is configured, and counts per cookie anyway.
"""

from __future__ import annotations

import threading

import solara

MAX_PAGES_PER_CLIENT = 20
"""Pages (browser tabs, each with its own model for the explorer) one address may hold open at
once; a page whose tab is gone stops counting when Solara drops it (its cull timeout)."""

_pages: dict[str, str] = {}  # kernel (page) id -> the client that opened it
_lock = threading.Lock()


def client_id() -> str:
    """``address:HOST`` of this page's websocket (in tests without one: the session id)."""
    try:
        from solara.server import kernel_context

        context = kernel_context.get_current_context()
        for ws in list(context.kernel.session.websockets):
            host = getattr(getattr(getattr(ws, "ws", None), "client", None), "host", None)
            if isinstance(host, str) and host:
                return f"address:{host[:100]}"
    except Exception:  # no kernel context or no websocket: fall back to the session
        pass
    return f"session:{solara.get_session_id()}"


def is_server_machine(client: str) -> bool:
    """A loopback address: the machine the server runs on (its operator's)."""
    host = client.removeprefix("address:")
    return client.startswith("address:") and (host.startswith("127.") or host in ("::1",
                                                                                 "localhost"))


def admit_page(client: str | None = None) -> bool:
    """Count this page against its client; False if the client already holds
    :data:`MAX_PAGES_PER_CLIENT` open pages (the page then shows a message and builds no
    model). The server's own machine is not bounded. Call once per page (``use_memo``)."""
    from solara.server import kernel_context

    who = client if client is not None else client_id()
    if not who.startswith("address:") or is_server_machine(who):
        return True
    try:
        page = kernel_context.get_current_context().id
    except Exception:
        return True
    with _lock:
        alive = set(kernel_context.contexts)
        for k in [k for k in _pages if k not in alive]:
            del _pages[k]
        if page in _pages:
            return True
        if sum(1 for c in _pages.values() if c == who) >= MAX_PAGES_PER_CLIENT:
            return False
        _pages[page] = who
        return True


TOO_MANY_PAGES = (f"This computer already has {MAX_PAGES_PER_CLIENT} pages of this server open: "
                  "close some tabs, then reload this one.")
