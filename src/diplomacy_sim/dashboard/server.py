"""Serve the dashboard with Solara's server (``make run`` / ``diplomacy-sim dashboard``)."""

from __future__ import annotations

import errno
import os
import socket
import stat
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

APP = "diplomacy_sim.dashboard.app"
DB_ENV = "DIPLOMACY_SIM_ROOM_DB"
"""The training rooms' SQLite file for the server process (read by
``diplomacy_sim.room.process_registry``; unset: its per-user default)."""
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
KERNEL_CULL_TIMEOUT = "60s"
LOCK_SUFFIX = ".server-lock"
"""The sibling of a room database that its one server holds locked (``<db>.server-lock``)."""
PROXIES_ENV = "DIPLOMACY_SIM_TRUSTED_PROXIES"
"""Trusted proxies for ``diplomacy-sim dashboard`` when no ``--trusted-proxy`` is given:
addresses or networks, separated by commas or spaces."""
MAX_TRUSTED_PROXIES = 32
"""At most this many addresses or networks may be trusted as proxies."""


def frontend_ready() -> bool:
    """True when Solara's front-end files are in the local cache (works offline)."""
    cdn = Path(sys.prefix) / "share" / "solara" / "cdn"
    return (cdn / "requirejs@2.3.6" / "require.js").exists()


def solara_command(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, app: str = APP
                   ) -> list[str]:
    return [sys.executable, "-m", "solara", "run", app, "--host", host, "--port", str(port),
            "--production", "--no-open"]


def trusted_proxies(values: Sequence[str], where: str) -> list[str]:
    """The proxies whose ``X-Forwarded-For`` the server believes, checked: each an IP
    address or network (``10.0.0.5``, ``10.0.0.0/24``, ``::1``), at most
    :data:`MAX_TRUSTED_PROXIES`, none that trusts every address (``*``, ``0.0.0.0/0``,
    ``::/0``). Returns them in a canonical spelling; a bad value is a
    :class:`~diplomacy_sim.scenario.errors.ScenarioError` naming ``where`` (the flag or the
    environment variable) and what is allowed.

    With a trusted proxy, uvicorn takes a connection's client to be the right-most address
    in its ``X-Forwarded-For`` that is not itself a trusted proxy (the hop the nearest
    trusted proxy saw), so a client cannot name itself by sending the header; without one,
    the address is always the socket's."""
    import ipaddress

    from diplomacy_sim.scenario.errors import ScenarioError
    from diplomacy_sim.untrusted import cut

    allowed = ("allowed: IP addresses or networks of the proxies in front of this server "
               "(10.0.0.5, 10.0.0.0/24, ::1)")
    if len(values) > MAX_TRUSTED_PROXIES:
        raise ScenarioError(where, [f"{len(values)} proxies given; at most "
                                    f"{MAX_TRUSTED_PROXIES} may be trusted ({allowed})."])
    out: list[str] = []
    for value in values:
        text = value.strip()
        try:
            net = ipaddress.ip_network(text, strict=False) if "/" in text else \
                ipaddress.ip_address(text)
        except ValueError:
            raise ScenarioError(where, [f"`{cut(text, 60)}` is not an IP address or "
                                        f"network; {allowed}."]) from None
        if isinstance(net, (ipaddress.IPv4Network, ipaddress.IPv6Network)) and \
                net.prefixlen == 0:
            raise ScenarioError(where, [f"`{text}` trusts every address, so any client could "
                                        "name itself by sending X-Forwarded-For; " + allowed
                                        + "."])
        if str(net) not in out:
            out.append(str(net))
    return out


def proxies_from_env(environ: Mapping[str, str] | None = None) -> list[str]:
    """The trusted proxies named by :data:`PROXIES_ENV` (checked by
    :func:`trusted_proxies`); none when it is unset or blank."""
    text = (os.environ if environ is None else environ).get(PROXIES_ENV, "")
    if len(text) > 4096:
        from diplomacy_sim.scenario.errors import ScenarioError

        raise ScenarioError(PROXIES_ENV, [f"{len(text)} characters; at most 4096 (allowed: "
                                          "addresses or networks separated by commas)."])
    return trusted_proxies(text.replace(",", " ").split(), PROXIES_ENV)


def server_env(db: Path | str | None = None, joins_per_address: int | None = None,
               proxies: Sequence[str] = ()) -> dict[str, str]:
    from diplomacy_sim.room.room import JOINS_ENV

    env = dict(os.environ)
    if joins_per_address is not None:  # read by the room at each join (room.joins_per_client)
        env[JOINS_ENV] = str(int(joins_per_address))
    env.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "false")
    # uvicorn (0.54) rewrites a request's client address from X-Forwarded-For when the direct
    # peer is in FORWARDED_ALLOW_IPS, whose default is "127.0.0.1,::1": anyone connecting
    # from the server's own machine could then name any address and be counted as it by the
    # room's per-address bounds. Only the proxies the operator named (checked by
    # trusted_proxies) are trusted; with none, the address is always the socket's.
    env["FORWARDED_ALLOW_IPS"] = ",".join(trusted_proxies(list(proxies), "--trusted-proxy"))
    # after a server restart a page re-mounts by itself instead of asking for a refresh: every
    # page of the room rebuilds from the room's database and the browser's token, so there is
    # no page state to lose
    env.setdefault("SOLARA_STATE_AUTO_REMOUNT", "true")
    # no "This website runs on Solara" corner over the projector's wall and the room's pages
    env.setdefault("SOLARA_THEME_SHOW_BANNER", "false")
    # no page uses a Font Awesome icon (the buttons use Material Design icons, which Solara's
    # front end carries): its stylesheet is one request and 27 kB of CSS less per page
    env.setdefault("SOLARA_ASSETS_FONTAWESOME_ENABLED", "false")
    if db is not None:
        env[DB_ENV] = str(Path(db).expanduser().resolve())
    # a session whose page is gone (tab closed, browser killed, network lost) is dropped
    # after this long, with its model; Solara's default keeps it for 24 h, so a room's
    # server would only ever grow. A page that reconnects within it keeps its session; a room's
    # page that comes back later re-mounts and rebuilds from the database and its token.
    env.setdefault("SOLARA_KERNEL_CULL_TIMEOUT", KERNEL_CULL_TIMEOUT)
    # one browser may open a few tabs, not hundreds of sessions. Solara 1.64 enforces this only
    # with a state-persistence backend, and per cookie (which a client can drop): the bound
    # that holds is the app's own, per network address (dashboard/clients.py)
    env.setdefault("SOLARA_KERNEL_MAX_PER_SESSION", "20")
    # the server's Python objects live in glibc's heap, not in Python's own small-object
    # arenas: an arena of 1 MiB goes back only once every object in it is gone, and the few
    # hundred long-lived objects a burst of sessions leaves behind (caches, the last worker
    # thread's) pin dozens of them; glibc gives back free pages on the trim that follows the
    # sessions' close (soak: 20 sessions closed, +9.6% of idle against +21.5%;
    # benchmarks/README.md, "Soak")
    env.setdefault("PYTHONMALLOC", "malloc")
    return env


class StoreHeld(Exception):
    """Another server holds the room database (its message names the database and, when
    that server recorded it, its process id)."""


_HELD: list[StoreLock] = []
"""The locks this process holds on its room database (none until it serves one)."""


class StoreLock:
    """The two locks a serving process holds (:func:`hold_store`): an ``flock`` on the
    database file and a socket bound to its name. :meth:`close` lets both go."""

    def __init__(self, file_fd: int, name_sock: socket.socket) -> None:
        self.file_fd, self.name_sock = file_fd, name_sock

    def close(self) -> None:
        os.close(self.file_fd)
        self.name_sock.close()


def _open_regular(path: Path, flags: int, what: str) -> int:
    fd = os.open(path, flags | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK, 0o600)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"{path} is not a regular file; allowed: {what}")
    except BaseException:
        os.close(fd)
        raise
    return fd


def _locked(fd: int) -> bool:
    """Take an exclusive ``flock`` on ``fd`` now (False if another holds it)."""
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _name_lock(path: Path) -> socket.socket | None:
    """A lock on a database's name that no file operation can remove: a Unix socket bound
    in Linux's abstract namespace under a digest of the resolved path (None: another
    process holds it). The kernel lets it go when the last descriptor closes."""
    import hashlib

    key = hashlib.sha256(os.fsencode(path)).hexdigest()[:40]
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(b"\0diplomacy-sim-room-db/" + key.encode("ascii"))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            return None
        raise
    return sock


def hold_store(db: Path | str) -> StoreLock:
    """Lock ``db`` for this process's life, by its file and by its name.

    SQLite's journal (``-wal``, ``-shm``) goes by the name a database is opened with, so two
    processes on one file must use one name, and a name must keep its file: two servers on
    two hard-linked names each lost the other's sessions, and a copy renamed over a served
    database would be a second file under the first one's journal. So a server holds an
    exclusive ``flock`` on the database file itself (whatever name or link reaches it) and
    a lock on the name it serves (whatever file is there now; :func:`_name_lock`, which no
    one can delete as a lock file could be), and writes its process id into
    ``<db>.server-lock`` for the message a second server prints. SQLite's own locks are
    POSIX record locks, which on Linux leave an ``flock`` alone. Both survive ``execve``
    into the Solara server and are released by the kernel when it exits, however it exits
    (a kill included). A second server is refused (:class:`StoreHeld`); a command that only
    reads or edits the store checks with :func:`check_store_access`."""
    path = Path(db).expanduser().resolve()
    lock = Path(str(path) + LOCK_SUFFIX)
    name_sock = _name_lock(path)
    if name_sock is None:
        holder = _recorded_holder(lock)
        who = f" (process {holder})" if holder else ""
        raise StoreHeld(f"another dashboard server{who} is serving the room database {db}; "
                        "stop it first, or give this one another database with --db")
    try:
        file_fd = _open_regular(path, os.O_RDWR | os.O_CREAT, "a room database file")
        if not _locked(file_fd):
            os.close(file_fd)
            raise StoreHeld(f"another dashboard server is serving the room database {db} "
                            "under another name (a link to the same file); stop it first, "
                            "or give this one another database with --db")
        try:
            _record_holder(lock)
        except BaseException:
            os.close(file_fd)
            raise
    except BaseException:
        name_sock.close()
        raise
    os.set_inheritable(file_fd, True)  # kept open, and both locks held, across the execve
    name_sock.set_inheritable(True)
    return StoreLock(file_fd, name_sock)


def check_store_access(db: Path | str) -> None:
    """Whether a command may open ``db`` beside a running server: yes when no server holds
    it, or when one serves it under this very name and file (SQLite then shares one journal
    between the two); else :class:`StoreHeld`, saying which (a command through another name
    would write a journal of its own, and lose or corrupt what the server wrote)."""
    path = Path(db).expanduser().resolve()
    lock = Path(str(path) + LOCK_SUFFIX)
    probe = _name_lock(path)
    name_held = probe is None
    if probe is not None:
        probe.close()
    try:
        fd = _open_regular(path, os.O_RDONLY, "a room database file")
    except FileNotFoundError:
        file_held = False
    else:
        try:
            file_held = not _locked(fd)  # taken now: let go when closed
        finally:
            os.close(fd)
    if file_held and not name_held:
        raise StoreHeld(f"a dashboard server is serving the room database {db} under another "
                        "name (a link to the same file); give this command the name the "
                        "server was started with, or stop the server first")
    if name_held and not file_held:
        holder = _recorded_holder(lock)
        who = f" (process {holder})" if holder else ""
        raise StoreHeld(f"the room database {db} was replaced while a dashboard server{who} "
                        "is serving it; stop that server first")


def _record_holder(lock: Path) -> None:
    """This process's id into ``lock`` (never through a link planted in its place)."""
    fd = _open_regular(lock, os.O_WRONLY | os.O_CREAT, "the server's lock file")
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode("ascii"), 0)
    finally:
        os.close(fd)


def _recorded_holder(lock: Path) -> str:
    """The process id the holder wrote into ``lock`` under this name ("" if none)."""
    try:
        fd = os.open(lock, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
    except OSError:
        return ""
    try:
        text = os.read(fd, 32).decode("ascii", "replace").strip()
    finally:
        os.close(fd)
    return text if text.isascii() and text.isdecimal() else ""


def serve(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
          db: Path | str | None = None, joins_per_address: int | None = None,
          proxies: Sequence[str] = ()) -> None:
    """Replace this process with the Solara server (prints the address first). With ``db``,
    the server holds it (:func:`hold_store`) for its life; a second server on the same
    database exits 2 with a message naming it."""
    if db is not None:
        from diplomacy_sim.scenario.errors import ScenarioError

        try:
            _HELD.append(hold_store(db))  # kept (its socket open) through the execve
        except (StoreHeld, OSError) as exc:
            raise ScenarioError("--db", [str(exc)]) from None
    if not frontend_ready():
        print("warning: Solara's front-end files are not installed; run "
              "scripts/install_frontend.sh (or `make setup`) for offline use.", file=sys.stderr)
    print(f"Dashboard: http://{host}:{port}/  (Ctrl+C to stop)", flush=True)
    print(f"Training room: http://{host}:{port}/room (trainer), /join (participants)",
          flush=True)
    cmd = solara_command(host, port)
    os.execve(cmd[0], cmd, server_env(db, joins_per_address, proxies))
