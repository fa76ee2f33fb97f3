"""The training room's pages under a hostile or careless browser, without a browser: every
widget's handler is called with values page JavaScript could send (any JSON value, for any
widget, hidden or not), and every lookup by a code counts against the client as the server
sees it. The pages answer with a message, never a traceback."""

from __future__ import annotations

import time
from types import SimpleNamespace

import ipyvuetify as v
import pytest
import solara
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from diplomacy_sim.dashboard import room_pages
from diplomacy_sim.room import RoomRegistry, codes

# what page JavaScript can put in a number field: Unicode digits (str.isdigit() is True for
# these, int() refuses some and silently reads others), very long numbers, signs, floats
NUMBER_TEXTS = ["²", "³", "٣", "١٢", "໒", "１２", "𝟙", "9" * 5000, "1" * 31, "-1", "1.5",
                "1e3", "0x10", " ", "", "½", "Ⅻ", "13\x00", "13 13"]
# any JSON value a select's v_model can be set to
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.text(max_size=30),
    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=5), kids,
                                                              max_size=3),
    max_leaves=6)
PAGE = settings(derandomize=True, max_examples=25, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture
def reg(tmp_path, monkeypatch):
    r = RoomRegistry(tmp_path / "rooms.sqlite")
    monkeypatch.setattr(room_pages, "registry", lambda: r)
    yield r
    r.close()


def _click(rc, text: str) -> None:
    buttons = [b for b in rc.find(v.Btn).widgets
               if text in [c for c in b.children if isinstance(c, str)]]
    assert len(buttons) == 1, f"{len(buttons)} buttons named {text!r}"
    buttons[0].click()


def _errors(rc) -> list[str]:
    return [str(a.children[0]) for a in rc.find(v.Alert).widgets if a.children]


def _field(rc, label: str) -> v.TextField:
    return rc.find(v.TextField, label=label).widget


# --------------------------------------------------------------------------- numbers
@pytest.mark.parametrize("text", NUMBER_TEXTS)
@pytest.mark.parametrize(("label", "named"), [("Weeks per round", "Weeks per round"),
                                              ("Number of rounds", "Rounds")])
def test_a_new_sessions_number_fields_refuse_any_non_ascii_number_with_a_message(reg, text,
                                                                                 label, named):
    made: list[str] = []
    _, rc = solara.render(room_pages.NewSession(lambda c, k: made.append(c)),
                          handle_error=False)
    try:
        _field(rc, label).v_model = text
        _click(rc, "New session")
        assert not made and not reg.live()
        assert any(named in e and "whole number" in e for e in _errors(rc)), _errors(rc)
    finally:
        rc.close()


@pytest.mark.parametrize("text", NUMBER_TEXTS)
def test_the_int_field_uses_the_one_integer_parser(text):
    value, err = room_pages._int_field(text, 1, 52, "Weeks per round")
    assert value is None and err.startswith("Weeks per round: ")
    assert len(err) < 200


def test_the_int_field_still_reads_plain_numbers():
    assert room_pages._int_field(" 13 ", 1, 52, "Weeks") == (13, None)
    assert room_pages._int_field("53", 1, 52, "Weeks")[0] is None


@PAGE
@given(value=JSON_VALUES)
def test_a_new_sessions_scenario_select_takes_only_a_catalogue_name(reg, value):
    _, rc = solara.render(room_pages.NewSession(lambda c, k: None), handle_error=False)
    try:
        select = rc.find(v.Select, label="Scenario").widget
        select.v_model = value  # the page still renders, with the roles of a real scenario
        assert rc.find(v.Checkbox).widgets
        names = [n for n, _ in reg.scenario_choices()]
        if value not in names:
            assert any("catalogue" in e for e in _errors(rc)), _errors(rc)
    finally:
        rc.close()


# --------------------------------------------------------------------------- codes
def _fake_context(monkeypatch, session_id: str, host: str | None) -> None:
    """The kernel context of a page whose websocket came from ``host``, under a session id
    the browser chose (its cookie)."""
    from solara.server import kernel_context

    ws = SimpleNamespace(ws=SimpleNamespace(client=SimpleNamespace(host=host, port=5000)))
    ctx = SimpleNamespace(session_id=session_id,
                          kernel=SimpleNamespace(session=SimpleNamespace(websockets=[ws])))
    monkeypatch.setattr(kernel_context, "get_current_context", lambda: ctx)
    monkeypatch.setattr(solara, "get_session_id", lambda: session_id)


@settings(derandomize=True, max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sessions=st.lists(st.text(min_size=1, max_size=40), min_size=2, max_size=6,
                         unique=True))
def test_the_client_is_its_address_not_its_cookie(monkeypatch, sessions):
    seen = set()
    for sid in sessions:
        _fake_context(monkeypatch, sid, "192.168.1.77")
        seen.add(room_pages.client_id())
    assert seen == {"address:192.168.1.77"}
    _fake_context(monkeypatch, sessions[0], "192.168.1.78")
    assert room_pages.client_id() == "address:192.168.1.78"


def test_dropping_the_cookie_does_not_reset_the_count_of_wrong_codes(reg, monkeypatch):
    room, _ = reg.create("integrated_discharge", seed=1)
    wrong = "".join(c for c in codes.ALPHABET[: codes.CODE_LENGTH])
    assert wrong != room.code
    messages = []
    for i in range(codes.FREE_TRIES + 3):  # a fresh cookie (session id) for every try
        _fake_context(monkeypatch, f"fresh-cookie-{i}", "10.0.0.9")
        _, rc = solara.render(room_pages.JoinForm("", lambda c, t: None), handle_error=False)
        try:
            _field(rc, "Join code").v_model = wrong
            _field(rc, "Your name").v_model = "Mallory"
            _click(rc, "Join")
            messages.append(" ".join(_errors(rc)))
        finally:
            rc.close()
    assert all("No session" in m for m in messages[: codes.FREE_TRIES])
    assert all("Too many wrong codes" in m for m in messages[codes.FREE_TRIES:]), messages


@pytest.mark.parametrize("view", ["screen", "debrief"])
def test_the_projector_and_debrief_addresses_count_wrong_codes_too(reg, monkeypatch, view):
    """/room/CODE/screen and /room/CODE/debrief tell whether a code exists, so guessing
    codes there is slowed down exactly as on the join form."""
    room, _ = reg.create("integrated_discharge", seed=1)
    _fake_context(monkeypatch, "s", "10.0.0.10")
    wrong = codes.ALPHABET[-codes.CODE_LENGTH:]
    assert wrong != room.code
    shown = []
    for _ in range(codes.FREE_TRIES + 2):
        _, rc = solara.render(room_pages.RoomRoute(code=wrong, view=view), handle_error=False)
        shown.append(" ".join(_errors(rc)))
        rc.close()
    assert all("No session" in m for m in shown[: codes.FREE_TRIES])
    assert all("Too many wrong codes" in m for m in shown[codes.FREE_TRIES:]), shown
    _fake_context(monkeypatch, "s", "10.0.0.11")  # another laptop is not slowed
    _, rc = solara.render(room_pages.RoomRoute(code=room.code, view=view), handle_error=False)
    assert not any("Too many" in e or "No session" in e for e in _errors(rc))
    rc.close()


def test_a_stored_trainer_credential_opens_the_console_only_with_the_right_key(reg,
                                                                              monkeypatch):
    """A browser's storage is the page's to write: a code with a made-up key gives the new
    session form (as a code that does not exist does), never a console of that session."""
    room, key = reg.create("integrated_discharge", seed=1)
    _fake_context(monkeypatch, "s", "10.0.0.12")
    orig = room_pages.BrowserStore
    for secret, console in ((codes.new_key(), False), (key, True)):
        loaded: dict = {}

        def spy(slot, stored=None, event_loaded=None, _box=loaded):
            _box["cb"] = event_loaded
            return orig(slot=slot, stored=stored, event_loaded=event_loaded)

        monkeypatch.setattr(room_pages, "BrowserStore", spy)
        _, rc = solara.render(room_pages.TrainerPage(), handle_error=False)
        try:
            loaded["cb"]({"value": f"{room.code}:{secret}", "origin": "http://10.0.0.1:8765"})

            def buttons(rc=rc):
                return [c for b in rc.find(v.Btn).widgets for c in b.children
                        if isinstance(c, str)]

            deadline = time.monotonic() + 5.0  # the console is read on its watcher thread
            while console and "Close round" not in buttons() and time.monotonic() < deadline:
                time.sleep(0.01)
            assert ("Close round" in buttons()) is console, buttons()
            assert ("New session" in buttons()) is not console, buttons()
        finally:
            rc.close()


# --------------------------------------------------------------------------- participant
@pytest.fixture
def player(reg):
    room, key = reg.create("integrated_discharge", seed=1)
    token = room.join("Ana")
    room.take_role(token, "city_council.leader")
    room.open_round(key)
    return room, token


def _participant_parts(room, token):
    return room.private_view(token), room.move_catalogue(token), room.roles()


def test_a_participants_draft_of_moves_is_bounded_on_the_server(player):
    from diplomacy_sim.room.actions import MAX_MOVES

    room, token = player
    pv, catalogue, _ = _participant_parts(room, token)
    _, rc = solara.render(room_pages.MoveForm(room, token, catalogue, pv), handle_error=False)
    try:
        for _ in range(MAX_MOVES + 20):  # page JavaScript can click as often as it likes
            _click(rc, "Add move")
        drafts = rc.find(v.Html, class_="draft-move").widgets or \
            [w for w in rc.find(solara.widgets.Text).widgets if "draft-move" in
             (getattr(w, "_dom_classes", ()) or ())]
        assert any(f"At most {MAX_MOVES} moves" in e for e in _errors(rc)), _errors(rc)
        assert 0 < len(drafts) <= MAX_MOVES
    finally:
        rc.close()


@PAGE
@given(value=JSON_VALUES)
@example(value=5)
@example(value=True)
@example(value=2.5)
@example(value={"city_council.leader": 1})
def test_any_recipients_the_message_select_is_given_get_a_message(player, value):
    room, token = player
    pv, _, roles = _participant_parts(room, token)
    _, rc = solara.render(room_pages.MessageForm(room, token, pv, roles), handle_error=False)
    try:
        rc.find(v.Select, label="Message to").widget.v_model = value
        _field(rc, "Message (up to 280 characters)").v_model = "hello"
        send = next(b for b in rc.find(v.Btn).widgets if "Send" in b.children)
        if not send.disabled:
            send.click()
            assert _errors(rc) or any("Sent" in str(a.children[0])
                                      for a in rc.find(v.Alert).widgets)
    finally:
        rc.close()


# --------------------------------------------------------------------------- shock form
ODD_VALUES = [{"a": 1}, [{"a": 1}], [["northgate_hospital"]], 5, True, None, "", "x" * 5000,
              ["no_such_org"], 2.5]


@pytest.mark.parametrize("kind", ["reorganisation", "budget_cut", "demand_surge",
                                  "leadership_turnover", "national_mandate"])
def test_the_shock_forms_selects_take_any_value_and_answer_with_a_message(reg, kind):
    """The trainer's shock form (the explorer's too): each select set to values it never
    offers; the form still renders and injecting gives a message."""
    room, key = reg.create("integrated_discharge", seed=1)
    orgs, issues = room_pages._shock_choices(room, room.facilitator_view(key))
    from diplomacy_sim.dashboard.components import ShockForm

    sent: list[dict] = []

    def on_inject(shock, when):
        sent.append(shock)
        return room_pages._inject(room, key, shock, when)

    _, rc = solara.render(ShockForm(orgs, issues, on_inject), handle_error=False)
    try:
        rc.find(v.Select, label="Shock").widget.v_model = kind
        _click(rc, "Inject now")  # the defaults
        labels = [s.label for s in rc.find(v.Select).widgets if s.label != "Shock"]
        for label in labels:
            for value in ODD_VALUES:
                found = rc.find(v.Select, label=label).widgets
                if not found:  # a field shown only for some values of another (into)
                    continue
                found[0].v_model = value
                _click(rc, "Inject now")
                shown = [str(a.children[0]) for a in rc.find(v.Alert).widgets if a.children]
                assert shown and len(shown[-1]) < 3000, (label, value)
    finally:
        rc.close()
    assert sent and len(room.shocks) <= len(sent)


# --------------------------------------------------------------------------- browser store
@pytest.mark.parametrize("page", ["trainer", "join", "debrief"])
@pytest.mark.parametrize("data", [None, "x", 5, [1, 2], {"value": ["A"]}, {"value": {"a": 1}},
                                  {"origin": 5, "value": 3}, True])
def test_what_the_browser_store_sends_is_read_as_untrusted(reg, monkeypatch, page, data):
    room, _ = reg.create("integrated_discharge", seed=1)
    _fake_context(monkeypatch, "s", "10.0.0.20")
    loaded: list = []
    orig = room_pages.BrowserStore

    def spy(slot, stored=None, event_loaded=None):
        loaded.append(event_loaded)
        return orig(slot=slot, stored=stored, event_loaded=event_loaded)

    monkeypatch.setattr(room_pages, "BrowserStore", spy)
    element = {"trainer": room_pages.TrainerPage(), "join": room_pages.JoinPage(),
               "debrief": room_pages.RoomRoute(code=room.code, view="debrief")}[page]
    _, rc = solara.render(element, handle_error=False)
    try:
        for cb in [c for c in loaded if c is not None]:
            cb(data)  # raised AttributeError for anything but a dict or None
        shown = rc.find(v.Html).widgets + rc.find(v.Alert).widgets + rc.find(v.Btn).widgets
        assert shown  # still a page (a form, a message or "Loading…")
    finally:
        rc.close()


@pytest.mark.parametrize(("host", "counted"), [("127.0.0.1", False), ("::1", False),
                                               ("192.168.1.5", True), ("10.127.0.1", True),
                                               ("fe80::1", True)])
def test_per_client_bounds_count_every_machine_but_the_servers_own(monkeypatch, host, counted):
    _fake_context(monkeypatch, "s", host)
    assert (room_pages.quota_client() == f"address:{host}") is counted
    assert room_pages.client_id() == f"address:{host}"  # wrong codes count for everyone


def test_a_laptop_on_the_network_joins_at_most_a_few_people(reg, monkeypatch):
    from diplomacy_sim.room.room import JOINS_PER_CLIENT

    room, _ = reg.create("integrated_discharge", seed=1)
    _fake_context(monkeypatch, "s", "192.168.1.40")
    shown = []
    for i in range(JOINS_PER_CLIENT + 1):
        _, rc = solara.render(room_pages.JoinForm(room.code, lambda c, t: None),
                              handle_error=False)
        _field(rc, "Your name").v_model = f"Mallory {i}"
        _click(rc, "Join")
        shown.append(" ".join(_errors(rc)))
        rc.close()
    assert shown[:-1] == [""] * JOINS_PER_CLIENT and "already joined" in shown[-1]
    assert len(room.participants) == JOINS_PER_CLIENT


# --------------------------------------------------------------------------- open pages
def _pages_of(monkeypatch, live: dict, host: str):
    """A server where the kernels in ``live`` exist; each call opens page ``pid`` from
    ``host``."""
    from solara.server import kernel_context

    from diplomacy_sim.dashboard import clients

    monkeypatch.setattr(clients, "_pages", {})
    monkeypatch.setattr(kernel_context, "contexts", live)

    def open_page(pid: str) -> bool:
        live[pid] = object()
        ws = SimpleNamespace(ws=SimpleNamespace(client=SimpleNamespace(host=host)))
        ctx = SimpleNamespace(id=pid, session_id=f"cookie-{pid}",  # a new cookie each time
                              kernel=SimpleNamespace(session=SimpleNamespace(websockets=[ws])))
        monkeypatch.setattr(kernel_context, "get_current_context", lambda: ctx)
        return clients.admit_page()
    return open_page


def test_one_machine_holds_a_bounded_number_of_pages_whatever_its_cookies(monkeypatch):
    from diplomacy_sim.dashboard.clients import MAX_PAGES_PER_CLIENT

    live: dict = {}
    open_page = _pages_of(monkeypatch, live, "192.168.1.50")
    got = [open_page(f"k{i}") for i in range(MAX_PAGES_PER_CLIENT + 5)]
    assert got == [True] * MAX_PAGES_PER_CLIENT + [False] * 5
    assert open_page("k0")  # a page already counted (a re-render, a route change) stays
    for i in range(3):  # tabs closed: Solara dropped their kernels
        del live[f"k{i}"]
    assert [open_page(f"new{i}") for i in range(4)] == [True, True, True, False]
    other = _pages_of(monkeypatch, live, "192.168.1.51")
    assert other("x")  # another machine is not bounded by this one's pages


def test_the_servers_own_machine_may_hold_any_number_of_pages(monkeypatch):
    from diplomacy_sim.dashboard.clients import MAX_PAGES_PER_CLIENT

    open_page = _pages_of(monkeypatch, {}, "127.0.0.1")
    assert all(open_page(f"k{i}") for i in range(MAX_PAGES_PER_CLIENT * 2))


@pytest.mark.parametrize("route", ["explorer", "room", "join", "screen"])
def test_a_page_past_the_bound_shows_a_message_and_builds_nothing(reg, monkeypatch, route):
    from diplomacy_sim.dashboard import app, clients

    monkeypatch.setattr(clients, "admit_page", lambda client=None: False)
    made = []
    monkeypatch.setattr(app, "Dashboard", lambda *a, **k: made.append(a))
    element = {"explorer": app.Page(), "room": room_pages.RoomRoute(),
               "join": room_pages.JoinPage(),
               "screen": room_pages.RoomRoute(code="ABCDEF", view="screen")}[route]
    _, rc = solara.render(element, handle_error=False)
    try:
        assert [clients.TOO_MANY_PAGES] == _errors(rc)
        assert not made and not rc.find(v.Btn).widgets
    finally:
        rc.close()


def test_a_refused_switch_on_the_debrief_page_is_a_sentence_not_a_traceback(reg):
    """The trainer's key replaced from the command line while the debrief page is open: the
    switch that opens the debrief to participants is refused in words."""
    room, key = reg.create("integrated_discharge", seed=1)
    reg.new_key(room.code)
    _, rc = solara.render(room_pages.AllowDebrief(room, key, False), handle_error=False)
    try:
        rc.find(v.Checkbox).widget.v_model = True
        assert any("Only the trainer" in e for e in _errors(rc)), _errors(rc)
        assert not room.debrief_open
    finally:
        rc.close()


def _console(reg, monkeypatch, room, key, host):
    """The trainer's console of ``room`` rendered as a page whose browser holds the key."""
    _fake_context(monkeypatch, "s", host)
    orig = room_pages.BrowserStore
    loaded: dict = {}

    def spy(slot, stored=None, event_loaded=None):
        loaded["cb"] = event_loaded
        return orig(slot=slot, stored=stored, event_loaded=event_loaded)

    monkeypatch.setattr(room_pages, "BrowserStore", spy)
    _, rc = solara.render(room_pages.TrainerPage(), handle_error=False)
    loaded["cb"]({"value": f"{room.code}:{key}", "origin": "http://10.0.0.1:8765"})
    return rc


def _texts(rc) -> list[str]:
    return [c for w in rc.find(v.Btn).widgets + rc.find(v.Html).widgets
            + rc.find(v.Alert).widgets for c in w.children if isinstance(c, str)]


def _wait_for(rc, text: str) -> None:
    deadline = time.monotonic() + 5.0  # the console is read on its watcher thread
    while not any(text in c for c in _texts(rc)):
        assert time.monotonic() < deadline, f"{text!r} never showed"
        time.sleep(0.01)


@pytest.mark.parametrize("cancel", [True, False])
def test_ending_a_session_is_two_steps_and_says_an_open_rounds_moves_will_not_be_played(
        reg, monkeypatch, cancel):
    room, key = reg.create("integrated_discharge", seed=1, rounds=3, weeks_per_round=2)
    room.open_round(key)
    rc = _console(reg, monkeypatch, room, key, "10.0.0.13")
    try:
        _wait_for(rc, "Close round")
        _click(rc, "End session")
        assert room.status == "open"  # one click ends nothing
        warning = ("End the session? Round 1 is open: the moves submitted in it will not be "
                   "played, and its weeks will not run.")
        assert any(t.startswith(warning) for t in _texts(rc))
        _click(rc, "Cancel" if cancel else "Yes, end the session")
        assert room.status == ("open" if cancel else "ended")
        assert not any(t.startswith("End the session?") for t in _texts(rc))
    finally:
        rc.close()


def test_the_consoles_message_lasts_until_the_round_moves_on_and_nothing_is_reassigned_by_default(
        reg, monkeypatch):
    room, key = reg.create("integrated_discharge", seed=1, rounds=3, weeks_per_round=2)
    dan = room.join("Dan")  # joined, no role yet
    rc = _console(reg, monkeypatch, room, key, "10.0.0.14")
    try:
        _wait_for(rc, "Open round")
        assert "Joined without a role (give them one under Reassign): Dan" in _texts(rc)
        (reassign,) = [b for b in rc.find(v.Btn).widgets if "Reassign" in b.children]
        assert reassign.disabled  # no role chosen: one click hands nothing to the autopilot
        _click(rc, "Open round")
        _wait_for(rc, "Open round: done.")
        room.take_role(dan, room.roles()[0].id)
        room.close_round(key)  # the round moves on (the console's watcher redraws it)
        _wait_for(rc, "Open round")  # the console shows the closed round ...
        deadline = time.monotonic() + 5.0
        while any("Open round: done." in t for t in _texts(rc)):  # ... without the message
            assert time.monotonic() < deadline, "the message outlived its round"
            time.sleep(0.01)
        assert not any(t.startswith("Joined without a role") for t in _texts(rc))
        rows = room_pages._submissions_html(room.roles(), room.facilitator_view(key))
        assert "submitted nothing this round" in rows and "not submitted yet" not in rows
    finally:
        rc.close()
