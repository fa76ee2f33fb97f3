"""The structured event log: each entry reads as a plain sentence a learner understands."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

FIRST_WEEK = 1
"""The number a learner reads for the first week simulated (model step 0).

The model counts steps from 0 (``DiplomacyModel.week`` is the number of weeks run so far,
and a scenario's ``at`` is the number of weeks run before a shock lands); everything a
person reads — the page, the training room, the CLI, and the ``week`` of the files a run
writes — numbers weeks from 1 through :func:`week_number`: the events of step 46 happened
in week 47, and after 47 steps the page says "Week 47 of 156"."""


def week_number(step: int) -> int:
    """The week, as people read it (1, 2, ...), in which model step ``step`` (0-based) ran."""
    return int(step) + FIRST_WEEK


def step_of_week(week: int) -> int:
    """The model step (0-based) of the week people call ``week`` (the inverse of
    :func:`week_number`)."""
    return int(week) - FIRST_WEEK


def counted(n: int, noun: str) -> str:
    """``n`` and a noun of the project's sentences, singular for one ("1 week", "3 weeks")."""
    return f"{int(n)} {noun}{'' if int(n) == 1 else 's'}"


def with_article(noun: str) -> str:
    """One of the project's role or kind names with "a" or "an" ("an executive", "a
    manager"): "an" before a vowel other than u (none of the names starts with a u read as
    "you", nor with a silent h)."""
    return f"{'an' if noun[:1].lower() in 'aeio' else 'a'} {noun}"


def agree_to_disagree_cause(names: Sequence[str], agendas: np.ndarray, advances: np.ndarray,
                            issue_labels: Sequence[str]) -> str:
    """Why parties who agreed to disagree signed up, from what differed between them: the
    issue of the deal each party weighs most (its agenda weight times what the deal advances).

    ``agendas`` is (parties, K), ``advances`` (K,). Parties with the same reason are named
    together; when all share one, the reason they disagree on is how much it matters.
    """
    value = np.asarray(agendas) * np.asarray(advances)[None, :]
    best = value.argmax(axis=1)
    by_issue: dict[int, list[str]] = {}
    for name, k in zip(names, best, strict=True):
        by_issue.setdefault(int(k), []).append(name)

    def together(ns: list[str]) -> str:
        return ns[0] if len(ns) == 1 else ", ".join(ns[:-1]) + " and " + ns[-1]

    if len(by_issue) == 1:
        (k,) = by_issue
        weight = np.asarray(agendas)[:, k]
        keen = names[int(weight.argmax())]
        return (f"The parties agreed to disagree: all signed up for "
                f"{issue_labels[k]}, but value it unequally ({keen} most, "
                f"{weight.max():.0%} of its agenda against {weight.min():.0%}).")
    reasons = "; ".join(f"{together(ns)} for {issue_labels[k]}"
                        for k, ns in by_issue.items())
    return f"The parties agreed to disagree, each signing up for its own reason: {reasons}."


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

    def record(self) -> dict[str, Any]:
        """The event as files and the CLI give it: its ``week`` numbered as people read it
        (:func:`week_number`), no 0-based step."""
        return {"week": week_number(self.step), "kind": self.kind, "text": self.text,
                "cause": self.cause, "actors": list(self.actors), "injected": self.injected}
