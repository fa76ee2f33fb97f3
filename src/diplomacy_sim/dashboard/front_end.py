"""The route that sends Solara's front-end files, held to the files on this disk.

Every page loads Solara's front end (Vue, Vuetify, the widget manager) from
``/_solara/cdn/<path>``, answered from the folder ``make frontend`` fills
(``solara.server.settings.assets.proxy_cache_dir``). Solara 1.64's own answer to that route
takes the path from the request and, for a path it does not hold, fetches it from the public
CDN and writes it into the folder (so any visitor chooses what the server downloads and
stores), and for a path that names a folder of it, **deletes that folder** (a leftover of an
old cache layout: one request for ``/_solara/cdn/@widgetti/solara-vuetify-app@10.1.1`` took
every page's front end away until the files were installed again). A path from a URL must
not name a file to fetch, write or delete, so on this server the route sends a file the
folder already holds, and nothing else: a regular file inside it, reached without leaving
it through ``..`` or a link; anything else is a 404 at once.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from diplomacy_sim.dashboard.serving import server_module

PATH_MAX = 512
"""Longest front-end path answered (the longest the folder holds is under 150 characters)."""


def held_file(base: Path, path: object) -> tuple[Path, os.stat_result] | None:
    """The file the route may send for ``path`` (a request's path under the route), with its
    status, or None: a regular file inside ``base`` (a one-part path means its
    ``__main.js``, as Solara stores a package's main file)."""
    if not isinstance(path, str) or not path or len(path) > PATH_MAX or "\x00" in path:
        return None
    parts = path.replace("\\", "/").split("/")
    rel = path if len(parts) != 1 else f"{path}/__main.js"
    try:
        root = base.resolve(strict=True)
        target = (root / rel).resolve(strict=True)  # links followed, then checked
        if not target.is_relative_to(root):
            return None
        found = target.stat()
    except (OSError, RuntimeError, ValueError):  # missing, a link loop, a bad name
        return None
    return (target, found) if stat.S_ISREG(found.st_mode) else None


def guard_if_serving() -> bool:
    """In the server process (Solara's Starlette server imported), answer the front-end
    route from :func:`held_file` only. Returns whether it did (a page rendered in a test
    process, with no server, leaves Solara's modules alone)."""
    server = server_module()
    if server is None:
        return False
    route = server.StaticCdn
    if getattr(route.lookup_path, "held_files_only", False):
        return True

    def lookup_path(self: object, path: str) -> tuple[str, os.stat_result | None]:
        found = held_file(Path(server.settings.assets.proxy_cache_dir), path)
        return ("", None) if found is None else (str(found[0]), found[1])

    lookup_path.held_files_only = True  # type: ignore[attr-defined]
    route.lookup_path = lookup_path
    return True
