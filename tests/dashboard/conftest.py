"""Fixtures for the dashboard tests: a Solara server on a free loopback port, Debian
Chromium driven by Playwright (never `playwright install`), and the explorer rendered
without a browser (``page``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from serving import free_port, start_server, stop_server

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="session")
def dashboard_url() -> Iterator[str]:
    port = free_port()
    proc = start_server(port)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        stop_server(proc)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def page() -> Iterator[tuple[Any, Any]]:
    """The explorer on the default set-up, rendered without a browser, its set-up panel
    unfolded: (render context, the page's own Session)."""
    from explorer import render_explorer

    rc, session = render_explorer()
    try:
        yield rc, session
    finally:
        rc.close()
