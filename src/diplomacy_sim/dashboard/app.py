"""The Solara dashboard page: ``solara run diplomacy_sim.dashboard.app``.

Every browser session gets its own :class:`~diplomacy_sim.dashboard.session.Session`
(created inside the page with ``use_memo``); nothing is built at import time. Each part of
the page is its own component reading only the reactive values it needs, so a Step
re-renders the week, the charts, the network, the cards and the narrative, never the set-up.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from typing import Any
from urllib.parse import parse_qs

import anyio
import anyio._backends._asyncio as anyio_asyncio
import anyio.from_thread
import anyio.lowlevel
import anyio.to_thread
import numpy as np
import solara
import solara.lab
from solara.alias import rv

from diplomacy_sim.dashboard import (
    charts,
    front_end,
    kernel_guards,
    log_bound,
    room_pages,
    widget_events,
)
from diplomacy_sim.dashboard.components import (
    ChoiceToggle,
    GlossaryPanel,
    Heading,
    Island,
    NarrativeList,
    PersonPicker,
    ShockForm,
    chart_grid_html,
    chart_terms_html,
    filter_events,
    merge_repeats,
    narrative_entries,
    outcome_charts,
    signal_noise_html,
)
from diplomacy_sim.dashboard.glossary import GLOSSARY, term_html
from diplomacy_sim.dashboard.people import people_index
from diplomacy_sim.dashboard.session import (
    Session,
    Setup,
    format_number,
    group_of,
    humanise,
    parameter_controls,
    parse_number,
    parse_people,
    parse_seed,
    scenario_catalogue,
    scenario_values,
    warm_shared_caches,
)
from diplomacy_sim.domain.events import week_number
from diplomacy_sim.scenario.loader import ScenarioError
from diplomacy_sim.scenario.schema import DOCTRINES
from diplomacy_sim.untrusted import parse_int

front_end.guard_if_serving()  # the server's front-end route: files on disk only
widget_events.guard_if_serving()  # a page's template messages: what they declare
kernel_guards.guard_if_serving()  # a page's comms and frames: what a page needs
log_bound.guard_if_serving()  # the log: a bounded number of tracebacks a minute

_RELEASE = threading.Lock()
_PRUNING = threading.Lock()
_QUIET = threading.Condition()
_LAST_CLOSE: list[float] = []  # monotonic time of the latest session close, when one is pending
_SERVER_LOOP: list[anyio.lowlevel.EventLoopToken] = []  # the server's event loop, once known
WORKER_IDLE_S: float = anyio_asyncio.WorkerThread.MAX_IDLE_TIME
"""How long AnyIO lets a worker thread idle before the next hand-off may stop it (s)."""


def release_memory() -> None:
    """Hand the memory of closed sessions back to the system: collect, then ``malloc_trim``
    (numpy's arrays live in the C heap, which glibc keeps for reuse unless trimmed)."""
    with _RELEASE:
        # URLs the closed sessions' requests parsed (a bounded cache that would otherwise
        # keep a few strings in pages the burst's garbage freed)
        urllib.parse.clear_cache()
        gc.collect()
        trim = _malloc_trim()
        if trim is not None:
            trim(0)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, looked up once (None where the C library has none)."""
    name = ctypes.util.find_library("c")
    return getattr(ctypes.CDLL(name), "malloc_trim", None) if name else None


def _remember_server_loop() -> None:
    """Keep a token for the server's event loop, taken from a session's own thread (each
    page's websocket runs in one of AnyIO's worker threads of that loop)."""
    if _SERVER_LOOP:
        return
    try:
        token = anyio.from_thread.run_sync(anyio.lowlevel.current_token)
    except (anyio.NoEventLoopError, RuntimeError):
        return  # not in a worker thread (tests rendering the page directly): nothing to prune
    with _QUIET:
        if not _SERVER_LOOP:
            _SERVER_LOOP.append(token)


async def _hand_off_nothing() -> None:
    await anyio.to_thread.run_sync(int)


def prune_idle_workers() -> bool:
    """Let AnyIO stop the worker threads that closed sessions left idle.

    AnyIO stops a worker idle for ``WORKER_IDLE_S`` or more only when the loop next hands
    work to a thread, and a quiet server hands none; so hand it one no-op. Returns whether
    the server's loop was reached."""
    if not _SERVER_LOOP or not _PRUNING.acquire(blocking=False):
        return False  # no loop known, or a hand-off already waiting for a free thread
    try:
        anyio.from_thread.run(_hand_off_nothing, token=_SERVER_LOOP[0])
    except (anyio.RunFinishedError, RuntimeError):
        return False  # the server is stopping
    finally:
        _PRUNING.release()
    return True


def _after_sessions_close() -> None:
    """Once no session has closed for longer than a worker's idle limit: prune the idle
    workers, give them a moment to exit, then release the memory."""
    while True:
        with _QUIET:
            wait = _LAST_CLOSE[0] + WORKER_IDLE_S + 1.0 - time.monotonic()
            if wait <= 0:
                _LAST_CLOSE.clear()
                break
            _QUIET.wait(wait)
    if prune_idle_workers():
        time.sleep(1.0)  # the stopped workers' frames and queues go with their threads
    release_memory()


def _on_kernel_start() -> Callable[[], None]:
    _remember_server_loop()
    warm_shared_caches()
    _malloc_trim()  # looked up now, not among a closed burst's garbage

    def closed() -> None:  # coalesced: many sessions closing at once release once
        with _QUIET:
            pending = bool(_LAST_CLOSE)
            _LAST_CLOSE[:] = [time.monotonic()]
        if not pending:
            threading.Thread(target=_after_sessions_close, name="release-memory",
                             daemon=True).start()

    return closed


solara.lab.on_kernel_start(_on_kernel_start)

_PNG_WARM = threading.Event()


def warm_png_export() -> None:
    """Load Pillow and the PNG's fonts once per server process, in the background, when the
    first page opens: the first "Charts (PNG)" download then costs the drawing only
    (benchmarks/bench_png.py)."""
    if _PNG_WARM.is_set():
        return
    _PNG_WARM.set()

    def load() -> None:
        for px in (22, 24, 26, 32, 34):  # the sizes charts_png draws with (supersampled)
            charts._font(px)
        charts._font(32, True)
        charts._font(34, True)

    threading.Thread(target=load, name="warm-png-export", daemon=True).start()


SPEEDS = (1, 2, 4, 8)  # weeks per second when playing
DEFAULT_SPEED = 2
STAGES_LIVE = ("delivering", "live")


def _shared_from_url(search: str | None) -> tuple[Any, str | None]:
    """The whole set-up a ``?setup=`` link carries (:mod:`sharing`), or (None, message)."""
    from diplomacy_sim.dashboard import sharing

    q = {k: v[-1] for k, v in parse_qs(search or "").items()}
    if "setup" not in q:
        return None, None
    try:
        return sharing.parse_link(q["setup"]), None
    except sharing.SetupRefused as exc:
        return None, "Link not restored: " + "; ".join(exc.problems)


def _setup_from_url(search: str | None) -> tuple[Setup, str | None]:
    """?scenario=&seed=&people=&doctrine= (for links and benchmarks); bad values are ignored
    with a message."""
    q = {k: v[-1] for k, v in parse_qs(search or "").items()}
    names = [n for n, _, _ in scenario_catalogue()]
    problems = []
    scenario = q.get("scenario", names[0] if "integrated_discharge" not in names
                     else "integrated_discharge")
    if scenario not in names:
        problems.append(f"unknown scenario “{scenario}”")
        scenario = "integrated_discharge"
    seed = people = None
    if "seed" in q:
        seed, err = parse_seed(q["seed"])
        if err:
            problems.append(err)
    if "people" in q:
        people, err = parse_people(q["people"])
        if err:
            problems.append(err)
    doctrine = q.get("doctrine")
    if doctrine is not None and doctrine not in DOCTRINES:
        problems.append(f"unknown doctrine “{doctrine}”")
        doctrine = None
    msg = "Link ignored in part: " + "; ".join(problems) if problems else None
    return Setup(scenario=scenario, doctrine=doctrine, seed=seed, people=people), msg


# --------------------------------------------------------------------------- live state
@dataclass(eq=False)
class LiveState:
    """One session's model and the reactive values its page shares (compared by identity, so
    passing it to a component never counts as a changed argument)."""

    session: Session
    version: solara.Reactive[int]  # bumped by every Step / injection / Reset
    epoch: solara.Reactive[int]  # bumped on Reset (a new model)
    done: solara.Reactive[bool]
    playing: solara.Reactive[bool]
    speed: solara.Reactive[int]
    balcony: solara.Reactive[bool]
    person: solara.Reactive[int]
    pending: solara.Reactive[Setup]
    running: solara.Reactive[Setup]
    notice: solara.Reactive[str | None]
    presentation: solara.Reactive[bool] = field(  # large type for a projector
        default_factory=lambda: solara.reactive(False))
    panel_open: solara.Reactive[bool] = field(  # the set-up, shock and export panel unfolded
        default_factory=lambda: solara.reactive(False))
    marked_week: solara.Reactive[int | None] = field(  # 0-based model week marked on charts
        default_factory=lambda: solara.reactive(cast_week()))
    busy: threading.Lock = field(default_factory=threading.Lock)

    def advanced(self) -> None:
        """After the model moved: re-render the live parts (each in its own Island)."""
        self.version.value += 1
        self.done.value = self.session.model.done


def play_loop(live: LiveState, cancel: threading.Event, weeks_per_second: int) -> None:
    """Step while playing. Ticks never queue: each waits for the previous step and its render
    to finish, and when the server is loaded (a step took longer than a tick) the loop waits
    at least as long as the step took, so a loaded server slows play down instead of piling
    up work, and Pause and the other sessions stay responsive."""
    delay = 1.0 / max(weeks_per_second, 1)
    while not cancel.is_set():
        t0 = time.perf_counter()
        if not live.busy.acquire(blocking=False):  # a Step/Reset is on its way: skip a tick
            cancel.wait(delay)
            continue
        try:
            if cancel.is_set():
                return
            if not live.session.step():
                live.playing.value = False
                return
            live.advanced()
        finally:
            live.busy.release()
        if live.session.model.done:
            live.playing.value = False
            return
        took = time.perf_counter() - t0
        cancel.wait(max(delay - took, took, 0.01))


# --------------------------------------------------------------------------- step bar
@solara.component
def WeekIndicator(live: LiveState) -> None:
    _ = live.version.value
    solara.HTML(tag="div", unsafe_innerHTML=(
        f'<span class="week-indicator" style="font-size:22px;font-weight:600;'
        f'margin-right:12px">Week {live.session.week} of {live.session.horizon}</span>'))


@solara.component
def Controls(live: LiveState) -> None:
    """The buttons: re-rendered when playing, done or the set-up changes, never on a Step.
    One compact row (icon and a short word each), so they fit beside the week."""
    session, playing = live.session, live.playing
    is_playing, done = playing.value, live.done.value

    def step() -> None:
        with live.busy:
            session.step()
            live.advanced()

    def run_to_end() -> None:
        playing.value = False
        with live.busy:
            session.run_to_end()
            live.advanced()

    def reset() -> None:
        playing.value = False
        with live.busy:
            try:
                session.reset(live.pending.value)
            except ScenarioError as exc:
                live.notice.value = "Not reset: " + "; ".join(exc.problems)
                return
            live.notice.value = None
            live.marked_week.value = None  # the mark was a week of the run before
            if live.person.value >= session.model.state.people.n:
                live.person.value = session.default_person()
            live.running.value = session.setup
            live.epoch.value += 1
            live.advanced()

    def loop(cancel: threading.Event) -> None:
        if is_playing:
            play_loop(live, cancel, live.speed.value)

    solara.use_thread(loop, dependencies=[is_playing, live.speed.value],
                      intrusive_cancel=False)

    compact = {"small": True, "classes": ["control"]}
    with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}, gap="6px",
                    classes=["controls"]):
        solara.Button("Step", on_click=step, disabled=done or is_playing, color="primary",
                      icon_name="mdi-step-forward", **compact)
        if is_playing:
            solara.Button("Pause", on_click=lambda: playing.set(False), icon_name="mdi-pause",
                          **compact)
        else:
            solara.Button("Play", on_click=lambda: playing.set(True), disabled=done,
                          icon_name="mdi-play", **compact)
        solara.Button("Run to end", on_click=run_to_end, disabled=done,
                      icon_name="mdi-skip-forward", **compact)
        solara.Button("Reset", on_click=reset, icon_name="mdi-restore",
                      color="warning" if live.pending.value != live.running.value else None,
                      **compact)
        with solara.Row(style={"align-items": "center"}, gap="4px", classes=["speed"]):
            solara.Text("Speed, weeks/s:", style={"font-size": "13px"})
            ChoiceToggle(live.speed, SPEEDS, dense=True)


@solara.component
def ViewToggles(live: LiveState) -> None:
    """Balcony or role, the set-up panel, presentation mode and the glossary."""
    balcony, panel, present = live.balcony, live.panel_open, live.presentation

    def toggle_presentation() -> None:
        present.set(not present.value)
        if present.value:
            panel.set(False)

    with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}, gap="6px",
                    classes=["view-toggles"]):
        if balcony.value:
            solara.Button("Back to my role", on_click=lambda: balcony.set(False), small=True,
                          outlined=True, icon_name="mdi-account")
        else:
            solara.Button("Go to the balcony", on_click=lambda: balcony.set(True), small=True,
                          outlined=True, icon_name="mdi-binoculars")
        if not present.value:
            solara.Button("Hide set-up" if panel.value else "Set-up & shocks",
                          on_click=lambda: panel.set(not panel.value), small=True,
                          outlined=not panel.value, color="primary" if panel.value else None,
                          icon_name="mdi-tune", classes=["panel-toggle"])
        solara.Button("Leave presentation" if present.value else "Presentation",
                      on_click=toggle_presentation, small=True, outlined=True,
                      icon_name="mdi-projector-screen", classes=["presentation-toggle"])
        solara.HTML(tag="a", unsafe_innerHTML="Glossary",
                    attributes={"href": "#glossary", "class": "glossary-link"},
                    style={"font-size": "14px"})


@solara.component
def Notices(live: LiveState) -> None:
    pending = live.pending.value
    seen = solara.use_ref(pending)

    def clear_stale_notice() -> None:
        # "Not reset: ..." or "Link ignored in part: ..." was about the set-up as it was:
        # once the set-up changes, it no longer applies
        if seen.current != pending:
            seen.current = pending
            live.notice.value = None

    solara.use_effect(clear_stale_notice, [pending])
    changes = pending.describe_changes(live.running.value)
    if changes:
        solara.Warning("Changed, not yet applied — press Reset to start again with: "
                       + "; ".join(changes), dense=True, classes=["pending-changes"])
    if live.notice.value:
        if live.notice.value.startswith("Set-up restored"):
            solara.Success(live.notice.value, dense=True, classes=["setup-restored"])
        else:
            solara.Error(live.notice.value, dense=True, classes=["page-notice"])


@solara.component
def Header(live: LiveState) -> None:
    _ = live.epoch.value
    solara.HTML(tag="div", unsafe_innerHTML=(
        f'<div class="page-title" style="font-size:14px;color:#546e7a">'
        f'<b style="color:#263238">System diplomacy</b> · '
        f'{escape(live.session.model.spec.title)} · '
        f'{("balcony view: everything, exactly" if live.balcony.value else "seeing as one person")}'
        '</div>'))


# --------------------------------------------------------------------------- charts
def _shock_marks(session: Session) -> list[tuple[int, str]]:
    """(week, label) of each injected shock: its kind and the organisations it hit."""
    o = session.model.state.orgs
    names = dict(zip(o.ids, o.names, strict=True))
    return [(int(s["at"]), charts.shock_label(s, names)) for s in session.injected]


def chart_names(session: Session, presentation: bool = False) -> tuple[str, ...]:
    """The balcony's charts: the shares, then the counts (the four a room talks about first
    in presentation mode)."""
    rows = session.model.rows
    counts = tuple(k for k in charts.COUNT_OUTCOMES if not rows or k in rows[0])
    names = session.outcome_names() + counts
    if presentation:
        first = ("integration", "trust", "user_outcome", "engagement")
        names = tuple(k for k in first if k in names) + tuple(k for k in names
                                                               if k not in first)
    return names


CHART_WIDTH = 250
"""The explorer's charts are drawn 250 units wide: about their cell's width in pixels at
three across a 1280 px laptop screen, so the lettering shows near its nominal size."""
PRESENTATION_TEXT_SCALE = 1.5
"""Chart lettering in presentation mode: 11-unit ticks become 16.5 units, which at two
charts across the charts' column of a 1280 px screen is over 18 px."""


def _view(live: LiveState) -> tuple[Session, int, bool, int]:
    """Read (and so subscribe to) what every live part depends on."""
    return live.session, live.version.value, live.balcony.value, live.person.value


@solara.component
def Charts(live: LiveState) -> None:
    session, v, balcony, person = _view(live)
    marked, present = live.marked_week.value, live.presentation.value

    def draw() -> str:
        from diplomacy_sim.model.views import SIGNALS

        scale = PRESENTATION_TEXT_SCALE if present else 1.1
        width = 300 if present else CHART_WIDTH
        with session.lock:
            marks = _shock_marks(session)
            cache = session.chart_cache
            if balcony:
                # the shock-free run is the run itself until a shock is injected: not drawn
                # twice (it would be hidden under the blue line, and doubles what is sent)
                rows = session.model.rows
                base = session.baseline_rows() if session.injected else None
                names = chart_names(session, present)
                svgs = outcome_charts(names, rows, base, session.horizon, marks, cache=cache,
                                      marked=marked, text_scale=scale, width=width)
                extra = "" if present else chart_terms_html(names)
            else:
                sig = session.person_signals(person)
                names = tuple(k for k in SIGNALS if not sig or k in sig[0])
                svgs = [charts.line_chart(k, sig, None, session.horizon, marks,
                                          title=f"{charts.TITLES[k]} (as seen)",
                                          colour="#6a1b9a", cache=cache,
                                          series=(("seen", person), None), marked=marked,
                                          text_scale=scale, width=width,
                                          labels=("as this person sees it", ""),
                                          tooltip=GLOSSARY["signal"].short + " "
                                          + GLOSSARY[k].short)
                        for k in names]
                extra = signal_noise_html(session.model.params.affect.signal_noise, names,
                                          font_px=18 if present else 13)
            week = session.week
        min_width = 330 if present else (245 if balcony else 200)  # 3 across at 1280 and 1600
        return (chart_grid_html(svgs, week, len(marks), min_width=min_width, fit=True,
                                marked=marked) + extra)

    html = solara.use_memo(draw, [session.model, v, balcony, person, marked, present])
    solara.HTML(tag="div", unsafe_innerHTML=html)


# --------------------------------------------------------------------------- network
@solara.component
def Network(live: LiveState) -> None:
    session, v, balcony, person = _view(live)

    def draw() -> str:
        with session.lock:
            m = session.model
            if balcony:
                svg = charts.network_svg(m, cache=session.network_cache)
            else:
                lo, hi = np.searchsorted(m.state.ties.src, [person, person + 1])
                visible = [person, *map(int, m.state.ties.dst[lo:hi])]
                svg = charts.network_svg(m, visible=visible, focus=person)
            return svg + charts.legend_html(m)

    html = solara.use_memo(draw, [session.model, v, balcony, person])
    solara.HTML(tag="div", unsafe_innerHTML=html)


# --------------------------------------------------------------------------- cards
def _org_card_html(org: Any, colour: str) -> str:
    agenda = sorted(org.agenda.items(), key=lambda kv: -kv[1])
    bars = "".join(
        f'<div style="display:flex;align-items:center;font-size:12px">'
        f'<span style="width:90px;overflow:hidden;white-space:nowrap">{escape(humanise(k))}'
        f'</span><span style="display:inline-block;height:8px;width:{100 * w:.0f}px;'
        f'background:{colour};opacity:.75"></span><span style="margin-left:4px">{w:.2f}</span>'
        "</div>" for k, w in agenda[:5]
    )
    live = org.initiatives(stages=tuple(_stage(s) for s in STAGES_LIVE))
    status = ("abolished" if not org.alive else
              term_html("at_the_table", "at the table") if org.engaged else
              term_html("at_the_table", "gone cold (not attending)"))
    status_colour = "#2e7d32" if org.alive and org.engaged else "#c62828"
    return (
        f'<div class="org-card" style="border-left:5px solid {colour};padding:6px 10px;'
        'background:#fafafa;border-radius:4px;min-width:0">'
        f'<div style="font-weight:600;font-size:15px">{escape(org.name)}</div>'
        f'<div style="font-size:12px;color:{status_colour}">{escape(org.kind.capitalize())} · '
        f'{status}</div>'
        f'<div style="font-size:12px">{term_html("budget")} £{org.budget:,.1f}m a year '
        f'(free for joint work £{org.discretionary_budget:,.1f}m)</div>'
        f'<div style="font-size:12px;margin-top:4px;font-weight:600">'
        f'{term_html("priorities", "Agenda")}</div>{bars}'
        f'<div style="font-size:12px;margin-top:4px"><b>{term_html("initiatives")}:</b> '
        f'{escape(", ".join(live)) if live else "none yet"}</div></div>'
    )


def _stage(name: str) -> Any:
    from diplomacy_sim.domain.state import Stage

    return Stage[name.upper()]


@solara.component
def OrgCards(live: LiveState) -> None:
    session, v, balcony, person = _view(live)

    def draw() -> str:
        with session.lock:
            m = session.model
            orgs = m.organisations
            if not balcony:
                orgs = [orgs[int(m.state.people.org[person])]]
            cells = "".join(
                _org_card_html(o, charts.PALETTE[o.index % len(charts.PALETTE)]) for o in orgs
            )
            extra = "" if balcony else _person_html(session, person)
        return ('<div style="display:grid;grid-template-columns:repeat(auto-fill,'
                f'minmax(230px,1fr));gap:8px">{cells}{extra}</div>')

    html = solara.use_memo(draw, [session.model, v, balcony, person])
    solara.HTML(tag="div", unsafe_innerHTML=html)


def _person_html(session: Session, person: int) -> str:
    from diplomacy_sim.model.views import person_view
    from diplomacy_sim.names import person_name, person_title

    m = session.model
    pv = person_view(m, person)
    agenda = sorted(pv["agenda"].items(), key=lambda kv: -kv[1])[:3]
    beliefs = ", ".join(f"{term_html(k, GLOSSARY[k].name.removeprefix('Belief: '))} {v:.2f}"
                        for k, v in pv["beliefs"].items())
    org = m.organisations[int(m.state.people.org[person])].name
    return (
        '<div class="person-card" style="border-left:5px solid #6a1b9a;padding:6px 10px;'
        'background:#f3e5f5;border-radius:4px">'
        f'<div style="font-weight:600;font-size:15px">You: {escape(person_name(m, person))}'
        f'</div><div style="font-size:13px">{escape(person_title(m, person))} '
        f'({escape(humanise(pv["role"]).lower())}) at {escape(org)}</div>'
        f'<div style="font-size:12px">{term_html("priorities", "Your priorities")}: '
        f'{escape(", ".join(f"{humanise(k)} {w:.2f}" for k, w in agenda))}</div>'
        f'<div style="font-size:12px">{term_html("anxiety")} {pv["anxiety"]:.2f} · '
        f'{term_html("strain", "strain")} {pv["strain"]:.2f} · '
        f'{len(pv["ties"])} {term_html("ties", "ties")}</div>'
        f'<div style="font-size:12px">Beliefs: {beliefs}</div>'
        "</div>"
    )


# --------------------------------------------------------------------------- narrative
NARRATIVE_PAGE = 40
"""Entries the narrative shows at first (newest first); "Show older" adds as many again."""


@solara.component
def Narrative(live: LiveState) -> None:
    """What happened: the whole history (repeats merged), filtered by organisation and kind;
    clicking an entry marks its week on the charts (``live.marked_week``)."""
    session, v, balcony, person = _view(live)
    org, set_org = solara.use_state("")
    kind, set_kind = solara.use_state("")
    shown, set_shown = solara.use_state(NARRATIVE_PAGE)
    marked = live.marked_week.value

    def read() -> tuple[list[dict[str, Any]], int, list[tuple[str, str]], list[str]]:
        with session.lock:
            m = session.model
            if balcony:  # the log only grows: convert only the new events (cleared on Reset)
                cache = session.event_dicts
                if len(cache) > len(m.events):
                    cache.clear()
                cache.extend(e.to_dict() for e in m.events[len(cache):])
                events = list(cache)
            else:
                from diplomacy_sim.model.views import person_view

                events = person_view(m, person)["events"]
            so = m.state.orgs
            orgs = tuple((so.ids[i], so.names[i]) for i in range(so.m))
            return events, m.week, orgs, tuple(sorted({e["kind"] for e in events}))

    events, week, orgs, kinds = solara.use_memo(read, [session.model, v, balcony, person])
    org_items = solara.use_memo(lambda: [{"text": "All organisations", "value": ""}]
                                + [{"text": n, "value": i} for i, n in orgs], [orgs])
    kind_items = solara.use_memo(lambda: [{"text": "All kinds", "value": ""}]
                                 + [{"text": humanise(k), "value": k} for k in kinds], [kinds])
    org_ids = {i for i, _ in orgs}
    chosen_org = org if org in org_ids else None  # the page's value: only an offered one
    chosen_kind = kind if kind in kinds else None
    entries = solara.use_memo(
        lambda: narrative_entries(merge_repeats(filter_events(events, chosen_org,
                                                               chosen_kind))),
        [events, chosen_org, chosen_kind])

    def choose(setter: Callable[[str], None], allowed: set[str]) -> Callable[[Any], None]:
        def pick(value: Any) -> None:
            setter(value if isinstance(value, str) and value in allowed else "")
            set_shown(NARRATIVE_PAGE)
        return pick

    def mark(data: Any) -> None:
        # from the page: a week of this run only (0-based model step), by the one parser
        step = data.get("step") if isinstance(data, dict) else None
        value, err = parse_int(step, 0, max(session.horizon - 1, 0), "a week")
        if err is None and value is not None:
            live.marked_week.value = None if live.marked_week.value == value else value

    last = week - 1
    head = (f"Up to week {week_number(last)}: {len(entries)} entries"
            + (", newest first" if entries else "")) if last >= 0 else "Nothing has happened yet"
    with solara.Row(style={"gap": "6px", "flex-wrap": "wrap"}):
        rv.Select(label="Organisation", v_model=chosen_org or "", dense=True,
                  hide_details=True, style_="max-width:220px", class_="narrative-org",
                  items=org_items,
                  on_v_model=choose(set_org, org_ids))
        rv.Select(label="Kind", v_model=chosen_kind or "", dense=True, hide_details=True,
                  style_="max-width:200px", class_="narrative-kind",
                  items=kind_items,
                  on_v_model=choose(set_kind, set(kinds)))
    if marked is not None:
        with solara.Row(style={"align-items": "center"}):
            solara.Text(f"Marked on the charts: week {week_number(marked)}",
                        classes=["marked-week"], style={"font-size": "13px"})
            solara.Button("Clear the mark", text=True, on_click=lambda: live.marked_week.set(None))
    NarrativeList(entries=entries[:shown], head=head,
                  empty="Nothing notable so far." if last >= 0 else "", week=week,
                  marked=marked, event_mark=mark)
    if len(entries) > shown:
        solara.Button(f"Show older ({len(entries) - shown} more)", text=True,
                      on_click=lambda: set_shown(shown + NARRATIVE_PAGE))


# --------------------------------------------------------------------------- perspective
@solara.component
def PerspectivePanel(live: LiveState) -> None:
    """Whose eyes: in a role, find a person by name, job, role or organisation (searched
    on the server, a bounded list grouped by organisation and role)."""
    session, epoch, balcony, person = live.session, live.epoch, live.balcony, live.person
    entries = solara.use_memo(lambda: people_index(session.model), [epoch.value])
    valid = {e.index for e in entries}

    def choose_person(i: Any) -> None:
        # from the page: one of this run's people, by the one integer parser
        value, err = parse_int(i, 0, session.model.state.people.n - 1, "a person")
        if err is None and value is not None and value in valid:
            person.set(value)

    if balcony.value:
        solara.Text("Balcony: every outcome exactly, every organisation, every event.",
                    style={"font-size": "13px", "color": "#455a64"})
    else:
        PersonPicker(entries, person.value, choose_person)


# --------------------------------------------------------------------------- set-up
@solara.component
def ParamField(info: Any, value: Any, on_value: Any) -> None:
    text, set_text = solara.use_state(format_number(value, info.type))
    error, set_error = solara.use_state(cast_none())

    def typed(t: str) -> None:
        set_text(t)
        parsed, err = parse_number(t, info)
        set_error(err)
        if err is None:
            on_value(parsed)

    hint = (f"{format_number(info.low, info.type)}–{format_number(info.high, info.type)} "
            f"{info.unit}; schema default {format_number(info.default, info.type)}")
    solara.InputText(label=info.description, value=text, on_value=typed,
                     error=error or False, message=error or hint, dense=True,
                     classes=["param-field"])


def cast_none() -> str | None:
    return None


def cast_pair() -> tuple[int, str] | None:
    return None


def cast_note() -> tuple[int, bool, str] | None:
    return None


@solara.component
def ParamGroup(group: str, infos: list[Any], scenario: str, pending: solara.Reactive[Setup]
               ) -> None:
    open_, set_open = solara.use_state(False)
    values = solara.use_memo(lambda: scenario_values(scenario), [scenario])
    solara.Button(("▾ " if open_ else "▸ ") + humanise(group), text=True,
                  on_click=lambda: set_open(not open_), style={"text-transform": "none"})
    if open_:
        over = dict(pending.value.overrides)
        with solara.Column(style={"padding-left": "10px"}):
            for info in infos:
                def on_value(x: Any, path: str = info.path) -> None:
                    scen = values[path]
                    pending.value = pending.value.with_override(path, None if x == scen else x)

                ParamField(info, over.get(info.path, values[info.path]), on_value).key(
                    f"{scenario}:{info.path}")


@solara.component
def SetupPanel(pending: solara.Reactive[Setup]) -> None:
    setup = pending.value
    catalogue = scenario_catalogue()
    seed_text, set_seed_text = solara.use_state("" if setup.seed is None else str(setup.seed))
    seed_error, set_seed_error = solara.use_state(cast_none())
    people_text, set_people_text = solara.use_state(
        "" if setup.people is None else str(setup.people))
    people_error, set_people_error = solara.use_state(cast_none())

    def on_seed(t: str) -> None:
        set_seed_text(t)
        if t.strip() == "":
            set_seed_error(None)
            pending.value = _replace(pending.value, seed=None)
            return
        value, err = parse_seed(t)
        set_seed_error(err)
        if err is None:
            pending.value = _replace(pending.value, seed=value)

    def on_people(t: str) -> None:
        set_people_text(t)
        value, err = parse_people(t)
        set_people_error(err)
        if err is None:
            pending.value = _replace(pending.value, people=value)

    scenario_error, set_scenario_error = solara.use_state(cast_none())

    def on_scenario(name: Any) -> None:
        # the value comes from the page: only a catalogue name is taken (checked here, on
        # the server; it never names a file)
        if not isinstance(name, str) or name not in {n for n, _, _ in catalogue}:
            set_scenario_error("Not a scenario of the catalogue: choose one from the list.")
            return
        set_scenario_error(None)
        pending.value = Setup(scenario=name, doctrine=setup.doctrine, seed=setup.seed,
                              people=setup.people)

    Heading("Set-up", "(applies when you press Reset)")
    rv.Select(label="Scenario", items=[{"text": t, "value": n} for n, t, _ in catalogue],
              v_model=setup.scenario, on_v_model=on_scenario, dense=True, hide_details=True)
    if scenario_error:
        solara.Error(scenario_error, dense=True, classes=["scenario-error"])
    desc = next((d for n, _, d in catalogue if n == setup.scenario), "")
    solara.Text(desc, style={"font-size": "12px", "color": "#455a64"})
    rv.Select(label="Doctrine", items=[{"text": "The scenario's own", "value": ""}]
              + [{"text": d.capitalize(), "value": d} for d in DOCTRINES],
              v_model=setup.doctrine or "", dense=True, hide_details=True,
              on_v_model=lambda d: pending.set(_replace(
                  pending.value, doctrine=d if d in DOCTRINES else None)))
    solara.InputText(label="Seed (empty: the scenario's own)", value=seed_text,
                     on_value=on_seed, error=seed_error or False, message=seed_error,
                     dense=True, classes=["seed-field"])
    solara.InputText(label="People (empty: the scenario's own size)", value=people_text,
                     on_value=on_people, error=people_error or False, message=people_error,
                     dense=True, classes=["people-field"])
    groups: dict[str, list[Any]] = {}
    for info in parameter_controls():
        groups.setdefault(group_of(info.path), []).append(info)
    solara.Text("Parameters", style={"font-weight": "600", "font-size": "13px"})
    for g, infos in groups.items():
        ParamGroup(g, infos, setup.scenario, pending).key(f"group:{g}")


def _replace(setup: Setup, **kw: Any) -> Setup:
    d = {"scenario": setup.scenario, "doctrine": setup.doctrine, "seed": setup.seed,
         "people": setup.people, "overrides": setup.overrides}
    d.update(kw)
    return Setup(**d)


# --------------------------------------------------------------------------- shocks
@solara.component
def ShockPanel(live: LiveState) -> None:
    """The explorer's shock panel: :func:`components.ShockForm` on this session's model."""
    session, version = live.session, live.version
    _ = live.epoch.value
    m = session.model
    so = m.state.orgs
    orgs = [(so.ids[i], so.names[i], so.kinds[i]) for i in range(so.m) if so.alive[i]]
    issues = list(zip(m.state.issue_ids, m.state.issue_labels, strict=True))

    def inject(shock: dict[str, Any], when: str) -> str:
        # the page's values are untrusted: the model validates the shock again, by the
        # same registry rules the form offered its choices from (raises ScenarioError)
        session.inject(shock)
        version.value += 1
        return (f"{humanise(shock['kind'])} injected: it lands at the start of week "
                f"{week_number(session.week)}. It is marked in red on the charts.")

    Heading("Trainer: inject a shock", "(applies now)")
    # a message belongs to this run and this scenario: Reset or another scenario clears it
    ShockForm(orgs, issues, inject, disabled=live.done.value,
              context=(live.epoch.value, live.pending.value.scenario))


# --------------------------------------------------------------------------- export
@solara.component
def ExportPanel(live: LiveState) -> None:
    session = live.session
    _ = live.epoch.value
    def png() -> bytes:
        with session.lock:
            rows, base = list(session.model.rows), list(session.baseline_rows())
            marks = _shock_marks(session)
            title = f"{session.model.spec.title} — seed {session.model.seed}, week {session.week}"
            names = chart_names(session)
        return charts.charts_png(names, rows, base if session.injected else None,
                                 session.horizon, marks, title, marked=live.marked_week.value)

    name = session.model.spec.name
    Heading("Export", "(for the debrief)")
    with solara.Row(style={"flex-wrap": "wrap", "gap": "4px"}):
        solara.FileDownload(session.timeseries_csv, filename=f"{name}_timeseries.csv",
                            label="Timeseries (CSV)", mime_type="text/csv")
        solara.FileDownload(session.events_jsonl, filename=f"{name}_events.jsonl",
                            label="Events (JSONL)", mime_type="application/json")
        solara.FileDownload(session.scenario_yaml, filename=f"{name}_scenario.yaml",
                            label="Scenario + seed (YAML)", mime_type="text/yaml")
        solara.FileDownload(png, filename=f"{name}_charts.png", label="Charts (PNG)",
                            mime_type="image/png")
    SharePanel(live)


@solara.component
def SharePanel(live: LiveState) -> None:
    """A link and a file that restore this whole set-up (parameters, shocks and week), and
    the upload of such a file (read as content only: its name is never used)."""
    from diplomacy_sim.dashboard import sharing

    session = live.session
    epoch = live.epoch.value
    # the link and the message belong to one run: a Reset or a restore makes a new one
    link, set_link = solara.use_state(cast_pair())
    message, set_message = solara.use_state(cast_note())

    def make_link() -> None:
        with session.lock:
            set_link((epoch, "?" + sharing.setup_query(sharing.setup_document(session))))

    def restore_from(shared: Any) -> None:
        live.playing.value = False
        with live.busy:
            try:
                sharing.restore(session, shared)
            except ScenarioError as exc:
                set_message((epoch, True, "Not restored: " + "; ".join(exc.problems)))
                return
            live.running.value = session.setup
            live.pending.value = session.setup
            live.marked_week.value = None
            if live.person.value >= session.model.state.people.n:
                live.person.value = session.default_person()
            live.epoch.value += 1
            set_message((live.epoch.value, False, sharing.describe(shared)))
            live.advanced()

    def on_file(info: Any) -> None:
        try:
            shared = sharing.read_upload(info)
        except sharing.SetupRefused as exc:
            set_message((epoch, True, "Not restored: " + "; ".join(exc.problems)))
            return
        restore_from(shared)

    Heading("Share this set-up", "(parameters, shocks and week)")
    with solara.Row(style={"flex-wrap": "wrap", "gap": "4px"}):
        solara.Button("Make a link", on_click=make_link, icon_name="mdi-link",
                      outlined=True)
        solara.FileDownload(lambda: sharing.setup_yaml(session),
                            filename=f"{session.model.spec.name}_setup.yaml",
                            label="Setup file (YAML)", mime_type="text/yaml")
    if link is not None and link[0] == epoch:
        # only base64url characters after "?setup=" (and escaped all the same)
        solara.HTML(tag="div", unsafe_innerHTML=(
            f'<a class="share-link" href="{escape(link[1])}" style="font-size:12px">Link to '
            f'this set-up at week {session.week}</a> <span style="font-size:12px;'
            'color:#607d8b">(right-click → copy the link address)</span>'))
    solara.FileDrop(label="Drop a setup file here to restore it", on_file=on_file,
                    lazy=True)
    if message is not None and message[0] == epoch:
        (solara.Error if message[1] else solara.Success)(message[2], dense=True,
                                                         classes=["share-result"])


# --------------------------------------------------------------------------- page
PRESENTATION_CSS = """
.presentation-mode, .presentation-mode *:not(svg):not(svg *) { font-size: 20px !important; }
.presentation-mode .week-indicator { font-size: 34px !important; }
.presentation-mode .page-title, .presentation-mode .page-title * { font-size: 22px !important; }
.presentation-mode .v-card__title, .presentation-mode .v-card__title * {
  font-size: 28px !important; }
.presentation-mode .narrative { line-height: 1.35; }
.presentation-mode .v-btn { height: 40px !important; }
.presentation-mode .v-btn .v-icon { font-size: 24px !important; }
"""
"""Presentation mode's type: every text of the page at 20 px or more (the charts' SVG
lettering is scaled by :data:`PRESENTATION_TEXT_SCALE`)."""
LAYOUT_CSS = """
.explorer .setup-panel.folded { display: none !important; }
.explorer .control.v-btn { padding: 0 8px !important; }
.explorer .person-picker .v-input { margin-top: 0; padding-top: 0; }
.explorer a.term:hover { color: #1565c0 !important; }
"""


@solara.component
def SetupDrawer(live: LiveState) -> None:
    """The forms a trainer uses now and then — shocks, set-up, export — folded away until
    asked for. They are mounted the first time the panel opens (about half of the page's
    widgets, which a learner who never opens it need not load) and stay mounted from then
    on, folded or not, so a fold keeps what was typed."""
    shown = live.panel_open.value and not live.presentation.value
    opened = solara.use_ref(False)  # the panel has been shown once in this session
    if shown:
        opened.current = True
    with solara.Column(classes=["setup-panel"] + ([] if shown else ["folded"]), gap="6px",
                       style={"width": "360px", "min-width": "360px",
            "max-height": "calc(100vh - 16px)", "overflow-y": "auto", "padding": "6px 10px",
            "border-right": "1px solid #cfd8dc", "background": "#fbfcfd",
            "position": "sticky", "top": "0"}):
        if opened.current:
            ShockPanel(live)
            rv.Divider()
            SetupPanel(live.pending)
            rv.Divider()
            ExportPanel(live)


@solara.component
def Main(live: LiveState) -> None:
    """The live view: the parts a Step changes are islands (see :class:`Island`).

    Laid out for a 13-inch laptop first: one compact bar (week, buttons, views), then the
    charts beside "What happened" and the network, so the first 1280×720 screen holds the
    week, the controls, the charts and the newest events. Presentation mode keeps only the
    bar, the charts and "What happened", side by side, in large type."""
    balcony, present = live.balcony.value, live.presentation.value
    with solara.Column(style={"padding": "4px 12px", "min-width": "0", "flex": "1"}, gap="4px"):
        with solara.Row(style={"align-items": "center", "flex-wrap": "wrap", "gap": "6px"}):
            Island(lambda: WeekIndicator(live))
            Controls(live)
            solara.HTML(tag="span", style={"flex": "1"})
            ViewToggles(live)
        with solara.Row(style={"align-items": "center", "flex-wrap": "wrap", "gap": "12px"}):
            Header(live)
            if not present:
                PerspectivePanel(live)
        Notices(live)
        columns = ("minmax(0,3fr) minmax(0,2fr)" if present else
                   "minmax(0,1.65fr) minmax(0,1fr)")
        with solara.Div(style={"display": "grid", "grid-template-columns": columns,
                               "gap": "12px", "align-items": "start"}):
            with solara.Column(gap="8px", style={"min-width": "0"}):
                Island(lambda: Charts(live))
                if not present:
                    Island(lambda: OrgCards(live))
            with solara.Column(gap="8px", style={"min-width": "0"}):
                with solara.Card("What happened", margin=0, classes=["what-happened"]):
                    Island(lambda: Narrative(live))
                if not present:
                    with solara.Card("Trust network" + ("" if balcony else
                                                        " (this person's ties)"), margin=0):
                        Island(lambda: Network(live))
        with solara.Card("Glossary", margin=0, classes=["glossary-card"]):
            GlossaryPanel(font_px=20 if present else 14)


@solara.component
def Dashboard(initial: Setup, url_message: str | None = None, presentation: bool = False,
              shared: Any = None) -> None:
    """The whole dashboard for one session (the model is made here, per session); ``shared``
    (a validated :class:`sharing.SharedSetup`) is restored: set-up, shocks and week."""
    def make() -> Session:
        made = Session(initial)
        if shared is not None:
            from diplomacy_sim.dashboard import sharing

            sharing.restore(made, shared)
        return made

    session = solara.use_memo(make, [])
    # the initial values, fixed at the first render (use_reactive re-applies a changed one)
    person0, setup0, msg0, present0 = solara.use_memo(
        lambda: (session.default_person(), session.setup, url_message, presentation), [])
    made = LiveState(
        session=session,
        version=solara.use_reactive(0),
        epoch=solara.use_reactive(0),
        done=solara.use_reactive(session.model.done),
        playing=solara.use_reactive(False),
        speed=solara.use_reactive(DEFAULT_SPEED),
        balcony=solara.use_reactive(present0),
        person=solara.use_reactive(person0),
        pending=solara.use_reactive(setup0),
        running=solara.use_reactive(setup0),
        notice=solara.use_reactive(msg0),
        presentation=solara.use_reactive(present0),
        panel_open=solara.use_reactive(False),
        marked_week=solara.use_reactive(cast_week()),
    )
    live = solara.use_memo(lambda: made, [])  # the same object every render
    solara.use_effect(warm_png_export, [])
    present = live.presentation.value
    solara.Style(LAYOUT_CSS + (PRESENTATION_CSS if present else ""))
    with solara.Row(gap="0", classes=["explorer"] + (["presentation-mode"] if present else []),
                    style={"align-items": "flex-start", "flex-wrap": "nowrap"}):
        SetupDrawer(live)
        Main(live)


def cast_week() -> int | None:
    return None


PRESENT_VALUES = {"1": True, "true": True, "yes": True, "on": True,
                  "0": False, "false": False, "no": False, "off": False}


def presentation_from_url(search: str | None) -> tuple[bool, str | None]:
    """``?present=1`` opens in presentation mode; anything but 1/0, true/false, yes/no,
    on/off is ignored with a message (the value comes from the URL)."""
    q = parse_qs(search or "")
    if "present" not in q:
        return False, None
    raw = q["present"][-1]
    value = PRESENT_VALUES.get(raw.strip().lower()[:8]) if len(raw) <= 8 else None
    if value is None:
        return False, "Link ignored in part: “present” must be 1 or 0."
    return value, None


@solara.component
def Page() -> None:
    """The explorer at ``/``: one learner, one model (a bounded number of pages per client:
    :mod:`diplomacy_sim.dashboard.clients`)."""
    if room_pages.admitted():
        ExplorerPage()


@solara.component
def ExplorerPage() -> None:
    router = solara.use_router()

    def from_url() -> tuple[Setup, str | None, bool, Any]:
        present, pmsg = presentation_from_url(router.search)
        shared, problem = _shared_from_url(router.search)
        if shared is not None:
            from diplomacy_sim.dashboard import sharing

            setup, msg = shared.setup, sharing.describe(shared)
        else:
            setup, msg = _setup_from_url(router.search)
            msg = problem or msg
        return setup, "; ".join(m for m in (msg, pmsg) if m) or None, present, shared

    initial, msg, present, shared = solara.use_memo(from_url, [])
    solara.Title("System diplomacy")
    Dashboard(initial, msg, present, shared)


@solara.component
def Plain(children: list[solara.Element] | None = None) -> None:
    """The layout of every page: none (the explorer brings its own app bar and sidebar; the
    room's pages, the projector's above all, show nothing but themselves)."""
    solara.Column(children=children or [], style={"padding": "0", "gap": "0"})


routes = [
    solara.Route(path="/", component=Page, layout=Plain),
    solara.Route(path="room", component=room_pages.RoomRoute),
    solara.Route(path="join", component=room_pages.JoinPage),
]
"""``/`` the explorer; ``/room`` the trainer (``/room/CODE/screen`` the projector,
``/room/CODE/debrief`` the debrief); ``/join`` the participants (see room_pages)."""
