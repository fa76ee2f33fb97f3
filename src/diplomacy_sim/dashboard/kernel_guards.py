"""What a page's websocket may make the server's kernels do, held to what a page needs.

Every page is a Jupyter kernel of its own inside the one server process; its messages
come in over a websocket (Solara's server) and reach the widget libraries' handlers.
Several of those handlers, written for one user's notebook, trusted the page (found by the
seventh attack round; the Vue templates' messages are :mod:`widget_events`, the front-end
route :mod:`front_end`):

- **The widget control comm answered on the last page's comm.** ipywidgets keeps one
  control comm per process (a class attribute) and sends every ``request_states`` answer
  on it: a visitor opening one in a loop received the trainer's page state, the room's
  facilitator key in it, whenever the trainer's page reconnected.
  :func:`handle_control_comm_opened` answers each request on the comm that asked.
- **A page could create widgets.** A ``comm_open`` on ``jupyter.widget`` builds any
  registered widget class with the page's state, kept until the page closes (about 14
  times the message in memory, any number of them). Solara's front end never opens one:
  :func:`refuse_widget_from_page` closes it.
- **A binary frame's part count was believed.** Solara builds a format string as long as
  the count a frame's first 4 bytes give (up to 2^31): one 8-byte frame took 12 s and 4.4
  GB. :func:`binary_frame_problem` checks the header before Solara reads it.
- **A frame that was not a message ended in a traceback.** Text that is not JSON, JSON
  nested past the interpreter's limit, a message without its header, channel or content,
  a comm message without its comm: each made Solara's websocket loop raise, and the log
  took the whole traceback (about 7 KB) for what is a page's fault, not the server's.
  :func:`kernel_message_problem` names what is wrong before Solara reads a message, and
  the sender's page is closed as Solara closes it for a message type it does not know:
  one line in the log, nothing else changed.
- **Upload chunks were kept without bound.** The file drop keeps every chunk a page sends
  for a read it started, whole (the page's fields of any size with it), for the page's
  life, and a reader for every file a page described. :func:`upload_chunk_problem` keeps a
  chunk only within the bytes and chunks a setup file needs, counted over all the drop's
  readers, and only its bytes and place (:func:`upload_chunk`); a new drop forgets the
  earlier readers and has one at most (:func:`checked_get_files`); a finished read takes
  no more (``sharing.read_upload`` forgets its reader); a list of files not described by
  their sizes counts as none (:func:`checked_reset_stats`).
- **The first request chose the script origin.** Solara takes the root path from the
  first request's ``script-name`` / ``x-script-name`` header for the life of the process
  (then every page loaded its scripts from the host that request named). The root path is
  fixed at the server's own (``SOLARA_ROOT_PATH`` if the operator set one, else none).

Each guard is installed in the server process only (:func:`guard_if_serving`), before any
page opens; refusals are one line in the server's log.
"""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import Callable
from typing import Any

from diplomacy_sim.dashboard.log_bound import REFUSED
from diplomacy_sim.dashboard.serving import server_module
from diplomacy_sim.dashboard.sharing import MAX_DOCUMENT_BYTES

logger = logging.getLogger(REFUSED)  # the log keeps a bounded number a minute

FRAME_PARTS_MAX = 64
"""Parts one binary websocket frame may have (a message and its buffers: pages send a few)."""
UPLOAD_BYTES_MAX = MAX_DOCUMENT_BYTES + 1
"""Bytes of an upload the server keeps waiting for a read: the largest setup file
(``sharing.MAX_DOCUMENT_BYTES``), read with one byte more to see a longer one."""
UPLOAD_CHUNKS_MAX = 16
"""Chunks that may wait for a read (the page sends a setup file in one or a few)."""
UPLOAD_FILES_MAX = 1
"""Files one drop may hand the server (the share panel's drop takes one setup file)."""


# --------------------------------------------------------------------------- binary frames
def binary_frame_problem(frame: object) -> str | None:
    """What is wrong with a binary websocket frame's header (None: nothing): 4 bytes of part
    count, then a 4-byte offset per part, in order, within the frame (Jupyter's layout)."""
    if not isinstance(frame, bytes | bytearray | memoryview):
        return "not bytes"
    size = len(frame)
    if size < 8:
        return "shorter than a header"
    parts = int.from_bytes(frame[:4], "big", signed=True)
    if not 1 <= parts <= FRAME_PARTS_MAX:
        return f"{parts} parts; allowed: 1 to {FRAME_PARTS_MAX}"
    head = 4 * (parts + 1)
    if size < head:
        return "shorter than its header"
    offsets = [int.from_bytes(frame[4 + 4 * i:8 + 4 * i], "big") for i in range(parts)]
    if offsets[0] < head or offsets[-1] > size or any(
            b < a for a, b in itertools.pairwise(offsets)):
        return "parts out of order or past its end"
    return None


class Refused(dict):  # type: ignore[type-arg]
    """What a frame that is no sound message reads as: an empty message carrying why (in
    the server's words; the page's own text is never in it)."""

    def __init__(self, why: str) -> None:
        super().__init__()
        self.why = why


def checked_frames(deserialize: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Solara's reader of binary frames, reading only a frame whose header is sound, and
    whose first part is a JSON object (else :class:`Refused`)."""

    def deserialize_checked(frame: Any) -> Any:
        why = binary_frame_problem(frame)
        if why is not None:
            return Refused(f"a binary frame ({why})")
        try:
            return deserialize(frame)
        except RecursionError:
            return Refused("a binary frame nested too deep")
        except (ValueError, TypeError):  # not UTF-8, not JSON, or JSON but not an object
            return Refused("a binary frame whose message is not a JSON object")

    deserialize_checked.checked_frames = True  # type: ignore[attr-defined]
    return deserialize_checked


def read_text_frame(text: Any) -> Any:
    """A text frame's message, as ``json.loads`` reads it, or :class:`Refused`."""
    try:
        return json.loads(text)
    except RecursionError:
        return Refused("a text frame nested too deep")
    except (ValueError, TypeError):
        return Refused("a text frame that is not JSON")


class TextFrames:
    """Stands in for the ``json`` module in Solara's websocket loop, whose one use of it
    reads a text frame (:func:`read_text_frame`); anything else is ``json``'s own."""

    loads = staticmethod(read_text_frame)

    def __getattr__(self, name: str) -> Any:
        return getattr(json, name)


COMM_MESSAGES = ("comm_open", "comm_msg", "comm_close")
TYPE_NAME_MAX = 100
"""Longest message type a page may name (Jupyter's are under 30 characters)."""


def kernel_message_problem(msg: Any) -> str | None:
    """What makes a page's message one Solara's loop cannot read (None: nothing): it must be
    an object with a header naming its type, a channel, a content object and, if it has
    buffers, a list of them; a comm message must name its comm, a comm opening its target.
    (What a message asks for is the business of the handlers and their guards.)"""
    if isinstance(msg, Refused):
        return msg.why
    if not isinstance(msg, dict):
        return "a message that is not an object"
    header = msg.get("header")
    kind = header.get("msg_type") if isinstance(header, dict) else None
    if not isinstance(kind, str) or not 0 < len(kind) <= TYPE_NAME_MAX:
        return "a message without its type"
    if not isinstance(msg.get("channel"), str):
        return "a message without its channel"
    content = msg.get("content")
    if not isinstance(content, dict):
        return "a message without its content"
    if not isinstance(msg.get("buffers", []), list):
        return "a message whose buffers are not a list"
    if kind in COMM_MESSAGES and not isinstance(content.get("comm_id"), str):
        return "a comm message without its comm"
    if kind == "comm_open" and not isinstance(content.get("target_name"), str):
        return "a comm opening without its target"
    return None


def checked_kernel_messages(process: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    """Solara's handler of a page's messages, handing on only a message
    :func:`kernel_message_problem` finds sound; for any other it answers False, on which
    Solara closes the sender's page (as for a message type it does not know)."""

    def process_checked(kernel: Any, msg: Any) -> bool:
        why = kernel_message_problem(msg)
        if why is not None:
            logger.warning("a page's message was refused: %s; its page was closed", why)
            return False
        return process(kernel, msg)

    process_checked.checked_messages = True  # type: ignore[attr-defined]
    return process_checked


# --------------------------------------------------------------------------- widget comms
def widget_states() -> tuple[dict[str, Any], list[Any], list[Any]]:
    """Every widget of the current page's kernel, as ipywidgets' ``update_states`` sends
    them (Solara keeps ipywidgets' registry per kernel)."""
    from ipywidgets.widgets import widget as w

    full = {x.model_id: {"model_name": x._model_name, "model_module": x._model_module,
                         "model_module_version": x._model_module_version,
                         "state": x.get_state(drop_defaults=False)}
            for x in list(w._instances.values())}
    states, paths, buffers = w._remove_buffers(full)
    return states, paths, buffers


def handle_control_comm_opened(cls: type, comm: Any, msg: Any) -> None:
    """ipywidgets' control comm, answered on the comm that asked (never on another page's)."""
    from ipywidgets.widgets.widget import CONTROL_PROTOCOL_VERSION_MAJOR

    metadata = msg.get("metadata") if isinstance(msg, dict) else None
    version = metadata.get("version", "") if isinstance(metadata, dict) else ""
    if not isinstance(version, str) or version.split(".")[0] != CONTROL_PROTOCOL_VERSION_MAJOR:
        comm.close()
        return

    def on_msg(message: Any) -> None:
        try:
            method = message["content"]["data"]["method"]
        except (KeyError, TypeError):
            method = None
        if method != "request_states":
            logger.warning("a page's widget control message was dropped: %r is not one",
                           str(method)[:40])
            return
        states, paths, buffers = widget_states()
        comm.send({"method": "update_states", "states": states, "buffer_paths": paths},
                  buffers=buffers)

    comm.on_msg(on_msg)


def refuse_widget_from_page(comm: Any, msg: Any) -> None:
    """A widget the page asks to create: none is (the server makes every widget)."""
    logger.warning("a page's request to create a widget was refused")
    comm.close()


# --------------------------------------------------------------------------- uploads
def upload_chunk_problem(drop: Any, listener: Any, buffers: Any) -> str | None:
    """Why a chunk a page sends for a file read is not kept (None: it is): a reader of that
    id and of the drop's current file must exist, the chunk must carry bytes, and what
    waits in all the drop's readers must stay within :data:`UPLOAD_BYTES_MAX` bytes and
    :data:`UPLOAD_CHUNKS_MAX` chunks."""
    if listener is None or not getattr(listener, "valid", True) or \
            getattr(listener, "version", None) != getattr(drop, "version", None):
        return "no read of that id is waiting"
    if not isinstance(buffers, list | tuple) or not buffers or not len(buffers[0]):
        return "no bytes"
    queue = [c for r in list(getattr(drop, "chunk_listeners", {}).values())
             for c in getattr(r, "chunk_queue", []) if isinstance(c, dict)]
    if len(queue) >= UPLOAD_CHUNKS_MAX:
        return f"more than {UPLOAD_CHUNKS_MAX} chunks waiting"
    if sum(len(c.get("buffer") or b"") for c in queue) + len(buffers[0]) > UPLOAD_BYTES_MAX:
        return f"more than {UPLOAD_BYTES_MAX:,} bytes waiting"
    return None


def upload_chunk(content: dict[str, Any], buffer: Any) -> dict[str, Any]:
    """What is kept of a chunk: its read's id and place, its length the bytes it carries
    (the page's other fields, of any size, and its own word for the length, are not)."""
    where = {k: content.get(k) for k in ("file_index", "offset")}
    return {"id": content.get("id"), **{k: v if type(v) is int else 0 for k, v in where.items()},
            "length": len(buffer)}


def checked_upload(upload: Callable[..., Any]) -> Callable[..., Any]:
    """The file drop's chunk handler, keeping a chunk only within :func:`upload_chunk_problem`,
    and only as :func:`upload_chunk`."""

    def upload_checked(self: Any, content: Any, buffers: Any = None) -> Any:
        listener_id = content.get("id") if isinstance(content, dict) else None
        listeners = getattr(self, "chunk_listeners", {})
        listener = listeners.get(listener_id) if type(listener_id) is int else None
        why = upload_chunk_problem(self, listener, buffers)
        if why is not None:
            logger.warning("a page's upload chunk was dropped: %s", why)
            return None
        return upload(self, upload_chunk(content, buffers[0]), [buffers[0]])

    upload_checked.checked_uploads = True  # type: ignore[attr-defined]
    return upload_checked


def checked_get_files(get_files: Callable[..., Any]) -> Callable[..., Any]:
    """The file drop's readers for a new drop: the earlier drops' readers are forgotten
    first (ipyvuetify kept each, and what a page sent it, for the page's life), and there is
    a reader for at most :data:`UPLOAD_FILES_MAX` files, each described by a size (a page
    could describe any number: one reader each)."""

    def get_files_checked(self: Any, timeout: int = 30) -> Any:
        getattr(self, "chunk_listeners", {}).clear()
        if not files_described(self.file_info):
            logger.warning("a page's dropped files were refused: %s", FILES_ALLOWED)
            return []
        return get_files(self, timeout=timeout)

    get_files_checked.checked_files = True  # type: ignore[attr-defined]
    return get_files_checked


FILES_ALLOWED = f"at most {UPLOAD_FILES_MAX}, each described by its size in bytes"


def files_described(info: Any) -> bool:
    """Whether a drop's list of files (set by the page) is one the server reads: at most
    :data:`UPLOAD_FILES_MAX` objects, each with a size, a whole number of bytes."""
    return isinstance(info, list) and len(info) <= UPLOAD_FILES_MAX and all(
        isinstance(f, dict) and type(f.get("size")) is int and f["size"] >= 0 for f in info)


def checked_reset_stats(reset_stats: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """The file drop's progress counts for a new list of files: for a list
    :func:`files_described` refuses, the counts of no file (ipyvuetify summed the sizes the
    page gave, and a file without one, or with text for one, ended in a traceback)."""

    def reset_stats_checked(self: Any) -> Any:
        if files_described(self.file_info):
            return reset_stats(self)
        logger.warning("a page's list of dropped files was refused: %s", FILES_ALLOWED)
        self.stats = []
        self.total_progress = self.total_progress_inner = self.total_size_inner = 0
        return None

    reset_stats_checked.checked_stats = True  # type: ignore[attr-defined]
    return reset_stats_checked


# --------------------------------------------------------------------------- installing
def guard_if_serving() -> bool:
    """In the server process (Solara's Starlette server imported), install every guard of
    this module. Returns whether it did (a test process rendering pages keeps the
    libraries as they are)."""
    if server_module() is None:
        return False
    import ipyvuetify.extra.file_input as file_input
    import solara.server.server as solara_server
    import solara.server.settings as solara_settings
    from ipywidgets.widgets.widget import Widget

    if not getattr(solara_server.deserialize_binary_message, "checked_frames", False):
        solara_server.deserialize_binary_message = checked_frames(
            solara_server.deserialize_binary_message)
    solara_server.json = TextFrames()  # type: ignore[assignment]
    if not getattr(solara_server.process_kernel_messages, "checked_messages", False):
        solara_server.process_kernel_messages = checked_kernel_messages(
            solara_server.process_kernel_messages)
    # ipywidgets registers these two for each new kernel (register_comm_target), by name
    Widget.handle_control_comm_opened = classmethod(handle_control_comm_opened)  # type: ignore[method-assign,assignment]
    Widget.handle_comm_opened = staticmethod(refuse_widget_from_page)  # type: ignore[method-assign,assignment]
    upload, files = file_input.FileInput.vue_upload, file_input.FileInput.get_files
    if not getattr(upload, "checked_uploads", False):
        file_input.FileInput.vue_upload = checked_upload(upload)  # type: ignore[method-assign]
    if not getattr(files, "checked_files", False):
        file_input.FileInput.get_files = checked_get_files(files)  # type: ignore[method-assign]
    reset = file_input.FileInput.reset_stats
    if not getattr(reset, "checked_stats", False):
        file_input.FileInput.reset_stats = checked_reset_stats(reset)  # type: ignore[method-assign]
    if solara_settings.main.root_path is None:  # never from a request's headers
        solara_settings.main.root_path = ""
    return True
