"""The structured event log: each entry reads as a plain sentence a learner understands."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Event:
    """Something that happened, when, to whom, and why."""

    step: int
    kind: str
    text: str
    cause: str
    actors: tuple[str, ...] = field(default_factory=tuple)
    injected: bool = False

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["actors"] = list(self.actors)
        return d
