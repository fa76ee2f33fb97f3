"""Fixtures for the training room in real browsers: one Solara server with its own room
database (it can be killed and started again on the same file), Debian Chromium, and a
:class:`Person` per browser context (a trainer, a projector, participants)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from serving import free_port, kill_server, start_server, stop_server

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"  # ignored by git
PORTS = range(8785, 8790)  # this project's room tests and benchmark use these only
VIEWPORT = {"width": 1280, "height": 720}


def room_port() -> int:
    return free_port(PORTS)


class RoomServer:
    """``solara run`` of the dashboard with DIPLOMACY_SIM_ROOM_DB=db; restartable."""

    def __init__(self, db: Path, port: int, log: Path) -> None:
        self.db, self.port, self.log = db, port, log
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = f"http://127.0.0.1:{port}"

    def start(self) -> None:
        self.proc = start_server(self.port, db=self.db, log=self.log)

    def kill(self) -> None:
        """The server dies at once (SIGKILL), as when a laptop's lid closes on it."""
        if self.proc is not None:
            kill_server(self.proc)

    def stop(self) -> None:
        if self.proc is not None:
            stop_server(self.proc)


@pytest.fixture(scope="module")
def room_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RoomServer]:
    yield from serve_room(tmp_path_factory, "room", RoomServer)


def serve_room(tmp_path_factory: pytest.TempPathFactory, name: str,
               kind: type[RoomServer]) -> Iterator[RoomServer]:
    """A started server of ``kind`` on a database of its own, stopped afterwards."""
    d = tmp_path_factory.mktemp(name)
    server = kind(d / "rooms.sqlite", room_port(), d / "server.log")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


OPEN: list[Person] = []


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """On a failure, a screenshot of every open browser context (named after its person)."""
    report = yield
    if report.when == "call" and report.failed and OPEN:
        ARTIFACTS.mkdir(exist_ok=True)
        for p in list(OPEN):
            try:
                safe = "".join(ch if ch.isalnum() else "_" for ch in p.name)
                p.page.screenshot(path=str(ARTIFACTS / f"failed_{item.name}_{safe}.png"))
            except Exception:  # a closed page has nothing to show
                pass
    return report


class Person:
    """One browser context (one laptop) on the room's server, recording page errors."""

    def __init__(self, browser: Any, server: RoomServer, name: str) -> None:
        OPEN.append(self)
        self.name = name
        self.server = server
        self.context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
        self.page = self.context.new_page()
        self.page.set_default_timeout(30_000)
        self.errors: list[str] = []
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def goto(self, path: str) -> None:
        self.page.goto(self.server.url + path)

    def button(self, name: str) -> Any:
        return self.page.get_by_role("button", name=name, exact=True)

    def text(self, text: str) -> Any:
        return self.page.get_by_text(text, exact=False).first

    def body(self) -> str:
        return str(self.page.inner_text("body"))

    def close(self) -> None:
        if self in OPEN:
            OPEN.remove(self)
        self.context.close()


@pytest.fixture
def open_browser(browser: Any, room_server: RoomServer) -> Iterator[Any]:
    """``open_browser(name)``: a new browser context (a laptop) on the room's server."""
    made: list[Person] = []

    def make(name: str) -> Person:
        made.append(Person(browser, room_server, name))
        return made[-1]

    yield make
    for p in made:
        p.close()
