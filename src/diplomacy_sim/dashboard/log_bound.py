"""The server's log, bounded against what visitors send.

A visitor's malformed message makes Solara's websocket loop fail, and uvicorn logs each
failed connection with its whole traceback (about 7 KB); a script reconnecting in a loop
grew the log without bound (the terminal under ``make run``, or a file an operator
redirects it to). :class:`TracebackBudget` lets through at most
:data:`TRACEBACKS_PER_MINUTE` records with a traceback a minute; past it, a record is kept
as one line without its traceback, at most one such line a second, saying how many were
left out. Records without a traceback are untouched.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable

TRACEBACKS_PER_MINUTE = 10
"""Records with a traceback the server's log keeps whole, a minute."""
_DECIDED = "_diplomacy_sim_budget"  # set on a record once: every handler sees one decision


class TracebackBudget(logging.Filter):
    """At most ``per_minute`` records with a traceback a minute kept whole; then one line a
    second without it (see the module's text)."""

    def __init__(self, per_minute: int = TRACEBACKS_PER_MINUTE,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.per_minute, self.clock = per_minute, clock
        self.lock = threading.Lock()
        self.window, self.whole, self.line_at, self.left_out = -1e18, 0, -1e18, 0

    def filter(self, record: logging.LogRecord) -> bool:
        decided = getattr(record, _DECIDED, None)
        if decided is not None:
            return bool(decided)
        keep = self._decide(record)
        setattr(record, _DECIDED, keep)
        return keep

    def _decide(self, record: logging.LogRecord) -> bool:
        if not (record.exc_info or record.exc_text or record.stack_info):
            return True
        now = self.clock()
        with self.lock:
            if now - self.window >= 60.0:
                self.window, self.whole = now, 0
            if self.whole < self.per_minute:
                self.whole += 1
                return True
            if now - self.line_at < 1.0:
                self.left_out += 1
                return False
            self.line_at, left_out, self.left_out = now, self.left_out, 0
        more = f"; {left_out} more left out" if left_out else ""
        try:
            text = record.getMessage()
        except Exception:  # a record whose arguments do not fit its format
            text = str(record.msg)
        record.msg = (f"{text} (traceback left out: more than "
                      f"{self.per_minute} a minute{more})")
        record.args, record.exc_info, record.exc_text, record.stack_info = (), None, None, None
        return True


def server_handlers() -> set[logging.Handler]:
    """Every handler the process's loggers have now, and logging's last resort."""
    loggers = [logging.getLogger(), *(x for x in logging.Logger.manager.loggerDict.values()
                                      if isinstance(x, logging.Logger))]
    found = {h for lg in loggers for h in lg.handlers}
    if logging.lastResort is not None:
        found.add(logging.lastResort)
    return found


def guard_if_serving(budget: TracebackBudget | None = None) -> bool:
    """In the server process (Solara's Starlette server imported: uvicorn and Solara have
    set up their logging by then), put one :class:`TracebackBudget` on every handler."""
    if "solara.server.starlette" not in sys.modules:
        return False
    budget = budget or TracebackBudget()
    for handler in server_handlers():
        if not any(isinstance(f, TracebackBudget) for f in handler.filters):
            handler.addFilter(budget)
    return True
