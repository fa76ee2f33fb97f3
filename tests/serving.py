"""The dashboard server and Debian Chromium for the browser tests and the benchmarks.

One copy of: the Chromium launch settings, the loopback port picker and the start and stop
of a ``solara run`` server. The tests import it as ``serving`` (``tests/`` is on the path of
every test: ``tests/conftest.py`` has no package), the benchmarks through
``benchmarks/_common.py``.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync",
                 "--disable-features=WebUIOmniboxPopup,WebUIOmniboxAimPopup,"
                 "PreloadTopChromeWebUI"]
"""Debian chromium (never ``playwright install``), headless, with nothing reaching out.

The last switch: Chromium 156's headless mode builds a window's address-bar popups (two
WebUI pages, each in a renderer process of its own: about 0.5 CPU s) for every browser
context it opens. A learner's browser builds them once, when it starts, on the learner's
own machine; the tests and benchmarks open one context per page, so without it every
page they open would carry that cost too."""
START_LIMIT_S = 60.0


def free_port(ports: range | None = None) -> int:
    """A free loopback port: the first free one of ``ports``, else one the system picks."""
    if ports is None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return int(s.getsockname()[1])
    for port in ports:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {ports.start}-{ports.stop - 1}")


def start_server(port: int, app: str | None = None, env: dict[str, str] | None = None,
                 db: Path | str | None = None, log: Path | None = None,
                 proxies: Sequence[str] = ()) -> subprocess.Popen[bytes]:
    """``solara run`` of the dashboard (or ``app``) on 127.0.0.1:``port``, as the product's
    launcher starts it (:func:`diplomacy_sim.dashboard.server.server_env`, with ``db`` as
    the room database and ``proxies`` trusted), plus ``env``; output appended to ``log``
    (default: discarded). Returns once the page answers 200; raises if it exits or is not
    up in 60 s."""
    from diplomacy_sim.dashboard.server import APP, server_env, solara_command

    full_env = {**server_env(db, proxies=proxies), **(env or {})}
    cmd = solara_command("127.0.0.1", port, app or APP)
    if log is None:
        proc = subprocess.Popen(cmd, env=full_env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
    else:
        with log.open("ab") as out:  # the child keeps its own copy of the descriptor
            proc = subprocess.Popen(cmd, env=full_env, stdout=out, stderr=subprocess.STDOUT,
                                    start_new_session=True)
    return wait_serving(proc, port, "dashboard server", log)


def wait_serving(proc: subprocess.Popen[bytes], port: int, what: str,
                 log: Path | None = None) -> subprocess.Popen[bytes]:
    """``proc`` once its page answers on ``port``; stopped, and an error naming ``what``,
    if it exits or does not answer within START_LIMIT_S."""
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + START_LIMIT_S
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}"
                               + (f"; see {log}" if log else ""))
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.2)
    stop_server(proc)
    raise RuntimeError(f"{what} did not start in {START_LIMIT_S:.0f} s")


def kill_server(proc: subprocess.Popen[bytes]) -> None:
    """The server and its children die at once (SIGKILL), as when a laptop's lid closes."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the server's process group; SIGKILL if it is not gone in 10 s."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            kill_server(proc)
