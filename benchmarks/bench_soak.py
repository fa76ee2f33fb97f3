"""Soak: many browser sessions at once on one dashboard server, on loopback, bounded in time.

Real headless Debian Chromium (Playwright) against one ``solara run --production`` server
on a port in 8790-8799 (loopback only). Phases of a run, each with a hard time limit:

1. solo and idle: a warm-up page, then 3 pages one after another (the render time when a
   page has the machine to itself); the server's resident memory once their sessions are
   dropped by the server's kernel cull timeout;
2. open: N pages (default 20) opened at the same instant, each its own browser context of
   one Chromium and its own seed; time from navigation to the charts of week 0 shown, per
   page (target: all <= 10 s), split into the client's part (navigation to the page's
   websocket opening: the front end loading) and the server's part (websocket opening to
   the frame carrying the first chart: the session made and rendered); the server's and
   Chromium's CPU (by Chromium process kind);
3. step: all N sessions step at once, balcony view, K Steps each, a budget cut injected from
   the panel (unfolded first: that mounts its forms) before every 5th Step; each Step timed
   inside the page until the charts and the network show the new week (target: median
   <= 1 s). Pages other than the one on screen skip layout and paint (their DOM is
   updated), as if each learner had their own machine;
4. close: every context closed; the server's memory is sampled until it is back within 10%
   of idle or the limit passes (target: within 10%); with ``--cycles K``, phases 2-4 are
   repeated K times on the same server (memory reused, not creeping);
5. browsers: the opening of phase 2 again with N Chromium processes of one page each (as N
   laptops would, but on the same cores), not stepped (``--no-browsers`` skips it).

    .venv/bin/python benchmarks/bench_soak.py [--runs 2] [--sessions 20] [--steps 10]
        [--cycles 1] [--no-browsers] [--no-readme] [--json FILE]

Each run has a server of its own; the figures are medians over the runs. Writes them to
benchmarks/README.md under "## Soak" unless ``--no-readme``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import time
from pathlib import Path
from typing import Any

from _common import (
    CHROMIUM,
    CHROMIUM_ARGS,
    ROOT,
    chromium_cpu_by_pid,
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


async def settle_memory(pid: int, limit_s: float, target: float | None = None,
                        min_s: float = 0.0) -> tuple[float, float, list[tuple[float, float]]]:
    """Sample RSS every 2 s for ``limit_s`` (or until it reaches ``target``, once ``min_s``
    have passed); (last, waited, samples)."""
    t0 = time.perf_counter()
    samples: list[tuple[float, float]] = []
    while time.perf_counter() - t0 < limit_s:
        samples.append((round(time.perf_counter() - t0, 1), rss_mb(pid)))
        if (target is not None and samples[-1][1] <= target
                and time.perf_counter() - t0 >= min_s):
            break
        await asyncio.sleep(2.0)
    return samples[-1][1], time.perf_counter() - t0, samples


CHART_FRAME = '<svg class=\\"chart'
"""How the first chart looks inside a websocket frame (JSON-escaped quotes)."""


async def open_one(browser: Any, url: str) -> tuple[Any, Any, float]:
    """Open ``url`` in a new context; (context, page, seconds to the charts of week 0).

    ``page.server_s`` (set here) is the server's part: from the page's websocket opening
    (the front end loaded and connected) to the frame that carries the first chart (the
    server made the session and rendered it), as seen by this process."""
    ctx = await browser.new_context(viewport={"width": 1600, "height": 1000})
    page = await ctx.new_page()
    errors: list[str] = []
    marks: dict[str, float] = {}

    def on_frame(payload: str | bytes) -> None:
        if "chart" not in marks and isinstance(payload, str) and CHART_FRAME in payload:
            marks["chart"] = time.perf_counter()

    def on_ws(ws: Any) -> None:
        marks.setdefault("ws", time.perf_counter())
        ws.on("framereceived", on_frame)

    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("websocket", on_ws)
    t0 = time.perf_counter()
    await page.goto(url, timeout=OPEN_LIMIT_S * 1000, wait_until="commit")
    await page.locator("svg.chart").first.wait_for(timeout=OPEN_LIMIT_S * 1000)
    await page.get_by_text(re.compile(r"Week 0 of \d+")).wait_for(timeout=OPEN_LIMIT_S * 1000)
    page.errors = errors  # type: ignore[attr-defined]
    page.server_s = (marks["chart"] - marks["ws"]  # type: ignore[attr-defined]
                     if "chart" in marks and "ws" in marks else float("nan"))
    page.connect_s = marks.get("ws", float("nan")) - t0  # type: ignore[attr-defined]
    return ctx, page, time.perf_counter() - t0


def chromium_cpu_by_kind(root: int) -> dict[str, float]:
    """CPU seconds so far of the live Chromium processes under ``root``, by process kind
    (``browser``, ``renderer``, ``gpu-process``, ``utility``, ...)."""
    out: dict[str, float] = {}
    for kind, cpu in chromium_cpu_by_pid(root).values():
        out[kind] = out.get(kind, 0.0) + cpu
    return out


def diff_cpu(after: dict[str, float], before: dict[str, float]) -> dict[str, float]:
    return {k: round(v - before.get(k, 0.0), 1) for k, v in sorted(after.items())}


async def open_many(p: Any, url: str, n: int, browsers: bool, pid: int
                    ) -> tuple[dict[str, Any], list[Any], list[Any]]:
    """``n`` pages opened at the same instant: in one Chromium with ``n`` contexts, or
    (``browsers``) in ``n`` Chromium processes of one context each. Returns the figures,
    the opened (context, page, seconds) and the browsers launched here."""
    launched = ([await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                 for _ in range(n)] if browsers else [])
    shared = None if browsers else await p.chromium.launch(executable_path=CHROMIUM,
                                                            args=CHROMIUM_ARGS)
    if shared is not None:
        launched.append(shared)
    c0, b0 = cpu_seconds(pid), chromium_cpu_by_kind(os.getpid())
    t0 = time.perf_counter()
    got = await asyncio.gather(
        *[open_one(launched[i] if browsers else shared, f"{url}?seed={i + 1}")
          for i in range(n)], return_exceptions=True)
    res: dict[str, Any] = {"open_all_s": time.perf_counter() - t0,
                           "open_server_cpu_s": cpu_seconds(pid) - c0}
    by_kind = diff_cpu(chromium_cpu_by_kind(os.getpid()), b0)
    res["open_browser_cpu_by_kind"] = by_kind
    res["open_browser_cpu_s"] = sum(by_kind.values())
    opened = [g for g in got if not isinstance(g, BaseException)]
    res["open_failed"] = [repr(g)[:160] for g in got if isinstance(g, BaseException)]
    res["render_s"] = [r for _, _, r in opened]
    res["server_first_render_s"] = [pg.server_s for _, pg, _ in opened]
    res["connect_s"] = [pg.connect_s for _, pg, _ in opened]
    return res, opened, launched


async def solo_opens(browser: Any, url: str, k: int) -> dict[str, list[float]]:
    """``k`` pages opened one after another (nothing else running): what one learner's
    machine sees when it is not sharing its cores with 19 others."""
    out: dict[str, list[float]] = {"render_s": [], "server_first_render_s": []}
    for i in range(k):
        ctx, page, took = await open_one(browser, f"{url}?seed={100 + i}")
        out["render_s"].append(took)
        out["server_first_render_s"].append(page.server_s)
        await ctx.close()
    return out


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


async def open_panel(page: Any) -> None:
    """Unfold the set-up and shock panel, as a trainer does before injecting (its forms are
    mounted on the first opening)."""
    await page.get_by_role("button", name="Set-up & shocks").click(timeout=30_000)
    await page.get_by_role("button", name="Inject now").wait_for(timeout=30_000)


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


async def burst(p: Any, url: str, n: int, steps: int, pid: int, cull_s: float,
                idle_mb: float) -> dict[str, Any]:
    """Phases 2-4 on a running server: ``n`` pages opened at once, stepped, then closed;
    the figures, and the memory sampled until back within +10% of ``idle_mb``."""
    res: dict[str, Any] = {"failures": []}
    # 2. all at once, n contexts of one Chromium
    figures, opened, launched = await open_many(p, url, n, False, pid)
    res.update(figures)
    try:
        pages = [pg for _, pg, _ in opened]
        res["rss_open_mb"] = rss_mb(pid)
        if not pages:
            raise RuntimeError(f"no page opened: {res['open_failed'][:3]}")

        # 3. all stepping at once (with injections)
        for pg in pages:
            await balcony(pg)
            await open_panel(pg)
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
    finally:
        for b in launched:
            await b.close()
    target = idle_mb * 1.10
    # not before the closed sessions are dropped (the cull timeout, then the release)
    after, waited, samples = await settle_memory(pid, cull_s + 60, target, cull_s + 6)
    res["rss_after_close_mb"], res["close_wait_s"] = after, waited
    res["rss_samples_after_close"] = samples

    return res


async def soak(url: str, n: int, steps: int, pid: int, cull_s: float,
               idle_wait: float | None = None, browsers_too: bool = True,
               cycles: int = 1) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    res: dict[str, Any] = {"failures": []}
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            ctx, _, _ = await open_one(browser, url)  # warm-up: front-end files, imports
            await ctx.close()
            res["solo"] = await solo_opens(browser, url, 3)
            res["rss_after_start_mb"] = rss_mb(pid)
            idle, waited, _ = await settle_memory(pid, idle_wait if idle_wait is not None
                                                  else cull_s + 30)
            res["rss_idle_mb"], res["idle_wait_s"] = idle, waited
        finally:
            await browser.close()

        res.update(await burst(p, url, n, steps, pid, cull_s, res["rss_idle_mb"]))
        # 4b. further bursts on the same server: is the memory reused, or does it creep?
        res["cycles"] = []
        for _ in range(cycles - 1):
            more = await burst(p, url, n, steps, pid, cull_s, res["rss_idle_mb"])
            res["failures"] += more["open_failed"] + more["step_failed"]
            res["page_errors"] += more["page_errors"]
            res["cycles"].append({k: more[k] for k in (
                "rss_open_mb", "rss_busy_mb", "rss_after_close_mb", "close_wait_s")})

        # 5. the same opening with one Chromium per page (each its own browser process,
        # HTTP cache and compositor), for comparison; not stepped
        if browsers_too:
            figures, opened, launched = await open_many(p, url, n, True, pid)
            try:
                res["browsers"] = figures
                res["browsers"]["page_errors"] = sum(len(pg.errors) for _, pg, _ in opened)
            finally:
                for b in launched:
                    await b.close()
    return res


def _over(runs: list[dict[str, Any]], f: Any, digits: int = 2) -> str:
    """The median over runs of a per-run figure, with each run's value."""
    xs = [f(r) for r in runs]
    each = ", ".join(f"{x:.{digits}f}" for x in xs)
    return f"{med(xs):.{digits}f}" + (f" ({each})" if len(xs) > 1 else "")


def _kinds(runs: list[dict[str, Any]], key: str, n: int) -> str:
    kinds = sorted({k for r in runs for k in (r if key == "" else r[key])
                    ["open_browser_cpu_by_kind"]})
    parts = []
    for k in kinds:
        xs = [(r if key == "" else r[key])["open_browser_cpu_by_kind"].get(k, 0.0) / n
              for r in runs]
        if med(xs) >= 0.01:
            parts.append(f"{k} {med(xs):.2f}")
    return ", ".join(parts)


def report(runs: list[dict[str, Any]], n: int, steps: int, load: list[float]) -> str:
    """The README section: each figure is the median over the runs (each run's value in
    brackets); inside a run, medians over pages or Steps."""
    last = runs[-1]
    ok_render = all(len(r["render_s"]) == n and max(r["render_s"]) <= 10 for r in runs)
    ok_step = med([med(r["step_s"]) for r in runs]) <= 1.0
    ok_mem = all(c["rss_after_close_mb"] <= r["rss_idle_mb"] * 1.10
                 for r in runs for c in [r, *r.get("cycles", [])])
    br = [r for r in runs if "browsers" in r]
    lines = [
        "## Soak",
        "",
        "Measured by `benchmarks/bench_soak.py --runs "
        f"{len(runs)}` (bounded: every phase has a time limit; loopback, ports 8790–8799 "
        "only): one `solara run --production` server per run, real headless Debian "
        f"Chromium on the same {os.cpu_count()} cores as the server; 1-minute load average "
        f"{', '.join(f'{x:.1f}' for x in load)} at the end of each run (the machine is shared "
        "with other jobs). Every figure is the median over the runs (each run's in "
        "brackets); inside a run, the median, p95 or max over its pages or Steps.",
        "",
        "| measure | value | target | |",
        "|---|---|---|---|",
        f"| page rendered (navigation to the charts of week 0), {n} opened at the same "
        f"instant in {n} contexts of one Chromium: median | {_over(runs, lambda r: med(r['render_s']))} s "
        f"| all ≤ 10 s | {'met' if ok_render else 'MISSED'} |",
        f"| … max | {_over(runs, lambda r: max(r['render_s']))} s | | |",
        "| … of which the server's part: websocket opened to the first chart's frame, "
        f"median | {_over(runs, lambda r: med(r['server_first_render_s']))} s | | |",
        f"| … max | {_over(runs, lambda r: max(r['server_first_render_s']))} s | | |",
        "| … navigation to the websocket opening (the front end loading, client side), "
        f"median | {_over(runs, lambda r: med(r['connect_s']))} s | | |",
        f"| … server CPU per page open | {_over(runs, lambda r: r['open_server_cpu_s'] / n)} s "
        "| | |",
        f"| … Chromium CPU per page | {_over(runs, lambda r: r['open_browser_cpu_s'] / n)} s "
        f"({_kinds(runs, '', n)}) | | |",
    ]
    if br:
        lines += [
            f"| the same with {n} Chromium processes, one page each: render median | "
            f"{_over(br, lambda r: med(r['browsers']['render_s']))} s | | |",
            f"| … max | {_over(br, lambda r: max(r['browsers']['render_s']))} s | | |",
            "| … server's part (websocket to first chart frame), median | "
            f"{_over(br, lambda r: med(r['browsers']['server_first_render_s']))} s | | |",
            f"| … Chromium CPU per page | "
            f"{_over(br, lambda r: r['browsers']['open_browser_cpu_s'] / n)} s "
            f"({_kinds(br, 'browsers', n)}) | | |",
        ]
    lines += [
        "| one page at a time (3 in a row, nothing else open): render median | "
        f"{_over(runs, lambda r: med(r['solo']['render_s']))} s | | |",
        "| … server's part, median | "
        f"{_over(runs, lambda r: med(r['solo']['server_first_render_s']))} s | | |",
        f"| Step round-trip, {n} sessions stepping at once (balcony; a shock injected "
        f"before every 5th Step; {steps} Steps each): median | "
        f"{_over(runs, lambda r: med(r['step_s']))} s | median ≤ 1 s | "
        f"{'met' if ok_step else 'MISSED'} |",
        f"| … p95 | {_over(runs, lambda r: pct(r['step_s'], .95))} s | | |",
        f"| … Steps timed (of {n * steps}) | {_over(runs, lambda r: len(r['step_s']), 0)} "
        "| | |",
        f"| server memory, idle (after warm-up pages came and went) | "
        f"{_over(runs, lambda r: r['rss_idle_mb'], 0)} MB | | |",
        f"| … with {n} pages open / after they stepped | "
        f"{_over(runs, lambda r: r['rss_open_mb'], 0)} / "
        f"{_over(runs, lambda r: r['rss_busy_mb'], 0)}"
        " MB | | |",
        f"| … after they closed (sampled from the cull timeout + 6 s until within +10%, at most "
        "the cull timeout + 60 s) | "
        f"{_over(runs, lambda r: r['rss_after_close_mb'], 0)} MB, "
        f"{_over(runs, lambda r: (r['rss_after_close_mb'] / r['rss_idle_mb'] - 1) * 100, 1)}%"
        f" of idle, {_over(runs, lambda r: r['close_wait_s'], 0)} s after closing | within +10% | "
        f"{'met' if ok_mem else 'MISSED'} |",
    ]
    for k in range(min(len(r.get("cycles", [])) for r in runs)):
        cyc = [{**r["cycles"][k], "rss_idle_mb": r["rss_idle_mb"]} for r in runs]
        lines.append(
            f"| … after burst {k + 2} on the same server (open / stepped / closed) | "
            f"{_over(cyc, lambda c: c['rss_open_mb'], 0)} / "
            f"{_over(cyc, lambda c: c['rss_busy_mb'], 0)} / "
            f"{_over(cyc, lambda c: c['rss_after_close_mb'], 0)} MB, "
            f"{_over(cyc, lambda c: (c['rss_after_close_mb'] / c['rss_idle_mb'] - 1) * 100, 1)}%"
            f" of idle | within +10% | {'met' if ok_mem else 'MISSED'} |")
    lines += [
        "",
    ]
    fails = [f for r in runs for f in r["open_failed"] + r["step_failed"] + r["failures"]
             + r.get("browsers", {}).get("open_failed", [])]
    errors = sum(r["page_errors"] + r.get("browsers", {}).get("page_errors", 0) for r in runs)
    lines += [f"Failures: {'; '.join(fails[:5]) or 'none'}; page errors: {errors}. "
              f"Last run's open phase: {last['open_all_s']:.0f} s wall.", ""]
    return "\n".join(lines)


def run_once(args: argparse.Namespace, cull_s: float) -> dict[str, Any]:
    port = free_port(PORTS)
    proc = start_server(port, env={"PYTHONPATH": str(ROOT / "src")})
    try:
        return asyncio.run(asyncio.wait_for(
            soak(f"http://127.0.0.1:{port}/", args.sessions, args.steps, proc.pid, cull_s,
                 args.idle_wait, not args.no_browsers, args.cycles),
            TOTAL_LIMIT_S * max(1, args.cycles)))
    finally:
        stop_server(proc)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--runs", type=int, default=2, help="whole soaks, each on a new server")
    ap.add_argument("--no-browsers", action="store_true",
                    help="skip the opening with one Chromium per page")
    ap.add_argument("--cycles", type=int, default=1,
                    help="bursts (phases 2-4) on each run's server, one after another")
    ap.add_argument("--no-readme", action="store_true")
    ap.add_argument("--json", default=None)
    ap.add_argument("--idle-wait", type=float, default=None,
                    help="seconds to wait for idle memory (default: the cull timeout + 30)")
    args = ap.parse_args()
    from diplomacy_sim.dashboard.server import KERNEL_CULL_TIMEOUT
    from diplomacy_sim.untrusted import parse_int

    cull = os.environ.get("SOLARA_KERNEL_CULL_TIMEOUT", KERNEL_CULL_TIMEOUT)
    cull_s = float(parse_int(cull.rstrip("s"), 1, 3600, "seconds")[0] or 60)
    runs, load = [], []
    for i in range(args.runs):
        runs.append(run_once(args, cull_s))
        load.append(os.getloadavg()[0])
        r = runs[-1]
        print(f"run {i + 1}: render median {med(r['render_s']):.2f} s, max "
              f"{max(r['render_s'], default=float('nan')):.2f} s; server part "
              f"{med(r['server_first_render_s']):.2f} s; Step median {med(r['step_s']):.2f} s; "
              f"memory {r['rss_idle_mb']:.0f} -> {r['rss_after_close_mb']:.0f} MB", flush=True)
        if args.json:
            Path(args.json).write_text(json.dumps(runs, indent=1))
    section = report(runs, args.sessions, args.steps, load)
    print(section)
    if not args.no_readme:
        replace_section("## Soak", section)


if __name__ == "__main__":
    main()
