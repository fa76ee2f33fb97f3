"""What one explorer page makes the browser do, and a paired A/B of it against a git ref.

    .venv/bin/python benchmarks/bench_page.py [--ref main] [--pairs 6] [--list] [--json FILE]

One ``diplomacy-sim dashboard`` server for this checkout and (``--ref``) one for the ref
(``git archive`` of its ``src`` and ``scenarios``, started with its own launcher, so its
own server settings), on loopback ports 8790-8799. One headless Chromium; each page is a
fresh browser context (as a new laptop: no HTTP cache), opened alone, the two versions
alternating (ref, this, this, ref, ...). Per page, until the charts of week 0 show:

- the CPU seconds of every Chromium process (by kind, from /proc), and of each server;
- the renderer's main-thread time by CDP ``Performance.getMetrics`` (script, style, layout,
  task) and its JS heap;
- every HTTP request (bytes on the wire and decoded, type), the websocket's frames and
  bytes, and the widgets the page receives (``comm_open``).

The figures are medians over the pairs and the median of the per-pair ratios ref / this
(CPU time: the figure that survives a loaded machine). ``--list`` prints the requests of
one page of this checkout.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
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
    stop_server,
    wait_serving,
)

PORTS = range(8790, 8800)
OPEN_LIMIT_S = 120.0


def unpack(ref: str, into: Path) -> Path:
    """``src`` and ``scenarios`` of ``ref`` under ``into``; returns its ``src``."""
    tar = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "src", "scenarios"],
                         capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(tar)) as tf:
        tf.extractall(into, filter="data")
    return into / "src"


def start(src: Path, port: int, app: str | None = None, affinity: set[int] | None = None
          ) -> subprocess.Popen[bytes]:
    """The server as the product's launcher (``diplomacy-sim dashboard``) of the version in
    ``src`` starts it (its command and settings), serving ``app`` (default: the product's),
    on the cores ``affinity`` (default: any)."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    cmd = [sys.executable, "-c",
           "import os; from diplomacy_sim.dashboard import server as s; "
           f"c = s.solara_command('127.0.0.1', {port}, {app!r} or s.APP); "
           "os.execve(c[0], c, s.server_env())"]
    pin = (lambda: os.sched_setaffinity(0, affinity)) if affinity else None
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True,
                            preexec_fn=pin)
    return wait_serving(proc, port, f"server of {src}")


def thread_cpu(pid: int) -> dict[str, float]:
    """CPU seconds so far of a process's threads, by thread name."""
    tick = os.sysconf("SC_CLK_TCK")
    out: dict[str, float] = {}
    for t in Path(f"/proc/{pid}/task").iterdir():
        try:
            raw = (t / "stat").read_text()
        except OSError:
            continue
        name = raw[raw.index("(") + 1: raw.rindex(")")]
        f = raw.rsplit(")", 1)[1].split()
        out[name] = round(out.get(name, 0.0) + (int(f[11]) + int(f[12])) / tick, 2)
    return {k: v for k, v in sorted(out.items(), key=lambda kv: -kv[1]) if v > 0}


def cpu_between(before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]]
                ) -> dict[str, float]:
    """CPU seconds by process kind spent between two readings (processes alive at the
    second; one that started in between counts from zero)."""
    out: dict[str, float] = {}
    for pid, (kind, cpu) in after.items():
        out[kind] = out.get(kind, 0.0) + cpu - before.get(pid, (kind, 0.0))[1]
    return out


METRICS = ("ScriptDuration", "TaskDuration", "RecalcStyleDuration", "LayoutDuration",
           "JSHeapUsedSize", "Nodes", "LayoutCount", "RecalcStyleCount")


async def open_measured(browser: Any, url: str, server_pid: int) -> dict[str, Any]:
    """One page in a fresh context, alone; its figures (see the module's docstring)."""
    b0, s0 = chromium_cpu_by_pid(os.getpid()), cpu_seconds(server_pid)
    t0 = time.perf_counter()
    ctx = await browser.new_context(viewport={"width": 1600, "height": 1000})
    page = await ctx.new_page()
    cdp = await ctx.new_cdp_session(page)
    await cdp.send("Performance.enable", {"timeDomain": "threadTicks"})
    await cdp.send("Network.enable")
    reqs: dict[str, dict[str, Any]] = {}
    ws = {"frames_in": 0, "bytes_in": 0, "frames_out": 0, "bytes_out": 0, "comm_open": 0}
    errors: list[str] = []

    def on_response(e: dict[str, Any]) -> None:
        r = e["response"]
        reqs.setdefault(e["requestId"], {})
        reqs[e["requestId"]].update(url=r["url"], status=r["status"], type=e.get("type"),
                                    cache=r.get("headers", {}).get("cache-control", ""),
                                    mime=r.get("mimeType"))

    def on_finished(e: dict[str, Any]) -> None:
        reqs.setdefault(e["requestId"], {})["wire"] = e.get("encodedDataLength", 0)

    def on_data(e: dict[str, Any]) -> None:
        d = reqs.setdefault(e["requestId"], {})
        d["decoded"] = d.get("decoded", 0) + e.get("dataLength", 0)

    frames: list[str] = []

    def on_frame_in(e: dict[str, Any]) -> None:
        payload = e["response"].get("payloadData", "")
        frames.append(payload)
        ws["frames_in"] += 1
        ws["bytes_in"] += len(payload)
        if '"comm_open"' in payload:  # a widget sent to the page
            try:
                ws["comm_open"] += json.loads(payload).get("msg_type") == "comm_open"
            except ValueError:
                pass

    def on_frame_out(e: dict[str, Any]) -> None:
        ws["frames_out"] += 1
        ws["bytes_out"] += len(e["response"].get("payloadData", ""))

    cdp.on("Network.responseReceived", on_response)
    cdp.on("Network.loadingFinished", on_finished)
    cdp.on("Network.dataReceived", on_data)
    cdp.on("Network.webSocketFrameReceived", on_frame_in)
    cdp.on("Network.webSocketFrameSent", on_frame_out)
    page.on("pageerror", lambda e: errors.append(str(e)))
    t1 = time.perf_counter()
    await page.goto(url, timeout=OPEN_LIMIT_S * 1000, wait_until="commit")
    await page.locator("svg.chart").first.wait_for(timeout=OPEN_LIMIT_S * 1000)
    await page.get_by_text("Week 0 of").first.wait_for(timeout=OPEN_LIMIT_S * 1000)
    rendered = time.perf_counter() - t1
    await asyncio.sleep(0.5)  # what the page does right after its first render counts too
    m = {x["name"]: x["value"] for x in (await cdp.send("Performance.getMetrics"))["metrics"]}
    # read before the close: a closed context's renderer exits, and its CPU with it
    b1 = chromium_cpu_by_pid(os.getpid())
    by_kind = cpu_between(b0, b1)
    threads = {f"{kind} {pid} {b1[pid][1] - b0.get(pid, (kind, 0.0))[1]:.2f}": thread_cpu(pid)
               for pid, (kind, _) in b1.items()
               if pid not in b0 or kind == "renderer"}
    await ctx.close()
    return {
        "render_s": rendered, "wall_s": time.perf_counter() - t0,
        "server_cpu_s": cpu_seconds(server_pid) - s0,
        "chromium_cpu_s": sum(by_kind.values()), "chromium_by_kind": by_kind,
        "metrics": {k: m.get(k, 0.0) for k in METRICS},
        "requests": sorted(reqs.values(), key=lambda r: -r.get("wire", 0)),
        "http_wire": sum(r.get("wire", 0) for r in reqs.values()),
        "http_decoded": sum(r.get("decoded", 0) for r in reqs.values()),
        "http_count": len(reqs), "ws": ws, "errors": errors, "threads": threads,
        "frames": frames,
    }


def med(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def summary(pages: list[dict[str, Any]]) -> dict[str, float]:
    def g(f: Any) -> float:
        return med([f(p) for p in pages])

    out = {"chromium_cpu_s": g(lambda p: p["chromium_cpu_s"]),
           "server_cpu_s": g(lambda p: p["server_cpu_s"]),
           "render_s": g(lambda p: p["render_s"]),
           "http_count": g(lambda p: p["http_count"]),
           "http_wire_kB": g(lambda p: p["http_wire"] / 1e3),
           "http_decoded_kB": g(lambda p: p["http_decoded"] / 1e3),
           "ws_in_kB": g(lambda p: p["ws"]["bytes_in"] / 1e3),
           "ws_frames_in": g(lambda p: p["ws"]["frames_in"]),
           "comm_open": g(lambda p: p["ws"]["comm_open"])}
    for k in sorted({k for p in pages for k in p["chromium_by_kind"]}):
        out[f"cpu_{k}_s"] = g(lambda p, k=k: p["chromium_by_kind"].get(k, 0.0))
    for k in METRICS:
        out[k] = g(lambda p, k=k: p["metrics"][k])
    return out


POPUPS_OFF = next(a for a in CHROMIUM_ARGS if "WebUIOmniboxPopup" in a)
FLOOR_APP = str(ROOT / "benchmarks" / "floor_app.py")
"""A Solara page with nothing of ours (one text, one empty chart): what every page pays."""


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """The variants, each page opened alone in a fresh context, in alternating order;
    {variant: [page figures]}."""
    from playwright.async_api import async_playwright

    servers: list[subprocess.Popen[bytes]] = []
    tmp = tempfile.TemporaryDirectory()
    # variant: (source, app, extra Chromium switches)
    variants: dict[str, tuple[Path, str | None, tuple[str, ...]]] = {
        "this": (ROOT / "src", None, tuple(args.browser_arg))}
    if args.ref:
        variants[args.ref] = (unpack(args.ref, Path(tmp.name)), None, tuple(args.browser_arg))
    if args.floor:
        variants["floor"] = (ROOT / "src", FLOOR_APP, tuple(args.browser_arg))
    if args.popups:
        variants["popups"] = (ROOT / "src", None, (*args.browser_arg, "popups"))
    try:
        urls: dict[tuple[Path, str | None], tuple[int, str]] = {}
        for src, app, _ in variants.values():
            if (src, app) not in urls:
                port = free_port(PORTS)
                servers.append(start(src, port, app))
                urls[(src, app)] = (servers[-1].pid, f"http://127.0.0.1:{port}/")
        res: dict[str, list[dict[str, Any]]] = {n: [] for n in variants}
        async with async_playwright() as p:
            browsers: dict[tuple[str, ...], Any] = {}
            for _, _, extra in variants.values():
                if extra not in browsers:
                    base = ([a for a in CHROMIUM_ARGS if a != POPUPS_OFF]
                            if "popups" in extra else CHROMIUM_ARGS)
                    browsers[extra] = await p.chromium.launch(
                        executable_path=CHROMIUM,
                        args=base + [a for a in extra if a != "popups"])
            try:
                for src, app, extra in variants.values():  # warm-up: imports, first session
                    pid, url = urls[(src, app)]
                    await open_measured(browsers[extra], url, pid)
                if args.list:
                    pid, url = urls[(ROOT / "src", args.app)]
                    return {"list": await open_measured(browsers[tuple(args.browser_arg)],
                                                        url + "?seed=7", pid)}
                names = list(variants)
                for i in range(args.pairs):
                    for name in (names if i % 2 == 0 else names[::-1]):
                        src, app, extra = variants[name]
                        pid, url = urls[(src, app)]
                        res[name].append(await open_measured(browsers[extra],
                                                             f"{url}?seed={i + 1}", pid))
                    print(f"round {i + 1}: " + ", ".join(
                        f"{n} {res[n][-1]['chromium_cpu_s']:.2f} s" for n in names),
                        flush=True)
            finally:
                for b in browsers.values():
                    await b.close()
        return res
    finally:
        for proc in servers:
            stop_server(proc)
        tmp.cleanup()


def ratios(a: list[dict[str, Any]], b: list[dict[str, Any]], key: str) -> list[float]:
    """Per-round ratios a / b of a figure (``cpu_KIND_s``: one Chromium process kind)."""
    def get(p: dict[str, Any]) -> float:
        if key.startswith("cpu_"):
            return float(p["chromium_by_kind"].get(key[4:-2], 0.0))
        return float(p[key])
    return [get(x) / get(y) if get(y) else float("nan") for x, y in zip(a, b, strict=True)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ref", default=None, help="git ref to compare with, e.g. main")
    ap.add_argument("--floor", action="store_true",
                    help="also the floor: a Solara page with nothing of ours")
    ap.add_argument("--popups", action="store_true",
                    help="also this checkout in a Chromium that builds its address-bar "
                    "popups for every context (without the tests' switch against it)")
    ap.add_argument("--pairs", type=int, default=6, help="rounds of every variant")
    ap.add_argument("--list", action="store_true", help="the requests of one page")
    ap.add_argument("--json", default=None)
    ap.add_argument("--browser-arg", action="append", default=[],
                    help="an extra Chromium switch for every variant (repeatable)")
    ap.add_argument("--app", default=None, help="with --list: serve this Solara app")
    args = ap.parse_args()
    load0 = os.getloadavg()[0]
    res = asyncio.run(run(args))
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=1))
    if "list" in res:
        page = res["list"]
        for r in page["requests"]:
            print(f"{r.get('wire', 0) / 1e3:9.1f} kB wire {r.get('decoded', 0) / 1e3:9.1f} kB "
                  f"{r.get('type', '')!s:11} {r.get('status', '')} {r.get('url', '')[:110]} "
                  f"[{r.get('cache', '')}]")
        print(json.dumps({k: v for k, v in page.items() if k not in ("requests", "frames")},
                         indent=1))
        return
    sums = {n: summary(pages) for n, pages in res.items()}
    names = list(sums)
    print(f"load average {load0:.1f} at the start, {os.getloadavg()[0]:.1f} at the end; "
          f"{args.pairs} rounds; medians")
    print("measure".ljust(24) + "".join(n[:22].rjust(24) for n in names))
    for k in sums[names[0]]:
        print(k.ljust(24) + "".join(f"{sums[n].get(k, float('nan')):24.3f}" for n in names))
    for other in names[1:]:
        for k in ("chromium_cpu_s", "cpu_renderer_s", "cpu_browser_s", "server_cpu_s"):
            r = ratios(res[other], res["this"], k)
            print(f"ratio {other} / this, {k}: median {med(r):.3f} "
                  f"({', '.join(f'{x:.2f}' for x in r)})")


if __name__ == "__main__":
    main()
