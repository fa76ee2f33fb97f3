"""Diagnostic wrapper of the dashboard app (not the product; benchmarks/README.md, "Soak",
branch `memory`): when a file ``trigger-TAG`` appears in ``$MEMDIAG_DIR``, appends a dump
(RSS, mallinfo2, pymalloc arenas, object counts, threads, contexts, widgets, new modules) to
``dumps.jsonl`` there; a TAG starting with ``trim`` collects and ``malloc_trim``s first."""
import collections
import ctypes
import ctypes.util
import gc
import json
import os
import sys
import tempfile
import threading
import time

from diplomacy_sim.dashboard.app import *  # noqa
from diplomacy_sim.dashboard.app import Page, routes  # noqa

OUT = os.environ.get("MEMDIAG_DIR", "/tmp/memdiag/out")
os.makedirs(OUT, exist_ok=True)
_prev_mods = set(sys.modules)

class Mallinfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks",
                 "uordblks", "fordblks", "keepcost")]

def rss():
    for line in open("/proc/self/status"):
        if line.startswith(("VmRSS", "RssAnon", "RssFile")):
            yield line.split()[0][:-1], int(line.split()[1]) / 1024

def pymalloc():
    fd = os.dup(2)
    with tempfile.TemporaryFile("w+") as f:
        sys.stderr.flush()
        os.dup2(f.fileno(), 2)
        try:
            sys._debugmallocstats()
        finally:
            os.dup2(fd, 2)
            os.close(fd)
        f.seek(0)
        text = f.read()
    out = {}
    for line in text.splitlines():
        for key in ("arenas allocated total", "arenas reclaimed", "arenas highwater mark",
                    "arenas allocated current", "bytes in allocated blocks",
                    "bytes in available blocks", "bytes in arenas", "unused pools"):
            if line.startswith("# " + key) or line.startswith(key):
                try:
                    out[key] = int(line.split("=")[-1].strip().replace(",", "").split()[0])
                except ValueError:
                    pass
    return out

def smaps():
    """Resident kB by kind of mapping: the main heap, thread stacks, other anonymous
    mappings (glibc's thread arenas are 64 MiB-reserved ones), and file-backed ones."""
    out = collections.Counter()
    kind = None
    with open("/proc/self/smaps") as f:
        for line in f:
            head = line.split()
            if "-" in head[0] and len(head) >= 5 and not head[0].endswith(":"):
                lo, hi = (int(x, 16) for x in head[0].split("-"))
                name = head[5] if len(head) > 5 else ""
                if name == "[heap]":
                    kind = "heap"
                elif name.startswith("[stack"):
                    kind = "main stack"
                elif name.startswith("/"):
                    kind = "file"
                elif name:
                    kind = name
                elif lo % 2**26 == 0:  # glibc's thread arenas start 64 MiB-aligned
                    kind = "anon arena"
                elif hi - lo in (2**23, 2**23 - 4096, 2**23 + 4096):
                    kind = "anon thread stack"
                else:
                    kind = "anon other " + ("1MiB+" if hi - lo >= 2**20 else "<1MiB")
            elif head[0] == "Rss:":
                out[kind] += int(head[1])
    return {k: round(v / 1024, 1) for k, v in out.most_common()}

_SEEN: dict = {}

def survivors(objs, seen, per_type=25):
    """Objects that were not there at idle: by type, a short repr and what refers to them."""
    out = collections.defaultdict(list)
    for o in objs:
        if id(o) in seen:
            continue
        key = type(o).__module__ + "." + type(o).__qualname__
        if len(out[key]) >= per_type:
            continue
        try:
            text = repr(o)[:140]
        except Exception as e:
            text = f"<repr failed {e!r}>"
        refs = []
        for r in gc.get_referrers(o)[:4]:
            if r is objs:
                continue
            try:
                refs.append(type(r).__qualname__ + ": " + repr(r)[:100])
            except Exception:
                refs.append(type(r).__qualname__)
        out[key].append([text, refs])
    return dict(out)

def dump(tag):
    global _prev_mods
    gc.collect()
    d = {"tag": tag, "t": time.time(), "rss": dict(rss()), "smaps": smaps()}
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        libc.mallinfo2.restype = Mallinfo2
        m = libc.mallinfo2()
        d["mallinfo2"] = {n: getattr(m, n) / 2**20 for n, _ in Mallinfo2._fields_}
    except Exception as e:
        d["mallinfo2"] = repr(e)
    d["pymalloc"] = pymalloc()
    objs = gc.get_objects()
    d["gc_objects"] = len(objs)
    if tag.startswith("idle") and "idle" not in _SEEN:
        _SEEN["idle"] = {id(o) for o in objs}
    elif tag.startswith("trim") and "idle" in _SEEN:
        d["survivors"] = survivors(objs, _SEEN["idle"])
    c = collections.Counter(type(o).__module__ + "." + type(o).__qualname__ for o in objs)
    d["types"] = c.most_common(60)
    del objs
    d["threads"] = collections.Counter(t.name.split("-")[0] + ":" + type(t).__name__
                                       for t in threading.enumerate())
    d["n_threads"] = threading.active_count()
    try:
        import solara.server.kernel_context as kc
        d["contexts"] = len(kc.contexts)
    except Exception as e:
        d["contexts"] = repr(e)
    try:
        import ipywidgets
        d["widgets"] = len(ipywidgets.widgets.widget._instances)
    except Exception as e:
        d["widgets"] = repr(e)
    from diplomacy_sim.dashboard import session as s
    d["baselines"] = len(s._BASELINES)
    d["n_modules"] = len(sys.modules)
    d["new_modules"] = sorted(set(sys.modules) - _prev_mods)
    _prev_mods = set(sys.modules)
    with open(os.path.join(OUT, "dumps.jsonl"), "a") as f:
        f.write(json.dumps(d) + "\n")

def trim():
    gc.collect()
    ctypes.CDLL(ctypes.util.find_library("c")).malloc_trim(0)

def poll():
    while True:
        for name in sorted(os.listdir(OUT)):
            if name.startswith("trigger-"):
                tag = name[len("trigger-"):]
                os.remove(os.path.join(OUT, name))
                try:
                    if tag.startswith("trim"):
                        trim()
                    dump(tag)
                except Exception as e:
                    with open(os.path.join(OUT, "errors.txt"), "a") as f:
                        f.write(repr(e) + "\n")
                open(os.path.join(OUT, "done-" + tag), "w").close()
        time.sleep(0.3)

threading.Thread(target=poll, name="memdiag", daemon=True).start()

import diplomacy_sim.dashboard.app as _app  # noqa: E402

_release = _app.release_memory


def _traced_release():
    """The app's own release, with RSS, the heap and the thread count just before and after."""
    def snap():
        m = ctypes.CDLL(ctypes.util.find_library("c"))
        m.mallinfo2.restype = Mallinfo2
        i = m.mallinfo2()
        return {"t": time.time(), "rss": dict(rss()), "smaps": smaps(),
                "uordblks": i.uordblks / 2**20, "fordblks": i.fordblks / 2**20,
                "threads": threading.active_count(), "gc_objects": len(gc.get_objects()),
                "types": collections.Counter(
                    type(o).__module__ + "." + type(o).__qualname__
                    for o in gc.get_objects()).most_common(80),
                "thread_names": sorted(t.name for t in threading.enumerate())}
    before = snap()
    _release()
    after = snap()
    with open(os.path.join(OUT, "releases.jsonl"), "a") as f:
        f.write(json.dumps({"before": before, "after": after}) + "\n")


_app.release_memory = _traced_release
