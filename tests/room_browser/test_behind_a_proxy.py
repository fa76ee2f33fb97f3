"""A room whose laptops reach the server through a reverse proxy (``--trusted-proxy``): each
laptop counts as the address the proxy saw, so the per-address bounds hold for each of them,
and what a laptop forges in X-Forwarded-For does not change who it is. Real Chromium, one
browser context per laptop, each sending the header a proxy on the server's machine
(127.0.0.1) would add."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from test_room_session import _start

from conftest import Person, RoomServer, serve_room
from serving import start_server

pytestmark = pytest.mark.browser


class ProxiedServer(RoomServer):
    def start(self) -> None:  # trusting the proxy on this machine; one join per address
        from diplomacy_sim.room.room import JOINS_ENV

        self.proc = start_server(self.port, db=self.db, log=self.log, proxies=["127.0.0.1"],
                                 env={JOINS_ENV: "1"})


@pytest.fixture(scope="module")
def room_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RoomServer]:
    yield from serve_room(tmp_path_factory, "proxied", ProxiedServer)


def _laptop(browser: Any, server: RoomServer, name: str, forwarded_for: str) -> Person:
    p = Person(browser, server, name)
    p.context.set_extra_http_headers({"X-Forwarded-For": forwarded_for})
    return p


def _try_join(p: Person, code: str) -> str:
    p.goto("/join")
    p.page.get_by_label("Join code").fill(code)
    p.page.get_by_label("Your name").fill(p.name)
    p.button("Join").click()
    p.page.locator(".role-button, .join-error, .v-alert").first.wait_for()
    return p.body()


def test_each_laptop_behind_the_proxy_is_bounded_as_itself(browser: Any, open_browser: Any,
                                                            room_server: RoomServer) -> None:
    _trainer, code = _start(open_browser)  # the trainer's browser is on the server's machine
    laptops = []
    try:
        asha = _laptop(browser, room_server, "Asha", "203.0.113.7")
        laptops.append(asha)
        _try_join(asha, code)
        assert asha.page.locator(".role-button").count() > 0, asha.body()
        # the same laptop again, forging an address in front of the one the proxy adds
        again = _laptop(browser, room_server, "Ben", "198.51.100.1, 203.0.113.7")
        laptops.append(again)
        body = _try_join(again, code)
        assert "already joined 1 people" in body, body
        assert again.page.locator(".role-button").count() == 0
        # another laptop behind the same proxy joins: it is an address of its own
        cy = _laptop(browser, room_server, "Cy", "203.0.113.8")
        laptops.append(cy)
        _try_join(cy, code)
        assert cy.page.locator(".role-button").count() > 0, cy.body()
        for p in (asha, again, cy):
            assert p.errors == [], (p.name, p.errors)
    finally:
        for p in laptops:
            p.close()
