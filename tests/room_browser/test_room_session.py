"""A training session end to end, in real browsers: a trainer, a projector and four
participants, each in a browser context of their own, on one server (which is killed and
started again on the same database half-way through)."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser

ROUNDS = 3
NAMES = ("Asha", "Ben", "<b>Cal</b>", "Dee & co")  # the last two must show as plain text


def _code(trainer: Any) -> str:
    trainer.text("Join code:").wait_for()
    text = trainer.page.locator(".join-code").inner_text()
    m = re.search(r"Join code: ([A-Z0-9]{6})", text)
    assert m, text
    return m.group(1)


def _round(person: Any, text: str) -> None:
    person.page.locator(".round-text", has_text=text).first.wait_for()


def _choose(person: Any, label: str, option: str) -> None:
    """Pick ``option`` in the Vuetify select labelled ``label``."""
    person.page.locator(".v-select", has=person.page.get_by_text(label, exact=True)).first.click()
    person.page.locator(".menuable__content__active .v-list-item",
                        has_text=option).first.click()


def _start(open_browser: Any) -> tuple[Any, str]:
    trainer = open_browser("trainer")
    trainer.goto("/room")
    trainer.button("New session").wait_for()
    trainer.page.get_by_label("Number of rounds").fill(str(ROUNDS))
    trainer.button("New session").click()
    return trainer, _code(trainer)


def _join(open_browser: Any, code: str, name: str, nth: int) -> tuple[Any, str]:
    p = open_browser(name)
    p.goto("/join")
    p.page.get_by_label("Join code").fill(code.lower())  # case does not matter
    p.page.get_by_label("Your name").fill(name)
    p.button("Join").click()
    roles = p.page.locator(".role-button")
    roles.first.wait_for()
    assert name in p.page.locator(".welcome").inner_text()  # as typed: text, never markup
    button = roles.nth(nth)
    label = button.inner_text().strip()
    button.click()
    p.page.locator(".role-title").wait_for()
    return p, label


def test_a_session_from_joining_to_the_debrief(open_browser: Any, room_server: Any,
                                               artifacts: Path, tmp_path: Path) -> None:
    trainer, code = _start(open_browser)
    assert "Round 1 of 3" in trainer.body()  # the round to come
    assert trainer.page.locator("img.join-qr").count() == 1
    screen = open_browser("projector")
    screen.goto(f"/room/{code}/screen")
    screen.page.locator(".screen").wait_for()

    people = [_join(open_browser, code, n, i) for i, n in enumerate(NAMES)]
    titles = [p.page.locator(".role-title").inner_text() for p, _ in people]
    assert len(set(titles)) == 4, titles  # four different roles
    for (_, label), title in zip(people, titles, strict=True):
        assert label in title
    # the trainer sees who joined, names as text (never markup)
    trainer.page.locator(".submissions", has_text="Dee & co").wait_for()
    assert trainer.page.locator(".submissions b", has_text="Cal").count() == 0
    assert "<b>Cal</b>" in trainer.page.locator(".submissions").inner_text()

    # ---- round 1: open, moves, a private message, close
    trainer.button("Open round").click()
    for p, _ in people:
        _round(p, "Round 1 of 3")
        p.text("The round is open").wait_for()
    a, b, c = people[0][0], people[1][0], people[2][0]
    # Asha proposes, Ben meets someone; Cal makes no move but sends Ben a message
    for p, move in ((a, re.compile("initiative", re.I)), (b, re.compile("meet", re.I))):
        p.page.locator(".move-kind").click()
        p.page.locator(".menuable__content__active .v-list-item", has_text=move).first.click()
        p.button("Add move").click()
        p.page.locator(".draft-move").first.wait_for()
        p.button("Submit moves").click()
        p.text("Submitted 1 move").wait_for()
    a_draft = a.page.locator(".draft-move").first.inner_text().split(". ", 1)[1].rsplit(" (", 1)[0]
    _choose(c, "Message to", people[1][1])
    c.page.keyboard.press("Escape")
    c.page.get_by_label("Message (up to 280 characters)").fill("Coffee on Friday? <i>x</i>")
    c.button("Send").click()
    c.text("Sent.").wait_for()
    b.page.locator(".message", has_text="Coffee on Friday? <i>x</i>").wait_for()  # pushed
    # the trainer sees each submission, in the engine's words; participants only their own
    for name in ("Asha", "Ben"):
        trainer.page.locator(".role-row", has_text=name).locator(".moves",
                                                                 has_text="submitted").wait_for()
    a_move = trainer.page.locator(".role-row", has_text="Asha").locator(".moves").inner_text()
    a_move = a_move.split("\n")[1].strip()  # "submitted:", the move, the points left
    trainer.page.screenshot(path=str(artifacts / "room_console_full.png"), full_page=True)
    assert a_draft not in b.body() and a_draft not in c.body()
    assert a_move not in b.body() and a_move not in c.body()
    assert "Coffee on Friday" not in a.body() and "Coffee on Friday" not in people[3][0].body()

    # ---- a participant's try at a facilitator action is refused by the server
    token = a.page.evaluate("localStorage.getItem('diplomacy_sim.room.participant')")
    assert token and token.startswith(code + ":")
    a.page.evaluate("([k, v]) => localStorage.setItem(k, v)",
                    ["diplomacy_sim.room.trainer", token])  # his own token as the trainer's key
    a.goto("/room")
    # the server checks the stored key before it shows any console: a wrong one gets the
    # new-session form, as a code that does not exist would (it tells nothing of the session)
    a.text("Training room: a new session").wait_for()
    assert a.page.get_by_role("button", name="Close round").count() == 0
    assert code not in a.body()
    a.goto("/join")
    a.page.locator(".role-title").wait_for()  # back in his role from the stored token

    trainer.button("Close round").click()
    for p, _ in people:
        _round(p, "Round 1 of 3")
        p.page.locator(".room-status", has_text="The round is closed").wait_for()
    screen.page.locator('.screen[data-week="13"]').wait_for()  # the week advanced by 13
    assert screen.page.locator("svg.chart polyline.baseline").count() == 4  # counterfactual
    assert "Week 13" in trainer.body()
    screen.page.screenshot(path=str(artifacts / "room_projector_1280x720.png"))
    a.page.screenshot(path=str(artifacts / "room_participant_1280x720.png"), full_page=False)
    small = screen.page.evaluate(SMALLEST_TEXT_JS)
    assert small >= 18, f"text of {small:.1f} px on the projector"

    # ---- the server dies and comes back on the same database
    trainer.button("Open round").click()
    _round(a, "Round 2 of 3")
    everyone = [trainer, screen, *(p for p, _ in people)]
    for p in everyone:  # mark what is on screen now: only a page drawn afresh lacks the mark
        p.page.evaluate(MARK_STALE_JS)
    room_server.kill()
    for p in everyone:
        p.page.locator(".reconnecting").wait_for()
    room_server.start()
    for p in everyone:  # each page remounts by itself, from the database and its token
        p.page.locator(".reconnecting").wait_for(state="detached", timeout=60_000)
        p.page.locator(".browser-store:not([data-stale])").first.wait_for(state="attached")
    for p, _ in [(trainer, None), *people]:
        _round(p, "Round 2 of 3")
    for (p, _), title in zip(people, titles, strict=True):
        assert p.page.locator(".role-title").inner_text() == title
    screen.page.locator('.screen[data-week="13"]').wait_for()
    trainer.button("Close round").click()
    screen.page.locator('.screen[data-week="26"]').wait_for()

    # ---- the debrief: each move, the counterfactual gap; the pack opens
    trainer.button("Debrief").click()
    trainer.page.locator(".gap").wait_for()
    assert trainer.page.locator(".gap").inner_text().strip()
    trainer.page.screenshot(path=str(artifacts / "room_debrief_full.png"), full_page=True)
    logs = trainer.page.locator(".decision-log")
    assert a_move in " ".join(logs.all_inner_texts())
    with trainer.page.expect_download() as dl:
        trainer.page.get_by_text("Download the debrief pack").click()
    pack = tmp_path / "pack.zip"
    dl.value.save_as(pack)
    with zipfile.ZipFile(pack) as z:
        names = set(z.namelist())
        z.extractall(tmp_path / "pack")
    assert "debrief.html" in names and any(n.endswith(".csv") for n in names)
    viewer = open_browser("reader")
    viewer.page.goto((tmp_path / "pack" / "debrief.html").as_uri())
    assert a_move in viewer.body()

    # ---- participants read the debrief once the trainer allows it (checked by the room)
    a.goto(f"/room/{code}/debrief")
    a.text("The trainer has not opened the debrief yet").wait_for()
    trainer.page.get_by_text("Participants may read the debrief").click()  # Vuetify's box
    trainer.page.locator('input[role="checkbox"][aria-checked="true"]').wait_for(
        state="attached")
    a.goto("/join")
    a.button("Open the debrief").click()
    a.page.locator(".gap").wait_for()
    assert a.page.get_by_role("button", name="Replay from this round").count() == 0

    # ---- replay from round 2: a new session keeps round 1; both branches on one chart
    trainer.goto(f"/room/{code}/debrief")
    trainer.page.get_by_label("Round to replay from (1–2)").fill("2")
    trainer.button("Replay from this round").click()
    made = trainer.page.locator(".branch-made").inner_text()
    new_code = re.search(r"New session ([A-Z0-9]{6})", made).group(1)  # type: ignore[union-attr]
    trainer.button("Go to the new session's console").click()
    trainer.page.locator(".join-code", has_text=new_code).wait_for()
    trainer.page.locator('.round-text[data-week="13"][data-status="closed"]').wait_for()
    a.goto(f"/join?code={new_code}")  # the branch kept his token: straight back to his role
    assert a.page.locator(".role-title").inner_text() == titles[0]
    trainer.goto(f"/room/{new_code}/debrief")
    trainer.page.locator("svg.chart polyline.branch").first.wait_for()  # the parent, dashed

    for p in [trainer, screen, viewer, *(p for p, _ in people)]:
        assert p.errors == [], (p.name, p.errors)


MARK_STALE_JS = """() => { for (const el of document.querySelectorAll('.browser-store, .screen'))
  el.dataset.stale = '1'; }"""
SMALLEST_TEXT_JS = """() => {
  let min = 1e9;
  for (const el of document.querySelectorAll('.screen *')) {
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    let px = parseFloat(getComputedStyle(el).fontSize);
    const svg = el.closest('svg');
    if (svg) px = px * svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    min = Math.min(min, px);
  }
  return min;
}"""


def test_a_trainer_resumes_a_session_from_another_browser_with_its_key(open_browser: Any
                                                                        ) -> None:
    first, code = _start(open_browser)
    stored = first.page.evaluate("localStorage.getItem('diplomacy_sim.room.trainer')")
    key = stored.split(":", 1)[1]
    other = open_browser("trainer's other laptop")
    other.goto("/room")
    other.page.get_by_label("Session code").fill(code)
    other.page.get_by_label("Facilitator key").fill(key[:-2] + "xx")  # a wrong key
    other.button("Resume session").click()
    other.text("That code and key do not open a session").wait_for()
    assert other.page.locator(".join-code").count() == 0
    other.page.get_by_label("Facilitator key").fill(key)
    other.button("Resume session").click()
    other.page.locator(".join-code", has_text=code).wait_for()
    # a participant's wrong code is refused in words (and slowed down after a few)
    p = open_browser("guest")
    p.goto("/join")
    p.page.get_by_label("Join code").fill("ZZZZZZ" if code != "ZZZZZZ" else "YYYYYY")
    p.page.get_by_label("Your name").fill("Guest")
    p.button("Join").click()
    p.page.locator(".join-error", has_text="No session with that code").wait_for()
    for person in (first, other, p):
        assert person.errors == []


def test_wrong_codes_from_fresh_browsers_on_one_machine_are_slowed_down(open_browser: Any
                                                                        ) -> None:
    """A new browser context has no cookies, so Solara gives it a new session id: the count
    of wrong codes must follow the machine (its address), not the cookie."""
    from diplomacy_sim.room import codes

    shown = []
    for i in range(codes.FREE_TRIES + 1):
        p = open_browser(f"guesser {i}")  # a fresh context: no cookie, no storage
        p.goto("/join")
        p.page.get_by_label("Join code").fill("ZZZZZ" + "XY"[i % 2])
        p.page.get_by_label("Your name").fill("Guess")
        p.button("Join").click()
        shown.append(p.page.locator(".join-error").inner_text())
        p.close()
    assert sum("Too many wrong codes" in s for s in shown) >= 1, shown


def test_the_trainer_removes_a_participant_and_the_others_play_on(open_browser: Any) -> None:
    """Removal, seen from four laptops at once: the trainer confirms it by name; the removed
    person's page (and a reload of it) says so and offers no move; the others play on; the
    freed role can be taken by someone new; no participant's page offers the control."""
    trainer, code = _start(open_browser)
    (asha, _), (ben, ben_role) = (_join(open_browser, code, n, i)
                                  for i, n in enumerate(("Asha", "Ben")))
    trainer.button("Open round").click()
    for p in (asha, ben):
        _round(p, "Round 1 of 3")
        p.page.locator(".move-kind").wait_for()
        assert p.page.get_by_role("button", name="Remove from the session").count() == 0

    remove = trainer.button("Remove from the session")
    assert remove.is_disabled()  # nobody chosen yet
    trainer.page.locator(".remove-who").click()
    trainer.page.locator(".menuable__content__active .v-list-item", has_text="Ben").first.click()
    remove.click()  # the first click only asks
    confirm = trainer.button("Yes, remove Ben")
    confirm.wait_for()
    assert "Remove Ben from the session?" in trainer.page.locator(".remove-confirm").inner_text()
    box = confirm.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 1280  # on a laptop's 1280x720 screen
    assert trainer.page.evaluate(
        "document.scrollingElement.scrollWidth <= document.scrollingElement.clientWidth")
    trainer.button("Cancel").click()
    confirm.wait_for(state="detached")
    ben.page.locator(".move-kind").wait_for()  # cancelled: Ben still plays
    remove.click()
    confirm.click()

    trainer.page.locator(".removed-list", has_text="Ben").wait_for()
    trainer.text("Remove: done.").wait_for()
    ben.page.locator(".removed-message").wait_for()  # pushed to his open page
    assert ben.page.locator(".move-kind").count() == 0
    assert ben.page.get_by_role("button", name="Submit moves").count() == 0
    ben.goto("/join")  # a reload with his stored token does not get him back in
    ben.page.locator(".removed-message").wait_for()
    assert ben.page.locator(".role-title").count() == 0

    # Asha plays on in the same round
    asha.page.locator(".move-kind").click()
    asha.page.locator(".menuable__content__active .v-list-item",
                      has_text=re.compile("meet", re.I)).first.click()
    asha.button("Add move").click()
    asha.button("Submit moves").click()
    asha.text("Submitted 1 move").wait_for()

    # the freed role is open to someone new
    cy = open_browser("Cy")
    cy.goto("/join")
    cy.page.get_by_label("Join code").fill(code)
    cy.page.get_by_label("Your name").fill("Cy")
    cy.button("Join").click()
    freed = cy.page.locator(".role-button", has_text=ben_role).first
    freed.wait_for()
    assert freed.is_enabled()
    freed.click()
    assert ben_role in cy.page.locator(".role-title").inner_text()
    for p in (trainer, asha, ben, cy):
        assert p.errors == [], (p.name, p.errors)
