"""The route that sends Solara's front-end files answers from the files on disk only: a
path from a URL never makes the server fetch, write or delete anything (Solara's own
answer deletes a folder a request names, and downloads any path it does not hold)."""

from __future__ import annotations

import http.server
import os
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from diplomacy_sim.dashboard.front_end import PATH_MAX, held_file
from serving import free_port, start_server, stop_server

FILES = {
    "pkg@1.0.0/dist/main.js": b"console.log('main')",
    "pkg@1.0.0/dist/fonts/a.css": b"body {}",
    "solo@2.0.0/__main.js": b"solo",  # a one-part path's file, as Solara stores it
    "@scope/app@3.1.4/dist/app.min.js": b"app",
}
FOLDERS = ["pkg@1.0.0", "pkg@1.0.0/dist", "pkg@1.0.0/dist/fonts", "@scope",
           "@scope/app@3.1.4", "@scope/app@3.1.4/dist"]
OUTSIDE = ["../secret.txt", "..%2fsecret.txt", "pkg@1.0.0/../../secret.txt",
           "pkg@1.0.0/dist/../../../secret.txt", "link-out", "pkg@1.0.0/dist/link-out",
           "/etc/passwd", "//etc/passwd", "..\\secret.txt", "pkg@1.0.0\\..\\..\\secret.txt"]
MISSING = ["evil@1.0.0/x.js", "pkg@1.0.0/dist/nothere.js", "solo@2.0.1", "a", "pkg@9.9.9",
           "pkg@1.0.0/dist/main.js/more", "x" * (PATH_MAX + 1), "pkg@1.0.0/\x00.js",
           "fifo", "pkg@1.0.0/dist/loop"]


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    root = tmp_path / "cdn"
    for rel, data in FILES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    (tmp_path / "secret.txt").write_text("not for visitors")
    (root / "link-out").symlink_to(tmp_path / "secret.txt")
    (root / "pkg@1.0.0" / "dist" / "link-out").symlink_to(tmp_path / "secret.txt")
    (root / "pkg@1.0.0" / "dist" / "loop").symlink_to(root / "pkg@1.0.0" / "dist" / "loop")
    os.mkfifo(root / "fifo")  # opening it to send would block the server
    return root


def _listing(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def test_a_file_the_folder_holds_is_found_and_nothing_else(cache):
    for rel in FILES:
        found = held_file(cache, rel)
        assert found is not None and found[0].read_bytes() == FILES[rel]
    assert held_file(cache, "solo@2.0.0")[0].read_bytes() == b"solo"
    for path in [*FOLDERS, *OUTSIDE, *MISSING, "", None, 7, b"pkg@1.0.0/dist/main.js"]:
        assert held_file(cache, path) is None, path


class _Recorder(http.server.BaseHTTPRequestHandler):
    """A stand-in for the public CDN: it records every request the server makes to it."""

    asked: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.asked.append(self.path)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"downloaded")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def cdn_stand_in() -> Iterator[str]:
    _Recorder.asked = []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, b""


@pytest.mark.slow  # a real server
def test_no_request_path_makes_the_server_fetch_write_or_delete(cache, cdn_stand_in, tmp_path):
    before = _listing(cache)
    port = free_port()
    proc = start_server(port, db=tmp_path / "rooms.sqlite", log=tmp_path / "server.log",
                        env={"SOLARA_ASSETS_PROXY_CACHE_DIR": str(cache),
                             "SOLARA_ASSETS_CDN": cdn_stand_in})
    try:
        base = f"http://127.0.0.1:{port}/_solara/cdn/"
        for rel, data in FILES.items():
            assert _get(base + rel) == (200, data), rel
        assert _get(base + "solo@2.0.0") == (200, b"solo")
        for path in [*FOLDERS, *OUTSIDE, *MISSING]:
            quoted = urllib.request.quote(path, safe="/@%")
            status, body = _get(base + quoted)
            assert status == 404 and b"not for visitors" not in body, path
        assert _get(f"http://127.0.0.1:{port}/")[0] == 200  # and the server still serves
    finally:
        stop_server(proc)
    assert _Recorder.asked == []  # nothing was fetched
    assert _listing(cache) == before  # nothing written, nothing deleted
