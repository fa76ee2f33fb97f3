"""The shipped scenarios' folder and their one-line listing (light: YAML only).

``diplomacy-sim list``, the dashboard's and the room's scenario pickers only need each
shipped file's name, title and description: they are read from the YAML without building
the pydantic schema (the shipped files are validated in full by ``load_scenario`` and by the
test suite).
"""

from __future__ import annotations

import functools

from diplomacy_sim.scenario.errors import ScenarioError
from diplomacy_sim.shipped import shipped_dir
from diplomacy_sim.untrusted import load_yaml, read_bounded_file

SCENARIO_DIR = shipped_dir("scenarios")
"""The shipped scenarios (package data in a wheel, ``scenarios/`` in a checkout)."""


def list_scenarios() -> list[tuple[str, str, str]]:
    """Shipped scenarios as (name, title, first sentence of the description)."""
    out = []
    for path in sorted(SCENARIO_DIR.glob("*.yaml")):
        st = path.stat()
        out.append(_listing(str(path), st.st_mtime_ns, st.st_size))
    return out


@functools.lru_cache(maxsize=64)
def _listing(path: str, mtime_ns: int, size: int) -> tuple[str, str, str]:
    data = load_yaml(read_bounded_file(path).decode("utf-8"))
    fields: dict[str, str] = {}
    for key in ("name", "title", "description"):
        value = data.get(key) if isinstance(data, dict) else None
        if not isinstance(value, str) or not value.strip():
            raise ScenarioError(path, [f"`{key}` is missing or empty; allowed: text."])
        fields[key] = value
    first = fields["description"].strip().split(". ")[0].rstrip(".") + "."
    return fields["name"], fields["title"], first
