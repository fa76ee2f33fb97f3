"""Soak: many browser sessions at once on one dashboard server, on loopback, bounded in time.

Real headless Debian Chromium (Playwright) against one ``solara run --production`` server
on a port in 8790-8799 (loopback only). Phases, each with a hard time limit:

1. idle: the server's resident memory after one warm-up page has come and gone (its
   session dropped by the server's kernel cull timeout);
2. open: N pages (default 20) opened at the same instant, each its own browser context and
   seed; time from navigation to the charts of week 0 shown, per page (target: all <= 10 s);
3. step: all N sessions step at once, balcony view, K Steps each, a budget cut injected from
   the panel before every 5th Step; each Step timed inside the page until the charts and the
   network show the new week (target: median <= 1 s). Pages other than the one on screen
   skip layout and paint (their DOM is updated), as if each learner had their own machine;
4. close: every context closed; the server's memory is sampled until it is back within 10%
   of idle or the limit passes (target: within 10%).

    .venv/bin/python benchmarks/bench_soak.py [--sessions 20] [--steps 10] [--no-readme]
        [--json FILE]

Writes its figures to benchmarks/README.md under "## Soak" unless ``--no-readme``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import time
from pathlib import Path
from typing import Any

from _common import (
    CHROMIUM,
    CHROMIUM_ARGS,
    ROOT,
    cpu_seconds,
    free_port,
    replace_section,
    start_server,
    stop_server,
)
from bench_dashboard import (
    HIDE_CSS,
    STEP_JS,
    balcony,
    descendants_cpu_seconds,
    med,
    pct,
    set_hidden,
)

PORTS = range(8790, 8800)
"""The only ports this benchmark uses (loopback)."""
TOTAL_LIMIT_S = 900.0
OPEN_LIMIT_S = 150.0
"""A page not rendered by then counts as failed (the target is 10 s)."""


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def settle_memory(pid: int, limit_s: float, target: float | None = None
                        ) -> tuple[float, float, list[tuple[float, float]]]:
    """Sample RSS every 2 s until it stops falling (or reaches ``target``); (last, waited)."""
    t0 = time.perf_counter()
    samples: list[tuple[float, float]] = []
    while time.perf_counter() - t0 < limit_s:
        samples.append((round(time.perf_counter() - t0, 1), rss_mb(pid)))
        if target is not None and samples[-1][1] <= target:
            break
        await asyncio.sleep(2.0)
    return samples[-1][1], time.perf_counter() - t0, samples


async def open_one(browser: Any, url: str) -> tuple[Any, Any, float]:
    ctx = await browser.new_context(viewport={"width": 1600, "height": 1000})
    page = await ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    t0 = time.perf_counter()
    await page.goto(url, timeout=OPEN_LIMIT_S * 1000, wait_until="commit")
    await page.locator("svg.chart").first.wait_for(timeout=OPEN_LIMIT_S * 1000)
    await page.get_by_text(re.compile(r"Week 0 of \d+")).wait_for(timeout=OPEN_LIMIT_S * 1000)
    page.errors = errors  # type: ignore[attr-defined]
    return ctx, page, time.perf_counter() - t0


INJECT_JS = r"""
async ([week, timeoutMs]) => {
  // a DOM click: the page may be hidden (no layout), which a pointer click needs
  const btn = [...document.querySelectorAll('button')]
      .find(b => b.innerText.trim().toUpperCase() === 'INJECT NOW'
                 || b.textContent.trim().toUpperCase() === 'INJECT NOW');
  if (!btn) throw new Error('no Inject button');
  // `week`: the week the shock lands, from the caller, who knows the week its last Step
  // confirmed (charts and network). Not read from the week indicator: that is its own
  // render context and may still show an earlier week (see STEP_JS).
  const lands = new RegExp(`week ${week}(?!\\d)`);
  const done = () => [...document.querySelectorAll('.shock-result')]
      .some(e => lands.test(e.textContent));
  await new Promise((resolve, reject) => {
    const obs = new MutationObserver(() => { if (done()) { obs.disconnect(); resolve(); } });
    obs.observe(document.body, {subtree: true, childList: true, attributes: true,
                                characterData: true});
    setTimeout(() => { obs.disconnect(); reject(new Error(`injection for week ${week} not `
                                                          + 'confirmed')); }, timeoutMs);
    btn.click();
  });
}
"""


async def charts_week(page: Any) -> int:
    """The week the charts show (what a confirmed Step waits for)."""
    return int(await page.locator(".charts").first.get_attribute("data-week", timeout=30_000))


async def stepper(page: Any, steps: int) -> list[float]:
    out = []
    week = await charts_week(page)
    for k in range(steps):
        if k % 5 == 4:
            await page.evaluate(INJECT_JS, [week + 1, 30_000])
        week += 1
        out.append(await page.evaluate(STEP_JS, [week, 30_000]) / 1000)
    return out


async def soak(url: str, n: int, steps: int, pid: int, cull_s: float,
               idle_wait: float | None = None) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    res: dict[str, Any] = {"failures": []}
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            ctx, _, _ = await open_one(browser, url)  # warm-up: front-end files, imports
            await ctx.close()
            res["rss_after_start_mb"] = rss_mb(pid)
            idle, waited, _ = await settle_memory(pid, idle_wait if idle_wait is not None
                                                  else cull_s + 30)
            res["rss_idle_mb"], res["idle_wait_s"] = idle, waited

            # 2. all at once
            c0, b0 = cpu_seconds(pid), descendants_cpu_seconds(os.getpid(), "chrom")
            t0 = time.perf_counter()
            got = await asyncio.gather(
                *[open_one(browser, f"{url}?seed={i + 1}") for i in range(n)],
                return_exceptions=True)
            res["open_all_s"] = time.perf_counter() - t0
            res["open_server_cpu_s"] = cpu_seconds(pid) - c0
            res["open_browser_cpu_s"] = descendants_cpu_seconds(os.getpid(), "chrom") - b0
            opened = [g for g in got if not isinstance(g, BaseException)]
            res["open_failed"] = [repr(g)[:160] for g in got if isinstance(g, BaseException)]
            res["render_s"] = [r for _, _, r in opened]
            pages = [pg for _, pg, _ in opened]
            res["rss_open_mb"] = rss_mb(pid)
            if not pages:
                raise RuntimeError(f"no page opened: {res['open_failed'][:3]}")

            # 3. all stepping at once (with injections)
            for pg in pages:
                await balcony(pg)
                await pg.add_style_tag(content=HIDE_CSS)
                await set_hidden(pg, True)
            await set_hidden(pages[0], False)
            c0, b0 = cpu_seconds(pid), descendants_cpu_seconds(os.getpid(), "chrom")
            t0 = time.perf_counter()
            per = await asyncio.gather(*[stepper(pg, steps) for pg in pages],
                                       return_exceptions=True)
            res["step_phase_s"] = time.perf_counter() - t0
            res["step_server_cpu_s"] = cpu_seconds(pid) - c0
            res["step_browser_cpu_s"] = descendants_cpu_seconds(os.getpid(), "chrom") - b0
            res["step_s"] = [t for x in per if not isinstance(x, BaseException) for t in x]
            res["step_failed"] = [repr(x)[:160] for x in per if isinstance(x, BaseException)]
            res["rss_busy_mb"] = rss_mb(pid)
            res["page_errors"] = sum(len(pg.errors) for pg in pages)

            # 4. close everything; memory back?
            for ctx, _, _ in opened:
                await ctx.close()
            target = res["rss_idle_mb"] * 1.10
            after, waited, samples = await settle_memory(pid, cull_s + 60, target)
            res["rss_after_close_mb"], res["close_wait_s"] = after, waited
            res["rss_samples_after_close"] = samples
        finally:
            await browser.close()
    return res


def report(res: dict[str, Any], n: int, steps: int) -> str:
    r, s = res["render_s"], res["step_s"]
    idle, after = res["rss_idle_mb"], res["rss_after_close_mb"]
    ok_render = len(r) == n and max(r) <= 10
    ok_step = med(s) <= 1.0
    ok_mem = after <= idle * 1.10
    lines = [
        "## Soak",
        "",
        "Measured by `benchmarks/bench_soak.py` (bounded: every phase has a time limit; "
        "loopback, ports 8790–8799 only): one `solara run --production` server, real "
        f"headless Debian Chromium, {n} browser contexts in one Chromium on the same "
        f"{os.cpu_count()} cores as the server; 1-minute load average "
        f"{os.getloadavg()[0]:.1f} at the end.",
        "",
        "| measure | median | p95 | max | target | |",
        "|---|---|---|---|---|---|",
        f"| page rendered (navigation to charts of week 0), {n} opened at the same instant "
        f"| {med(r):.2f} s | {pct(r, .95):.2f} s | {max(r):.2f} s | all ≤ 10 s | "
        f"{'met' if ok_render else 'MISSED'} |",
        f"| (open phase: {res['open_all_s']:.0f} s wall; server process "
        f"{res['open_server_cpu_s']:.1f} CPU s = {res['open_server_cpu_s'] / n:.2f} s per page; "
        f"Chromium {res['open_browser_cpu_s']:.0f} CPU s) | | | | | |",
        f"| Step round-trip, {n} sessions stepping at once (balcony; a shock injected "
        f"before every 5th Step; n = {len(s)}) | {med(s):.2f} s | {pct(s, .95):.2f} s | "
        f"{max(s):.2f} s | median ≤ 1 s | {'met' if ok_step else 'MISSED'} |",
        f"| (step phase: {res['step_phase_s']:.0f} s wall; server "
        f"{res['step_server_cpu_s']:.1f} CPU s, Chromium {res['step_browser_cpu_s']:.0f} CPU s)"
        " | | | | | |",
        "",
        f"Server memory (resident): {idle:.0f} MB idle (after a warm-up page came and went), "
        f"{res['rss_open_mb']:.0f} MB with {n} pages open, {res['rss_busy_mb']:.0f} MB after "
        f"they stepped, **{after:.0f} MB** {res['close_wait_s']:.0f} s after they closed: "
        f"{(after / idle - 1) * 100:+.1f}% of idle (target within +10%: "
        f"{'met' if ok_mem else 'MISSED'}). Sessions whose page is gone are dropped after "
        "the server's kernel cull timeout (`SOLARA_KERNEL_CULL_TIMEOUT`, 60 s by default in "
        "`diplomacy_sim.dashboard.server`; Solara's own default is 24 h).",
    ]
    fails = res["open_failed"] + res["step_failed"] + res["failures"]
    if fails or res["page_errors"]:
        lines += ["", f"Failures: {'; '.join(fails) or 'none'}; page errors: "
                      f"{res['page_errors']}."]
    lines.append("")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--no-readme", action="store_true")
    ap.add_argument("--json", default=None)
    ap.add_argument("--idle-wait", type=float, default=None,
                    help="seconds to wait for idle memory (default: the cull timeout + 30)")
    args = ap.parse_args()
    from diplomacy_sim.dashboard.server import KERNEL_CULL_TIMEOUT
    from diplomacy_sim.untrusted import parse_int

    cull = os.environ.get("SOLARA_KERNEL_CULL_TIMEOUT", KERNEL_CULL_TIMEOUT)
    cull_s = float(parse_int(cull.rstrip("s"), 1, 3600, "seconds")[0] or 60)
    port = free_port(PORTS)
    proc = start_server(port, env={"PYTHONPATH": str(ROOT / "src")})
    try:
        res = asyncio.run(asyncio.wait_for(
            soak(f"http://127.0.0.1:{port}/", args.sessions, args.steps, proc.pid, cull_s,
                 args.idle_wait),
            TOTAL_LIMIT_S))
    finally:
        stop_server(proc)
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=1))
    section = report(res, args.sessions, args.steps)
    print(section)
    print({k: (round(statistics.median(v), 3) if isinstance(v, list) and v
               and isinstance(v[0], float) else v) for k, v in res.items()
           if k != "rss_samples_after_close"})
    if not args.no_readme:
        replace_section("## Soak", section)


if __name__ == "__main__":
    main()
