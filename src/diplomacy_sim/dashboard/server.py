"""Serve the dashboard with Solara's server (``make run`` / ``diplomacy-sim dashboard``)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP = "diplomacy_sim.dashboard.app"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
KERNEL_CULL_TIMEOUT = "60s"


def frontend_ready() -> bool:
    """True when Solara's front-end files are in the local cache (works offline)."""
    cdn = Path(sys.prefix) / "share" / "solara" / "cdn"
    return (cdn / "requirejs@2.3.6" / "require.js").exists()


def solara_command(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, app: str = APP
                   ) -> list[str]:
    return [sys.executable, "-m", "solara", "run", app, "--host", host, "--port", str(port),
            "--production", "--no-open"]


def server_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "false")
    # a session whose page is gone (tab closed, browser killed, network lost) is dropped
    # after this long, with its model; Solara's default keeps it for 24 h, so a room's
    # server would only ever grow. A page that reconnects within it keeps its session.
    env.setdefault("SOLARA_KERNEL_CULL_TIMEOUT", KERNEL_CULL_TIMEOUT)
    # one browser may open a few tabs, not hundreds of sessions
    env.setdefault("SOLARA_KERNEL_MAX_PER_SESSION", "20")
    return env


def serve(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> None:
    """Replace this process with the Solara server (prints the address first)."""
    if not frontend_ready():
        print("warning: Solara's front-end files are not installed; run "
              "scripts/install_frontend.sh (or `make setup`) for offline use.", file=sys.stderr)
    print(f"Dashboard: http://{host}:{port}/  (Ctrl+C to stop)", flush=True)
    cmd = solara_command(host, port)
    os.execve(cmd[0], cmd, server_env())
