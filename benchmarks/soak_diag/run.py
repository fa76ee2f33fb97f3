"""bench_soak with diagnostics: ``python benchmarks/soak_diag/run.py [bench_soak args]``; env
MEMDIAG_DIR (output), SOAK_ENV (JSON: extra server environment, e.g. an allocator),
SOAK_WARM=1 (a full warm-up cycle before idle), SOAK_DIAG=1 (the wrapper app, dumps at idle,
open, close and after a trim)."""
import asyncio
import json
import os
import sys
from pathlib import Path

WT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(WT / "benchmarks"))
import bench_soak as b  # noqa

OUT = Path(os.environ.get("MEMDIAG_DIR", "/tmp/memdiag/out"))
DIAG = os.environ.get("SOAK_DIAG") == "1"
EXTRA = json.loads(os.environ.get("SOAK_ENV", "{}"))
_orig_start = b.start_server

def start_server(port, app=None, env=None, **kw):
    env = dict(env or {})
    env.update(EXTRA)
    if DIAG:
        env["PYTHONPATH"] = f"{HERE}:" + env.get("PYTHONPATH", "")
        env["MEMDIAG_DIR"] = str(OUT)
        app = "memdiag_app"
    kw.setdefault('log', OUT / 'server.log')
    return _orig_start(port, app=app, env=env, **kw)
b.start_server = start_server

async def trigger(tag):
    if not DIAG:
        return
    (OUT / f"trigger-{tag}").touch()
    for _ in range(200):
        if (OUT / f"done-{tag}").exists():
            (OUT / f"done-{tag}").unlink()
            return
        await asyncio.sleep(0.3)

_settle = b.settle_memory
_calls = [0]
async def settle_memory(*a, **k):
    r = await _settle(*a, **k)
    _calls[0] += 1
    if _calls[0] % 2 == 1:
        await trigger(f"idle{_calls[0]}")
    else:
        await trigger(f"close{_calls[0]}")
        await trigger(f"trim-close{_calls[0]}")
    return r
b.settle_memory = settle_memory

_open_many = b.open_many
async def open_many(*a, **k):
    r = await _open_many(*a, **k)
    if not a[3]:
        await trigger(f"open{_calls[0]}")
    return r
b.open_many = open_many

_solo = b.solo_opens
async def solo_opens(browser, url, k):
    if os.environ.get("SOAK_WARM") == "1":
        ctx, page, _ = await b.open_one(browser, f"{url}?seed=99")
        await b.balcony(page)
        await b.open_panel(page)
        await b.stepper(page, 5)
        await ctx.close()
        await trigger(f"warm{_calls[0]}")
    return await _solo(browser, url, k)
b.solo_opens = solo_opens

if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    b.main()
