"""The training room's pages: ``/room`` (the trainer), ``/join`` (participants),
``/room/CODE/screen`` (the projector) and ``/room/CODE/debrief``.

Every page reads one shared :class:`~diplomacy_sim.room.Room` from the server's process-wide
registry and follows it with :func:`~diplomacy_sim.dashboard.room_push.use_room_view`; all
it keeps of its own is what this browser tab shows (drafts, the chosen shock). A trainer's key
and a participant's token are kept in the browser (localStorage, via ``BrowserStore``) and
sent with every action; the room checks them on the server, so a button a page hides is never
the protection. A code from a URL or a field is checked against the join-code alphabet and
length before any lookup; nothing from a page names a file.
"""

from __future__ import annotations

import io
import re
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

import solara
from solara.alias import rv

from diplomacy_sim.dashboard import room_html
from diplomacy_sim.dashboard.components import Heading, ShockForm, narrative_html
from diplomacy_sim.dashboard.room_push import BrowserStore, safe_origin, use_room_view
from diplomacy_sim.domain.events import week_number

TRAINER_SLOT = "diplomacy_sim.room.trainer"
PARTICIPANT_SLOT = "diplomacy_sim.room.participant"
_SECRET = re.compile(r"^[A-Za-z0-9_\-]{16,200}$")


def registry() -> Any:
    from diplomacy_sim.room import process_registry

    return process_registry()


def _codes() -> Any:
    from diplomacy_sim.room import codes

    return codes


def room_error() -> type[Exception]:
    from diplomacy_sim.room import RoomError

    return RoomError  # type: ignore[no-any-return]


def clean_code(text: Any) -> str | None:
    """A join code from a URL or a field, normalised, or None if it cannot be one."""
    codes = _codes()
    raw = str(text or "")[:40]
    return codes.normalise(raw) if codes.wellformed(raw) else None


def client_id() -> str:
    """Who is sending codes, for the room's throttle of wrong ones and its per-client bounds:
    the network address of this page's websocket (:func:`clients.client_id`), never the
    session cookie a client can drop."""
    from diplomacy_sim.dashboard.clients import client_id as _client_id

    return _client_id()


def quota_client() -> str | None:
    """Who a per-client bound (people joined to a session, sessions started) is counted
    against: :func:`client_id`, except the server's own machine (a loopback address: the
    trainer's laptop running the server, a demonstration in several tabs), which has none."""
    from diplomacy_sim.dashboard.clients import is_server_machine

    who = client_id()
    return None if is_server_machine(who) else who


def admitted() -> bool:
    """Whether this page may open (at most a few pages per client; a message if not). A
    component calls it first, before its hooks: its answer never changes for one page."""
    from diplomacy_sim.dashboard.clients import TOO_MANY_PAGES, admit_page

    ok = solara.use_memo(admit_page, [])
    if not ok:
        solara.Error(TOO_MANY_PAGES)
    return bool(ok)


def find_room(code: Any) -> tuple[Any, str | None]:
    """The session a code from a URL, a field or this browser's storage names, as
    ``(room, None)``; ``(None, None)`` if there is none; ``(None, message)`` if this client
    must wait after too many wrong codes. Every page that could tell a guesser whether a
    code exists looks it up here, so the registry's throttle counts every wrong code."""
    try:
        return registry().find(code, client_id()), None
    except room_error() as exc:  # Throttled
        return None, str(exc)


def loaded_field(data: Any, name: str) -> Any:
    """A field of what the browser's store sent (``{"value", "origin"}`` from its script;
    page JavaScript can send any JSON instead): None unless it is there."""
    return data.get(name) if isinstance(data, dict) else None


def parse_stored(value: Any) -> tuple[str, str] | None:
    """``"CODE:SECRET"`` from localStorage (untrusted) as (code, secret), or None."""
    text = str(value or "")
    if len(text) > 260 or ":" not in text:
        return None
    code, secret = text.split(":", 1)
    code2 = clean_code(code)
    if code2 is None or not _SECRET.match(secret):
        return None
    return code2, secret


def html(text: str, **kw: Any) -> None:
    """Markup built by room_html (which escapes every value it is given)."""
    solara.HTML(tag="div", unsafe_innerHTML=text, **kw)


def _int_field(text: Any, low: int, high: int, what: str) -> tuple[int | None, str | None]:
    """A whole number typed into a field of a room page, by the one integer parser
    (:func:`diplomacy_sim.untrusted.parse_int`: ASCII digits only, length and range checked)."""
    from diplomacy_sim.untrusted import parse_int

    value, err = parse_int(text, low, high, "a whole number")
    return (value, None) if err is None else (None, f"{what}: {err}")


def _none() -> Any:
    return None


def _empty_list() -> list[Any]:
    return []


@dataclass(frozen=True)
class StoredCredential:
    """A page's (code, secret) for the room, kept in this browser's localStorage (by
    :class:`BrowserStore`): the trainer's key on ``/room``, a participant's token on
    ``/join``. ``stored`` is the value to write to the store (None: leave it as it is)."""

    loaded: bool
    cred: tuple[str, str] | None
    stored: str | None
    set_loaded: Callable[[bool], None]
    set_cred: Callable[[tuple[str, str] | None], None]
    set_stored: Callable[[str | None], None]

    def remember(self, code: str, secret: str) -> None:
        self.set_cred((code, secret))
        self.set_stored(f"{code}:{secret}")

    def forget(self) -> None:
        self.set_cred(None)
        self.set_stored("")


def use_stored_credential() -> StoredCredential:
    """The state of a page that holds a :class:`StoredCredential` (a hook: call it at the
    top of the page component, every render)."""
    loaded, set_loaded = solara.use_state(False)
    cred, set_cred = solara.use_state(_none())
    stored, set_stored = solara.use_state(_none())
    return StoredCredential(loaded, cred, stored, set_loaded, set_cred, set_stored)


# =========================================================================== trainer
@solara.component
def TrainerPage() -> None:
    """``/room``: a new session, or this browser's running one (its key is in localStorage)."""
    store = use_stored_credential()
    loaded, cred, created, forget = store.loaded, store.cred, store.remember, store.forget
    origin, set_origin = solara.use_state(_none())

    def on_loaded(data: dict[str, Any]) -> None:
        set_origin(safe_origin(loaded_field(data, "origin")))
        parsed = parse_stored(loaded_field(data, "value"))
        if parsed is not None:
            room, _ = find_room(parsed[0])
            if room is not None and room.check_key(parsed[1]):
                store.set_cred(parsed)
        store.set_loaded(True)

    solara.Title("Training room — trainer")
    BrowserStore(slot=TRAINER_SLOT, stored=store.stored, event_loaded=on_loaded)
    with solara.Column(style={"padding": "8px 16px", "max-width": "1500px"}):
        if not loaded:
            solara.Text("Loading…")
        elif cred is None:
            NewSession(created)
            rv.Divider()
            ResumeSession(created)
        else:
            room = registry().get(cred[0])
            if room is None:
                solara.Error("That session is gone.")
                solara.Button("New session", on_click=forget, color="primary")
            else:
                TrainerConsole(room, cred[1], origin, forget, created)


@solara.component
def NewSession(on_created: Callable[[str, str], None]) -> None:
    reg = registry()
    scenarios = solara.use_memo(lambda: list(reg.scenario_choices()), [])
    autopilots = solara.use_memo(lambda: list(reg.autopilot_choices()), [])
    names = [n for n, _ in scenarios]
    scenario, set_scenario = solara.use_state(
        "integrated_discharge" if "integrated_discharge" in names else names[0])
    seed, set_seed = solara.use_state("")
    autopilot, set_autopilot = solara.use_state("")
    from diplomacy_sim.room.room import setting_range

    week_default, week_low, week_high = setting_range("weeks_per_round")
    round_default, round_low, round_high = setting_range("rounds")
    weeks, set_weeks = solara.use_state(str(week_default))
    rounds, set_rounds = solara.use_state(str(round_default))
    idle, set_idle = solara.use_state("autopilot")
    roles = solara.use_memo(lambda: list(reg.role_choices(scenario))
                            if hasattr(reg, "role_choices") else [], [scenario])
    chosen, set_chosen = solara.use_state(_none())
    error, set_error = solara.use_state(_none())
    open_now = chosen if chosen is not None else [r.id for r in roles if r.open]
    scenario_error, set_scenario_error = solara.use_state(_none())

    def choose_scenario(value: Any) -> None:
        # the value comes from the page: only a catalogue name is taken (checked here, on
        # the server, before the roles of it are read; it never names a file)
        if not isinstance(value, str) or value not in names:
            set_scenario_error("Not a scenario of the catalogue: choose one from the list.")
            return
        set_scenario_error(None)
        set_scenario(value)
        set_chosen(None)

    def create() -> None:
        problems = []
        seed_v = None
        if seed.strip():
            from diplomacy_sim.dashboard.session import parse_seed

            seed_v, err = parse_seed(seed)
            if err:
                problems.append(err)
        w, err = _int_field(weeks, week_low, week_high, "Weeks per round")
        if err:
            problems.append(err)
        n, err = _int_field(rounds, round_low, round_high, "Rounds")
        if err:
            problems.append(err)
        if roles and not open_now:
            problems.append("Open at least one role (or every role plays itself).")
        if problems:
            set_error(" ".join(problems))
            return
        try:
            room, key = reg.create(scenario=scenario, seed=seed_v, autopilot=autopilot or None,
                                   weeks_per_round=w, rounds=n,
                                   open_roles=list(open_now) if roles else None,
                                   idle_policy=idle, client_id=quota_client())
        except room_error() as exc:
            set_error(str(exc))
            return
        on_created(room.code, key)

    Heading("Training room: a new session", level=2)
    with solara.Row(style={"flex-wrap": "wrap", "gap": "16px", "align-items": "start"}):
        with solara.Column(style={"min-width": "360px", "max-width": "520px"}):
            rv.Select(label="Scenario", items=[{"text": t, "value": nm} for nm, t in scenarios],
                      v_model=scenario, on_v_model=choose_scenario, dense=True)
            if scenario_error:
                solara.Error(scenario_error, dense=True)
            solara.InputText("Seed (empty: the scenario's own)", value=seed, on_value=set_seed,
                             continuous_update=True)
            rv.Select(label="Autopilot doctrine (plays every role nobody takes)",
                      items=[{"text": "The scenario's own", "value": ""}]
                      + [{"text": a.capitalize(), "value": a} for a in autopilots],
                      v_model=autopilot, on_v_model=set_autopilot, dense=True)
            solara.InputText("Weeks per round", value=weeks, on_value=set_weeks,
                             continuous_update=True)
            solara.InputText("Number of rounds", value=rounds, on_value=set_rounds,
                             continuous_update=True)
            rv.Select(label="A participant who submits nothing", v_model=idle,
                      on_v_model=set_idle, dense=True,
                      items=[{"text": "is played by the autopilot that round", "value": "autopilot"},
                             {"text": "stays idle that round", "value": "idle"}])
        if roles:
            with solara.Column(style={"min-width": "360px"}):
                solara.Text("Open roles (the autopilot plays the others)",
                            style={"font-weight": "600"})
                for r in roles:
                    def toggle(on: bool, rid: str = r.id) -> None:
                        cur = [x for x in open_now if x != rid]
                        set_chosen([*cur, rid] if on else cur)

                    solara.Checkbox(label=r.button, value=r.id in open_now, on_value=toggle)
    if error:
        solara.Error(error)
    solara.Button("New session", on_click=create, color="primary", icon_name="mdi-plus")


@solara.component
def ResumeSession(on_resumed: Callable[[str, str], None]) -> None:
    """Back into a running session from another browser: its code and a facilitator key
    (``diplomacy-sim room key CODE`` prints a new one). The room checks the key."""
    code, set_code = solara.use_state("")
    key, set_key = solara.use_state("")
    error, set_error = solara.use_state(_none())

    def resume() -> None:
        c = clean_code(code)
        k = str(key).strip()
        room, why = find_room(c) if c else (None, None)
        if room is None or not _SECRET.match(k) or not room.check_key(k):
            set_error(why or "That code and key do not open a session (the key is printed by "
                             "`diplomacy-sim room key CODE`).")
            return
        on_resumed(room.code, k)

    Heading("Or resume a session on this browser", level=4)
    with solara.Row(style={"align-items": "center", "gap": "8px", "flex-wrap": "wrap"}):
        with solara.Div(style={"width": "180px"}):
            solara.InputText("Session code", value=code, on_value=set_code,
                             continuous_update=True)
        with solara.Div(style={"width": "420px"}):
            solara.InputText("Facilitator key", value=key, on_value=set_key, password=True,
                             continuous_update=True)
        solara.Button("Resume session", on_click=resume)
    if error:
        solara.Error(error)


@solara.component
def TrainerConsole(room: Any, key: str, origin: str | None, forget: Callable[[], None],
                   created: Callable[[str, str], None]) -> None:
    snap = use_room_view(room, lambda: _console_snapshot(room, key), key)
    router = solara.use_router()
    message, set_message = solara.use_state(_none())
    ending, set_ending = solara.use_state(False)  # the second step of End session

    def act(label: str, fn: Callable[[], Any]) -> None:
        try:
            fn()
        except room_error() as exc:  # a refusal belongs to the moment it was made in
            set_message(("error", f"{label}: {exc}", _moment(room)))
            return
        set_message(("ok", f"{label}: done.", _moment(room)))

    if snap is None:
        solara.Text("Loading…")
        return
    if isinstance(snap, Exception):
        solara.Error(str(snap) if isinstance(snap, room_error()) else "Not allowed.")
        solara.Button("Forget this session on this browser", on_click=forget)
        return
    fv, screen = snap["fv"], snap["screen"]
    code = room.code
    join_url = f"{origin}/join?code={code}" if origin else f"/join?code={code}"
    status = str(room.status)
    with solara.Row(style={"flex-wrap": "wrap", "gap": "24px", "align-items": "start"}):
        with solara.Column(style={"min-width": "300px"}):
            html(f'<div style="font-size:16px;color:#546e7a">{escape(str(room.title))}</div>'
                 f'<div class="join-code" style="font-size:34px;font-weight:700;'
                 f'letter-spacing:3px">Join code: {escape(code)}</div>'
                 f'<div style="font-size:16px">Join at <span class="join-url">'
                 f'{escape(join_url)}</span></div>'
                 + (room_html.qr_img_html(join_url) if origin else "")
                 + (_loopback_hint(origin) or ""))
        with solara.Column(style={"min-width": "360px", "flex": "1"}):
            html(f'<div class="round-text" data-week="{int(room.week)}" '
                 f'data-status="{escape(status)}" style="font-size:26px;font-weight:600">'
                 f'{escape(str(room.round_text))}</div><div style="font-size:16px">'
                 f'Week {int(room.week)} · <span class="room-status">{escape(_status(status))}'
                 "</span></div>")
            with solara.Row(style={"flex-wrap": "wrap", "gap": "6px"}):
                solara.Button("Open round", color="primary", icon_name="mdi-play",
                              disabled=status not in ("lobby", "closed"),
                              on_click=lambda: act("Open round", lambda: room.open_round(key)))
                solara.Button("Close round", color="primary", icon_name="mdi-stop",
                              disabled=status != "open",
                              on_click=lambda: act("Close round", lambda: room.close_round(key)))
                if status == "paused":
                    solara.Button("Resume", icon_name="mdi-play-pause",
                                  on_click=lambda: act("Resume", lambda: room.resume(key)))
                else:
                    solara.Button("Pause", icon_name="mdi-pause", disabled=status == "ended",
                                  on_click=lambda: act("Pause", lambda: room.pause(key)))
                solara.Button("Extend by a round", icon_name="mdi-plus",
                              disabled=status == "ended",
                              on_click=lambda: act("Extend", lambda: room.extend(key)))
                solara.Button("End session", icon_name="mdi-flag-checkered", color="warning",
                              disabled=status == "ended" or ending,
                              on_click=lambda: set_ending(True))
                solara.Button("Debrief", icon_name="mdi-school", color="secondary",
                              on_click=lambda: router.push(f"/room/{code}/debrief"))
                solara.Button("Projector view", icon_name="mdi-projector", text=True,
                              on_click=lambda: router.push(f"/room/{code}/screen"))
            if ending and status != "ended":
                EndConfirm(room, key, int(room.round), status,
                           lambda: (set_ending(False), act("End session", lambda: room.end(key))),
                           lambda: set_ending(False))
            allowed = bool(fv.get("debrief_open", False))
            solara.Checkbox(label="Participants may read the debrief", value=allowed,
                            on_value=lambda on: act("Debrief access",
                                                    lambda: room.allow_debrief(key, on)))
            if message and message[2] == _moment(room):  # until the round or state moves on
                (solara.Error if message[0] == "error" else solara.Success)(
                    message[1], dense=True, classes=["console-message"])
    with solara.Row(style={"flex-wrap": "wrap", "gap": "24px", "align-items": "start"}):
        with solara.Column(style={"min-width": "520px", "flex": "2"}):
            Heading("Roles, who has joined and their moves", level=3)
            html(_submissions_html(snap["roles"], fv))
            waiting = _without_a_role(fv)
            if waiting:
                solara.Text(waiting, classes=["no-role"], style={"font-size": "14px"})
            Reassign(room, key, fv, act)
            RemoveParticipant(room, key, fv, act)
        with solara.Column(style={"min-width": "340px", "flex": "1"}):
            Heading("Inject a shock", level=3)
            orgs, issues = _shock_choices(room, fv)
            ShockForm(orgs, issues,
                      lambda shock, when: _inject(room, key, shock, when),
                      disabled=status == "ended",
                      when=(("Inject now", "now"), ("At the start of the next round",
                                                    "next_round")),
                      context=(room.round, room.status))
            coming = _coming_shocks(fv.get("shocks", []), int(room.week))
            if coming:
                solara.Text(coming, classes=["coming-shocks"])
    Heading("The balcony: the whole system", level=3)
    ConsoleCharts(room, screen, fv)
    with solara.Row():
        solara.Button("Forget this session on this browser", on_click=forget, text=True)


def _console_snapshot(room: Any, key: str) -> dict[str, Any]:
    """Everything the console shows, read together (raises the room's refusal)."""
    fv = room.facilitator_view(key)
    screen = {**room.screen_view(), "horizon": int(room.rounds) * int(room.weeks_per_round)}
    return {"fv": fv, "screen": screen, "roles": room.roles()}


def _shock_choices(room: Any, fv: dict[str, Any]
                   ) -> tuple[list[tuple[str, str, str]], list[tuple[str, str]]]:
    """(organisations as (id, name, kind), issues as (id, label)) for the trainer's shock form."""
    choices = fv.get("choices")
    if choices:
        return ([tuple(x) for x in choices.get("organisations", [])],  # type: ignore[misc]
                [tuple(x) for x in choices.get("issues", [])])
    with room.lock:
        st = room.model.state
        orgs = [(oid, name, kind) for oid, name, kind, alive in
                zip(st.orgs.ids, st.orgs.names, st.orgs.kinds, st.orgs.alive, strict=True)
                if alive]
        issues = list(zip(st.issue_ids, st.issue_labels, strict=True))
    return orgs, issues


def _inject(room: Any, key: str, shock: dict[str, Any], when: str) -> str:
    room.inject(key, shock, when=when)
    from diplomacy_sim.dashboard.session import humanise

    return (f"{humanise(shock['kind'])} injected now: it lands in the next week played."
            if when == "now" else
            f"{humanise(shock['kind'])} set for the start of the next round.")


def _status(status: str) -> str:
    return {"lobby": "waiting to start: participants are joining",
            "open": "round open: participants are choosing moves",
            "closed": "round closed: open the next round when ready",
            "paused": "paused", "ended": "session ended"}.get(status, status)


def _loopback_hint(origin: str | None) -> str | None:
    if origin and re.match(r"^https?://(127\.|localhost|\[::1\])", origin):
        return ('<div style="font-size:14px;color:#b71c1c;max-width:420px">This address only '
                "works on this computer. For laptops on the room's network, start the server "
                "with <code>--host 0.0.0.0</code> and open this page by the computer's network "
                "address.</div>")
    return None


def _moment(room: Any) -> tuple[int, str]:
    """The session's moment (round and state) a console message speaks of."""
    return int(room.round), str(room.status)


def _without_a_role(fv: dict[str, Any]) -> str:
    """Who has joined but holds no role (only the trainer can give them one now)."""
    names = [str(p["name"]) for p in fv.get("participants", []) if not p.get("role_id")]
    return ("Joined without a role (give them one under Reassign): " + ", ".join(names)
            if names else "")


def _submissions_html(roles: list[Any], fv: dict[str, Any]) -> str:
    subs = fv.get("submissions", {})
    rows = []
    for r in roles:
        entry = subs.get(r.id) or {}
        who = (escape(r.taken_by) if r.taken_by else
               '<span style="color:#78909c">autopilot</span>')
        moves = entry.get("moves") or []
        if not r.taken_by:
            sub = '<span style="color:#78909c">the autopilot decides at close</span>'
        elif not entry.get("submitted") and fv.get("status") in ("closed", "ended"):
            sub = '<span style="color:#78909c">submitted nothing this round</span>'
        elif not entry.get("submitted"):
            sub = '<span style="color:#e65100">not submitted yet</span>'
        elif not moves:
            sub = '<span style="color:#2e7d32">submitted: no moves</span>'
        else:
            sub = ('<span style="color:#2e7d32">submitted:</span><br>'
                   + "<br>".join(escape(_move_text(m)) for m in moves))
        if entry.get("on_balcony"):
            sub += '<br><span style="color:#6a1b9a">on the balcony</span>'
        pts = entry.get("points")
        if pts:
            sub += (f'<br><span style="color:#78909c;font-size:13px">{int(pts["left"])} of '
                    f'{int(pts["budget"])} points left</span>')
        closed = "" if r.open else ' <span style="color:#78909c">(not open)</span>'
        rows.append(f'<tr class="role-row" data-role="{escape(r.id)}"><td style="padding:4px 8px">'
                    f'{escape(r.button)}{closed}</td><td style="padding:4px 8px">{who}</td>'
                    f'<td class="moves" style="padding:4px 8px">{sub}</td></tr>')
    return ('<table class="submissions" style="border-collapse:collapse;font-size:15px;width:100%">'
            '<tr style="color:#546e7a;text-align:left"><th style="padding:4px 8px">Role</th>'
            '<th style="padding:4px 8px">Played by</th><th style="padding:4px 8px">Moves in '
            f'round {max(int(fv.get("round", 1)), 1)}</th></tr>{"".join(rows)}</table>')


def _move_text(m: Any) -> str:
    if isinstance(m, dict):
        return str(m.get("text") or m.get("kind"))
    return str(m)


@solara.component
def Reassign(room: Any, key: str, fv: dict[str, Any],
             act: Callable[[str, Callable[[], Any]], None]) -> None:
    roles = room.roles()
    people = fv.get("participants", [])
    role_id, set_role_id = solara.use_state("")  # chosen first: one click changes nothing
    pid, set_pid = solara.use_state("")
    with solara.Row(style={"align-items": "center", "gap": "8px", "flex-wrap": "wrap"}):
        solara.Text("Reassign")
        rv.Select(label="Role", items=[{"text": r.button, "value": r.id} for r in roles],
                  v_model=role_id, on_v_model=set_role_id, dense=True, hide_details=True,
                  style_="max-width:320px")
        rv.Select(label="To", items=[{"text": "nobody (autopilot)", "value": ""}]
                  + [{"text": str(p["name"]), "value": str(p["id"])} for p in people],
                  v_model=pid, on_v_model=set_pid, dense=True, hide_details=True,
                  style_="max-width:240px")
        solara.Button("Reassign", disabled=role_id not in {r.id for r in roles},
                      on_click=lambda: act("Reassign",
                                           lambda: room.reassign(key, role_id, pid or None)))


def _coming_shocks(shocks: list[dict[str, Any]], week: int) -> str:
    """The trainer's injected shocks that have not landed yet (a shock lands in the model
    week it names; ``week`` weeks have run), each with the organisations it hits."""
    later = [s for s in shocks if int(s.get("week", 0)) >= week]
    if not later:
        return ""
    return "Coming: " + "; ".join(
        f"{s.get('label')}"
        + (f" on {', '.join(str(n) for n in s['organisations'])}" if s.get("organisations")
           else "")
        + f" (week {week_number(int(s.get('week', 0)))})" for s in later)


@solara.component
def EndConfirm(room: Any, key: str, round_: int, status: str, on_yes: Callable[[], None],
               on_cancel: Callable[[], None]) -> None:
    """The second step of ending a session (it cannot be undone), saying what ending now
    loses: an open round's moves are never played."""
    if status == "open":
        what = (f"Round {round_} is open: the moves submitted in it will not be played, and "
                "its weeks will not run.")
    elif status == "lobby":
        what = "No round has been played yet."
    else:
        what = f"The debrief will cover the {room.rounds_played} round(s) played."
    with solara.Row(style={"align-items": "center", "gap": "8px", "flex-wrap": "wrap"},
                    classes=["end-confirm"]):
        solara.Text(f"End the session? {what} No more rounds can be run in it; this cannot "
                    "be undone.")
        solara.Button("Yes, end the session", color="error", on_click=on_yes,
                      classes=["end-yes"])
        solara.Button("Cancel", text=True, on_click=on_cancel)


@solara.component
def RemoveParticipant(room: Any, key: str, fv: dict[str, Any],
                      act: Callable[[str, Callable[[], Any]], None]) -> None:
    """Take someone out of the session (a prank name, a second laptop, someone who left):
    the room revokes their token and frees their role; their page says they were removed.
    Two steps, as the removal cannot be undone: choose the person, then confirm by name."""
    people = fv.get("participants", [])
    names = {str(p["id"]): str(p["name"]) for p in people}
    pid, set_pid = solara.use_state("")
    asking, set_asking = solara.use_state(False)
    chosen = names.get(pid)  # None once the chosen person has left the list

    def remove() -> None:
        set_asking(False)
        set_pid("")
        act("Remove", lambda: room.remove(key, pid))

    with solara.Row(style={"align-items": "center", "gap": "8px", "flex-wrap": "wrap"}):
        solara.Text("Remove")
        rv.Select(label="Participant", items=[{"text": n, "value": i} for i, n in names.items()],
                  v_model=pid, on_v_model=lambda v: (set_pid(v), set_asking(False)),
                  dense=True, hide_details=True, style_="max-width:240px", class_="remove-who")
        solara.Button("Remove from the session", color="warning", outlined=True,
                      disabled=chosen is None or asking, on_click=lambda: set_asking(True))
    if asking and chosen is not None:
        with solara.Row(style={"align-items": "center", "gap": "8px", "flex-wrap": "wrap"},
                        classes=["remove-confirm"]):
            solara.Text(f"Remove {chosen} from the session? Their role is freed and their "
                        "page stops working; this cannot be undone.")
            solara.Button(f"Yes, remove {chosen}", color="error", on_click=remove,
                          classes=["remove-yes"])
            solara.Button("Cancel", text=True, on_click=lambda: set_asking(False))
    removed = fv.get("removed") or []
    if removed:
        solara.Text("Removed: " + ", ".join(str(n) for n in removed),
                    style={"font-size": "13px", "color": "#78909c"}, classes=["removed-list"])


@solara.component
def ConsoleCharts(room: Any, screen: dict[str, Any], fv: dict[str, Any]) -> None:
    rows = room_html.series_to_rows(screen.get("series", {}))
    base = room_html.series_to_rows(screen.get("counterfactual", {})) or None
    marks = room_html.shock_marks(screen.get("shocks", []))
    horizon = int(screen.get("horizon") or max(len(rows), 26))
    html(room_html.outcome_panel_html(
        rows, base, marks, horizon, int(room.week),
        note="Blue: this session. Grey: the autopilot playing every role. Red: shocks."))
    bal = fv.get("balcony") or {}
    events = bal.get("events") or []
    last = int(room.week) - int(room.weeks_per_round)
    now = [ev for ev in events if int(ev.get("step", -1)) >= last][::-1][:25]
    html(narrative_html("What happened in the last round", now, [], int(room.week),
                        "Nothing yet.", tag_of=room_html.room_tag))


# =========================================================================== join
@solara.component
def JoinPage() -> None:
    """``/join``: code and name, then a role, then the participant's own view."""
    if admitted():
        JoinFlow()


@solara.component
def JoinFlow() -> None:
    router = solara.use_router()
    initial = solara.use_memo(lambda: _code_from_search(router.search), [])
    store = use_stored_credential()
    loaded, cred, joined, leave = store.loaded, store.cred, store.remember, store.forget
    known, set_known = solara.use_state(_none())  # this browser's token, for a branch

    def on_loaded(data: dict[str, Any]) -> None:
        parsed = parse_stored(loaded_field(data, "value"))
        if parsed is not None:
            set_known(parsed[1])
            code = initial or parsed[0]  # a join link for another session (a branch) wins
            room, _ = find_room(code)  # wrong codes count here too
            if room is not None and code == parsed[0] and _removed(room, parsed[1]):
                store.set_cred((room.code, parsed[1]))  # its page says it was removed
            elif room is not None and _me(room, parsed[1]) is not None:
                if code != parsed[0]:
                    store.remember(room.code, parsed[1])
                else:
                    store.set_cred((room.code, parsed[1]))
        store.set_loaded(True)

    solara.Title("Training room")
    BrowserStore(slot=PARTICIPANT_SLOT, stored=store.stored, event_loaded=on_loaded)
    with solara.Column(style={"padding": "8px 16px", "max-width": "1500px"}):
        if not loaded:
            solara.Text("Loading…")
        elif cred is None:
            JoinForm(initial or "", joined, known)
        else:
            room = registry().get(cred[0])
            if room is None:
                solara.Error("That session is gone.")
                solara.Button("Join another session", on_click=leave)
            else:
                Participant(room, cred[1], leave)


def _code_from_search(search: str | None) -> str | None:
    from urllib.parse import parse_qs

    q = parse_qs(search or "")
    return clean_code(q["code"][-1]) if "code" in q else None


def _me(room: Any, token: str) -> Any:
    try:
        return room.me(token)
    except room_error():
        return None


def _removed(room: Any, token: str) -> bool:
    """Whether the trainer removed the participant of this token from the session."""
    from diplomacy_sim.room.errors import Removed

    try:
        room.me(token)
    except Removed:
        return True
    except room_error():
        pass
    return False


@solara.component
def JoinForm(initial: str, on_joined: Callable[[str, str], None], known: str | None = None
             ) -> None:
    """Code and name; a browser whose token the session already knows (a replay branched
    from the session it played) goes straight back to its role."""
    code, set_code = solara.use_state(initial)
    name, set_name = solara.use_state("")
    error, set_error = solara.use_state(_none())

    def join() -> None:
        c = clean_code(code)
        if c is None:
            codes = _codes()
            set_error(f"A join code is {codes.CODE_LENGTH} letters and digits, as shown on the "
                      "trainer's screen.")
            return
        if not name.strip() and not known:
            set_error("Type your name (as the others will see it).")
            return
        try:
            room = registry().join_lookup(c, client_id())
            if known and _me(room, known) is not None:
                on_joined(room.code, known)
                return
            token = room.join(name.strip(), client=quota_client())
        except room_error() as exc:
            set_error(str(exc))
            return
        on_joined(room.code, token)

    Heading("Join a training session", level=2)
    with solara.Column(style={"max-width": "420px"}):
        solara.InputText("Join code", value=code, on_value=set_code, continuous_update=True)
        solara.InputText("Your name", value=name, on_value=set_name, continuous_update=True)
        if error:
            solara.Error(error, classes=["join-error"])
        solara.Button("Join", on_click=join, color="primary")


@solara.component
def Participant(room: Any, token: str, leave: Callable[[], None]) -> None:
    snap = use_room_view(room, lambda: _participant_snapshot(room, token), token)
    if snap is None:
        solara.Text("Loading…")
    elif isinstance(snap, Exception):
        from diplomacy_sim.room.errors import Removed

        if isinstance(snap, Removed):
            html(f'<div class="removed-message" style="font-size:20px;max-width:640px;'
                 f'margin:24px 0">{escape(str(snap))}</div>')
        else:
            solara.Error(str(snap) if isinstance(snap, room_error()) else
                         "This browser's place in the session is no longer valid.")
        solara.Button("Join again", on_click=leave)
    elif snap["me"].role_id is None:
        RolePicker(room, token, snap["me"], snap["roles"])
    else:
        PrivateView(room, token, snap)


def _participant_snapshot(room: Any, token: str) -> dict[str, Any]:
    """Everything a participant's page shows, read together (raises if the token is not
    the session's)."""
    me = room.me(token)
    roles = room.roles()
    if me.role_id is None:
        return {"me": me, "roles": roles}
    pv = room.private_view(token)
    # moves are offered only while a round is open (working out the options costs the room
    # ~10 ms a role after each close: not worth paying for a closed round)
    return {"me": me, "roles": roles, "pv": pv,
            "catalogue": room.move_catalogue(token) if pv.get("status") == "open" else [],
            "debrief_open": bool(getattr(room, "debrief_open", False))}


@solara.component
def RolePicker(room: Any, token: str, me: Any, roles: list[Any]) -> None:
    error, set_error = solara.use_state(_none())

    def take(rid: str) -> None:
        try:
            room.take_role(token, rid)
        except room_error() as exc:
            set_error(str(exc))

    html(f'<h2 class="welcome" style="font-weight:500">Welcome, {escape(str(me.name))}: '
         "choose your role</h2>")
    solara.Text("Each role leads an organisation of the place (or works at its front line). "
                "Roles nobody takes are played by the autopilot.")
    with solara.Column(style={"max-width": "640px", "gap": "6px"}):
        for r in roles:
            if not r.open or not r.alive:  # an organisation a shock merged away has no roles
                continue
            taken = r.taken_by is not None
            solara.Button(r.button, on_click=lambda rid=r.id: take(rid), disabled=taken,
                          color="primary", outlined=True, classes=["role-button"],
                          style={"text-transform": "none", "justify-content": "start"})
            if taken:
                solara.Text(f"taken by {r.taken_by}", style={"font-size": "13px",
                                                              "color": "#78909c"})
    if error:
        solara.Error(error)


@solara.component
def PrivateView(room: Any, token: str, snap: dict[str, Any]) -> None:
    router = solara.use_router()
    pv, catalogue, roles = snap["pv"], snap["catalogue"], snap["roles"]
    names = {str(r.org_id): str(r.org_name) for r in roles}
    role = pv.get("role") or {}
    status = str(pv.get("status", ""))
    buttons = {r.id: r.button for r in roles}
    messages = [dict(m, to_label=", ".join(buttons.get(t, str(t)) for t in m.get("to", [])))
                for m in pv.get("messages", [])]
    org = dict(pv.get("organisation") or {})
    org["initiatives"] = (pv.get("person") or {}).get("initiatives", [])
    html(f'<div style="display:flex;gap:24px;align-items:baseline;flex-wrap:wrap">'
         f'<div class="round-text" data-week="{int(pv.get("week", 0))}" '
         f'data-status="{escape(status)}" style="font-size:26px;font-weight:600">'
         f'{escape(str(pv.get("round_text", "")))}</div><div style="font-size:18px">'
         f'Week {int(pv.get("week", 0))}</div><div class="role-title" style="font-size:18px">'
         f'You are the {escape(str(role.get("button", "")))}</div>'
         f'<div class="room-status" style="font-size:16px;color:#455a64">'
         f'{escape(_participant_status(status))}</div></div>')
    with solara.Row(style={"flex-wrap": "wrap", "gap": "18px", "align-items": "start"}):
        with solara.Column(style={"min-width": "360px", "flex": "1"}):
            html(room_html.organisation_html(org))
            html(room_html.person_html(pv.get("person", {}), names))
        with solara.Column(style={"min-width": "420px", "flex": "1.3"}):
            MoveForm(room, token, catalogue, pv)
            MessageForm(room, token, pv, roles)
            Heading("What you heard this round", level=4)
            since = int(pv.get("week", 0)) - int(room.weeks_per_round)
            html(room_html.heard_html(pv.get("person", {}).get("events", []), since))
            Heading("Messages", level=4)
            html(room_html.messages_html(messages))
            if snap.get("debrief_open"):
                solara.Button("Open the debrief", color="secondary", icon_name="mdi-school",
                              on_click=lambda: router.push(f"/room/{room.code}/debrief"))
            balcony = pv.get("balcony")
            if balcony:
                Heading("The balcony (until the next round)", level=4)
                html(_balcony_html(balcony))


def _participant_status(status: str) -> str:
    return {"lobby": "Waiting for the trainer to open the first round.",
            "open": "The round is open: choose your moves and submit them.",
            "closed": "The round is closed: waiting for the trainer to open the next.",
            "paused": "The trainer has paused the session.",
            "ended": "The session has ended."}.get(status, status)


def _balcony_html(b: dict[str, Any]) -> str:
    """The whole system from the balcony: every outcome as it stands (none before the first
    week has run) and where every initiative is."""
    from diplomacy_sim.dashboard.charts import TITLES

    out = b.get("outcomes") or {}
    items = " · ".join(f"{escape(TITLES.get(k, k.replace('_', ' ')))} {float(v):.2f}"
                       for k, v in out.items() if v is not None)
    if not items:
        items = ('<span style="color:#607d8b">No week has run yet: the whole system\'s '
                 "figures show once the first round closes.</span>")
    work = "; ".join(f"{escape(str(q.get('name', '')))}: {escape(str(q.get('stage', '')))}"
                     + (f" ({float(q.get('progress', 0.0)):.0%} done)"
                        if q.get("stage") in ("delivering", "live") else "")
                     for q in b.get("initiatives") or [])
    return (f'<div class="balcony" style="font-size:15px"><div>{items}</div>'
            + (f'<div style="margin-top:4px">Every initiative: {work}</div>' if work else "")
            + "</div>")


def move_text(move: dict[str, Any], catalogue: list[dict[str, Any]]) -> str:
    """A move in words from the catalogue's labels (the values are only looked up)."""
    spec = next((c for c in catalogue if c["kind"] == move.get("kind")), None)
    if spec is None:
        return str(move.get("kind", "")).replace("_", " ").capitalize()
    parts = []
    for f in spec.get("fields", []):
        v = move.get(f["name"])
        if f.get("type") == "choice":
            label = next((lab for val, lab in f.get("options", []) if val == v), v)
            parts.append(str(label))
        elif v is not None:
            parts.append(f"{f['label'].lower()} {v}")
    return spec["label"] + (": " + ", ".join(parts) if parts else "")


@solara.component
def MoveForm(room: Any, token: str, catalogue: list[dict[str, Any]], pv: dict[str, Any]
             ) -> None:
    # the room offers only the moves possible now (none between rounds); the moves already
    # chosen are still named by the catalogues seen before
    seen = solara.use_ref(cast_dict())
    seen.current.update({c["kind"]: c for c in catalogue})
    known = [*catalogue, *(c for k, c in seen.current.items()
                          if k not in {x["kind"] for x in catalogue})]
    server_pending = list(pv.get("pending", []))
    # a draft lives as long as one open round: a new round, or the close, starts from what
    # the server holds for this participant
    phase = f"{int(pv.get('round', 0))}:{pv.get('status') in ('closed', 'ended')}"
    draft, set_draft = solara.use_state(server_pending)
    draft_phase, set_draft_phase = solara.use_state(phase)
    kind, set_kind = solara.use_state(catalogue[0]["kind"] if catalogue else "")
    values, set_values = solara.use_state(_empty_dict())
    message, set_message = solara.use_state(_none())
    if draft_phase != phase:  # and the message about the last phase's moves goes with it
        set_draft_phase(phase)
        set_draft(server_pending)
        set_message(None)
    is_open = pv.get("status") == "open"
    points = pv.get("points", {})
    budget = int(points.get("budget", getattr(room, "action_points", 0)))
    other = int(points.get("balcony", 0)) + int(points.get("messages", 0))
    costs = {c["kind"]: int(c.get("cost", 1)) for c in known}
    used = sum(costs.get(m.get("kind"), 1) for m in draft) + other
    spec = next((c for c in catalogue if c["kind"] == kind), None)

    def field_value(f: dict[str, Any]) -> Any:
        if f["name"] in values:
            return values[f["name"]]
        if f.get("type") == "choice":
            opts = f.get("options", [])
            return opts[0][0] if opts else None
        return f.get("default", f.get("low"))

    def add() -> None:
        from diplomacy_sim.room.actions import MAX_MOVES, move_number

        if spec is None:
            return
        if len(draft) >= MAX_MOVES:  # the draft lives on the server: bounded as the room is
            set_message(("error", f"At most {MAX_MOVES} moves a round."))
            return
        move: dict[str, Any] = {"kind": kind}
        for f in spec.get("fields", []):
            v = field_value(f)
            if f.get("type") == "number":  # read as the server will read it
                try:
                    v = move_number(v, float(f.get("low") or 0.0), float(f.get("high") or 1.0),
                                    lambda why, f=f: ValueError(f"{f['label']}: {why}."))
                except ValueError as exc:
                    set_message(("error", str(exc)))
                    return
            move[f["name"]] = v
        set_draft([*draft, move])
        set_message(None)

    def submit() -> None:
        try:
            room.submit_moves(token, draft)
        except room_error() as exc:
            set_message(("error", str(exc)))
            return
        n = len(draft)
        set_message(("ok", f"Submitted {n} move{'s' if n != 1 else ''}. You can change them "
                           "until the trainer closes the round."))

    Heading(_moves_heading(pv), level=4)
    html(f'<div class="points" style="font-size:16px">Action points: <b>{used}</b> of '
         f'{budget} planned</div>')
    for i, m in enumerate(draft):
        with solara.Row(style={"align-items": "center", "gap": "6px"}):
            solara.Text(f"{i + 1}. {move_text(m, known)} ({costs.get(m.get('kind'), 1)} pt)",
                        classes=["draft-move"])
            solara.Button("Remove", text=True, disabled=not is_open,
                          on_click=lambda i=i: set_draft(draft[:i] + draft[i + 1:]))
    if not draft:
        solara.Text("No moves planned yet.", style={"color": "#78909c"})
    if is_open and message is None:  # what the server holds, after a reload too
        solara.Text(_submitted_text(pv, len(server_pending)), classes=["submitted-state"],
                    style={"font-size": "14px", "color": "#455a64"})
    with solara.Row(style={"align-items": "center", "gap": "6px", "flex-wrap": "wrap"}):
        rv.Select(label="Move", v_model=kind, dense=True, hide_details=True,
                  items=[{"text": f"{c['label']} ({c.get('cost', 1)} pt)", "value": c["kind"]}
                         for c in catalogue],
                  on_v_model=lambda k: (set_kind(k), set_values({})), style_="max-width:300px",
                  class_="move-kind")
        for f in (spec or {}).get("fields", []):
            if f.get("type") == "choice":
                rv.Select(label=f["label"], v_model=field_value(f), dense=True,
                          hide_details=True, items=[{"text": str(lab), "value": val}
                                                    for val, lab in f.get("options", [])],
                          on_v_model=lambda v, n=f["name"]: set_values({**values, n: v}),
                          style_="max-width:300px").key(f"{kind}:{f['name']}")
            else:
                solara.InputText(f"{f['label']} ({f.get('low')}–{f.get('high')})",
                                 value=str(field_value(f)), continuous_update=True,
                                 on_value=lambda v, n=f["name"]: set_values({**values, n: v})
                                 ).key(f"{kind}:{f['name']}")
        solara.Button("Add move", on_click=add, disabled=not is_open or spec is None,
                      outlined=True)
    solara.Button("Submit moves", on_click=submit, color="primary", disabled=not is_open,
                  icon_name="mdi-send")
    if message:
        (solara.Error if message[0] == "error" else solara.Success)(
            message[1], dense=True, classes=["move-message"])


def _submitted_text(pv: dict[str, Any], held: int) -> str:
    """Whether the server holds this participant's moves for the open round."""
    if pv.get("submitted"):
        return (f"Submitted: {held} move{'s' if held != 1 else ''} (you can change them until "
                "the trainer closes the round).")
    return ("Not submitted yet: moves you add are kept on this page only until you press "
            "Submit moves.")


def _moves_heading(pv: dict[str, Any]) -> str:
    """The heading over a participant's moves: this round's while it is open; once it has
    closed, played; a round open when the trainer ended the session was never played."""
    status, r = pv.get("status"), int(pv.get("round", 0))
    if status == "closed" or (status == "ended" and pv.get("round_played")):
        return f"Your moves in round {r} (played)"
    if status == "ended":
        return (f"Your moves in round {r} (not played: the session ended before the round "
                "closed)" if r else "The session ended before the first round")
    return "Your moves this round"


def cast_dict() -> dict[str, Any]:
    return {}


def _empty_dict() -> dict[str, Any]:
    return {}


@solara.component
def MessageForm(room: Any, token: str, pv: dict[str, Any], all_roles: list[Any]) -> None:
    own = (pv.get("role") or {}).get("id")
    roles = [r for r in all_roles if r.id != own]
    to, set_to = solara.use_state(_empty_list())
    text, set_text = solara.use_state("")
    message, set_message = solara.use_state(_none())
    is_open = pv.get("status") == "open"

    def send() -> None:
        try:
            room.send_message(token, to, text)  # the room checks what the page sent
        except room_error() as exc:
            set_message(("error", str(exc)))
            return
        set_text("")
        set_message(("ok", "Sent."))

    def balcony() -> None:
        try:
            room.go_to_balcony(token)
        except room_error() as exc:
            set_message(("error", str(exc)))
            return
        set_message(("ok", "You are on the balcony until the next round: the whole system "
                           "shows below your messages."))

    with solara.Row(style={"align-items": "center", "gap": "6px", "flex-wrap": "wrap"}):
        rv.Select(label="Message to", items=[{"text": r.button, "value": r.id} for r in roles],
                  v_model=to, on_v_model=set_to, multiple=True, dense=True, hide_details=True,
                  style_="max-width:320px")
        solara.InputText("Message (up to 280 characters)", value=text, on_value=set_text,
                         continuous_update=True)
        solara.Button("Send", on_click=send, disabled=not is_open or not to or not text.strip())
        if not pv.get("balcony"):
            solara.Button("Go to the balcony", on_click=balcony, disabled=not is_open,
                          outlined=True, icon_name="mdi-binoculars")
    if message:
        (solara.Error if message[0] == "error" else solara.Success)(message[1], dense=True)


# =========================================================================== screen
@solara.component
def ScreenPage(code: str) -> None:
    room, why = solara.use_memo(lambda: find_room(code), [code])
    origin, set_origin = solara.use_state(_none())
    solara.Title(f"Training room {code}")
    # keeps nothing: the "Reconnecting…" banner, and the address the projector was opened
    # at (the room's laptops join at the same host)
    BrowserStore(slot="", event_loaded=lambda d: set_origin(
        safe_origin(loaded_field(d, "origin"))))
    if room is None:
        solara.Error(why or "No session with that code.")
    else:
        Screen(room, origin)


@solara.component
def Screen(room: Any, origin: str | None = None) -> None:
    view = use_room_view(room, lambda: {**room.screen_view(), "horizon": int(room.rounds)
                                         * int(room.weeks_per_round)})
    if view is None or isinstance(view, Exception):
        solara.Text("Loading…" if view is None else "This session cannot be shown.")
    else:
        html(room_html.screen_html({**view, "join_url": f"{origin or ''}/join"},
                                   str(room.title)))


# =========================================================================== debrief
@solara.component
def DebriefPage(code: str) -> None:
    """The debrief: with the trainer's key from this browser, or a participant's token when
    the trainer allows it (both checked by the room)."""
    room, why = solara.use_memo(lambda: find_room(code), [code])
    trainer, set_trainer = solara.use_state(_none())
    participant, set_participant = solara.use_state(_none())
    t_seen, set_t_seen = solara.use_state(False)
    p_seen, set_p_seen = solara.use_state(False)
    trainer_store, set_trainer_store = solara.use_state(_none())

    def got(which: str, data: dict[str, Any]) -> None:
        parsed = parse_stored(loaded_field(data, "value"))
        if parsed is not None and parsed[0] == code:
            (set_trainer if which == "t" else set_participant)(parsed[1])
        (set_t_seen if which == "t" else set_p_seen)(True)

    solara.Title(f"Debrief {code}")
    BrowserStore(slot=TRAINER_SLOT, stored=trainer_store, event_loaded=lambda d: got("t", d))
    BrowserStore(slot=PARTICIPANT_SLOT, event_loaded=lambda d: got("p", d))
    with solara.Column(style={"padding": "8px 16px", "max-width": "1500px"}):
        if room is None:
            solara.Error(why or "No session with that code.")
        elif not (t_seen and p_seen):
            solara.Text("Loading…")
        else:
            Debrief(room, trainer, participant,
                    lambda c, k: set_trainer_store(f"{c}:{k}"))


@solara.component
def Debrief(room: Any, key: str | None, token: str | None,
            on_branch: Callable[[str, str], None]) -> None:
    d = use_room_view(room, lambda: _debrief_snapshot(room, key, token), (key, token))
    router = solara.use_router()
    if d is None:
        solara.Text("Loading…")
        return
    if isinstance(d, Exception):
        solara.Error(str(d) if isinstance(d, room_error()) else "Not allowed.")
        return
    rows = list(d.get("rows", []))
    base = list(d.get("counterfactual_rows", [])) or None
    marks = room_html.shock_marks(d.get("shocks", []))
    lineage = registry().lineage(room.code) if hasattr(registry(), "lineage") else []
    others = [(list(b.get("rows", [])), colour) for b, colour in
              zip([b for b in lineage if b.get("code") != room.code], BRANCH_COLOURS,
                  strict=False)]
    horizon = int(d.get("horizon") or max(len(rows), 26))
    html(f'<h2 style="font-weight:500">Debrief: {escape(str(room.title))}</h2>')
    html(f'<div style="font-size:18px">{escape(str(room.round_text))} · week {int(room.week)}'
         f' · code {escape(room.code)}'
         + (f' · branched from {escape(str(room.parent[0]))} at round {int(room.parent[1])}'
            if getattr(room, "parent", None) else "") + "</div>")
    Heading("What happened, beside the autopilot", level=3)
    html(room_html.outcome_panel_html(
        rows, base, marks, horizon, int(room.week), others=others,
        note="Blue: this session. Grey: the counterfactual (every role played by the "
             "autopilot; same place, seed and shocks)."
             + (" Dashed: the session this one branched from." if others else "")))
    html('<div class="gap" style="font-size:18px;margin:8px 0">'
         + "".join(f"<p>{escape(str(s))}</p>" for s in d.get("gap", [])) + "</div>")
    Heading("Timeline", level=3)
    labels = {r.id: r.button for r in room.roles()}
    html(_timeline_html(d.get("timeline", []), labels))
    Heading("Decision logs", level=3)
    html(_logs_html(d.get("decision_logs", {})))
    Heading("Kolb: what happened, why, what would you do differently", level=3)
    html(_kolb_html(d.get("kolb", [])))
    if d.get("trainer"):
        AllowDebrief(room, key, bool(d.get("debrief_open")))
        Replay(room, key, on_branch, router)
        Export(room, key)


@solara.component
def AllowDebrief(room: Any, key: str, value: bool) -> None:
    """The trainer's switch that opens the debrief to participants; a refusal (a replaced
    key, a disk that cannot be written) is a sentence under it."""
    error, set_error = solara.use_state(_none())

    def allow(on: bool) -> None:
        try:
            room.allow_debrief(key, on)
        except room_error() as exc:
            set_error(str(exc))
            return
        set_error(None)

    solara.Checkbox(label="Participants may read the debrief", value=value, on_value=allow)
    if error:
        solara.Error(error)


def _debrief_snapshot(room: Any, key: str | None, token: str | None) -> dict[str, Any]:
    """The debrief for the trainer's key, else for the participant's token (when allowed);
    raises the room's refusal. ``trainer``: whether the key is the trainer's."""
    return {**room.debrief(key=key, token=token), "trainer": bool(room.check_key(key)),
            "debrief_open": bool(getattr(room, "debrief_open", False))}


BRANCH_COLOURS = ("#ef6c00", "#6a1b9a", "#2e7d32")


def _timeline_html(timeline: list[Any], labels: dict[str, str]) -> str:
    """Each round: the moves (who, what, by a player or the autopilot), shocks and events."""
    out = []
    for r in timeline:
        moves = "".join(  # the engine's sentence names who did it
            f'<li class="timeline-move{"" if m.get("ok", True) else " failed"}">'
            f'{escape(_who_did(m, labels))}'
            f'{"" if m.get("ok", True) else " — did not work"}</li>'
            for m in r.get("moves", []))
        shocks = "".join(f'<li style="color:#c62828">Shock: {escape(_label(x))}</li>'
                         for x in r.get("shocks", []))
        events = "".join(f'<li style="color:#455a64">Week {week_number(int(ev.get("step", 0)))}: '
                         f'{escape(str(ev.get("text", "")))}</li>'
                         for ev in r.get("events", [])[:10])
        weeks = (f' · weeks {int(r["start_week"]) + 1}–{int(r["end_week"])}'
                 if "start_week" in r and "end_week" in r else "")
        out.append(f'<div class="timeline-round" style="margin-bottom:10px;font-size:15px">'
                   f'<div style="font-weight:600">Round {escape(str(r.get("round", "")))}{weeks}'
                   f'</div><ul>{moves}{shocks}{events}</ul></div>')
    return "".join(out) or '<div style="color:#78909c">No rounds played yet.</div>'


def _who_did(m: dict[str, Any], labels: dict[str, str]) -> str:
    text = str(m.get("text", ""))
    who = str(m.get("name") or labels.get(m.get("role"), ""))  # type: ignore[arg-type]
    if m.get("by") == "autopilot":
        return f"{text} (autopilot)"
    return text if not who or who in text else f"{who}: {text}"


def _label(x: Any) -> str:
    if isinstance(x, dict):
        return str(x.get("label") or x.get("text") or x.get("kind", ""))
    if isinstance(x, (list, tuple)) and len(x) == 2:
        return f"{x[1]} (week {week_number(int(x[0]))})"
    return str(x)


def _logs_html(logs: dict[str, Any]) -> str:
    """Each role's decision log: who played it, and round by round what they chose."""
    out = []
    for rid, log in logs.items():
        items = []
        for rd in log.get("rounds", []):
            moves = "; ".join(str(m.get("text", "")) + ("" if m.get("ok", True) else
                                                        " (did not work)")
                              for m in rd.get("moves", [])) or (
                "the autopilot decided (its decisions are among the events)"
                if rd.get("by") == "autopilot" else "no moves")
            extra = (" · went to the balcony" if rd.get("balcony") else "") + (
                f" · {int(rd['messages_sent'])} message(s)" if rd.get("messages_sent") else "")
            by = " (autopilot)" if rd.get("by") == "autopilot" and not rd.get("name") else (
                f" ({rd['name']})" if rd.get("name") else "")
            items.append(f"<li>Round {escape(str(rd.get('round')))}{escape(by)}: "
                         f"{escape(moves)}{escape(extra)}</li>")
        played = log.get("played_by") or ([log["name"]] if log.get("name") else [])
        who = f" — {escape(', '.join(str(n) for n in played))}" if played else " — autopilot"
        out.append(f'<div class="decision-log" data-role="{escape(str(rid))}" style="font-size:15px">'
                   f'<div style="font-weight:600">{escape(str(log.get("role", rid)))}{who}</div>'
                   f'<ul>{"".join(items) or "<li>no rounds yet</li>"}</ul></div>')
    return ('<div style="display:grid;grid-template-columns:repeat(auto-fill,minmax(340px,1fr));'
            f'gap:8px">{"".join(out)}</div>')


def _kolb_html(kolb: list[Any]) -> str:
    out = []
    for q in kolb:
        prompts = "".join(f"<li>{escape(str(p))}</li>" for p in q.get("prompts", []))
        out.append(f'<div class="kolb" style="font-size:16px"><div style="font-weight:600">'
                   f'{escape(str(q.get("question", "")))}</div><ul>{prompts}</ul></div>')
    return "".join(out)


@solara.component
def Replay(room: Any, key: str, on_branch: Callable[[str, str], None], router: Any) -> None:
    played = max(int(room.round), 1)
    k, set_k = solara.use_state(str(played))
    error, set_error = solara.use_state(_none())
    made, set_made = solara.use_state(_none())

    def branch() -> None:
        kk, err = _int_field(k, 1, played, "Round")
        if err:
            set_error(err)
            return
        try:
            new_room, new_key = registry().branch(room.code, key, kk,
                                                  client_id=quota_client())
        except room_error() as exc:
            set_error(str(exc))
            return
        on_branch(new_room.code, new_key)
        set_made(new_room.code)

    Heading("Replay from a round", level=3)
    with solara.Row(style={"align-items": "center", "gap": "8px"}):
        with solara.Div(style={"width": "260px"}):
            solara.InputText(f"Round to replay from (1–{played})", value=k, on_value=set_k,
                             continuous_update=True)
        solara.Button("Replay from this round", on_click=branch, color="primary",
                      icon_name="mdi-source-branch")
    if error:
        solara.Error(error)
    if made:
        solara.Success(f"New session {made}: everything before round {k} is kept. "
                       f"Participants type the code {made} on /join and keep their roles.",
                       classes=["branch-made"])
        solara.Button("Go to the new session's console", color="primary",
                      on_click=lambda: router.push("/room"))


@solara.component
def Export(room: Any, key: str) -> None:
    error, set_error = solara.use_state(_none())

    def pack() -> bytes:
        from diplomacy_sim.room import export_pack

        buf = io.BytesIO()
        try:
            with tempfile.TemporaryDirectory(prefix="room-pack-") as tmp:
                paths = export_pack(room, Path(tmp), key=key)
                with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
                    for p in paths:
                        z.write(p, arcname=Path(p).name)
        except (room_error(), OSError) as exc:  # a refusal is a sentence, not the page
            set_error(f"The pack was not made: {exc}")
            return b""
        set_error(None)
        return buf.getvalue()

    Heading("The debrief pack", level=3)
    if error:
        solara.Error(error)
    solara.FileDownload(pack, filename=f"debrief_{room.code}.zip",
                        label="Download the debrief pack (HTML + CSV, zip)",
                        mime_type="application/zip")


# =========================================================================== routes
@solara.component
def RoomRoute(code=None, view=None) -> None:  # type: ignore[no-untyped-def]
    """``/room``, ``/room/CODE/screen``, ``/room/CODE/debrief`` (untyped: Solara casts path
    parts by annotation; these are checked here)."""
    if not admitted():
        return
    if code is None:
        TrainerPage()
        return
    c = clean_code(code)
    if c is None or view not in ("screen", "debrief"):
        solara.Error("Not a training-room address: use /room, /join, /room/CODE/screen or "
                     "/room/CODE/debrief.")
        return
    if view == "screen":
        ScreenPage(c)
    else:
        DebriefPage(c)
