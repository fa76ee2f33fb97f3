"""The server's part of N pages opened at once, as a room of laptops would load it.

    .venv/bin/python benchmarks/bench_first_renders.py [--sessions 20] [--runs 3]

On this machine the N browsers share the server's cores, so a soak's render times are the
browsers' (``bench_soak.py``). Here the server is measured as it would be with each learner's
laptop rendering its own page:

- the server (the product's launcher, its settings) runs on core 0 only; this process, the
  Playwright driver and Chromium on the other cores, Chromium's processes at the lowest
  priority (so the driver relays frames as they come);
- N real pages are opened in N contexts of one Chromium, each page's websocket held back
  (Playwright's ``route_web_socket``) until every page's front end has loaded and asked for
  its websocket; then all N connect to the server at the same instant, as N laptops whose
  front ends loaded at once;
- per page: from that instant to the first frame that carries a chart (the server made the
  session and rendered it), seen as the frame is relayed; and the server's CPU seconds; and,
  on the server's side, the time its CPU stops rising (sampled every 20 ms from /proc).

Loopback, ports 8790-8799 only, every wait bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import time
from pathlib import Path
from typing import Any

from _common import CHROMIUM, CHROMIUM_ARGS, ROOT, cpu_seconds, free_port, stop_server
from bench_page import start

PORTS = range(8790, 8800)
LIMIT_S = 240.0
CHART_FRAME = '<svg class=\\"chart'


def renice_chromium(root: int) -> None:
    """Every Chromium process under ``root`` to nice 19 (processes started later inherit it
    from the browser process)."""
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
        except OSError:
            continue
        if "(chrom" not in stat:
            continue
        q, seen = int(d.name), 0
        while q not in (0, 1, root) and seen < 64:
            try:
                q = int(Path(f"/proc/{q}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except OSError:
                break
            seen += 1
        if q == root:
            try:
                os.setpriority(os.PRIO_PROCESS, int(d.name), 19)
            except OSError:
                pass


async def server_busy_until(pid: int, t0: float, stop: asyncio.Event) -> list[tuple[float, float]]:
    """(seconds since ``t0``, server CPU seconds) every 20 ms until ``stop``."""
    out = []
    while not stop.is_set():
        out.append((time.perf_counter() - t0, cpu_seconds(pid)))
        await asyncio.sleep(0.02)
    return out


async def one_run(url: str, n: int, pid: int) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    asked = 0
    all_asked = asyncio.Event()
    go = asyncio.Event()
    t_go = [0.0]
    charts: list[float] = []

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        renice_chromium(os.getpid())
        try:
            async def open_page(i: int) -> Any:
                ctx = await browser.new_context(viewport={"width": 1600, "height": 1000})
                page = await ctx.new_page()
                seen = [False]

                async def route(ws: Any) -> None:
                    nonlocal asked
                    asked += 1
                    if asked == n:
                        all_asked.set()
                    await go.wait()
                    server = ws.connect_to_server()

                    def from_server(msg: str | bytes) -> None:
                        if not seen[0] and isinstance(msg, str) and CHART_FRAME in msg:
                            seen[0] = True
                            charts.append(time.perf_counter() - t_go[0])
                        ws.send(msg)

                    server.on_message(from_server)

                await page.route_web_socket(re.compile(r".*/jupyter/api/kernels/.*"), route)
                await page.goto(f"{url}?seed={i + 1}", timeout=LIMIT_S * 1000,
                                wait_until="commit")
                return ctx, page

            opened = await asyncio.gather(*[open_page(i) for i in range(n)])
            await asyncio.wait_for(all_asked.wait(), LIMIT_S)
            await asyncio.sleep(1.0)  # the front ends idle, waiting for their kernels
            c0 = cpu_seconds(pid)
            stop = asyncio.Event()
            t_go[0] = time.perf_counter()
            sampler = asyncio.create_task(server_busy_until(pid, t_go[0], stop))
            go.set()
            await asyncio.gather(*[pg.locator("svg.chart").first.wait_for(
                timeout=LIMIT_S * 1000) for _, pg in opened])
            shown = time.perf_counter() - t_go[0]
            await asyncio.sleep(2.0)  # the server's work after the last chart counts too
            stop.set()
            samples = await sampler
            cpu = cpu_seconds(pid) - c0
            for ctx, _ in opened:
                await ctx.close()
        finally:
            await browser.close()
    # the server's busy period: up to the last sample at which its CPU time still rose
    busy = next((t for (t, c), (_, c2) in zip(samples[::-1], samples[-2::-1], strict=False)
                 if c > c2), float("nan"))
    return {"chart_frames_s": sorted(charts), "all_shown_s": shown, "server_cpu_s": cpu,
            "server_busy_s": busy}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) < 2:
        raise SystemExit("needs 2 cores: one for the server, one for the browsers")
    server_core, rest = {cores[0]}, set(cores[1:])
    os.sched_setaffinity(0, rest)  # this process, the driver and Chromium inherit it
    load0 = os.getloadavg()[0]
    runs = []
    for r in range(args.runs):
        port = free_port(PORTS)
        proc = start(ROOT / "src", port, None, affinity=server_core)
        try:
            out = asyncio.run(asyncio.wait_for(one_run(f"http://127.0.0.1:{port}/",
                                                       args.sessions, proc.pid), LIMIT_S * 2))
        finally:
            stop_server(proc)
        runs.append(out)
        f = out["chart_frames_s"]
        print(f"run {r + 1}: last chart frame {max(f):.2f} s, median {statistics.median(f):.2f}"
              f" s ({len(f)} of {args.sessions}); server CPU {out['server_cpu_s']:.2f} s, busy "
              f"{out['server_busy_s']:.2f} s; all charts shown by the pages {out['all_shown_s']:.2f}"
              " s", flush=True)
    print(f"load average {load0:.1f} at the start, {os.getloadavg()[0]:.1f} at the end")
    for k, f in (("last chart frame", lambda o: max(o["chart_frames_s"])),
                 ("median chart frame", lambda o: statistics.median(o["chart_frames_s"])),
                 ("server CPU per page", lambda o: o["server_cpu_s"] / args.sessions),
                 ("server busy", lambda o: o["server_busy_s"]),
                 ("all shown", lambda o: o["all_shown_s"])):
        xs = [f(o) for o in runs]
        print(f"{k}: median {statistics.median(xs):.2f} s ({', '.join(f'{x:.2f}' for x in xs)})")


if __name__ == "__main__":
    main()
