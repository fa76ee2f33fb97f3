"""The Solara dashboard page: ``solara run diplomacy_sim.dashboard.app``.

Every browser session gets its own :class:`~diplomacy_sim.dashboard.session.Session`
(created inside the page with ``use_memo``); nothing is built at import time. Each part of
the page is its own component reading only the reactive values it needs, so a Step
re-renders the week, the charts, the network, the cards and the narrative, never the set-up.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from typing import Any
from urllib.parse import parse_qs

import numpy as np
import solara
import solara.lab
from solara.alias import rv

from diplomacy_sim.dashboard import charts, room_pages
from diplomacy_sim.dashboard.components import (
    Heading,
    Island,
    ShockForm,
    chart_grid_html,
    narrative_html,
    outcome_charts,
)
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
)
from diplomacy_sim.scenario.loader import ScenarioError
from diplomacy_sim.scenario.schema import DOCTRINES
from diplomacy_sim.untrusted import parse_int

_RELEASE = threading.Lock()
_RELEASE_PENDING = threading.Event()


def release_memory() -> None:
    """Hand the memory of closed sessions back to the system: collect, then ``malloc_trim``
    (numpy's arrays live in the C heap, which glibc keeps for reuse unless trimmed)."""
    _RELEASE_PENDING.clear()
    with _RELEASE:
        gc.collect()
        name = ctypes.util.find_library("c")
        trim = getattr(ctypes.CDLL(name), "malloc_trim", None) if name else None
        if trim is not None:
            trim(0)


def _on_kernel_start() -> Callable[[], None]:
    def closed() -> None:  # coalesced: many sessions closing at once release once
        if not _RELEASE_PENDING.is_set():
            _RELEASE_PENDING.set()
            threading.Timer(2.0, release_memory).start()

    return closed


solara.lab.on_kernel_start(_on_kernel_start)

SPEEDS = (1, 2, 4, 8)  # weeks per second when playing
DEFAULT_SPEED = 2
STAGES_LIVE = ("delivering", "live")


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
    """The buttons: re-rendered when playing, done or the set-up changes, never on a Step."""
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

    solara.Button("Step", on_click=step, disabled=done or is_playing, color="primary",
                  icon_name="mdi-step-forward")
    if is_playing:
        solara.Button("Pause", on_click=lambda: playing.set(False), icon_name="mdi-pause")
    else:
        solara.Button("Play", on_click=lambda: playing.set(True), disabled=done,
                      icon_name="mdi-play")
    solara.Button("Run to end", on_click=run_to_end, disabled=done,
                  icon_name="mdi-skip-forward")
    solara.Button("Reset", on_click=reset, icon_name="mdi-restore",
                  color="warning" if live.pending.value != live.running.value else None)
    with solara.Row(style={"align-items": "center", "margin-left": "12px"}):
        solara.Text("Play speed (weeks per second, applies now):")
        solara.ToggleButtonsSingle(value=live.speed, values=list(SPEEDS))


@solara.component
def Notices(live: LiveState) -> None:
    changes = live.pending.value.describe_changes(live.running.value)
    if changes:
        solara.Warning("Changed, not yet applied — press Reset to start again with: "
                       + "; ".join(changes), dense=True, classes=["pending-changes"])
    if live.notice.value:
        solara.Error(live.notice.value, dense=True)


@solara.component
def Header(live: LiveState) -> None:
    _ = live.epoch.value
    solara.HTML(tag="div", unsafe_innerHTML=(
        f'<div style="font-size:14px;color:#546e7a">{escape(live.session.model.spec.title)} · '
        f'{("balcony view" if live.balcony.value else "seeing as one person")}</div>'))


# --------------------------------------------------------------------------- charts
def _shock_marks(session: Session) -> list[tuple[int, str]]:
    return [(int(s["at"]), humanise(str(s["kind"]))) for s in session.injected]


def _view(live: LiveState) -> tuple[Session, int, bool, int]:
    """Read (and so subscribe to) what every live part depends on."""
    return live.session, live.version.value, live.balcony.value, live.person.value


@solara.component
def Charts(live: LiveState) -> None:
    session, v, balcony, person = _view(live)

    def draw() -> str:
        with session.lock:
            marks = _shock_marks(session)
            cache = session.chart_cache
            if balcony:
                # the shock-free run is the run itself until a shock is injected: not drawn
                # twice (it would be hidden under the blue line, and doubles what is sent)
                rows = session.model.rows
                base = session.baseline_rows() if session.injected else None
                names = session.outcome_names()
                svgs = outcome_charts(names, rows, base, session.horizon, marks, cache=cache)
                note = ("Blue: this run. Grey (once the trainer injects a shock): the same "
                        "scenario and seed without the injected shocks. Red marks: injected "
                        "shocks.")
            else:
                sig = session.person_signals(person)
                svgs = [charts.line_chart(k, sig, None, session.horizon, marks,
                                          title=f"{charts.TITLES[k]} (as seen)",
                                          colour="#6a1b9a", cache=cache,
                                          series=(("seen", person), None))
                        for k in ("integration", "trust", "user_outcome")]
                note = ("What this person perceives: noisy signals of how the place is doing. "
                        "Switch to the balcony to see everything.")
            week = session.week
        return chart_grid_html(svgs, week, len(marks), note)

    html = solara.use_memo(draw, [session.model, v, balcony, person])
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
              "at the table" if org.engaged else "gone cold (not attending)")
    status_colour = "#2e7d32" if org.alive and org.engaged else "#c62828"
    return (
        f'<div class="org-card" style="border-left:5px solid {colour};padding:6px 10px;'
        'background:#fafafa;border-radius:4px;min-width:0">'
        f'<div style="font-weight:600;font-size:15px">{escape(org.name)}</div>'
        f'<div style="font-size:12px;color:{status_colour}">{org.kind.capitalize()} · '
        f'{status}</div>'
        f'<div style="font-size:12px">Budget £{org.budget:,.1f}m a year '
        f'(free for joint work £{org.discretionary_budget:,.1f}m)</div>'
        f'<div style="font-size:12px;margin-top:4px;font-weight:600">Agenda</div>{bars}'
        f'<div style="font-size:12px;margin-top:4px"><b>Live initiatives:</b> '
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

    pv = person_view(session.model, person)
    agenda = sorted(pv["agenda"].items(), key=lambda kv: -kv[1])[:3]
    beliefs = ", ".join(f"{humanise(k).lower()} {v:.2f}" for k, v in pv["beliefs"].items())
    return (
        '<div class="person-card" style="border-left:5px solid #6a1b9a;padding:6px 10px;'
        'background:#f3e5f5;border-radius:4px">'
        f'<div style="font-weight:600;font-size:15px">You: {escape(pv["role"])} at '
        f'{escape(session.model.organisations[int(session.model.state.people.org[person])].name)}'
        '</div>'
        f'<div style="font-size:12px">Your priorities: '
        f'{escape(", ".join(f"{humanise(k)} {w:.2f}" for k, w in agenda))}</div>'
        f'<div style="font-size:12px">Anxiety {pv["anxiety"]:.2f} · strain {pv["strain"]:.2f} '
        f'· {len(pv["ties"])} ties</div><div style="font-size:12px">Beliefs: {beliefs}</div>'
        "</div>"
    )


# --------------------------------------------------------------------------- narrative
@solara.component
def Narrative(live: LiveState) -> None:
    session, v, balcony, person = _view(live)

    def draw() -> str:
        with session.lock:
            m = session.model
            week = m.week
            last = week - 1
            if balcony:  # newest first: this week's, then the 12 before (not the whole log)
                now, earlier = [], []
                for ev in reversed(m.events):
                    if ev.step == last:
                        now.append(ev.to_dict())
                    elif ev.step < last:
                        earlier.append(ev.to_dict())
                        if len(earlier) == 12:
                            break
            else:
                from diplomacy_sim.model.views import person_view

                events = person_view(m, person)["events"][-200:]
                now = [e for e in events if e["step"] == last][::-1]
                earlier = [e for e in events if e["step"] < last][::-1][:12]

        head = (f"This week (week {last + 1})" if last >= 0 else "Nothing has happened yet")
        return narrative_html(head, now, earlier, week,
                              "Nothing notable this week." if last >= 0 else "")

    html = solara.use_memo(draw, [session.model, v, balcony, person])
    solara.HTML(tag="div", unsafe_innerHTML=html)


# --------------------------------------------------------------------------- perspective
@solara.component
def PerspectivePanel(live: LiveState) -> None:
    session, epoch, balcony, person = live.session, live.epoch, live.balcony, live.person
    choices = solara.use_memo(session.people_choices, [epoch.value])

    def choose_person(i: Any) -> None:
        # from the page: one of this run's people, by the one integer parser
        value, err = parse_int(i, 0, len(choices) - 1, "a person")
        if err is None and value is not None:
            person.set(value)
    Heading("Perspective", "(applies now)")
    if balcony.value:
        solara.Info("Balcony: you see everything — all outcomes, every organisation, every "
                    "event.", dense=True)
        solara.Button("Back to my role", on_click=lambda: balcony.set(False), text=True,
                      icon_name="mdi-account")
    else:
        rv.Select(label="See as", items=[{"text": t, "value": i} for i, t in choices],
                  v_model=person.value, on_v_model=choose_person, dense=True,
                  hide_details=True)
        solara.Text("You see only what this person could: their ties, their organisation, "
                    "noisy signals.", style={"font-size": "12px"})
        solara.Button("Go to the balcony", on_click=lambda: balcony.set(True), outlined=True,
                      icon_name="mdi-binoculars")


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
        session.inject(shock)  # raises ScenarioError with the problems
        version.value += 1
        return (f"{humanise(shock['kind'])} injected: it lands at the start of week "
                f"{session.week + 1}. It is marked in red on the charts.")

    Heading("Trainer: inject a shock", "(applies now)")
    ShockForm(orgs, issues, inject, disabled=live.done.value, context=live.epoch.value)


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
        return charts.charts_png(session.outcome_names(), rows, base, session.horizon, marks,
                                 title)

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


# --------------------------------------------------------------------------- page
@solara.component
def Main(live: LiveState) -> None:
    """The live view: the parts a Step changes are islands (see :class:`Island`)."""
    balcony = live.balcony.value
    with solara.Column(style={"padding": "4px 12px"}):
        Header(live)
        with solara.Row(style={"align-items": "center", "flex-wrap": "wrap", "gap": "6px"}):
            Island(lambda: WeekIndicator(live))
            Controls(live)
        Notices(live)
        with solara.Columns([3, 2]):
            with solara.Column():
                Island(lambda: Charts(live))
                Island(lambda: OrgCards(live))
            with solara.Column():
                with solara.Card("Trust network" + ("" if balcony else " (this person's ties)"),
                                 margin=0):
                    Island(lambda: Network(live))
                with solara.Card("What happened", margin=0):
                    Island(lambda: Narrative(live))


@solara.component
def Dashboard(initial: Setup, url_message: str | None = None) -> None:
    """The whole dashboard for one session (the model is made here, per session)."""
    session = solara.use_memo(lambda: Session(initial), [])
    # the initial values, fixed at the first render (use_reactive re-applies a changed one)
    person0, setup0, msg0 = solara.use_memo(
        lambda: (session.default_person(), session.setup, url_message), [])
    made = LiveState(
        session=session,
        version=solara.use_reactive(0),
        epoch=solara.use_reactive(0),
        done=solara.use_reactive(False),
        playing=solara.use_reactive(False),
        speed=solara.use_reactive(DEFAULT_SPEED),
        balcony=solara.use_reactive(False),
        person=solara.use_reactive(person0),
        pending=solara.use_reactive(setup0),
        running=solara.use_reactive(setup0),
        notice=solara.use_reactive(msg0),
    )
    live = solara.use_memo(lambda: made, [])  # the same object every render

    with solara.Sidebar():
        PerspectivePanel(live)
        rv.Divider()
        ShockPanel(live)
        rv.Divider()
        SetupPanel(live.pending)
        rv.Divider()
        ExportPanel(live)

    Main(live)


@solara.component
def Page() -> None:
    """The explorer at ``/``: one learner, one model."""
    router = solara.use_router()
    initial, msg = solara.use_memo(lambda: _setup_from_url(router.search), [])
    solara.Title("System diplomacy")
    solara.AppLayout(children=[Dashboard(initial, msg)], navigation=False, title="System diplomacy")


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
