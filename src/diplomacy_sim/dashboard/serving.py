"""Whether this process is the dashboard's server, for the guards that hold its libraries.

The guards (:mod:`front_end`, :mod:`widget_events`, :mod:`kernel_guards`, :mod:`log_bound`)
change what Solara's server and the widget libraries do with a page's requests and
messages. They belong in the server process only: a test rendering pages in its own
process, or a notebook showing the explorer, keeps the libraries as they are. The server
process is the one that has imported Solara's Starlette server (``solara run`` imports it
before the app module, whose import installs the guards).
"""

from __future__ import annotations

import sys
from types import ModuleType

SERVER_MODULE = "solara.server.starlette"
"""The module only Solara's server imports (its routes and websocket endpoint)."""


def server_module() -> ModuleType | None:
    """Solara's server module when this process is the dashboard's server, else None."""
    return sys.modules.get(SERVER_MODULE)
