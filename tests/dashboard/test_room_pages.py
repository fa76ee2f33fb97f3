"""The training room's pages without a browser: what reaches the page is text, codes from a
URL are checked before any lookup, and a change in one room wakes only that room's pages."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from diplomacy_sim.dashboard import room_html, room_pages, room_push
from diplomacy_sim.dashboard.room_push import safe_origin, watch_room

HOSTILE = '<img src=x onerror="alert(1)"><script>x()</script>'


def test_names_messages_and_events_render_as_text() -> None:
    msg = room_html.messages_html([{"from_label": HOSTILE, "to_label": "Ben", "text": HOSTILE,
                                    "round": 1}])
    heard = room_html.heard_html([{"step": 3, "text": HOSTILE, "cause": HOSTILE}], 0)
    org = room_html.organisation_html({"name": HOSTILE, "agenda": {HOSTILE: 0.5},
                                       "target": HOSTILE, "initiatives": [{"name": HOSTILE}]})
    screen = room_html.screen_html({"round_text": HOSTILE, "week": 0, "narrative": [HOSTILE],
                                    "shocks": [(2, HOSTILE)], "code": "ABCDEF"}, HOSTILE)
    logs = room_pages._logs_html({"r": {"role": HOSTILE, "name": HOSTILE, "rounds": [
        {"round": 1, "by": "participant", "name": HOSTILE, "moves": [{"text": HOSTILE}]}]}})
    for html in (msg, heard, org, screen, logs):
        assert "<img" not in html and "<script" not in html
        assert "&lt;img src=x" in html


def test_a_code_from_a_url_is_checked_against_the_alphabet_and_length() -> None:
    from diplomacy_sim.room import codes

    good = "".join(codes.ALPHABET[i] for i in range(codes.CODE_LENGTH))
    assert room_pages.clean_code(good.lower()) == good
    for bad in ("../../etc/passwd", "ABC", good + "A", "O0I1O0", "", None, "A" * 5000):
        assert room_pages.clean_code(bad) is None


def test_a_stored_token_is_used_only_when_it_looks_like_one() -> None:
    from diplomacy_sim.room import codes

    code = codes.ALPHABET[: codes.CODE_LENGTH]
    token = codes.new_token()
    assert room_pages.parse_stored(f"{code}:{token}") == (code, token)
    for bad in (None, "", token, f"{code}:", f"{code}:<script>", f"../x:{token}",
                f"{code}:{'a' * 300}"):
        assert room_pages.parse_stored(bad) is None


def test_the_join_address_is_a_plain_origin_and_its_qr_code_is_an_image() -> None:
    assert safe_origin("http://192.168.1.20:8765") == "http://192.168.1.20:8765"
    for bad in ("javascript:alert(1)", 'http://x"><script>', "http://a/b?c", None, 12):
        assert safe_origin(bad) is None
    img = room_html.qr_img_html("http://192.168.1.20:8765/join?code=ABCDEF")
    assert img.startswith('<img class="join-qr"') and "data:image/svg+xml;base64," in img
    assert "join?code" not in img  # the address is in the picture, not in the markup


class FakeRoom:
    """Only what a page's watcher uses: a version and subscribe (the real one is tested in
    tests/room)."""

    def __init__(self) -> None:
        self.version = 0
        self._subs: list[Callable[[int], None]] = []

    def subscribe(self, cb: Callable[[int], None]) -> Callable[[], None]:
        self._subs.append(cb)
        return lambda: self._subs.remove(cb)

    def change(self) -> None:
        self.version += 1
        for cb in list(self._subs):
            cb(self.version)


def _watch(room: FakeRoom) -> tuple[list[int], threading.Event, threading.Thread]:
    seen: list[int] = []
    cancel = threading.Event()
    t = threading.Thread(target=watch_room, args=(room, seen.append, cancel), daemon=True)
    t.start()
    return seen, cancel, t


def _until(cond: Callable[[], bool], timeout: float = 2.0) -> None:
    end = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.005)


@pytest.mark.timeout(20)
def test_a_change_wakes_every_page_of_its_room_and_no_other(monkeypatch) -> None:
    """Woken, not polled: with the watchers' re-check an hour apart, only the room's own
    wake-up can bring the new version to the pages within the test's wait."""
    monkeypatch.setattr(room_push, "WAKE_TIMEOUT_S", 3600.0)
    one, two = FakeRoom(), FakeRoom()
    pages_one = [_watch(one) for _ in range(3)]
    page_two = _watch(two)
    _until(lambda: all(p[0] == [0] for p in [*pages_one, page_two]))
    one.change()
    _until(lambda: all(p[0] == [0, 1] for p in pages_one), timeout=10.0)
    assert page_two[0] == [0]
    for _, cancel, _ in [*pages_one, page_two]:
        cancel.set()
    one.change()
    two.change()
    for _, _, t in [*pages_one, page_two]:
        t.join(timeout=5)
        assert not t.is_alive()
    assert one._subs == [] and two._subs == []  # a closed page unsubscribes


def test_a_rooms_charts_name_the_grey_line_as_the_autopilot_in_every_role() -> None:
    """The grey line of a room is the same place, seed and shocks with the autopilot playing
    every role: the projector's, the console's and the debrief's legends all say so (they
    said "without injected shocks", the explorer's grey line, beside a caption saying the
    opposite)."""
    series = {k: [0.2, 0.3, 0.4] for k in room_html.SCREEN_OUTCOMES}
    screen = room_html.screen_html({"round_text": "Round 1 of 4", "week": 3, "series": series,
                                    "counterfactual": series, "shocks": [(1, "budget cut")]},
                                   "A room")
    rows = room_html.series_to_rows(series)
    panel = room_html.outcome_panel_html(rows, rows, [(1, "budget cut")], 26, 3,
                                         names=room_html.SCREEN_OUTCOMES)
    for html in (screen, panel):
        assert html.count(">the autopilot in every role<") == len(room_html.SCREEN_OUTCOMES)
        assert html.count(">this session<") == len(room_html.SCREEN_OUTCOMES)
        assert "without injected shocks" not in html


def _move_form(room, token):
    """The participant's move form as the page renders it, fed the view the page reads."""
    import ipyvuetify as v
    import solara

    snap = solara.reactive({"pv": room.private_view(token),
                            "catalogue": room.move_catalogue(token)})

    @solara.component
    def Form():
        s = snap.value
        room_pages.MoveForm(room, token, s["catalogue"], s["pv"])

    def refresh() -> None:
        pv = room.private_view(token)
        snap.value = {"pv": pv, "catalogue": room.move_catalogue(token)
                      if pv["status"] == "open" else []}

    _, rc = solara.render(Form(), handle_error=False)

    def texts(kind: type) -> list[str]:
        return [str(c) for w in rc.find(kind).widgets for c in w.children if isinstance(c, str)]

    def click(name: str) -> None:
        (button,) = [b for b in rc.find(v.Btn).widgets if name in b.children]
        button.click()

    return rc, refresh, texts, click


def test_a_submitted_message_belongs_to_its_round_and_an_ended_rounds_moves_were_not_played(
        tmp_path) -> None:
    import ipyvuetify as v

    from diplomacy_sim.room import RoomRegistry

    reg = RoomRegistry(tmp_path / "rooms.sqlite")
    try:
        room, key = reg.create("integrated_discharge", seed=7, rounds=3, weeks_per_round=2)
        token = room.join("Asha")
        room.take_role(token, room.roles()[0].id)
        room.open_round(key)
        rc, refresh, texts, click = _move_form(room, token)
        assert any(t.startswith("Not submitted yet: moves you add are kept on this page")
                   for t in texts(v.Html))
        click("Submit moves")
        assert any(t.startswith("Submitted 0 moves") for t in texts(v.Alert))
        again, _, texts_again, _ = _move_form(room, token)  # the page reloaded
        assert "Submitted: 0 moves (you can change them until the trainer closes the round)." \
            in texts_again(v.Html)
        again.close()
        room.close_round(key)
        room.open_round(key)
        refresh()  # round 2 opens: the message about round 1's moves is gone
        assert not any(t.startswith("Submitted") for t in texts(v.Alert))
        assert room_pages._moves_heading(room.private_view(token)) == "Your moves this round"
        click("Submit moves")
        room.end(key)  # during round 2: its moves were never played
        refresh()
        assert not any(t.startswith("Submitted") for t in texts(v.Alert))
        heading = room_pages._moves_heading(room.private_view(token))
        assert heading == ("Your moves in round 2 (not played: the session ended before the "
                           "round closed)")
        assert heading in texts(v.Html)  # the page shows it
        rc.close()
    finally:
        reg.close()


@pytest.mark.parametrize(("view", "heading"), [
    ({"status": "open", "round": 2}, "Your moves this round"),
    ({"status": "closed", "round": 2, "round_played": True}, "Your moves in round 2 (played)"),
    ({"status": "ended", "round": 3, "round_played": True}, "Your moves in round 3 (played)"),
    ({"status": "ended", "round": 3, "round_played": False},
     "Your moves in round 3 (not played: the session ended before the round closed)"),
    ({"status": "ended", "round": 0, "round_played": False},
     "The session ended before the first round"),
])
def test_the_moves_heading_says_whether_the_round_was_played(view, heading) -> None:
    assert room_pages._moves_heading(view) == heading


def test_the_console_lists_every_shock_until_it_lands_with_the_organisations_it_hits(
        tmp_path) -> None:
    """A shock injected "now" lands in the first week the close of the round runs, one
    injected "at the start of the next round" in that round's first week; until then the
    console lists it (it used to drop both before they landed)."""
    from diplomacy_sim.room import RoomRegistry

    reg = RoomRegistry(tmp_path / "rooms.sqlite")
    try:
        room, key = reg.create("integrated_discharge", seed=7, rounds=4, weeks_per_round=3)
        cut = {"kind": "budget_cut", "organisations": ["city_council"], "fraction": 0.2,
               "intensity": 0.3}

        def coming() -> str:
            return room_pages._coming_shocks(room.facilitator_view(key)["shocks"], room.week)

        room.open_round(key)
        room.inject(key, cut, when="now")
        room.inject(key, {"kind": "demand_surge", "label": "Winter"}, when="next_round")
        assert coming() == ("Coming: budget cut on City Council (week 1); Winter (week 4)")
        room.close_round(key)  # the cut landed in week 1; the surge lands in week 4
        assert coming() == "Coming: Winter (week 4)"
        room.open_round(key)
        assert coming() == "Coming: Winter (week 4)"  # not yet: the round has not run
        room.close_round(key)
        assert coming() == ""
        landed = [s["label"] for rec in room.timeline for s in rec["shocks"]]
        assert landed == ["budget cut", "Winter"]
    finally:
        reg.close()


def test_the_balcony_shows_the_whole_system_even_before_the_first_week_has_run(
        tmp_path) -> None:
    """In round 1 nothing has run yet: the balcony says so and shows where every initiative
    is (it was an empty box for the points it cost)."""
    from diplomacy_sim.room import RoomRegistry

    reg = RoomRegistry(tmp_path / "rooms.sqlite")
    try:
        room, key = reg.create("integrated_discharge", seed=7, rounds=3, weeks_per_round=2)
        token = room.join("Chloé")
        room.take_role(token, room.roles()[0].id)
        room.open_round(key)
        room.go_to_balcony(token)
        first = room_pages._balcony_html(room.private_view(token)["balcony"])
        assert "No week has run yet" in first
        names = room.model.state.initiatives.names
        assert all(f"{n}: " in first for n in names) and len(names) > 1
        room.close_round(key)
        room.open_round(key)
        room.go_to_balcony(token)
        later = room_pages._balcony_html(room.private_view(token)["balcony"])
        assert "No week has run yet" not in later and "Integration 0." in later
        assert "User outcome " in later and "user_outcome" not in later
    finally:
        reg.close()


def test_the_role_picker_offers_no_role_of_an_organisation_merged_away(tmp_path) -> None:
    import ipyvuetify as v
    import solara

    from diplomacy_sim.room import RoomRegistry

    reg = RoomRegistry(tmp_path / "rooms.sqlite")
    try:
        room, key = reg.create("integrated_discharge", seed=7, rounds=3, weeks_per_round=2)
        room.open_round(key)
        room.inject(key, {"kind": "reorganisation", "mode": "merge",
                          "organisations": ["shelter_link"], "into": "home_first_charity"})
        room.close_round(key)
        token = room.join("Dan")

        def offered() -> list[str]:
            _, rc = solara.render(room_pages.RolePicker(room, token, room.me(token),
                                                        room.roles()), handle_error=False)
            try:
                return [str(c) for b in rc.find(v.Btn).widgets for c in b.children
                        if isinstance(c, str)]
            finally:
                rc.close()

        gone = [r.button for r in room.roles() if r.org_id == "shelter_link" and r.open]
        kept = [r.button for r in room.roles() if r.org_id != "shelter_link" and r.open]
        assert gone and kept and not any(r.alive for r in room.roles()
                                         if r.org_id == "shelter_link")
        assert offered() == kept
    finally:
        reg.close()


@pytest.mark.parametrize("status", ["lobby", "open", "closed", "paused", "ended"])
def test_the_projector_says_where_to_join_and_whether_the_round_is_open(status) -> None:
    html = room_html.screen_html({"round_text": "Round 2 of 4", "week": 13, "code": "ABCDEF",
                                  "status": status, "join_url": "http://10.0.0.5:8765/join"},
                                 "A room")
    assert f">{room_html.SCREEN_STATUS[status]}</div>" in html
    joining = "join at http://10.0.0.5:8765/join with code <b>ABCDEF</b>" in html
    assert joining is (status != "ended")
