"""Bounded reading of untrusted input: files a user passes, text from a page or a URL.

One mechanism per class of input, shared by every caller:

* :func:`read_bounded_file` — a file a user names: only a regular file (a FIFO, a device or a
  folder is refused without blocking), at most :data:`MAX_FILE_BYTES`;
* :func:`load_yaml` — YAML text: nesting depth, node count (with aliases expanded) and
  number length are capped, duplicate keys are an error naming both lines, and only plain
  data is built (``yaml.SafeLoader``: no tag ever executes);
* :func:`parse_int` — a whole number typed into a page or given in a URL: ASCII digits
  only, bounded length, bounded range;
* :func:`short` — any value echoed in a message, truncated (a message never holds the repr
  of an unbounded value).

Each raises :class:`InputRefused` (or returns a message) that says what is allowed; callers
wrap it with the file or field it came from.
"""

from __future__ import annotations

import math
import os
import re
import reprlib
import stat
from pathlib import Path
from typing import Any

import yaml

MAX_FILE_BYTES = 1_000_000
"""Largest scenario or experiment file read (the shipped ones are under 10 kB)."""
MAX_DEPTH = 50
"""Deepest nesting of mappings and lists in a YAML file (scenarios use 4 levels)."""
MAX_NODES = 20_000
"""Most YAML nodes, as written and counting every alias as the whole value it stands for
(the largest shipped file has under 700)."""
MAX_NUMBER_CHARS = 40
"""Longest number written in a file (a seed has at most 19 digits)."""
MAX_INT_TEXT = 30
"""Longest text read as a whole number from a page or a URL."""


class InputRefused(ValueError):
    """Untrusted input breaks a bound; the message says which and what is allowed."""


# --------------------------------------------------------------------------- messages
class _ShortRepr(reprlib.Repr):
    def __init__(self) -> None:
        super().__init__()
        self.maxstring = 60
        self.maxother = 60
        self.maxlong = 24
        self.maxlevel = 2
        self.maxdict = self.maxlist = self.maxtuple = self.maxset = 4

    def repr_int(self, x: int, level: int) -> str:
        if x.bit_length() > 80:  # never build the decimal text of a huge number
            return f"<a number of about {int(x.bit_length() * 0.30103) + 1} digits>"
        return super().repr_int(x, level)


_SHORT = _ShortRepr()


def short(value: Any, limit: int = 80) -> str:
    """``repr(value)`` cut to about ``limit`` characters, cheap for any size of value."""
    text = _SHORT.repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def cut(text: str, limit: int = 80) -> str:
    """``text`` cut to at most ``limit`` characters (an ellipsis marks the cut)."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


_LONG_TOKEN = re.compile(r"\S{100,}")


def cut_tokens(text: str, limit: int = 60) -> str:
    """``text`` with every run of over 100 non-space characters cut to ``limit``: the last
    guard at every message boundary (a message keeps its words, never a pasted blob)."""
    return _LONG_TOKEN.sub(lambda m: cut(m.group(0), limit), text)


# --------------------------------------------------------------------------- files
def read_bounded_file(path: str | Path, max_bytes: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file of at most ``max_bytes``; never blocks on a FIFO.

    Raises FileNotFoundError if it does not exist, InputRefused if it is not a regular file
    or is too large, OSError if it cannot be read.
    """
    # O_NONBLOCK: opening a FIFO for reading returns at once instead of waiting for a writer
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            what = ("a folder" if stat.S_ISDIR(st.st_mode) else
                    "a named pipe (FIFO)" if stat.S_ISFIFO(st.st_mode) else
                    "a device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) else
                    "a socket" if stat.S_ISSOCK(st.st_mode) else "not a regular file")
            raise InputRefused(f"is {what}; allowed: a regular file")
        if st.st_size > max_bytes:
            raise InputRefused(
                f"is {st.st_size:,} bytes; allowed: at most {max_bytes:,} bytes")
        chunks, total = [], 0
        while True:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            total += len(chunk)
            if total > max_bytes:  # grew while being read
                raise InputRefused(f"is over {max_bytes:,} bytes; allowed: at most "
                                   f"{max_bytes:,} bytes")
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


# --------------------------------------------------------------------------- YAML
class BoundedLoader(yaml.SafeLoader):
    """SafeLoader with caps on depth, expanded size and number length; duplicate keys fail."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self._depth = 0
        self._written = 0

    # depth: composing is recursive, so it is checked before each level is entered; the
    # values as written are counted as they are composed, so a file of a great many small
    # values is refused at the cap, not after all of them are built (aliases expanded are
    # counted once the document is composed, by _check_expanded_size)
    def compose_node(self, parent: Any, index: Any) -> Any:
        self._written += 1
        if self._written > MAX_NODES:
            raise yaml.constructor.ConstructorError(
                None, None, f"holds more than {MAX_NODES:,} values as written; allowed: at "
                f"most {MAX_NODES:,}", self.peek_event().start_mark)
        if self.check_event(yaml.AliasEvent):
            return super().compose_node(parent, index)
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise yaml.constructor.ConstructorError(
                    None, None,
                    f"nested more than {MAX_DEPTH} levels deep; allowed: at most {MAX_DEPTH} "
                    "levels of mappings and lists", mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_document(self, node: Any) -> Any:
        _check_expanded_size(node)
        return super().construct_document(node)

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, Any] = {}
            for key_node, _ in node.value:
                if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = (key_node.tag, key_node.value)
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None,
                        f"duplicate key `{cut(str(key_node.value), 60)}` (first at line "
                        f"{seen[key].start_mark.line + 1}, again at line "
                        f"{key_node.start_mark.line + 1}); allowed: each key once per mapping",
                        key_node.start_mark)
                seen[key] = key_node
        return super().construct_mapping(node, deep=deep)

    @staticmethod
    def _check_number_length(node: Any) -> None:
        if len(node.value) > MAX_NUMBER_CHARS:
            raise yaml.constructor.ConstructorError(
                None, None,
                f"a number {len(node.value):,} characters long; allowed: at most "
                f"{MAX_NUMBER_CHARS} characters", node.start_mark)

    def construct_yaml_int(self, node: Any) -> Any:
        self._check_number_length(node)
        if not _PLAIN_INT.fullmatch(node.value):  # YAML 1.1: 017 is 15, 1:30 is 90, 0x10...
            raise yaml.constructor.ConstructorError(
                None, None,
                f"`{cut(node.value, 40)}` is not a plain whole number (YAML would read it as "
                "octal, binary, hexadecimal, base 60 or with `_` separators); allowed: "
                "decimal digits with no leading zero, such as 17", node.start_mark)
        return super().construct_yaml_int(node)

    def construct_yaml_float(self, node: Any) -> Any:
        self._check_number_length(node)
        if "_" in node.value or ":" in node.value:  # YAML 1.1: 1_0.5, 1:30.5 (base 60)
            raise yaml.constructor.ConstructorError(
                None, None,
                f"`{cut(node.value, 40)}` is not a plain number (YAML would read `_` as "
                "nothing and `:` as base 60); allowed: decimal digits with a point, and an "
                "exponent with its sign, such as 0.25 or 2.5e-3", node.start_mark)
        return super().construct_yaml_float(node)


_PLAIN_INT = re.compile(r"[-+]?(0|[1-9][0-9]*)")
BoundedLoader.add_constructor("tag:yaml.org,2002:int", BoundedLoader.construct_yaml_int)
BoundedLoader.add_constructor("tag:yaml.org,2002:float", BoundedLoader.construct_yaml_float)


def _check_expanded_size(root: Any) -> None:
    """Count nodes as if every alias were written out (memoised: linear in the file)."""
    size: dict[int, int] = {}
    open_: set[int] = set()  # nodes whose children are being counted (the path from root)
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in size:
            continue
        if not children_done and id(node) in open_:  # `&a [*a]`: it contains itself
            raise yaml.constructor.ConstructorError(
                None, None, "an alias `*name` inside its own anchor's value (it would repeat "
                "without end); allowed: aliases of values defined before", node.start_mark)
        kids: list[Any]
        if isinstance(node, yaml.MappingNode):
            kids = [x for kv in node.value for x in kv]
        elif isinstance(node, yaml.SequenceNode):
            kids = list(node.value)
        else:
            kids = []
        if children_done or not kids:
            total = 1 + sum(size.get(id(k), 0) for k in kids)
            size[id(node)] = total
            if total > MAX_NODES:
                raise yaml.constructor.ConstructorError(
                    None, None,
                    f"expands to more than {MAX_NODES:,} values (aliases `*name` repeat "
                    f"their anchor's value); allowed: at most {MAX_NODES:,}", node.start_mark)
            continue
        open_.add(id(node))
        stack.append((node, True))
        stack.extend((k, False) for k in kids if id(k) not in size)


def load_yaml(text: str) -> Any:
    """Plain data from untrusted YAML text, within the bounds above.

    Raises ``yaml.YAMLError`` (with a mark: line and column) for malformed or out-of-bounds
    text.
    """
    loader = BoundedLoader(text)
    try:
        return loader.get_single_data()
    except RecursionError:  # belt and braces: the depth cap comes first
        raise yaml.constructor.ConstructorError(
            None, None, f"nested too deep; allowed: at most {MAX_DEPTH} levels", None) from None
    finally:
        loader.dispose()


def yaml_problem(exc: yaml.YAMLError) -> tuple[str, str]:
    """(where, what) of a YAML error, for a message: ``" at line 3, column 5"``, problem."""
    mark = getattr(exc, "problem_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return where, cut(str(problem), 300)


# --------------------------------------------------------------------------- numbers
_ASCII_INT = re.compile(r"[+-]?[0-9]+")


def parse_int(text: Any, lo: int, hi: int, what: str) -> tuple[int | None, str | None]:
    """(value, None) or (None, message) for a whole number typed by a user or sent in a URL.

    Only ASCII digits count (``"²"`` and other Unicode digits are refused), the text is
    length-checked before conversion, and the value must lie in ``[lo, hi]``.
    """
    raw = str(text).strip()
    allowed = f"enter a whole number from {lo} to {hi}"
    if len(raw) > MAX_INT_TEXT:
        return None, f"That is {len(raw):,} characters long, too long for {what}: {allowed}."
    if not _ASCII_INT.fullmatch(raw):
        return None, f"“{cut(raw, 40)}” is not {what}: {allowed}."
    value = int(raw)
    if not lo <= value <= hi:
        return None, f"{value} is out of range for {what}: {allowed}."
    return value, None


_ASCII_DECIMAL = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]{1,3})?")
MAX_DECIMAL_TEXT = 40
"""Longest number text :func:`parse_decimal` reads (a double has 17 significant digits)."""


def parse_decimal(text: Any, lo: float, hi: float, what: str,
                  allowed: str | None = None) -> tuple[float | None, str | None]:
    """(value, None) or (None, message) for a number typed by a user or sent in a URL.

    The twin of :func:`parse_int`: only ASCII digits, a point and an exponent count (no
    Unicode digits, no ``_`` separators, no ``nan`` or ``inf``), the text is length-checked
    and echoed cut, and the value must be finite and lie in ``[lo, hi]``. ``allowed``
    overrides the description of what is allowed.
    """
    raw = str(text).strip()
    allowed = allowed or f"a number from {lo:g} to {hi:g}"
    if len(raw) > MAX_DECIMAL_TEXT:
        return None, f"That is {len(raw):,} characters long, too long for {what}: enter {allowed}."
    if not _ASCII_DECIMAL.fullmatch(raw):
        return None, f"“{cut(raw, 40)}” is not {what}: enter {allowed}."
    value = float(raw)
    if not (math.isfinite(value) and lo <= value <= hi):
        return None, f"{raw} is out of range for {what}: enter {allowed}."
    return value, None


__all__ = [
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "MAX_NODES",
    "InputRefused",
    "cut",
    "cut_tokens",
    "load_yaml",
    "parse_decimal",
    "parse_int",
    "read_bounded_file",
    "short",
    "yaml_problem",
]
