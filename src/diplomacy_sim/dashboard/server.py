"""Serve the dashboard with Solara's server (``make run`` / ``diplomacy-sim dashboard``)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP = "diplomacy_sim.dashboard.app"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


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
    return env


def serve(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> None:
    """Replace this process with the Solara server (prints the address first)."""
    if not frontend_ready():
        print("warning: Solara's front-end files are not installed; run "
              "scripts/install_frontend.sh (or `make setup`) for offline use.", file=sys.stderr)
    print(f"Dashboard: http://{host}:{port}/  (Ctrl+C to stop)", flush=True)
    cmd = solara_command(host, port)
    os.execve(cmd[0], cmd, server_env())
