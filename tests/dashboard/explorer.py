"""The explorer rendered without a browser (``solara.render``): one copy for the
no-browser dashboard tests (the ``page`` fixture and the tests that render a set-up of
their own)."""

from __future__ import annotations

from typing import Any

import ipyvuetify as v
import solara

from diplomacy_sim.dashboard import app
from diplomacy_sim.dashboard.session import Session, Setup

PANEL_TOGGLE = "Set-up & shocks"


def unfold(rc: Any) -> None:
    """Open the set-up, shock and export panel, as a trainer's click would: its forms are
    mounted on the first opening only."""
    (toggle,) = [b for b in rc.find(v.Btn, class_="panel-toggle").widgets
                 if PANEL_TOGGLE in b.children]
    toggle.click()
    rc.find(v.Select, label="Shock").assert_single()


def render_explorer(setup: Setup | None = None, msg: str | None = None, panel: bool = True,
                    **kw: Any) -> tuple[Any, Session]:
    """(render context, the page's own Session) of ``app.Dashboard(setup, msg, **kw)``,
    with the panel unfolded unless ``panel`` is False. The caller closes the context."""
    box: dict[str, Session] = {}
    orig = app.Session
    app.Session = lambda s: box.setdefault("s", orig(s))  # type: ignore[misc,assignment]
    try:
        _, rc = solara.render(solara.AppLayout(children=[app.Dashboard(setup or Setup(), msg,
                                                                       **kw)]),
                              handle_error=False)
    finally:
        app.Session = orig  # type: ignore[misc]
    if panel:
        unfold(rc)
    return rc, box["s"]
