"""Writing results so that a reader never sees a half-written or mixed result.

One mechanism for every result the project writes:

* :func:`atomic_write` — one file: written under a hidden temporary name in the same folder,
  flushed to disk (``fsync``), renamed over the target, and the folder's entry flushed;
* :func:`replace_folder` — a whole result folder: every file is written into a hidden
  sibling folder, flushed, and the sibling is swapped in with one atomic exchange
  (``renameat2(RENAME_EXCHANGE)`` on Linux); a reader sees the old folder or the new one at
  every instant, never a mixture. A killed writer leaves only a hidden ``.NAME.tmp-*``
  sibling, which the next write removes.
* :func:`check_writable` — checked before a long computation, so a folder that cannot be
  written is reported at once, not after the run.

Files are created with mode ``0666 & ~umask`` (as ``open`` would), never ``mkstemp``'s 0600.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import fnmatch
import glob
import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path


def _umask() -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # fallback: read and restore
    os.umask(mask)
    return mask


def fsync_path(path: Path) -> None:
    """Flush a file's (or a folder's entries') data to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fresh_name(folder: Path, name: str, kind: str) -> Path:
    return folder / f".{name}.{kind}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Write via a hidden temporary file in the same folder, fsync, rename over ``path``."""
    path = Path(path)
    tmp = _fresh_name(path.parent, path.name, "tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # umask applies
    os.close(fd)
    try:
        write(tmp)
        fsync_path(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_path(path.parent)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2); False if the system cannot."""
    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    fn = getattr(libc, "renameat2", None)
    if fn is None:
        return False
    rc = fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _remove_stale(parent: Path, name: str) -> None:
    """Remove hidden siblings left by killed writers of ``name`` (their process is gone):
    only names exactly of :func:`_fresh_name`'s form, ``.NAME.tmp-PID-8hex`` or ``.old-``
    (a user's own ``.NAME.backup-2024-06`` is theirs, never touched)."""
    own = re.compile(re.escape(f".{name}.") + r"(tmp|old)-([0-9]{1,10})-[0-9a-f]{8}")
    for p in parent.glob(f".{glob.escape(name)}.*"):
        m = own.fullmatch(p.name)
        if m is None or p.is_symlink():
            continue
        pid = int(m.group(2))
        if pid != os.getpid() and _alive(pid):
            continue
        shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def replace_folder(out: Path, files: Iterable[tuple[str, Callable[[Path], None]]],
                   allowed: Iterable[str], what: str = "a run's result",
                   markers: Iterable[str] = ()) -> Path:
    """Make ``out`` hold exactly ``files`` (name, writer), swapped in all at once.

    ``out`` may be missing, empty, or an earlier result (only names from ``allowed``, which
    may hold ``*`` patterns); anything else is refused with ``FileExistsError`` before
    anything is written. A symbolic link is followed: the folder it names is replaced and
    the link is left as it was.
    """
    out = Path(os.path.realpath(out))  # absolute: a writer never reads "http:/x" as a URI
    results = enclosing_results(out)
    if results is not None:
        raise FileExistsError(f"{out} is inside the sweep results folder {results}")
    parent = out.parent
    parent.mkdir(parents=True, exist_ok=True)
    refuse_foreign(out, allowed, what, markers)
    _remove_stale(parent, out.name)
    tmp = _fresh_name(parent, out.name, "tmp")
    tmp.mkdir()
    os.chmod(tmp, 0o777 & ~_umask())  # as mkdir would with the umask, for every reader
    try:
        for name, write in files:
            target = tmp / name
            with open(target, "wb"):
                pass  # created under the umask
            write(target)
            fsync_path(target)
        fsync_path(tmp)
        if out.exists() and _exchange(tmp, out):
            fsync_path(parent)
            shutil.rmtree(tmp)  # now the old result
        else:
            if out.exists():  # no atomic exchange here: move the old one aside first
                old = _fresh_name(parent, out.name, "old")
                os.rename(out, old)
                os.rename(tmp, out)
                shutil.rmtree(old)
            else:
                os.rename(tmp, out)
            fsync_path(parent)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def refuse_foreign(out: Path, allowed: Iterable[str], what: str = "a run's result",
                   markers: Iterable[str] = ()) -> None:
    """FileExistsError unless ``out`` is missing, an empty folder, or an earlier result:
    only regular files (no folders, no links) with ``allowed`` names (``*`` patterns
    allowed: ``"*.png"``), and, when ``markers`` are given, one of them among them (so a
    folder of screenshots is not taken for a report). ``what`` names the result in the
    message."""
    out = Path(out)
    if not out.exists():
        return
    if not out.is_dir():
        raise FileExistsError(f"{out} exists and is not a folder")
    patterns = list(allowed)
    entries = list(out.iterdir())
    foreign = sorted(p.name + ("/" if p.is_dir() else "") for p in entries
                     if p.is_symlink() or not p.is_file()
                     or not any(fnmatch.fnmatchcase(p.name, a) for a in patterns))
    if foreign:
        raise FileExistsError(
            f"{out} holds files that are not {what} ({', '.join(foreign[:5])}"
            f"{', ...' if len(foreign) > 5 else ''})")
    markers = list(markers)
    if entries and markers and not any((out / m).is_file() for m in markers):
        raise FileExistsError(f"{out} holds files but no {' or '.join(markers)}, so it is not "
                              f"{what}")


def check_result_folder(out: str | Path, allowed: Iterable[str],
                        what: str = "a run's result", markers: Iterable[str] = ()
                        ) -> str | None:
    """Why :func:`replace_folder` would refuse or fail on ``out`` (None: it would not),
    checked before the work that makes the result."""
    out = Path(out)
    problem = check_writable(out)
    if problem:
        return problem
    try:
        refuse_foreign(out, allowed, what, markers)
    except FileExistsError as exc:
        return f"{exc}; allowed: a new folder, an empty one, or one holding {what} from before"
    return None


def enclosing_results(out: Path) -> Path | None:
    """The sweep results folder ``out`` would sit inside (a folder above it holding a
    ``manifest.json`` and the ``summaries``/``timeseries`` datasets), unless ``out`` is that
    folder's own ``report``; else None."""
    where = Path(os.path.realpath(out))
    for folder in where.parents:
        if (folder / "manifest.json").is_file() and (
                (folder / "summaries").is_dir() or (folder / "timeseries").is_dir()):
            return None if where == folder / "report" else folder
    return None


def check_writable(out: Path) -> str | None:
    """Why a result could not be written to folder ``out`` (None: it can), checked now."""
    out = Path(out)
    try:
        os.stat(out)
    except FileNotFoundError:
        pass  # new (or a link to a folder not made yet: written there)
    except OSError as exc:  # a loop of links, a path through a file...
        return (f"`{out}` cannot be followed ({exc.strerror or exc}); allowed: a folder, a "
                "new folder's path, or a link to one")
    if out.exists() and not out.is_dir():
        return f"`{out}` exists and is not a folder; allowed: a folder path"
    results = enclosing_results(out)
    if results is not None:
        return (f"`{out}` is inside the sweep results folder `{results}` (its datasets would "
                f"read it as theirs); allowed: a folder outside it, or `{results}/report` for "
                "its report")
    probe_dir = out if out.exists() else next(
        (p for p in out.absolute().parents if p.exists()), Path("/"))
    if not probe_dir.is_dir():
        return f"`{probe_dir}` is not a folder"
    # the swap writes a sibling of ``out``: its parent must take new entries
    where = out.absolute().parent if out.exists() else probe_dir
    try:
        probe = _fresh_name(where, "write-check", "tmp")
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
        probe.unlink()
    except OSError as exc:
        return f"cannot write in `{where}`: {exc.strerror or exc}"
    return None


__all__ = ["atomic_write", "check_result_folder", "check_writable", "enclosing_results",
           "fsync_path",
           "refuse_foreign", "replace_folder"]
