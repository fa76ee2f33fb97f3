"""What the browser benchmarks share: the server and Chromium helpers of the tests
(``tests/serving.py``, one copy for both), a process's CPU time, and the splice of a
benchmark's section into benchmarks/README.md."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "benchmarks" / "README.md"
sys.path.insert(0, str(ROOT / "tests"))

from serving import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    free_port,
    kill_server,
    start_server,
    stop_server,
    wait_serving,
)

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "README", "ROOT", "chromium_cpu_by_pid", "cpu_seconds",
           "free_port", "kill_server", "replace_section", "start_server", "stop_server",
           "wait_serving"]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its waited-for children so far (/proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def replace_section(head: str, block: str, path: Path = README) -> None:
    """Put ``block`` (which starts with the line ``head``, e.g. ``## Soak``) in place of the
    README's section of that heading, up to the next ``## `` heading; append it if there is
    none."""
    body = path.read_text()
    block = block.rstrip("\n") + "\n"
    m = re.search(rf"(?m)^{re.escape(head)}\n", body)
    if m is None:
        body = body.rstrip("\n") + "\n\n" + block
    else:
        nxt = re.search(r"(?m)^## ", body[m.end():])
        body = body[:m.start()] + block + ("\n" + body[m.end() + nxt.start():] if nxt else "")
    path.write_text(body)


def chromium_cpu_by_pid(root: int) -> dict[int, tuple[str, float]]:
    """(kind, CPU seconds so far) of each live Chromium process under ``root``."""
    tick = os.sysconf("SC_CLK_TCK")
    procs: dict[int, tuple[int, str, float, str]] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            raw = (d / "stat").read_text()
            # Chromium rewrites its command line: arguments joined by spaces, not NULs
            cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ").split()
        except OSError:
            continue
        comm = raw[raw.index("(") + 1: raw.rindex(")")]
        f = raw.rsplit(")", 1)[1].split()
        kind = next((a[7:].decode() for a in cmd if a.startswith(b"--type=")), "browser")
        procs[int(d.name)] = (int(f[1]), comm, (int(f[11]) + int(f[12])) / tick, kind)
    out: dict[int, tuple[str, float]] = {}
    for pid, (_, comm, cpu, kind) in procs.items():
        q, seen = pid, 0
        while q in procs and q != root and seen < 64:
            q, seen = procs[q][0], seen + 1
        if q == root and "chrom" in comm:
            out[pid] = (kind, cpu)
    return out
