"""The training room in real browsers: one server process, 3 rooms, each with 10
participants, a facilitator and a projector (36 browser sessions of Debian Chromium).

Measures (medians and p95; every wait has a hard timeout and the whole run a deadline):
- page ready: navigation to a participant's private view / the console / the projector;
- move submission round trip: a participant clicks "Submit moves" until the page shows the
  server's answer ("Submitted N moves"), timed inside the page (performance.now and a
  MutationObserver); once with one participant at a time (the other 35 sessions connected
  and idle) and once with all 30 participants submitting at the same moment;
- closing a 13-week round with its counterfactual: the trainer clicks "Close round" until
  the console shows the new week (timed in the page), and until the last of the room's 12
  pages shows it (push to every page of the room); the server's CPU time over each close;
- cross-talk: closing one room's round changes no page of the other rooms, and every
  participant's page still shows their own role.

Sessions, participants and roles are made beforehand in the room database (the server
rebuilds them from it when it starts); each browser context then holds its token or key in
localStorage, as after joining. Loopback only (ports 8785-8789).

    .venv/bin/python benchmarks/bench_room.py [--rounds 3] [--no-readme] [--json FILE]

Targets (issue 9): submission round trip <= 300 ms median; closing a 13-week round with its
counterfactual <= 1 s. Exits non-zero if a target is missed or a check fails.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import (
    CHROMIUM,
    CHROMIUM_ARGS,
    cpu_seconds,
    free_port,
    replace_section,
    start_server,
    stop_server,
)

PORTS = range(8785, 8790)
SCENARIO = "devolution_reorganisation"  # 20 roles: 10 open for 10 participants
ROOMS, PARTICIPANTS = 3, 10
TARGET_SUBMIT_S, TARGET_CLOSE_S = 0.300, 1.0
DEADLINE_S = 1500
TRAINER_SLOT = "diplomacy_sim.room.trainer"
PARTICIPANT_SLOT = "diplomacy_sim.room.participant"

SUBMIT_JS = r"""
async ([timeoutMs]) => {
  const btn = [...document.querySelectorAll('button')]
      .find(b => b.innerText.trim().toUpperCase() === 'SUBMIT MOVES');
  if (!btn) throw new Error('no Submit moves button');
  const n = document.querySelectorAll('.draft-move').length;
  const want = `Submitted ${n} move${n === 1 ? '' : 's'}.`;
  const text = () => [...document.querySelectorAll('.move-message')].map(e => e.innerText)
      .join(' ');
  const before = text();
  if (before.includes(want)) throw new Error('the answer is already on the page');
  const t0 = performance.now();
  // the server's answer: the confirmation, or a refusal (any new message text)
  const answer = await new Promise((resolve, reject) => {
    const check = () => {
      const now = text();
      if (now.includes(want) || (now && now !== before)) { obs.disconnect(); resolve(now); }
    };
    const obs = new MutationObserver(check);
    obs.observe(document.body, {subtree: true, childList: true, characterData: true});
    setTimeout(() => { obs.disconnect(); reject(new Error('timeout')); }, timeoutMs);
    btn.click();
  });
  return [performance.now() - t0, answer.includes(want), answer];
}
"""

CLOSE_JS = r"""
async ([week, timeoutMs]) => {
  const btn = [...document.querySelectorAll('button')]
      .find(b => b.innerText.trim().toUpperCase() === 'CLOSE ROUND');
  if (!btn) throw new Error('no Close round button');
  const done = () => document.querySelector(`.round-text[data-week="${week}"]`);
  const t0 = performance.now();
  await new Promise((resolve, reject) => {
    const obs = new MutationObserver(() => { if (done()) { obs.disconnect(); resolve(); } });
    obs.observe(document.body, {subtree: true, childList: true, attributes: true});
    setTimeout(() => { obs.disconnect(); reject(new Error('timeout')); }, timeoutMs);
    btn.click();
  });
  return performance.now() - t0;
}
"""


def prepare(db: Path, rounds: int) -> list[dict[str, Any]]:
    """Three sessions with ten participants in ten roles each, written to ``db``."""
    from diplomacy_sim.room import RoomRegistry

    with tempfile.TemporaryDirectory() as scratch:  # which roles there are (not kept)
        probe_reg = RoomRegistry(Path(scratch) / "probe.sqlite")
        ids = [r.id for r in probe_reg.create(scenario=SCENARIO, rounds=1)[0].roles()]
        ids = ids[:PARTICIPANTS]
        probe_reg.close()
    reg = RoomRegistry(db)
    out = []
    for i in range(ROOMS):
        room, key = reg.create(scenario=SCENARIO, seed=100 + i, weeks_per_round=13,
                               rounds=rounds, open_roles=ids)
        people = []
        for j, rid in enumerate(ids):
            token = room.join(f"Player {i}.{j}")
            room.take_role(token, rid)
            people.append({"token": token, "role": room.roles()[[r.id for r in room.roles()]
                                                                .index(rid)].button})
        out.append({"code": room.code, "key": key, "people": people})
    reg.close()
    return out


def stats(xs: list[float]) -> dict[str, float]:
    if not xs:
        return {"n": 0, "median": float("nan"), "p95": float("nan"), "max": float("nan")}
    s = sorted(xs)
    return {"n": len(s), "median": statistics.median(s),
            "p95": s[min(len(s) - 1, round(0.95 * (len(s) - 1)))], "max": s[-1]}


class Tab:
    def __init__(self, browser: Any, base: str, role: str) -> None:
        self.browser, self.base, self.role = browser, base, role
        self.errors: list[str] = []
        self.page: Any = None

    async def open(self, path: str, slot: str | None, value: str | None, ready: str) -> float:
        ctx = await self.browser.new_context(viewport={"width": 1280, "height": 720})
        if slot:
            await ctx.add_init_script(
                f"localStorage.setItem({json.dumps(slot)}, {json.dumps(value)})")
        self.page = await ctx.new_page()
        self.page.set_default_timeout(60_000)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        t0 = time.perf_counter()
        await self.page.goto(self.base + path)
        await self.page.locator(ready).first.wait_for()
        return time.perf_counter() - t0


async def week_of(tab: Tab) -> int:
    sel = ".screen" if tab.role == "projector" else ".round-text"
    return int(await tab.page.locator(sel).first.get_attribute("data-week"))


async def run(args: argparse.Namespace) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    result: dict[str, Any] = {"checks": {}}
    with tempfile.TemporaryDirectory(prefix="bench-room-") as tmp:
        db, log = Path(tmp) / "rooms.sqlite", Path(tmp) / "server.log"
        t0 = time.perf_counter()
        sessions = prepare(db, args.rounds)
        result["prepare_s"] = time.perf_counter() - t0
        port = free_port(PORTS)
        server = start_server(port, db=db, log=log)
        base = f"http://127.0.0.1:{port}"
        try:
            async with async_playwright() as p:
                browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                try:
                    await measure(browser, base, sessions, server, result, args)
                finally:
                    await browser.close()
        finally:
            stop_server(server)
            result["server_log_errors"] = sum(
                1 for line in log.read_text(errors="replace").splitlines()
                if line.startswith("ERROR"))
    return result


async def measure(browser: Any, base: str, sessions: list[dict[str, Any]],
                  server: subprocess.Popen[bytes], result: dict[str, Any],
                  args: argparse.Namespace) -> None:
    rooms = []
    gate = asyncio.Semaphore(6)  # open pages six at a time

    async def opened(tab: Tab, *a: Any) -> float:
        async with gate:
            return await tab.open(*a)

    ready: dict[str, list[float]] = {"participant": [], "trainer": [], "projector": []}
    jobs = []
    for s in sessions:
        trainer = Tab(browser, base, "trainer")
        screen = Tab(browser, base, "projector")
        people = [Tab(browser, base, "participant") for _ in s["people"]]
        rooms.append({"s": s, "trainer": trainer, "screen": screen, "people": people})
        jobs.append(("trainer", opened(trainer, "/room", TRAINER_SLOT, f"{s['code']}:{s['key']}",
                                       ".round-text")))
        jobs.append(("projector", opened(screen, f"/room/{s['code']}/screen", None, None,
                                         ".screen")))
        for tab, person in zip(people, s["people"], strict=True):
            jobs.append(("participant", opened(tab, "/join", PARTICIPANT_SLOT,
                                               f"{s['code']}:{person['token']}", ".role-title")))
    t0 = time.perf_counter()
    times = await asyncio.gather(*(j for _, j in jobs))
    for (kind, _), t in zip(jobs, times, strict=True):
        ready[kind].append(t)
    result["open_all_s"] = time.perf_counter() - t0
    result["ready"] = {k: stats(v) for k, v in ready.items()}
    print(f"36 pages open in {result['open_all_s']:.1f} s", flush=True)

    # every participant shows their own role
    own = True
    for r in rooms:
        for tab, person in zip(r["people"], r["s"]["people"], strict=True):
            title = await tab.page.locator(".role-title").inner_text()
            own &= person["role"] in title
    result["checks"]["own_roles"] = own

    submit_one: list[float] = []
    submit_all: list[float] = []
    close_console: list[float] = []
    close_fanout: list[float] = []
    close_cpu: list[float] = []
    crosstalk = True

    async def toggle_draft(tab: Tab) -> None:
        n = await tab.page.locator(".draft-move").count()
        if n:
            await tab.page.get_by_role("button", name="Remove").first.click()
            await tab.page.locator(".draft-move").first.wait_for(state="detached")
        else:
            await tab.page.get_by_role("button", name="Add move").click()
            await tab.page.locator(".draft-move").first.wait_for()

    refused: list[str] = []

    def answered(got: list[Any]) -> float:
        ms, ok, text = got
        if not ok:
            refused.append(str(text)[:200])
        return float(ms) / 1000

    async def submit(tab: Tab) -> float:
        await toggle_draft(tab)
        return answered(await tab.page.evaluate(SUBMIT_JS, [20_000]))

    async def choose_meet(tab: Tab) -> None:
        """Every role may meet someone informally (1 point): the move the benchmark makes."""
        await tab.page.locator(".move-kind").click()
        await tab.page.locator(".menuable__content__active .v-list-item",
                               has_text=re.compile("meet", re.I)).first.click()

    for rnd in range(1, args.rounds + 1):
        for r in rooms:  # open the round in every room; wait until each page shows it
            await r["trainer"].page.get_by_role("button", name="Open round").click()
        for r in rooms:
            for tab in r["people"]:
                await tab.page.locator('.round-text[data-status="open"]').wait_for()
                if rnd == 1:
                    await choose_meet(tab)
        # one participant at a time (the others connected, idle)
        for r in rooms:
            for tab in r["people"][:4]:
                submit_one.append(await submit(tab))
        # everybody at once
        everyone = [tab for r in rooms for tab in r["people"]]
        await asyncio.gather(*(toggle_draft(t) for t in everyone))
        submit_all += [answered(x) for x in await asyncio.gather(
            *(t.page.evaluate(SUBMIT_JS, [30_000]) for t in everyone))]
        # close each room in turn; the other rooms' pages must not move
        for i, r in enumerate(rooms):
            week = await week_of(r["trainer"])
            others = [t for j, o in enumerate(rooms) if j != i
                      for t in (o["screen"], *o["people"])]
            before = [await week_of(t) for t in others]
            c0 = cpu_seconds(server.pid)
            w0 = time.perf_counter()
            close_console.append(float(await r["trainer"].page.evaluate(
                CLOSE_JS, [week + 13, 30_000])) / 1000)
            await r["screen"].page.locator(f'.screen[data-week="{week + 13}"]').wait_for()
            for tab in r["people"]:
                await tab.page.locator(f'.round-text[data-week="{week + 13}"]').wait_for()
            close_fanout.append(time.perf_counter() - w0)
            close_cpu.append(cpu_seconds(server.pid) - c0)
            after = [await week_of(t) for t in others]
            crosstalk &= before == after
        print(f"round {rnd}: submit one {stats(submit_one)['median'] * 1000:.0f} ms, "
              f"all {stats(submit_all)['median'] * 1000:.0f} ms; close "
              f"{stats(close_console)['median'] * 1000:.0f} ms", flush=True)

    result["submit_one"] = stats(submit_one)
    result["submit_all"] = stats(submit_all)
    result["close_console"] = stats(close_console)
    result["close_fanout"] = stats(close_fanout)
    result["close_server_cpu"] = stats(close_cpu)
    result["checks"]["no_crosstalk"] = crosstalk
    result["refused"] = refused[:5]
    result["checks"]["no_refused_moves"] = not refused
    errors = [e for r in rooms for t in (r["trainer"], r["screen"], *r["people"])
              for e in t.errors]
    result["page_errors"] = len(errors)
    result["checks"]["no_page_errors"] = not errors


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--no-readme", action="store_true")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    if not os.path.exists(CHROMIUM):
        print("Debian chromium is not installed (make chromium)", file=sys.stderr)
        return 2
    load0 = os.getloadavg()[0]
    try:
        result = asyncio.run(asyncio.wait_for(run(args), DEADLINE_S))
    except TimeoutError:
        print(f"the benchmark did not finish in {DEADLINE_S} s", file=sys.stderr)
        return 1
    result["load_before"] = load0
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    ok_submit = result["submit_one"]["median"] <= TARGET_SUBMIT_S
    ok_close = result["close_console"]["median"] <= TARGET_CLOSE_S
    checks = all(result["checks"].values())

    def ms(d: dict[str, float]) -> str:
        return f"{d['median'] * 1000:.0f} ms | {d['p95'] * 1000:.0f} ms | {d['n']}"

    table = "\n".join([
        "| measure | median | p95 | n | target |", "|---|---:|---:|---:|---|",
        f"| page ready, participant (36 opened 6 at a time) | {ms(result['ready']['participant'])} | – |",
        f"| page ready, trainer's console | {ms(result['ready']['trainer'])} | – |",
        f"| page ready, projector | {ms(result['ready']['projector'])} | – |",
        f"| move submission round trip, one at a time | {ms(result['submit_one'])} | ≤ 300 ms |",
        f"| move submission round trip, 30 at once | {ms(result['submit_all'])} | – |",
        f"| close a 13-week round + counterfactual (click to console) | "
        f"{ms(result['close_console'])} | ≤ 1 s |",
        f"| … until all 12 pages of the room show it | {ms(result['close_fanout'])} | – |",
        f"| server CPU per close (whole process) | {ms(result['close_server_cpu'])} | – |",
    ])
    text = (f"{platform.machine()}, Python {platform.python_version()}, "
            f"{time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, load average "
            f"{result['load_before']:.1f} at the start (other jobs were running); "
            f"{ROOMS} rooms × ({PARTICIPANTS} participants + trainer + projector) = "
            f"{ROOMS * (PARTICIPANTS + 2)} browser sessions in one Chromium, one server; "
            f"scenario {SCENARIO}, {args.rounds} rounds of 13 weeks.\n\n{table}\n\n"
            f"Checks: own roles {result['checks']['own_roles']}, no cross-talk between rooms "
            f"{result['checks']['no_crosstalk']}, page errors {result['page_errors']}, "
            f"server log errors {result['server_log_errors']}. Targets: submission "
            f"{'met' if ok_submit else 'MISSED'}; close {'met' if ok_close else 'MISSED'}.\n")
    print(text)
    if not args.no_readme:
        replace_section("## Training room (browsers)", (
            "## Training room (browsers)\n\n`.venv/bin/python benchmarks/bench_room.py`: 36 "
            "real browser sessions on one server (see the script's docstring for what is "
            "timed and how). " + text))
    return 0 if ok_submit and ok_close and checks else 1


if __name__ == "__main__":
    sys.exit(main())
