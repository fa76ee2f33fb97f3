"""The server's log keeps a bounded number of tracebacks a minute, whatever visitors send:
past the budget a record is one line without its traceback, at most one a second, saying
how many were left out; records without a traceback are untouched."""

from __future__ import annotations

import asyncio
import concurrent.futures
import io
import logging
import sys
import uuid

import pytest

from diplomacy_sim.dashboard import log_bound
from diplomacy_sim.dashboard.log_bound import (
    REFUSALS_PER_MINUTE,
    REFUSED,
    TRACEBACKS_PER_MINUTE,
    LogBudget,
    budgets,
)
from serving import free_port, start_server, stop_server


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def logged():
    """A logger writing into a string through a handler with a budget on a fake clock."""
    clock, out = Clock(), io.StringIO()
    handler = logging.StreamHandler(out)
    second = logging.StreamHandler(io.StringIO())  # the same budget decides once per record
    for budget in budgets(clock):
        handler.addFilter(budget)
        second.addFilter(budget)
    log = logging.getLogger(f"test.log_bound.{uuid.uuid4().hex}")
    log.propagate = False
    log.addHandler(handler)
    log.addHandler(second)
    return log, clock, out


def _fail(log: logging.Logger, n: int) -> None:
    try:
        raise RuntimeError(f"frame {n}")
    except RuntimeError:
        log.exception("Exception in ASGI application %d", n)


def test_past_the_budget_a_traceback_is_one_line_a_second_counting_what_was_left_out(logged):
    log, clock, out = logged
    for n in range(TRACEBACKS_PER_MINUTE):
        _fail(log, n)
    assert out.getvalue().count("Traceback") == TRACEBACKS_PER_MINUTE
    for n in range(50):  # 50 more in the same second: one line
        _fail(log, 100 + n)
    clock.now += 1.5
    _fail(log, 200)  # the next second: one line, with the 49 left out
    text = out.getvalue()
    assert text.count("Traceback") == TRACEBACKS_PER_MINUTE
    assert "Exception in ASGI application 100 (traceback left out: more than 10 a minute)" in text
    assert "Exception in ASGI application 200 (traceback left out: more than 10 a minute; " \
           "49 more left out)" in text
    assert len(text.splitlines()) < 10 * TRACEBACKS_PER_MINUTE + 5


def test_each_minute_has_its_budget_and_plain_records_are_untouched(logged):
    log, clock, out = logged
    for n in range(3 * TRACEBACKS_PER_MINUTE):
        _fail(log, n)
    for n in range(200):
        log.warning("a plain warning %d", n)
    clock.now += 61
    _fail(log, 999)
    text = out.getvalue()
    assert text.count("Traceback") == TRACEBACKS_PER_MINUTE + 1
    assert all(f"a plain warning {n}\n" in text for n in range(200))


def test_the_guards_refusals_have_a_budget_of_their_own(logged):
    log, clock, out = logged
    refused = logging.getLogger(REFUSED)
    refused.propagate, refused.handlers = False, log.handlers
    try:
        for n in range(500):
            refused.warning("a page's upload chunk was dropped: %d", n)
        clock.now += 1.5
        refused.warning("a page's upload chunk was dropped: last")
        for n in range(TRACEBACKS_PER_MINUTE):  # tracebacks are counted apart
            _fail(log, n)
    finally:
        refused.propagate, refused.handlers = True, []
    text = out.getvalue()
    assert text.count("was dropped") == REFUSALS_PER_MINUTE + 2
    assert ("dropped: last (refusals: more than 30 a minute; 469 more left out)") in text
    assert text.count("Traceback") == TRACEBACKS_PER_MINUTE


def test_a_record_whose_arguments_do_not_fit_its_format_is_kept(logged):
    log, _clock, out = logged
    for n in range(TRACEBACKS_PER_MINUTE):
        _fail(log, n)
    try:
        raise ValueError("x")
    except ValueError:
        log.exception("two %s %s", "only one")
    assert out.getvalue().count("Traceback") == TRACEBACKS_PER_MINUTE
    assert "two %s %s (traceback left out: more than 10 a minute)" in out.getvalue()


def test_the_budget_is_put_on_every_handler_in_the_server_process_only(monkeypatch):
    handler = logging.StreamHandler(io.StringIO())
    log = logging.getLogger(f"test.log_bound.{uuid.uuid4().hex}")
    log.addHandler(handler)
    try:
        monkeypatch.delitem(sys.modules, "solara.server.starlette", raising=False)
        assert log_bound.guard_if_serving() is False and not handler.filters
        monkeypatch.setitem(sys.modules, "solara.server.starlette", object())
        chosen = budgets()
        assert log_bound.guard_if_serving(chosen) is True
        assert handler.filters == list(chosen)
        assert all(b in logging.lastResort.filters for b in chosen)
        assert log_bound.guard_if_serving() is True and handler.filters == list(chosen)  # once
    finally:
        log.removeHandler(handler)
        for h in log_bound.server_handlers():
            for f in [f for f in h.filters if isinstance(f, LogBudget)]:
                h.removeFilter(f)


@pytest.mark.slow
def test_a_visitor_failing_connections_in_a_loop_grows_the_log_by_little(tmp_path):
    import websockets

    port, log = free_port(), tmp_path / "server.log"
    proc = start_server(port, db=tmp_path / "rooms.sqlite", log=log)
    try:
        async def flood() -> None:
            for _ in range(60):  # no page id: Solara's endpoint fails with a traceback
                url = f"ws://127.0.0.1:{port}/jupyter/api/kernels/{uuid.uuid4()}/channels"
                try:
                    async with websockets.connect(url, additional_headers={
                            "Cookie": f"solara-session-id={uuid.uuid4().hex}"}) as ws:
                        await asyncio.wait_for(ws.recv(), 5)
                except (websockets.InvalidStatus, websockets.ConnectionClosed, TimeoutError):
                    pass

        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            pool.submit(lambda: asyncio.run(flood())).result(timeout=300)
        text = log.read_text(errors="replace")
        assert "traceback left out" in text  # the connections failed, and were logged
        assert text.count("Traceback (most recent call last)") <= 2 * TRACEBACKS_PER_MINUTE
    finally:
        stop_server(proc)
