"""Dashboard speed in a real headless browser (Debian Chromium driven by Playwright).

Measures (medians; every wait has a hard timeout, and a phase that fails or times out is
reported as such instead of hanging the run):
- page ready: navigation to the first "Week 0 of N" with the charts drawn, fresh context;
- Step round-trip: click Step until the charts and the network show the new week, timed
  inside the page (performance.now + MutationObserver), balcony view (all 9 charts and the
  whole network), on the default scenario and on a 500-person one (``?people=500``);
- N concurrent sessions (default 20) on one server process, all playing at the default
  speed, each its own seed (and every other one its own doctrine): the weeks each session
  actually advances per second while all play; then each session in turn (the others keep
  playing) pauses (time until the Play button is back), times 3 Steps and plays again;
  the server process's CPU use over the phase; then a cross-talk check: every session is
  paused, its seed field and doctrine are its own, its charts show exactly the run of its
  own seed and doctrine up to its own week (recomputed here), and a Step in one session
  moves only that session.

    .venv/bin/python benchmarks/bench_dashboard.py [--quick] [--no-readme] [--sessions 20]
        [--browsers 1] [--app MODULE]

``--app`` serves another version of the page (e.g. a copy of an older one) for before/after
comparisons in the same conditions; ``--json FILE`` keeps the raw figures. Writes the
figures to benchmarks/README.md under "## Dashboard" unless ``--no-readme``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import re
import statistics
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

STEP_JS = r"""
async ([_, timeoutMs]) => {
  const btn = [...document.querySelectorAll('button')]
      .find(b => b.innerText.trim().toUpperCase() === 'STEP');
  if (!btn) throw new Error('no Step button');
  // the week the charts show when clicking (a play tick may have landed since the caller
  // looked), plus one. Not the week indicator: it is its own render context, and under load
  // its update can arrive after the charts' (up to two Steps late), so a week read from it
  // names a week the charts already show and the Step would be timed as instantaneous
  const week = parseInt(document.querySelector('.charts').dataset.week) + 1;
  const done = () => document.querySelector(`.charts[data-week="${week}"]`) &&
      document.querySelector(`svg.network[data-week="${week}"]`);
  const t0 = performance.now();
  await new Promise((resolve, reject) => {
    const obs = new MutationObserver(() => { if (done()) { obs.disconnect(); resolve(); } });
    obs.observe(document.body, {subtree: true, childList: true, attributes: true,
                                characterData: true});
    setTimeout(() => { obs.disconnect(); reject(new Error(`week ${week} not shown`)); },
               timeoutMs);
    btn.click();
  });
  return performance.now() - t0;
}
"""
STEP_TIMEOUT_S = 30.0
DOCTRINES = ("command", "stewardship", "diplomacy", "fatalism")


class Failure(Exception):
    pass


async def open_page(browser: Any, url: str) -> tuple[Any, Any, float]:
    ctx = await browser.new_context(viewport={"width": 1600, "height": 1000})
    page = await ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    t0 = time.perf_counter()
    await page.goto(url, timeout=120_000)
    await page.locator("svg.chart").first.wait_for(timeout=60_000)
    await page.get_by_text(re.compile(r"Week 0 of \d+")).wait_for(timeout=60_000)
    ready = time.perf_counter() - t0
    page.errors = errors  # type: ignore[attr-defined]
    return ctx, page, ready


async def balcony(page: Any) -> None:
    await page.get_by_role("button", name="Go to the balcony").click(timeout=30_000)
    await page.locator("svg.chart").nth(8).wait_for(timeout=30_000)


async def week_of(page: Any) -> int:
    text = await page.locator(".week-indicator").text_content(timeout=30_000)
    return int(str(text).split()[1])


HIDE_CSS = "html.bench-hidden body { display: none !important; }"


async def set_hidden(page: Any, hidden: bool) -> None:
    """Stop (or restart) a page's layout and paint: it still receives and applies every
    update, as a learner's own browser would, without spending the shared cores on
    drawing it (``--paint-all`` keeps all pages painting)."""
    await page.evaluate("h => document.documentElement.classList.toggle('bench-hidden', h)",
                        hidden)


async def settle(page: Any, timeout_s: float = 30.0) -> None:
    """Wait until the week stops moving (a tick on its way when Pause was taken lands)."""
    deadline = time.perf_counter() + timeout_s
    last = await week_of(page)
    while time.perf_counter() < deadline:
        await asyncio.sleep(0.4)
        now = await week_of(page)
        if now == last:
            return
        last = now
    raise Failure("the week kept moving after Pause")


async def step_times(page: Any, n: int) -> list[float]:
    out = []
    week = await week_of(page)
    for _ in range(n):
        week += 1
        out.append(await page.evaluate(STEP_JS, [week, STEP_TIMEOUT_S * 1000]))
    return out


async def pause(page: Any, timeout_s: float = 30.0) -> float:
    """Click Pause; seconds until the Play button is back (the server took it)."""
    t0 = time.perf_counter()
    await page.get_by_role("button", name="Pause", exact=True).click(timeout=timeout_s * 1000)
    await page.get_by_role("button", name="Play", exact=True).wait_for(
        timeout=timeout_s * 1000)
    return time.perf_counter() - t0


async def play(page: Any) -> None:
    await page.get_by_role("button", name="Play", exact=True).click(timeout=30_000)
    await page.get_by_role("button", name="Pause", exact=True).wait_for(timeout=30_000)


def descendants_cpu_seconds(root: int, name: str) -> float:
    """CPU seconds of the processes under ``root`` whose command is ``name`` (the browsers)."""
    procs: dict[int, tuple[int, str, float]] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            raw = (d / "stat").read_text()
        except OSError:
            continue
        comm = raw[raw.index("(") + 1: raw.rindex(")")]
        f = raw.rsplit(")", 1)[1].split()
        procs[int(d.name)] = (int(f[1]), comm, (int(f[11]) + int(f[12])) / tick)
    total = 0.0
    for pid, (_, comm, cpu) in procs.items():
        q, seen = pid, 0
        while q in procs and q != root and seen < 64:
            q, seen = procs[q][0], seen + 1
        if q == root and name in comm:
            total += cpu
    return total


def expected_points(seed: int, doctrine: str | None, week: int) -> str:
    """The integration chart's run line of (default scenario, seed, doctrine) at ``week``,
    recomputed in this process: what a session's page must show if nobody else's run
    leaked into it."""
    from diplomacy_sim.dashboard import charts
    from diplomacy_sim.dashboard.session import Session, Setup

    s = Session(Setup(seed=seed, doctrine=doctrine))
    for _ in range(week):
        s.step()
    svg = charts.line_chart("integration", s.model.rows, None, s.horizon)
    m = re.search(r'class="run" points="([^"]*)"', svg)
    return m.group(1) if m else ""


async def sessions_phase(browsers: list[Any], url: str, n: int, quick: bool,
                         server_pid: int, paint_all: bool) -> dict[str, Any]:
    res: dict[str, Any] = {"failures": []}
    fails: list[str] = res["failures"]
    specs = [(i + 1, DOCTRINES[(i // 2) % len(DOCTRINES)] if i % 2 else None)
             for i in range(n)]

    def address(seed: int, doctrine: str | None) -> str:
        return f"{url}?seed={seed}" + (f"&doctrine={doctrine}" if doctrine else "")

    opened: list[tuple[Any, Any, float]] = []
    for b in range(0, n, 5):  # open in fives: 2 cores share the browsers and the server
        got = await asyncio.gather(
            *[open_page(browsers[i % len(browsers)], address(*specs[i]))
              for i in range(b, min(b + 5, n))], return_exceptions=True)
        for i, g in zip(range(b, b + 5), got, strict=False):
            if isinstance(g, BaseException):
                raise Failure(f"session {i} did not open: {g!r}")
            opened.append(g)
    pages = [pg for _, pg, _ in opened]
    res["page_ready_s_at_once"] = [r for _, _, r in opened]
    res["contexts"] = res["_contexts"] = [ctx for ctx, _, _ in opened]
    for pg in pages:
        await balcony(pg)
        await pg.add_style_tag(content=HIDE_CSS)
    cpu0, wall0 = cpu_seconds(server_pid), time.perf_counter()
    browser_cpu0 = descendants_cpu_seconds(os.getpid(), "chrom")
    for pg in pages:
        await play(pg)
        if not paint_all:
            await set_hidden(pg, True)
        await asyncio.sleep(0.05)

    # how fast each session really advances while all play
    await asyncio.sleep(2.0)
    window = 6.0 if quick else 15.0
    w0 = [await week_of(pg) for pg in pages]
    t0 = time.perf_counter()
    await asyncio.sleep(window)
    w1 = [await week_of(pg) for pg in pages]
    dt = time.perf_counter() - t0
    res["weeks_per_s_playing"] = [(b - a) / dt for a, b in zip(w0, w1, strict=True)]

    # each in turn (the others keep playing): Pause, 3 Steps, Play
    async def session(i: int, pg: Any) -> tuple[list[float], list[float]]:
        rnd = random.Random(i)
        steps: list[float] = []
        pauses: list[float] = []
        for _ in range(2 if quick else 3):
            await asyncio.sleep(rnd.uniform(0.5, 2.5))
            try:
                await set_hidden(pg, False)
                pauses.append(await pause(pg))
                await settle(pg)
                steps += await step_times(pg, 3)
                await play(pg)
                if not paint_all:
                    await set_hidden(pg, True)
            except Exception as exc:
                fails.append(f"session {i}: {type(exc).__name__}: {str(exc)[:160]}")
                return steps, pauses
        return steps, pauses

    per = await asyncio.gather(*[session(i, pg) for i, pg in enumerate(pages)])
    res["step_ms"] = [t for s, _ in per for t in s]
    res["pause_s"] = [t for _, p in per for t in p]
    wall = time.perf_counter() - wall0
    res["server_cpu_cores"] = (cpu_seconds(server_pid) - cpu0) / wall
    res["browser_cpu_cores"] = (descendants_cpu_seconds(os.getpid(), "chrom") - browser_cpu0
                                ) / wall
    res["machine_load"] = os.getloadavg()[0]

    # cross-talk: pause everyone; each session shows its own seed, doctrine and run
    for i, pg in enumerate(pages):
        try:
            await set_hidden(pg, False)
            if await pg.get_by_role("button", name="Pause", exact=True).count():
                await pause(pg)
        except Exception as exc:
            fails.append(f"session {i} did not pause: {exc!r}"[:200])
    for pg in pages:
        await settle(pg)
    own = []
    for i, pg in enumerate(pages):
        seed, doctrine = specs[i]
        week = await week_of(pg)
        shown_seed = await pg.locator(".seed-field input").input_value(timeout=30_000)
        chart_week = await pg.locator(".charts").get_attribute("data-week", timeout=30_000)
        points = await pg.locator('svg.chart[data-outcome="integration"] polyline.run'
                                  ).get_attribute("points", timeout=30_000)
        ok = (shown_seed == str(seed) and chart_week == str(week)
              and points == expected_points(seed, doctrine, week))
        own.append(ok)
        if not ok:
            fails.append(f"session {i} (seed {seed}, doctrine {doctrine}) shows seed "
                         f"{shown_seed!r}, charts of week {chart_week} at week {week}, or "
                         "a run that is not its own")
    before = [await week_of(pg) for pg in pages]
    await step_times(pages[0], 1)
    await asyncio.sleep(1.0)
    after = [await week_of(pg) for pg in pages]
    moved_alone = after[0] == before[0] + 1 and after[1:] == before[1:]
    res["cross_talk"] = not (all(own) and moved_alone)
    res["weeks_at_end"] = after
    res["page_errors"] = sum(len(pg.errors) for pg in pages)
    return res


async def bench(url: str, quick: bool, n_sessions: int, n_browsers: int, server_pid: int,
                phase_timeout: float, paint_all: bool) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    res: dict[str, Any] = {"failures": []}
    async with async_playwright() as p:
        browsers = [await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                    for _ in range(n_browsers)]
        browser = browsers[0]
        try:
            # warm-up (first load reads the front-end files from disk)
            ctx, page, _ = await open_page(browser, url)
            await ctx.close()

            readies = []
            for _ in range(3 if quick else 7):
                ctx, page, ready = await open_page(browser, url)
                readies.append(ready)
                await ctx.close()
            res["page_ready_s"] = readies

            for label, q in (("default", ""), ("people_500", "?people=500")):
                ctx, page, _ = await open_page(browser, url + q)
                await balcony(page)
                times = await step_times(page, 15 if quick else 40)
                res[f"step_ms_{label}"] = times[1:]  # the first includes one-off set-up
                if page.errors:
                    res["failures"].append(f"page errors ({label}): {page.errors[:3]}")
                await ctx.close()
            print({k: round(med(v), 3) for k, v in res.items() if k != "failures"},
                  flush=True)

            if n_sessions:
                task = asyncio.ensure_future(
                    sessions_phase(browsers, url, n_sessions, quick, server_pid, paint_all))
                try:
                    got = await asyncio.wait_for(asyncio.shield(task), phase_timeout)
                    res["failures"] += got.pop("failures")
                    contexts = got.pop("_contexts")
                    got.pop("contexts")
                    res["sessions"] = got
                except (TimeoutError, Failure, Exception) as exc:
                    task.cancel()
                    res["failures"].append(f"{n_sessions}-session phase: {type(exc).__name__}"
                                           f" {str(exc)[:200]} (limit {phase_timeout:.0f} s)")
                    contexts = []
                for c in contexts:
                    await c.close()
        finally:
            for b in browsers:
                await b.close()
    res["n_sessions"] = n_sessions
    res["n_browsers"] = n_browsers
    res["paint_all"] = paint_all
    return res


def med(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def pct(xs: list[float], q: float) -> float:
    if not xs:
        return float("nan")
    s = sorted(xs)
    return s[min(len(s) - 1, round(q * (len(s) - 1)))]


def report(res: dict[str, Any]) -> str:
    cpu = os.cpu_count()
    n = res.get("n_sessions", 20)
    lines = [
        "## Dashboard",
        "",
        "Measured by `benchmarks/bench_dashboard.py` (`make bench-dashboard`): a real headless "
        "Debian Chromium driven by Playwright against one `solara run --production` server "
        f"process on loopback; {cpu} cores, Python {platform.python_version()}. Step "
        "round-trip = click Step until the charts and the network show the new week, timed "
        "inside the page, in the balcony view (all 9 charts and the whole network).",
        "",
        "| measure | median | p95 | target |",
        "|---|---|---|---|",
    ]
    r = res["page_ready_s"]
    lines.append(f"| page ready (fresh context, to charts shown) | {med(r):.2f} s | "
                 f"{pct(r, .95):.2f} s | ≤ 3 s |")
    for key, label, target in (
        ("step_ms_default", "Step round-trip, default scenario (43 people)", "≤ 300 ms"),
        ("step_ms_people_500", "Step round-trip, 500 people", "≤ 1 s"),
    ):
        xs = res[key]
        lines.append(f"| {label} | {med(xs):.0f} ms | {pct(xs, .95):.0f} ms | {target} |")
    s = res.get("sessions")
    if s:
        lines[2] += (f" {n} sessions: {n} browser contexts in {res.get('n_browsers', 1)} "
                     "Chromium process(es) on the same cores as the server; "
                     + ("all pages painting." if res.get("paint_all") else
                        "only the page being measured paints, the others receive and apply "
                        "every update without layout and paint, as if each learner's browser "
                        "ran on a machine of its own."))
        xs = s["step_ms"]
        lines.append(f"| Step round-trip, {n} sessions playing (n = {len(xs)}) | "
                     f"{med(xs):.0f} ms | {pct(xs, .95):.0f} ms | ≤ 1 s |")
        p = s["pause_s"]
        lines.append(f"| Pause taken (click to Play shown), {n} playing | {med(p):.2f} s | "
                     f"{pct(p, .95):.2f} s | – |")
        w = s["weeks_per_s_playing"]
        lines.append(f"| weeks per second per session, {n} playing at 2/s | {med(w):.2f} | "
                     f"min {min(w):.2f} | 2 |")
        r20 = s["page_ready_s_at_once"]
        lines.append(f"| page ready, {n} sessions opened 5 at a time | {med(r20):.2f} s | "
                     f"{pct(r20, .95):.2f} s | – |")
        lines += [
            "",
            f"CPU while {n} sessions played: server process {s['server_cpu_cores']:.2f} cores, "
            f"the Chromium processes {s['browser_cpu_cores']:.2f} cores (1-minute load "
            f"average {s['machine_load']:.1f} on {cpu} cores). "
            f"Cross-talk between the {n} sessions: "
            f"{'FOUND' if s['cross_talk'] else 'none'} (each paused session shows its own "
            "seed and exactly the run of its own seed and doctrine up to its own week, "
            "recomputed by the benchmark; a Step in one session moved only that session); "
            f"page errors: {s['page_errors']}.",
        ]
    if res["failures"]:
        lines += ["", "Failures: " + "; ".join(res["failures"])]
    lines.append("")
    return "\n".join(lines)


def write_readme(section: str) -> None:
    replace_section("## Dashboard", section)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-readme", action="store_true")
    ap.add_argument("--sessions", type=int, default=20, help="concurrent sessions (0: skip)")
    ap.add_argument("--browsers", type=int, default=1,
                    help="Chromium processes the sessions' contexts are spread over")
    ap.add_argument("--app", default=None, help="module to serve instead of the dashboard")
    ap.add_argument("--phase-timeout", type=float, default=420.0,
                    help="seconds the concurrent-session phase may take before it is failed")
    ap.add_argument("--json", default=None, help="write the raw figures to this file")
    ap.add_argument("--paint-all", action="store_true",
                    help="keep all pages painting (default: only the one being measured)")
    args = ap.parse_args()
    port = free_port()
    env = {"PYTHONPATH": os.pathsep.join(filter(None, [os.getcwd(),
                                                       os.environ.get("PYTHONPATH")]))}
    proc = start_server(port, app=args.app, env=env)
    try:
        res = asyncio.run(bench(f"http://127.0.0.1:{port}/", args.quick, args.sessions,
                                args.browsers, proc.pid, args.phase_timeout, args.paint_all))
    finally:
        stop_server(proc)
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=1))
    section = report(res)
    print(section)
    if not args.no_readme:
        write_readme(section)


if __name__ == "__main__":
    main()
