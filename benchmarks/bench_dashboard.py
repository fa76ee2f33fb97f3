"""Dashboard speed in a real headless browser (Debian Chromium driven by Playwright).

Measures (medians):
- page ready: navigation to the first "Week 0 of N" with the charts drawn, fresh context;
- Step round-trip: click Step until the charts show the new week, timed inside the page
  (performance.now + MutationObserver), balcony view (all 7 charts and the whole network),
  on the default scenario and on a 500-person one (``?people=500``);
- 20 concurrent sessions on one server process, all playing at the default 2 weeks/s; each in turn pauses,
  times 3 Steps and plays again; then a cross-talk check (Step in one session moves only it).

    .venv/bin/python benchmarks/bench_dashboard.py [--quick] [--no-readme]

Writes the figures to benchmarks/README.md under "## Dashboard".
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "dashboard"))

from conftest import CHROMIUM, CHROMIUM_ARGS, free_port, start_server, stop_server  # noqa: E402

STEP_JS = """
async (week) => {
  const btn = [...document.querySelectorAll('button')]
      .find(b => b.innerText.trim().toUpperCase() === 'STEP');
  const done = () => document.querySelector(`.charts[data-week="${week}"]`) &&
      document.querySelector(`svg.network[data-week="${week}"]`);
  const t0 = performance.now();
  await new Promise((resolve) => {
    const obs = new MutationObserver(() => { if (done()) { obs.disconnect(); resolve(); } });
    obs.observe(document.body, {subtree: true, childList: true, attributes: true,
                                characterData: true});
    btn.click();
  });
  return performance.now() - t0;
}
"""


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
    await page.get_by_role("button", name="Go to the balcony").click()
    await page.locator("svg.chart").nth(6).wait_for()


async def week_of(page: Any) -> int:
    text = await page.locator(".week-indicator").inner_text()
    return int(text.split()[1])


async def step_times(page: Any, n: int) -> list[float]:
    out = []
    week = await week_of(page)
    for _ in range(n):
        week += 1
        out.append(await page.evaluate(STEP_JS, week))
    return out


async def bench(url: str, quick: bool) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    res: dict[str, Any] = {}
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
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
            assert not page.errors, page.errors
            await ctx.close()
        print({k: round(med(v), 3) for k, v in res.items()}, flush=True)

        # 20 concurrent sessions, all playing
        n_sessions = 20
        opened = []
        for b in range(0, n_sessions, 5):  # open in fives: 2 cores share browser and server
            opened += await asyncio.gather(
                *[open_page(browser, f"{url}?seed={i + 1}") for i in range(b, b + 5)])
        pages = [pg for _, pg, _ in opened]
        res["page_ready_s_20_at_once"] = [r for _, _, r in opened]
        for pg in pages:
            await balcony(pg)
            await pg.get_by_role("button", name="Play", exact=True).click()
        await asyncio.sleep(2)

        async def session(pg: Any, seed: int) -> list[float]:
            rnd = random.Random(seed)
            out: list[float] = []
            for _ in range(2 if quick else 4):
                await asyncio.sleep(rnd.uniform(0.5, 2.5))
                await pg.get_by_role("button", name="Pause", exact=True).click()
                await pg.get_by_role("button", name="Play", exact=True).wait_for(timeout=180_000)
                await asyncio.sleep(0.3)  # let a step already on its way land
                out += await step_times(pg, 3)
                await pg.get_by_role("button", name="Play", exact=True).click()
            return out

        per = await asyncio.gather(*[session(pg, i) for i, pg in enumerate(pages)])
        res["step_ms_20_sessions"] = [t for ts in per for t in ts]
        # cross-talk: pause everyone, Step in one session, only it moves
        for pg in pages:
            await pg.get_by_role("button", name="Pause", exact=True).click()
            await pg.get_by_role("button", name="Play", exact=True).wait_for(timeout=180_000)
        await asyncio.sleep(1.0)
        before = [await week_of(pg) for pg in pages]
        await step_times(pages[0], 1)
        await asyncio.sleep(1.0)
        after = [await week_of(pg) for pg in pages]
        res["cross_talk"] = not (after[0] == before[0] + 1 and after[1:] == before[1:])
        res["page_errors"] = sum(len(pg.errors) for pg in pages)
        for ctx, _, _ in opened:
            await ctx.close()
        await browser.close()
    return res


def med(xs: list[float]) -> float:
    return statistics.median(xs)


def report(res: dict[str, Any]) -> str:
    cpu = os.cpu_count()
    lines = [
        "## Dashboard",
        "",
        "Measured by `benchmarks/bench_dashboard.py` (`make bench-dashboard`): a real headless "
        "Debian Chromium driven by Playwright against one `solara run --production` server "
        f"process on loopback; {cpu} cores, Python {platform.python_version()}. Step "
        "round-trip = click Step until the charts and the network show the new week, timed "
        "inside the page, in the balcony view (all 7 charts and the whole network).",
        "",
        "| measure | median | p90 | target |",
        "|---|---|---|---|",
    ]

    def p90(xs: list[float]) -> float:
        return sorted(xs)[int(0.9 * (len(xs) - 1))]

    r = res["page_ready_s"]
    lines.append(f"| page ready (fresh context, to charts shown) | {med(r):.2f} s | "
                 f"{p90(r):.2f} s | ≤ 3 s |")
    for key, label, target in (
        ("step_ms_default", "Step round-trip, default scenario (43 people)", "≤ 300 ms"),
        ("step_ms_people_500", "Step round-trip, 500 people", "≤ 1 s"),
        ("step_ms_20_sessions", "Step round-trip, 20 sessions playing at 2 weeks/s",
         "≤ 1 s"),
    ):
        xs = res[key]
        lines.append(f"| {label} | {med(xs):.0f} ms | {p90(xs):.0f} ms | {target} |")
    r20 = res["page_ready_s_20_at_once"]
    lines.append(f"| page ready, 20 sessions opened at once | {med(r20):.2f} s | "
                 f"{p90(r20):.2f} s | – |")
    lines += [
        "",
        f"Cross-talk between the 20 sessions: {'FOUND' if res['cross_talk'] else 'none'} "
        "(after pausing all, a Step in one session moved only that session); page errors: "
        f"{res['page_errors']}.",
        "",
        "Charts and the network are inline SVG built in Python (well under a millisecond per "
        "chart); matplotlib is used only for the PNG download. Each part of the page is its "
        "own component, so a Step re-renders the week, charts, network, cards and narrative, "
        "never the set-up panel.",
        "",
    ]
    return "\n".join(lines)


def write_readme(section: str) -> None:
    path = ROOT / "benchmarks" / "README.md"
    text = path.read_text() if path.exists() else "# Benchmarks\n\n"
    pattern = re.compile(r"(?ms)^## Dashboard\n.*?(?=^## |\Z)")
    if pattern.search(text):
        text = pattern.sub(lambda _m: section + "\n", text)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-readme", action="store_true")
    args = ap.parse_args()
    port = free_port()
    proc = start_server(port)
    try:
        res = asyncio.run(bench(f"http://127.0.0.1:{port}/", args.quick))
    finally:
        stop_server(proc)
    section = report(res)
    print(section)
    if not args.no_readme:
        write_readme(section)


if __name__ == "__main__":
    main()
