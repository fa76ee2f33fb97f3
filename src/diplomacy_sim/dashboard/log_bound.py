"""The server's log, bounded against what visitors send.

A visitor's malformed message made Solara's websocket loop fail, and uvicorn logs each
failed connection with its whole traceback (about 7 KB); a script reconnecting in a loop
grew the log (the terminal under ``make run``, or a file an operator redirects it to)
without bound. :mod:`kernel_guards` now refuses such a message in one line, but other
requests still fail inside Solara with a traceback (a connection without its page id, for
one). Each message the server's guards refuse is a line too. So the log has
two budgets (:class:`LogBudget`): at most :data:`TRACEBACKS_PER_MINUTE` records with a
traceback a minute, and :data:`REFUSALS_PER_MINUTE` lines of the guards' refusals (logger
:data:`REFUSED`); past a budget, one line a second is kept (a traceback without it), saying
how many were left out. Every other record is untouched.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from diplomacy_sim.dashboard.serving import server_module

TRACEBACKS_PER_MINUTE = 10
"""Records with a traceback the server's log keeps whole, a minute."""
REFUSALS_PER_MINUTE = 30
"""Lines of the guards' refusals the server's log keeps, a minute."""
REFUSED = "diplomacy_sim.dashboard.refused"
"""The logger of every refusal of a visitor's message by the server's guards."""
_DECIDED = "_diplomacy_sim_budget"  # set on a record once: every handler sees one decision


def has_traceback(record: logging.LogRecord) -> bool:
    return bool(record.exc_info or record.exc_text or record.stack_info)


def is_refusal(record: logging.LogRecord) -> bool:
    return record.name == REFUSED and not has_traceback(record)


class LogBudget(logging.Filter):
    """At most ``per_minute`` of the records ``counts`` picks a minute; then one line a
    second (a traceback without it), saying how many were left out (see the module)."""

    def __init__(self, per_minute: int, counts: Callable[[logging.LogRecord], bool],
                 what: str, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.per_minute, self.counts, self.what, self.clock = per_minute, counts, what, clock
        self.lock = threading.Lock()
        self.window, self.whole, self.line_at, self.left_out = -1e18, 0, -1e18, 0

    def filter(self, record: logging.LogRecord) -> bool:
        decided = getattr(record, _DECIDED, {})
        if id(self) not in decided:
            decided = {**decided, id(self): self._decide(record)}
            setattr(record, _DECIDED, decided)
        return bool(decided[id(self)])

    def _decide(self, record: logging.LogRecord) -> bool:
        if not self.counts(record):
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
        record.msg = f"{text} ({self.what}: more than {self.per_minute} a minute{more})"
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


def budgets(clock: Callable[[], float] = time.monotonic) -> tuple[LogBudget, LogBudget]:
    """The server log's two budgets: tracebacks, and the guards' refusals."""
    return (LogBudget(TRACEBACKS_PER_MINUTE, has_traceback, "traceback left out", clock),
            LogBudget(REFUSALS_PER_MINUTE, is_refusal, "refusals", clock))


def guard_if_serving(chosen: tuple[LogBudget, ...] | None = None) -> bool:
    """In the server process (Solara's Starlette server imported: uvicorn and Solara have
    set up their logging by then), put the same :func:`budgets` on every handler."""
    if server_module() is None:
        return False
    chosen = chosen or budgets()
    for handler in server_handlers():
        if not any(isinstance(f, LogBudget) for f in handler.filters):
            for budget in chosen:
                handler.addFilter(budget)
    return True
