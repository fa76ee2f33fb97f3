"""The one error type for bad scenario or experiment input (light: no schema, no numpy).

Kept apart from the loader so that the CLI can catch it without importing pydantic or the
model at start-up.
"""

from __future__ import annotations

from diplomacy_sim.untrusted import cut, cut_tokens


class ScenarioError(ValueError):
    """A scenario (or experiment) file or override is invalid; the message says why."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        # every message passes here: no problem echoes an unbounded value
        self.problems = problems = [cut_tokens(p) for p in problems]
        lines = [f"{cut(source, 200)}: {len(problems)} problem(s) found."] + [f"  - {p}" for p in problems]
        super().__init__("\n".join(lines))
