"""One server per room database: a second `diplomacy-sim dashboard` on a database that a
running server holds is refused (exit 2, a message naming the database and the holder),
and the database is free again as soon as the holder is gone, however it went."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from diplomacy_sim.dashboard.server import (
    LOCK_SUFFIX,
    StoreHeld,
    check_store_access,
    hold_store,
)
from serving import free_port, kill_server, stop_server, wait_serving


def _dashboard(db, port: int, **kw) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "diplomacy_sim.cli", "dashboard", "--db", str(db),
         "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def _refused(db) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "diplomacy_sim.cli", "dashboard", "--db", str(db),
         "--port", str(free_port())],
        capture_output=True, text=True, timeout=60, check=False)


def test_a_held_database_is_refused_and_named(tmp_path):
    db = tmp_path / "rooms.sqlite"
    held = hold_store(db)
    try:
        with pytest.raises(StoreHeld, match=f"process {os.getpid()}.*{re.escape(str(db))}"):
            hold_store(db)
        assert (tmp_path / ("rooms.sqlite" + LOCK_SUFFIX)).read_text() == str(os.getpid())
    finally:
        held.close()
    hold_store(db).close()  # closed: free for the next server


def test_one_database_reached_by_two_names_is_still_one_lock(tmp_path, monkeypatch):
    db = tmp_path / "rooms.sqlite"
    db.touch()
    (tmp_path / "alias.sqlite").symlink_to(db)
    monkeypatch.chdir(tmp_path)
    held = hold_store("rooms.sqlite")
    try:
        with pytest.raises(StoreHeld):
            hold_store(tmp_path / "alias.sqlite")
        with pytest.raises(StoreHeld):
            hold_store(db)
    finally:
        held.close()


def test_one_database_under_a_hard_link_elsewhere_is_still_one_lock(tmp_path):
    """A hard link is the same file under a name of its own, in any folder: SQLite's
    journal goes by name, so two servers on the two names would each lose the other's
    sessions. The lock is on the file itself."""
    db = tmp_path / "rooms.sqlite"
    db.touch()
    (tmp_path / "other").mkdir()
    link = tmp_path / "other" / "alias.sqlite"
    os.link(db, link)
    held = hold_store(db)
    try:
        with pytest.raises(StoreHeld, match=re.escape(str(link))):
            hold_store(link)
    finally:
        held.close()
    held = hold_store(link)  # and the other way round
    try:
        with pytest.raises(StoreHeld, match="under another name"):
            hold_store(db)
    finally:
        held.close()


def test_a_copy_renamed_over_a_served_database_is_not_served_twice(tmp_path):
    """The name keeps its lock too: a new file under the served name would share the
    served file's journal (SQLite names it after the path)."""
    db = tmp_path / "rooms.sqlite"
    db.write_bytes(b"")
    held = hold_store(db)
    try:
        copy = tmp_path / "copy.sqlite"
        copy.write_bytes(db.read_bytes())
        os.replace(copy, db)
        with pytest.raises(StoreHeld, match=f"process {os.getpid()}"):
            hold_store(db)
        with pytest.raises(StoreHeld, match="was replaced"):
            check_store_access(db)
    finally:
        held.close()


def test_deleting_the_lock_file_does_not_free_the_name(tmp_path):
    """The name's lock is not a file one can remove: with `<db>.server-lock` deleted and a
    copy renamed over the database, a second server is still refused."""
    db = tmp_path / "rooms.sqlite"
    db.write_bytes(b"")
    held = hold_store(db)
    try:
        (tmp_path / ("rooms.sqlite" + LOCK_SUFFIX)).unlink()
        copy = tmp_path / "copy.sqlite"
        copy.write_bytes(b"")
        os.replace(copy, db)
        with pytest.raises(StoreHeld, match="is serving the room database"):
            hold_store(db)
        with pytest.raises(StoreHeld, match="was replaced"):
            check_store_access(db)
    finally:
        held.close()
    hold_store(db).close()  # let go: free again


def test_hard_linking_the_lock_file_too_does_not_open_another_journal(tmp_path):
    db = tmp_path / "rooms.sqlite"
    db.write_bytes(b"")
    held = hold_store(db)
    try:
        os.link(db, tmp_path / "alias.sqlite")
        os.link(tmp_path / ("rooms.sqlite" + LOCK_SUFFIX),
                tmp_path / ("alias.sqlite" + LOCK_SUFFIX))
        with pytest.raises(StoreHeld, match="under another name"):
            check_store_access(tmp_path / "alias.sqlite")
        check_store_access(db)  # the served name itself is fine
    finally:
        held.close()


@pytest.mark.parametrize("name", ["link", "same", "none"])
def test_a_room_command_beside_a_server_uses_the_servers_own_name(tmp_path, name):
    """`room list`, `room key`, `room export` open the store beside a running server only
    under the name it serves (one journal between them); through another name of the same
    file they are refused, exit 2 naming --db."""
    from click.testing import CliRunner

    from diplomacy_sim.cli import main
    from diplomacy_sim.room.store import Store

    db = tmp_path / "rooms.sqlite"
    Store(db).close()
    (tmp_path / "other").mkdir()
    link = tmp_path / "other" / "alias.sqlite"
    os.link(db, link)
    held = hold_store(db) if name != "none" else None
    try:
        target = link if name == "link" else db
        if name == "link":
            with pytest.raises(StoreHeld, match="under another name"):
                check_store_access(target)
        else:
            check_store_access(target)
        for args in (["room", "list"], ["room", "key", "ABCDEF"],
                     ["room", "export", "ABCDEF", "--out", str(tmp_path / "pack")]):
            r = CliRunner().invoke(main, [*args, "--db", str(target)])
            if name == "link":
                assert r.exit_code == 2 and "--db" in r.output, r.output
                assert "under another name" in r.output and "Traceback" not in r.output
            else:
                assert "under another name" not in r.output, r.output
    finally:
        if held is not None:
            held.close()


def test_a_database_that_is_not_a_regular_file_is_refused(tmp_path):
    fifo = tmp_path / "rooms.sqlite"
    os.mkfifo(fifo)
    with pytest.raises(OSError, match="not a regular file"):
        hold_store(fifo)


def test_a_lock_file_that_is_a_symlink_is_not_followed(tmp_path):
    target = tmp_path / "elsewhere"
    target.write_text("keep")
    db = tmp_path / "rooms.sqlite"
    (tmp_path / ("rooms.sqlite" + LOCK_SUFFIX)).symlink_to(target)
    with pytest.raises(OSError):
        hold_store(db)
    assert target.read_text() == "keep"
    done = _refused(db)
    assert done.returncode == 2 and "--db" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("end", [stop_server, kill_server])
def test_a_second_server_on_the_same_database_is_refused_until_the_first_is_gone(tmp_path, end):
    db = tmp_path / "rooms.sqlite"
    port = free_port()
    first = _dashboard(db, port, start_new_session=True)
    try:
        wait_serving(first, port, "first dashboard server")  # type: ignore[arg-type]
        done = _refused(db)
        assert done.returncode == 2, done.stderr
        assert "Traceback" not in done.stderr + done.stdout
        # the pid is the launcher's: the server replaced it (execve) and kept the lock
        assert f"another dashboard server (process {first.pid})" in done.stderr
        assert str(db) in done.stderr and "--db" in done.stderr
        assert "Dashboard: http" not in done.stdout  # refused before it announced itself
    finally:
        end(first)  # type: ignore[arg-type]
        first.communicate()
    hold_store(db).close()  # the kernel released the lock with the process


def test_a_second_server_on_a_hard_link_of_the_database_is_refused(tmp_path):
    db = tmp_path / "rooms.sqlite"
    port = free_port()
    first = _dashboard(db, port, start_new_session=True)
    try:
        wait_serving(first, port, "first dashboard server")  # type: ignore[arg-type]
        (tmp_path / "elsewhere").mkdir()
        link = tmp_path / "elsewhere" / "alias.sqlite"
        os.link(db, link)
        done = _refused(link)
        assert done.returncode == 2, done.stderr
        assert "another dashboard server" in done.stderr and str(link) in done.stderr
        assert "Traceback" not in done.stderr + done.stdout
    finally:
        stop_server(first)
        first.communicate()
