"""What a page's websocket can make the server's kernels do is what a page needs: a widget
state request is answered to the page that asked (never to another visitor's), a page
creates no widget, a binary frame's header is checked before it is read, a frame that is
no sound message closes its own page with one line in the log (not a traceback), an upload
keeps no more bytes than a setup file may have, and no request's headers choose where the
pages load their scripts from."""

from __future__ import annotations

import asyncio
import concurrent.futures
import itertools
import json
import struct
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from diplomacy_sim.dashboard import kernel_guards
from diplomacy_sim.dashboard.kernel_guards import (
    FRAME_PARTS_MAX,
    Refused,
    binary_frame_problem,
    checked_frames,
    checked_kernel_messages,
    handle_control_comm_opened,
    kernel_message_problem,
    read_text_frame,
    refuse_widget_from_page,
    upload_chunk_problem,
)
from serving import free_port, start_server, stop_server


def frame(parts: list[bytes]) -> bytes:
    """Jupyter's binary layout: the part count, each part's offset, then the parts."""
    head = 4 * (len(parts) + 1)
    offsets, at = [], head
    for p in parts:
        offsets.append(at)
        at += len(p)
    return struct.pack("!i", len(parts)) + struct.pack(f"!{len(parts)}I", *offsets) + b"".join(parts)


MESSAGE = json.dumps({"header": {"msg_type": "comm_msg"}}).encode()


# --------------------------------------------------------------------------- binary frames
def read_parts(f: bytes) -> list[bytes]:
    """The parts of a frame in Jupyter's layout (Solara's reader, without importing Solara's
    server into the test process: importing it patches ipywidgets for good)."""
    n = struct.unpack("!i", f[:4])[0]
    offsets = [*struct.unpack(f"!{n}I", f[4:4 * (n + 1)]), len(f)]
    return [f[a:b] for a, b in itertools.pairwise(offsets)]


@pytest.mark.parametrize("n", [1, 2, 5, FRAME_PARTS_MAX])
def test_a_sound_frame_is_read_as_solara_reads_it(n):
    parts = [MESSAGE, *[bytes([i]) * i for i in range(1, n)]]
    f = frame(parts)
    assert binary_frame_problem(f) is None
    assert checked_frames(read_parts)(f) == parts


def _count(n: int, rest: bytes = b"") -> bytes:
    return struct.pack("!i", n) + rest


BAD_FRAMES = {
    "empty": b"", "short": b"\x00\x00\x00\x01", "no parts": _count(0, b"\x00" * 8),
    "negative count": _count(-1, b"\x00" * 8), "one part too many": frame([MESSAGE] * 65),
    "2^24 parts": _count(2**24, b"\x00\x00\x00\x08"), "2^31-1 parts": _count(2**31 - 1, b"\0" * 4),
    "offset inside the header": _count(1, struct.pack("!I", 4)) + MESSAGE,
    "offset past the end": _count(1, struct.pack("!I", 10_000)) + MESSAGE,
    "offsets out of order": _count(2, struct.pack("!II", 20, 12)) + MESSAGE,
    "header longer than the frame": _count(3, struct.pack("!I", 16)),
    "not bytes": "a text frame",
}


@pytest.mark.parametrize("name", BAD_FRAMES)
def test_a_frame_whose_header_is_not_sound_is_refused_before_solara_reads_it(name):
    read: list[bytes] = []
    guarded = checked_frames(read.append)
    why = binary_frame_problem(BAD_FRAMES[name])
    assert why is not None
    refused = guarded(BAD_FRAMES[name])
    assert isinstance(refused, Refused) and refused.why == f"a binary frame ({why})"
    assert read == [] and kernel_message_problem(refused) == refused.why


def solaras_reader(f: bytes) -> dict[str, Any]:
    """Solara's ``deserialize_binary_message``, restated (importing Solara's server into the
    test process would patch ipywidgets for good)."""
    first, *buffers = read_parts(f)
    msg = json.loads(first.decode("utf8"))
    msg["buffers"] = buffers
    return msg


NOT_A_MESSAGE = {"not UTF-8": b"\xff\xfe{}", "not JSON": b"{'header': 1}", "a JSON list": b"[1, 2]",
                 "deeply nested": b"[" * 100_000 + b"]" * 100_000, "a long number": b"9" * 5_000}


@pytest.mark.parametrize("name", NOT_A_MESSAGE)
def test_a_sound_frame_whose_message_is_not_a_json_object_is_refused(name):
    refused = checked_frames(solaras_reader)(frame([NOT_A_MESSAGE[name], b"buffer"]))
    assert isinstance(refused, Refused) and refused.why.startswith("a binary frame")


@pytest.mark.parametrize("text", ["", "{", "nan-ish", "{'a': 1}", "[" * 100_000, "9" * 5_000,
                                  "\ud800", b"\xff"])
def test_a_text_frame_that_is_not_json_reads_as_refused(text):
    got = read_text_frame(text)
    assert isinstance(got, Refused) and got.why.startswith("a text frame")


@pytest.mark.parametrize("text", ['"a string"', "[1, 2]", "null", "3", '"\\ud800"'])
def test_json_that_is_not_an_object_is_refused_as_a_message(text):
    assert kernel_message_problem(read_text_frame(text)) == "a message that is not an object"


def test_a_sound_frame_reads_as_solara_reads_it():
    assert read_text_frame('{"a": [1]}') == {"a": [1]}
    assert checked_frames(solaras_reader)(frame([MESSAGE, b"x"])) == {
        "header": {"msg_type": "comm_msg"}, "buffers": [b"x"]}


def sound(kind: str = "comm_msg", **content: Any) -> dict[str, Any]:
    return {"header": {"msg_type": kind}, "channel": "shell", "buffers": [],
            "content": {"comm_id": "c", "target_name": "t", **content}}


UNSOUND = {
    "not an object": ([1], "not an object"), "no header": ({"content": {}}, "its type"),
    "header not an object": ({**sound(), "header": "comm_msg"}, "its type"),
    "type not a string": ({**sound(), "header": {"msg_type": 7}}, "its type"),
    "empty type": ({**sound(), "header": {"msg_type": ""}}, "its type"),
    "type too long": ({**sound(), "header": {"msg_type": "x" * 101}}, "its type"),
    "no channel": ({k: v for k, v in sound().items() if k != "channel"}, "its channel"),
    "channel not a string": ({**sound(), "channel": ["shell"]}, "its channel"),
    "no content": ({k: v for k, v in sound().items() if k != "content"}, "its content"),
    "content a list": ({**sound(), "content": []}, "its content"),
    "buffers not a list": ({**sound(), "buffers": "abc"}, "buffers"),
    "comm message without its comm": (
        {**sound(), "content": {"data": {}}}, "without its comm"),
    "comm id not a string": ({**sound("comm_close"), "content": {"comm_id": 1}}, "its comm"),
    "opening without its target": ({**sound("comm_open"), "content": {"comm_id": "c"}},
                                   "its target"),
}


@pytest.mark.parametrize("name", UNSOUND)
def test_a_message_solaras_loop_cannot_read_is_refused_and_closes_its_page(name, caplog):
    msg, words = UNSOUND[name]
    handled: list[Any] = []
    process = checked_kernel_messages(lambda kernel, m: handled.append(m) or True)
    why = kernel_message_problem(msg)
    assert why is not None and words in why
    with caplog.at_level("WARNING"):
        assert process("kernel", msg) is False  # Solara then closes the sender's page
    assert handled == []  # one line, in the server's words (none of the page's text)
    assert [r.getMessage() for r in caplog.records] == [
        f"a page's message was refused: {why}; its page was closed"]


@pytest.mark.parametrize("kind", ["kernel_info_request", "comm_info_request", "comm_open",
                                  "comm_msg", "comm_close", "an_unknown_type"])
def test_a_sound_message_is_handed_on_whatever_it_asks(kind):
    handled: list[Any] = []
    msg = sound(kind)
    assert kernel_message_problem(msg) is None
    assert checked_kernel_messages(lambda kernel, m: handled.append(m) or True)("k", msg)
    assert handled == [msg]


# --------------------------------------------------------------------------- widget comms
class FakeComm:
    def __init__(self, name: str) -> None:
        self.name, self.sent, self.closed, self.handler = name, [], False, None

    def on_msg(self, handler: Any) -> None:
        self.handler = handler

    def send(self, data: Any, buffers: Any = None) -> None:
        self.sent.append(data)

    def close(self) -> None:
        self.closed = True


def test_a_state_request_is_answered_on_the_comm_that_asked():
    """ipywidgets answered every page's request on the control comm opened last."""
    from ipywidgets.widgets.widget import Widget

    victim, visitor = FakeComm("victim"), FakeComm("visitor")
    for comm in (victim, visitor):  # the visitor opens its comm after the victim's
        handle_control_comm_opened(Widget, comm, {"metadata": {"version": "1.0.0"}})
    request = {"content": {"data": {"method": "request_states"}}}
    visitor.handler(request)
    victim.handler(request)
    assert [m["method"] for m in victim.sent] == ["update_states"]
    assert [m["method"] for m in visitor.sent] == ["update_states"]


@pytest.mark.parametrize("msg", [{}, {"metadata": {"version": "9.0.0"}}, {"metadata": "x"},
                                 {"metadata": {"version": 1}}, None])
def test_a_control_comm_of_another_protocol_is_closed(msg):
    from ipywidgets.widgets.widget import Widget

    comm = FakeComm("page")
    handle_control_comm_opened(Widget, comm, msg)
    assert comm.closed and comm.handler is None


@pytest.mark.parametrize("data", [{"method": "update_states"}, {"method": None}, {}, "x", None])
def test_a_control_message_other_than_a_state_request_is_dropped(data):
    from ipywidgets.widgets.widget import Widget

    comm = FakeComm("page")
    handle_control_comm_opened(Widget, comm, {"metadata": {"version": "1.0.0"}})
    comm.handler({"content": {"data": data}})
    assert comm.sent == []


def test_a_widget_a_page_asks_to_create_is_not_made():
    comm = FakeComm("page")
    refuse_widget_from_page(comm, {"content": {"data": {"state": {"_model_name": "TextModel"}}}})
    assert comm.closed


# --------------------------------------------------------------------------- uploads
class FakeListener:
    def __init__(self, queued: list[int], valid: bool = True, version: int = 1) -> None:
        self.chunk_queue = [{"buffer": b"x" * n} for n in queued]
        self.valid, self.version = valid, version


class FakeDrop:
    def __init__(self, *listeners: FakeListener) -> None:
        self.version = 1
        self.kept: list[tuple[Any, Any]] = []
        self.chunk_listeners = dict(enumerate(listeners, start=7))


@pytest.mark.parametrize(("queued", "chunk", "kept"), [
    ([], 64_000, True), ([32_000], 32_001, True), ([64_001], 1, False), ([], 16 * 2**20, False),
    ([40_000], 40_000, False), ([1] * 15, 1, True), ([1] * 16, 1, False), ([], 0, False)])
def test_an_upload_keeps_no_more_than_a_setup_file_needs(queued, chunk, kept):
    reader = FakeListener(queued)
    problem = upload_chunk_problem(FakeDrop(reader), reader, [b"y" * chunk])
    assert (problem is None) is kept


def test_the_budget_is_the_drops_not_each_readers():
    readers = [FakeListener([4_000]) for _ in range(15)]
    drop = FakeDrop(*readers)
    assert upload_chunk_problem(drop, readers[0], [b"y" * 4_001]) is None  # 64,001 in all
    assert upload_chunk_problem(drop, readers[0], [b"y" * 4_002]) is not None
    drop = FakeDrop(*[FakeListener([1]) for _ in range(16)])
    assert upload_chunk_problem(drop, drop.chunk_listeners[7], [b"y"]) is not None


def test_a_chunk_for_no_read_a_finished_or_earlier_one_or_with_no_bytes_is_dropped():
    reader = FakeListener([])
    drop = FakeDrop(reader)
    assert upload_chunk_problem(drop, None, [b"x"]) is not None
    assert upload_chunk_problem(drop, FakeListener([], valid=False), [b"x"]) is not None
    assert upload_chunk_problem(drop, FakeListener([], version=0), [b"x"]) is not None
    assert upload_chunk_problem(drop, reader, []) is not None
    assert upload_chunk_problem(drop, reader, None) is not None


@pytest.mark.parametrize("content", [
    {"id": 7, "file_index": 0, "offset": 0, "length": 3, "pad": "A" * 1_000_000},
    {"id": 7, "file_index": "0", "offset": [0], "length": 10**9},
    {"id": 7, "length": -1, "nested": {"a": [1] * 1000}}])
def test_only_a_chunks_bytes_and_place_are_kept(content):
    def upload(self, content, buffers):
        self.kept.append((content, buffers))

    drop = FakeDrop(FakeListener([]))
    kernel_guards.checked_upload(upload)(drop, content, [b"abc"])
    ((kept, buffers),) = drop.kept
    assert set(kept) == {"id", "file_index", "offset", "length"} and kept["length"] == 3
    assert all(type(kept[k]) is int for k in ("file_index", "offset")) and buffers == [b"abc"]
    for bad in ({**content, "id": 8}, {**content, "id": "7"}, "x", None):
        kernel_guards.checked_upload(upload)(drop, bad, [b"abc"])
    kernel_guards.checked_upload(upload)(drop, content)  # a message with no buffers at all
    assert len(drop.kept) == 1


@pytest.fixture
def checked_drop(monkeypatch):
    """ipyvuetify's file input with the server's two upload guards."""
    import ipyvuetify.extra.file_input as file_input

    cls = file_input.FileInput
    monkeypatch.setattr(cls, "vue_upload", kernel_guards.checked_upload(cls.vue_upload))
    monkeypatch.setattr(cls, "get_files", kernel_guards.checked_get_files(cls.get_files))
    monkeypatch.setattr(cls, "reset_stats", kernel_guards.checked_reset_stats(cls.reset_stats))
    return cls


def test_a_page_describing_many_files_again_and_again_holds_no_more(checked_drop):
    """A page sets the drop's file list to 200 files, three times, and sends each reader a
    full chunk: ipyvuetify kept 600 readers and 38 MB."""
    drop = checked_drop()
    for _ in range(3):
        drop.file_info = [{"name": f"f{i}", "size": 64_000} for i in range(200)]
        assert drop.get_files() == []  # more files than a drop takes: no reader
    drop.file_info = [{"name": "setup.yaml", "size": 64_000}]
    (only,) = drop.get_files()
    for _ in range(3):  # a later drop forgets the readers of the earlier ones
        drop.file_info = [{"name": "setup.yaml", "size": 64_000}]
        (only,) = drop.get_files()
    assert list(drop.chunk_listeners) == [only["file_obj"].id]
    for i in range(100):
        drop._handle_msg({"content": {"data": {"method": "custom", "content": {
            "event": "upload", "data": {"id": only["file_obj"].id, "file_index": 0,
                                        "offset": i, "length": 64_000}}}},
            "buffers": [b"z" * 64_000]})
    queue = only["file_obj"].chunk_queue
    assert len(queue) == 1 and sum(len(c["buffer"]) for c in queue) == 64_000
    for info in ([{"name": "a", "size": -1}], [{"name": "a", "size": 1}, {"name": "b", "size": 1}]):
        drop.file_info = info
        assert drop.get_files() == [] and drop.chunk_listeners == {}


UNDESCRIBED = [[{"name": "a"}], [{"name": "a", "size": "64000"}], [{"size": 1.5}], [7],
               [{"size": True}], [{"size": -1}], [{"size": 1}, {"size": 1}], [None]]


@pytest.mark.parametrize("info", UNDESCRIBED, ids=repr)
def test_a_list_of_files_not_described_by_their_sizes_counts_as_none(checked_drop, info, caplog):
    drop = checked_drop()
    drop.file_info = [{"name": "setup.yaml", "size": 10}]
    assert drop.total_size_inner == 10 and drop.stats == [0]
    with caplog.at_level("WARNING"):
        drop.file_info = info  # ipyvuetify raised KeyError or TypeError here for most
    assert drop.stats == [] and drop.total_size_inner == 0 and drop.get_files() == []
    assert "list of dropped files was refused: at most 1, each described by its size" \
        in caplog.text


INSTALLED = """
import sys
from diplomacy_sim.dashboard import kernel_guards
assert kernel_guards.guard_if_serving() is False  # not a server process yet
import solara.server.starlette  # what the server imports before the app
import ipyvuetify.extra.file_input as file_input
import solara.server.server as solara_server
import solara.server.settings as solara_settings
from ipywidgets.widgets.widget import Widget
assert kernel_guards.guard_if_serving() is True
assert solara_settings.main.root_path == ""
assert solara_server.deserialize_binary_message.checked_frames
assert solara_server.process_kernel_messages.checked_messages
assert solara_server.json.loads is kernel_guards.read_text_frame
assert solara_server.json.dumps is __import__("json").dumps
assert file_input.FileInput.vue_upload.checked_uploads
assert file_input.FileInput.get_files.checked_files
assert file_input.FileInput.reset_stats.checked_stats
assert Widget.handle_comm_opened is kernel_guards.refuse_widget_from_page
assert Widget.handle_control_comm_opened.__func__ is kernel_guards.handle_control_comm_opened
upload = file_input.FileInput.vue_upload
assert kernel_guards.guard_if_serving() is True
assert file_input.FileInput.vue_upload is upload  # wrapped once
print("installed")
"""


@pytest.mark.slow
def test_the_guards_are_installed_in_the_server_process_only():
    """In a process of its own: importing Solara's server patches ipywidgets for good."""
    done = subprocess.run([sys.executable, "-c", INSTALLED], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "installed", done.stderr[-2000:]


# --------------------------------------------------------------------------- a real server
def _message(kind: str, content: dict[str, Any], metadata: dict[str, Any] | None = None) -> str:
    return json.dumps({"header": {"msg_id": uuid.uuid4().hex, "msg_type": kind, "session": "s",
                                  "username": "", "date": "2026-01-01T00:00:00Z",
                                  "version": "5.3"},
                       "parent_header": {}, "metadata": metadata or {}, "content": content,
                       "channel": "shell", "buffers": []})


def _decode(raw: Any) -> dict[str, Any]:
    if isinstance(raw, str):
        return json.loads(raw)
    n = struct.unpack("!i", raw[:4])[0]
    offsets = struct.unpack(f"!{n}I", raw[4:4 * (n + 1)])
    return json.loads(raw[offsets[0]:offsets[1] if n > 1 else len(raw)])


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[tuple[int, Path]]:
    d = tmp_path_factory.mktemp("kernels")
    port = free_port()
    proc = start_server(port, db=d / "rooms.sqlite", log=d / "server.log")
    try:
        yield port, d / "server.log"
    finally:
        stop_server(proc)


class Page:
    """A raw websocket to a kernel of its own, as any visitor's script can open."""

    def __init__(self, port: int) -> None:
        self.url = (f"ws://127.0.0.1:{port}/jupyter/api/kernels/{uuid.uuid4()}/channels"
                    f"?session_id={uuid.uuid4()}")
        self.got: list[dict[str, Any]] = []

    async def __aenter__(self) -> Page:
        import websockets

        self.ws = await websockets.connect(
            self.url, max_size=None,
            additional_headers={"Cookie": f"solara-session-id={uuid.uuid4().hex}"})
        self.reader = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        async for raw in self.ws:
            self.got.append(_decode(raw))

    async def __aexit__(self, *exc: object) -> None:
        self.reader.cancel()
        await self.ws.close()

    async def send(self, kind: str, content: dict[str, Any], **metadata: Any) -> None:
        await self.ws.send(_message(kind, content, metadata))

    def comm_msgs(self, method: str) -> list[dict[str, Any]]:
        return [m for m in self.got if m["header"]["msg_type"] == "comm_msg"
                and m["content"]["data"].get("method") == method]


async def _settle() -> None:
    await asyncio.sleep(1.0)


def _run(scenario: Any) -> Any:
    """``asyncio.run(scenario())`` on a thread of its own (a browser test before this one may
    have left an event loop running on the main thread)."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(scenario())).result(timeout=120)


@pytest.mark.slow
def test_a_visitor_never_receives_another_pages_widget_state(server):
    port, _ = server

    async def scenario() -> tuple[Page, Page]:
        async with Page(port) as victim, Page(port) as visitor:
            await victim.send("comm_open", {"comm_id": "v-ctl", "data": {},
                                            "target_name": "jupyter.widget.control"},
                              version="1.0.0")
            await _settle()
            await visitor.send("comm_open", {"comm_id": "a-ctl", "data": {},
                                             "target_name": "jupyter.widget.control"},
                               version="1.0.0")
            await _settle()
            for page, comm in ((visitor, "a-ctl"), (victim, "v-ctl")):
                await page.send("comm_msg", {"comm_id": comm,
                                             "data": {"method": "request_states"}})
                await _settle()
            return victim, visitor

    victim, visitor = _run(scenario)
    assert [m["content"]["comm_id"] for m in visitor.comm_msgs("update_states")] == ["a-ctl"]
    assert [m["content"]["comm_id"] for m in victim.comm_msgs("update_states")] == ["v-ctl"]


BAD_ON_THE_WIRE = [
    struct.pack("!iI", 2**24, 8),  # a frame that claims 2^24 parts
    "{not json", "[" * 200_000, json.dumps({"channel": "shell", "content": {}}),
    _message("comm_msg", {"data": {"method": "request_states"}}),
    frame([b"\xff not UTF-8"]),
]


@pytest.mark.slow
def test_a_page_creates_no_widget_and_a_bad_frame_is_refused_in_the_log(server):
    port, log = server

    async def scenario() -> Page:
        async with Page(port) as page:
            await page.send("comm_open", {"comm_id": "made-by-page", "target_name": "jupyter.widget",
                                          "data": {"state": {
                                              "_model_module": "@jupyter-widgets/controls",
                                              "_model_module_version": "2.0.0",
                                              "_model_name": "TextModel",
                                              "_view_module": "@jupyter-widgets/controls",
                                              "_view_module_version": "2.0.0",
                                              "_view_name": "TextView", "value": "planted"}}},
                            version="2.1.0")
            await page.send("comm_open", {"comm_id": "ctl", "data": {},
                                          "target_name": "jupyter.widget.control"},
                            version="1.0.0")
            await _settle()
            await page.send("comm_msg", {"comm_id": "ctl", "data": {"method": "request_states"}})
            await _settle()
        for bad in BAD_ON_THE_WIRE:  # each on a page of its own, which it closes
            async with Page(port) as other:
                await other.ws.send(bad)
                await _settle()
                assert other.reader.done(), f"{bad[:40]!r} left its page open"
        return page

    page = _run(scenario)
    (states,) = page.comm_msgs("update_states")
    assert "planted" not in json.dumps(states["content"]["data"]["states"])
    assert any(m["header"]["msg_type"] == "comm_close" and
               m["content"]["comm_id"] == "made-by-page" for m in page.got)
    text = log.read_text(errors="replace")
    assert "a page's request to create a widget was refused" in text
    assert "refused: a binary frame (16777216 parts; allowed: 1 to 64)" in text
    for why in ("a text frame that is not JSON", "a text frame nested too deep",
                "a message without its type", "a comm message without its comm",
                "a binary frame whose message is not a JSON object"):
        assert f"a page's message was refused: {why}; its page was closed" in text
    assert "Traceback" not in text
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=30) as r:
        assert r.status == 200  # and the server serves on


@pytest.mark.slow
def test_no_request_header_chooses_where_pages_load_their_scripts(tmp_path):
    """Solara took the root path from the first request's script-name header, for good."""
    from diplomacy_sim.dashboard.server import APP, server_env, solara_command

    port = free_port()
    env = server_env(tmp_path / "rooms.sqlite")
    with (tmp_path / "server.log").open("ab") as out:
        proc = subprocess.Popen(solara_command("127.0.0.1", port, APP), env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    try:
        forged = {"X-Script-Name": "https://evil.invalid", "Script-Name": "//evil.invalid"}
        deadline = time.time() + 60
        while True:  # every request from the first one on carries the headers
            try:
                req = urllib.request.Request(f"http://127.0.0.1:{port}/join", headers=forged)
                with urllib.request.urlopen(req, timeout=5) as r:
                    first = r.read().decode()
                break
            except OSError:
                assert time.time() < deadline and proc.poll() is None, "server did not start"
                time.sleep(0.3)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as r:
            later = r.read().decode()
        assert "evil.invalid" not in first and "evil.invalid" not in later
        assert '"/_solara/cdn/@widgetti' in later or "/_solara/cdn/@widgetti" in later
    finally:
        stop_server(proc)
