"""After sessions close, the server gives back what they held: the worker threads their
websockets ran in are stopped once idle, and the memory is collected and trimmed.

Each page's websocket runs in one of AnyIO's worker threads of the server's event loop.
AnyIO stops a worker that has idled for its limit only when the loop next hands work to a
thread, which a quiet server never does; the dashboard hands it a no-op once the sessions
have gone quiet."""

from __future__ import annotations

import threading
import time

import anyio
import anyio._backends._asyncio as anyio_asyncio
import anyio.to_thread
import pytest

from diplomacy_sim.dashboard import app

IDLE_S = 1.0


_SESSION_THREADS: set[int] = set()


def _workers() -> int:
    """The stand-in server's worker threads still alive."""
    return sum(t.ident in _SESSION_THREADS and t.is_alive() for t in threading.enumerate())


@pytest.fixture
def server_loop(monkeypatch):
    """A stand-in server: an AnyIO event loop on its own thread, with five sessions'
    worker threads made and left idle, and the app holding its token as a page would."""
    monkeypatch.setattr(anyio_asyncio.WorkerThread, "MAX_IDLE_TIME", IDLE_S)
    monkeypatch.setattr(app, "WORKER_IDLE_S", IDLE_S)
    monkeypatch.setattr(app, "_SERVER_LOOP", [])
    monkeypatch.setattr(app, "_LAST_CLOSE", [])
    stop = threading.Event()
    ready = threading.Event()

    _SESSION_THREADS.clear()

    def session() -> None:
        _SESSION_THREADS.add(threading.get_ident())
        app._remember_server_loop()
        time.sleep(0.1)  # the five overlap, so each has a thread of its own

    async def serve() -> None:
        async with anyio.create_task_group() as tg:
            for _ in range(5):
                tg.start_soon(anyio.to_thread.run_sync, session)
        ready.set()
        while not stop.is_set():
            await anyio.sleep(0.02)

    loop = threading.Thread(target=anyio.run, args=(serve,))
    loop.start()
    assert ready.wait(10)
    yield
    stop.set()
    loop.join(10)


def test_a_session_thread_gives_the_app_its_servers_loop(server_loop):
    assert len(app._SERVER_LOOP) == 1


def test_workers_left_idle_by_closed_sessions_are_stopped(server_loop):
    assert _workers() == 5
    time.sleep(IDLE_S + 0.1)
    assert app.prune_idle_workers()
    deadline = time.monotonic() + 5
    while _workers() > 1 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _workers() == 1  # the one that ran the no-op stays, as AnyIO keeps it


def test_workers_not_yet_idle_long_enough_are_kept(server_loop):
    assert app.prune_idle_workers()
    time.sleep(0.1)
    assert _workers() == 5


def test_closes_in_a_burst_prune_once_after_the_last(server_loop, monkeypatch):
    pruned: list[float] = []
    released = threading.Event()
    monkeypatch.setattr(app, "prune_idle_workers", lambda: pruned.append(time.monotonic()))
    monkeypatch.setattr(app, "release_memory", released.set)
    closes = [app._on_kernel_start() for _ in range(3)]
    for close in closes:
        close()
        time.sleep(0.2)
    last = time.monotonic()
    assert released.wait(10)
    assert len(pruned) == 1 and pruned[0] - last >= IDLE_S


def test_without_a_server_loop_nothing_is_pruned_and_memory_is_still_released(monkeypatch):
    monkeypatch.setattr(app, "_SERVER_LOOP", [])
    monkeypatch.setattr(app, "_LAST_CLOSE", [])
    monkeypatch.setattr(app, "WORKER_IDLE_S", 0.0)
    released = threading.Event()
    monkeypatch.setattr(app, "release_memory", released.set)
    app._on_kernel_start()()  # outside any worker thread: no token to take
    assert not app._SERVER_LOOP and not app.prune_idle_workers()
    assert released.wait(10)


def test_the_server_keeps_its_objects_where_freed_pages_can_go_back(monkeypatch):
    """Python's small-object arenas go back only when empty, so a few survivors of a burst
    of sessions would pin them: the launcher runs the server on glibc's malloc, whose free
    pages the trim after a close returns (benchmarks/README.md, "Soak")."""
    from diplomacy_sim.dashboard.server import server_env

    monkeypatch.delenv("PYTHONMALLOC", raising=False)
    assert server_env()["PYTHONMALLOC"] == "malloc"
    monkeypatch.setenv("PYTHONMALLOC", "pymalloc_debug")  # an operator's own choice stands
    assert server_env()["PYTHONMALLOC"] == "pymalloc_debug"


def test_a_hand_off_still_waiting_for_a_thread_is_not_doubled(server_loop):
    app._PRUNING.acquire()  # as while a first hand-off waits for one of a busy pool's threads
    try:
        assert not app.prune_idle_workers()
    finally:
        app._PRUNING.release()
    assert app.prune_idle_workers()


def test_the_first_page_builds_the_descriptions_every_page_shares(monkeypatch):
    """The set-up controls and the shock forms are built when a page opens, not when a page
    first unfolds them in the middle of a burst (where they would pin the burst's pages)."""
    from diplomacy_sim.dashboard import session

    monkeypatch.setattr(app, "_SERVER_LOOP", [])
    monkeypatch.setattr(app, "_LAST_CLOSE", [])
    monkeypatch.setattr(app, "release_memory", lambda: None)
    session.parameter_controls.cache_clear()
    session.shock_fields.cache_clear()
    app._on_kernel_start()
    assert session.parameter_controls.cache_info().currsize == 1
    assert session.shock_fields.cache_info().currsize == len(session.SHOCK_CLASSES) > 0


def test_releasing_memory_forgets_the_urls_closed_sessions_parsed():
    import urllib.parse

    urllib.parse.urlsplit("http://127.0.0.1:8765/?seed=3")
    assert urllib.parse.urlsplit.cache_info().currsize > 0
    app.release_memory()
    assert urllib.parse.urlsplit.cache_info().currsize == 0
