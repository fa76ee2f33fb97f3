"""The shock registry: every kind of shock, as every layer sees it, without numpy.

:data:`SHOCK_KINDS` is the one registry of shock kinds: each kind's name, words for people,
the fields that name organisations, which organisations it may hit, whether a trainer may
inject it, the defaults the dashboard's panel starts from, and the name of the rule in
:mod:`diplomacy_sim.domain.shocks` that applies it. The schema (its discriminated union must
match), the loader (what may hit whom, what may merge with what), the model (dispatch), the
CLI and the dashboard all read it.

It lives apart from the rules so that reading or validating a scenario (``diplomacy-sim
validate``) does not import numpy and the state arrays: a kind's rule is looked up, and its
module imported, when a shock is first applied. :mod:`diplomacy_sim.domain.shocks` re-exports
every name here.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

SECTORS: Mapping[str, str] = {
    "hospital": "nhs", "mental_health_trust": "nhs", "health": "nhs", "gp_federation": "nhs",
    "icb": "nhs",
    "council": "local_government", "district_council": "local_government",
    "combined_authority": "local_government",
    "charity": "voluntary",
}
"""Organisation kinds by sector; any other kind (police, school, a scenario's own) is a
sector of its own."""

ABSORBS: Mapping[str, frozenset[str]] = {
    "nhs": frozenset({"nhs", "voluntary"}),
    "local_government": frozenset({"local_government", "voluntary"}),
    "voluntary": frozenset({"voluntary"}),
}
"""Which sectors an organisation of a sector can absorb in a merge: statutory bodies merge
within their sector and may bring a charity in-house; a charity absorbs only charities
(a hospital cannot be merged into a charity). Any other sector absorbs only itself."""

SECTOR_WORDS: Mapping[str, str] = {"nhs": "NHS", "local_government": "local government",
                                   "voluntary": "voluntary"}
"""The sectors in words (messages and the dashboard's hints)."""

RULES_MODULE = "diplomacy_sim.domain.shocks"
"""Where every kind's rule is defined (a named function there)."""


def sector_of(kind: str) -> str:
    return SECTORS.get(kind, kind)


def can_merge(absorbed_kind: str, into_kind: str) -> bool:
    """Whether an organisation of ``absorbed_kind`` can be merged into one of ``into_kind``."""
    into = sector_of(into_kind)
    return sector_of(absorbed_kind) in ABSORBS.get(into, frozenset({into}))


@dataclass(frozen=True)
class ShockKind:
    """One kind of shock, as every layer sees it."""

    name: str
    label: str
    summary: str
    rule: str
    """Name of the function in :data:`RULES_MODULE` that applies it:
    ``(state, shock, ShockContext) -> list[Event]``."""
    org_fields: tuple[str, ...] = ()
    """Fields naming organisations it hits (a list or a single id)."""
    excluded_sectors: frozenset[str] = frozenset()
    """Sectors of organisation it may not hit."""
    injectable: bool = True
    """A trainer may inject it from the dashboard (elections are scheduled, not injected)."""
    panel_defaults: Mapping[str, Any] = field(default_factory=dict)
    """Field values the dashboard's panel starts from (where the schema has no default)."""
    reshapes_people: bool = False
    """Moves people between organisations (the model refreshes its masks after it)."""

    @property
    def apply(self) -> Callable[..., Any]:
        """The rule itself (imports the rules' module, and numpy, on first use)."""
        rule: Callable[..., Any] = getattr(importlib.import_module(RULES_MODULE), self.rule)
        return rule

    def applies_to(self, org_kind: str) -> bool:
        return sector_of(org_kind) not in self.excluded_sectors


SHOCK_KINDS: Mapping[str, ShockKind] = {k.name: k for k in (
    ShockKind("reorganisation", "Reorganisation",
              "Organisations merge, are abolished or restructure: ties cut, people leave.",
              "_reorganise", org_fields=("organisations", "into"),
              panel_defaults={"mode": "restructure"}, reshapes_people=True),
    ShockKind("budget_cut", "Budget cut",
              "A share of the budget goes; statutory duties come first.",
              "_budget_cut", org_fields=("organisations",)),
    ShockKind("demand_surge", "Demand surge", "Demand rises for some weeks (winter).",
              "_demand_surge"),
    ShockKind("leadership_turnover", "Leadership turnover",
              "A chief executive leaves; the successor has no relationships yet.",
              "_leadership_turnover", org_fields=("organisation",)),
    ShockKind("national_mandate", "National mandate",
              "A national mandate puts one issue at the top of statutory bodies' agendas.",
              "_national_mandate", org_fields=("organisations",),
              excluded_sectors=frozenset({"voluntary"})),
    ShockKind("election", "Election", "Local elections replace a share of councillors.",
              "_election", injectable=False),
)}
"""Every shock kind, by name (the order is the order menus show)."""


def merge_partners(kinds: Mapping[str, str], absorbed: Sequence[str]) -> list[str]:
    """The organisations (ids, in ``kinds``' order) that may absorb every one of ``absorbed``
    in a merge, by :func:`can_merge`; ``kinds`` maps id to kind (the living organisations)."""
    chosen = [a for a in absorbed if a in kinds]
    return [i for i, k in kinds.items()
            if i not in chosen and all(can_merge(kinds[a], k) for a in chosen)]


def mergeable(kinds: Mapping[str, str]) -> list[str]:
    """The organisations that some other organisation of ``kinds`` could absorb."""
    return [i for i in kinds if merge_partners(kinds, [i])]


def merge_rule_text() -> str:
    """The merge rule in words (read from :data:`ABSORBS`, never restated)."""
    def word(sector: str) -> str:
        return SECTOR_WORDS.get(sector, sector.replace("_", " "))

    def names(sectors: frozenset[str]) -> str:
        words = [word(s) for s in sorted(sectors)]
        return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]

    def article(w: str) -> str:  # "an NHS body": initials read by their letter names
        return "an" if w[0] in "AEIOUaeiou" or (w.isupper() and w[0] in "FHLMNRSX") else "a"

    parts = [f"{article(word(sector))} {word(sector)} body "
             f"absorbs {names(takes)} bodies" for sector, takes in ABSORBS.items()]
    return ("A merge keeps one organisation (`into`) and folds the others into it: "
            + "; ".join(parts) + "; any other kind absorbs only its own kind.")


def shock_target_problems(shock: Any, kinds: Mapping[str, str]) -> list[tuple[str, str]]:
    """(field, problem) for organisations this shock may not hit, or merge it may not make.

    The one check of the registry's rules, wherever a shock comes from (a scenario file, an
    experiment, an injection from a page): ``kinds`` maps organisation id to its kind.
    Unknown ids are left to the reference check.
    """
    kind = SHOCK_KINDS[shock.kind]
    out: list[tuple[str, str]] = []
    for fname in kind.org_fields:
        value = getattr(shock, fname, None)
        ids = value if isinstance(value, list) else [value] if value is not None else []
        for j, oid in enumerate(ids):
            if oid in kinds and not kind.applies_to(kinds[oid]):
                where = f"{fname}[{j}]" if isinstance(value, list) else fname
                out.append((where, f"`{oid}` is a {kinds[oid]}; a {kind.label.lower()} "
                            f"does not apply to the {sector_of(kinds[oid])} sector"))
    mode = getattr(shock, "mode", None)
    into: str | None = getattr(shock, "into", None)
    for fname in kind.org_fields:  # a body named twice would be counted twice (its budget)
        value = getattr(shock, fname, None)
        if isinstance(value, list):
            for j, oid in enumerate(value):
                if oid in value[:j]:
                    out.append((f"{fname}[{j}]", f"`{oid}` is listed twice; name each "
                                "organisation once"))
    if mode == "abolish" and into is not None and into in shock.organisations:
        out.append(("into", f"`{into}` is among the organisations abolished; the body that "
                    "takes over their functions must be another one, or leave `into` out"))
    if mode == "merge" and into is None:
        can = merge_partners(kinds, shock.organisations)
        out.append(("into", "a merge needs `into`, the organisation kept" + (
            "; allowed here: " + ", ".join(can) if can else
            "; no organisation here can absorb " + ", ".join(shock.organisations)
            + ". " + merge_rule_text().rstrip("."))))
    elif mode == "restructure" and into is not None:
        out.append(("into", "a restructure keeps every organisation; `into` is only for a "
                    "merge or an abolition: leave it out"))
    if mode == "merge" and into is not None and into in kinds:
        for j, oid in enumerate(shock.organisations):
            if oid in kinds and oid != into and not can_merge(kinds[oid], kinds[into]):
                out.append((f"organisations[{j}]",
                            f"`{oid}` (a {kinds[oid]}) cannot be merged into `{into}` (a "
                            f"{kinds[into]}); a {sector_of(kinds[into])} body absorbs only: "
                            + ", ".join(sorted(ABSORBS.get(sector_of(kinds[into]),
                                                           {sector_of(kinds[into])})))))
    return out


def shock_field(shock: Any, name: str) -> Any:
    """A shock's field, whether the shock is parsed (the schema's) or plain data (a log's)."""
    return shock.get(name) if isinstance(shock, Mapping) else getattr(shock, name, None)


def removed_by(shock: Any) -> set[str]:
    """The organisations a shock leaves no longer existing: the bodies a merge folds into
    ``into``, the bodies an abolition ends (the rule :func:`domain.shocks.reorganise`
    applies)."""
    if shock_field(shock, "kind") != "reorganisation" or \
            shock_field(shock, "mode") not in ("merge", "abolish"):
        return set()
    into = shock_field(shock, "into")
    return {o for o in (shock_field(shock, "organisations") or []) if o != into}


def sequence_problems(shocks: Sequence[Any], gone: set[str] | None = None
                      ) -> list[tuple[int, str, str]]:
    """(position, field, problem) for each reorganisation of ``shocks``, in the order they
    land, that names a body gone by then (``gone``: those gone before the first)."""
    now = set(gone or ())
    out: list[tuple[int, str, str]] = []
    for i, shock in enumerate(shocks):
        out += [(i, where, why) for where, why in gone_target_problems(shock, now)]
        now |= removed_by(shock)
    return out


def gone_target_problems(shock: Any, gone: Mapping[str, str] | set[str]) -> list[tuple[str, str]]:
    """(field, problem) for a reorganisation that names an organisation which will no
    longer exist when it lands (``gone``: those an earlier shock merged or abolished): its
    staff would move into, or out of, a body that is not there. Other kinds of shock pass
    over such an organisation by their own rules (a budget cut hits the living only)."""
    if shock_field(shock, "kind") != "reorganisation":
        return []
    why = "no longer exists by then (an earlier shock merged or abolished it); allowed: an " \
          "organisation that still exists when the shock lands"
    into = shock_field(shock, "into")
    out = [("into", f"`{into}` {why}")] if into is not None and into in gone else []
    for j, oid in enumerate(shock_field(shock, "organisations") or []):
        if oid in gone and oid != into:
            out.append((f"organisations[{j}]", f"`{oid}` {why}"))
    return out
