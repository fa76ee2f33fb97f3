"""Finding a person among thousands: an index of a run's people by seeded name, job title,
role and organisation, searched on the server with a bounded result list.

Plain Python (no Solara): the explorer's "See as" picker and the training room's pages use
it through :func:`components.PersonPicker`. Names and titles come from
:mod:`diplomacy_sim.names` (seeded, outside the model's streams), so a person has the same
name on every page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from diplomacy_sim.domain.state import ROLE_NAMES
from diplomacy_sim.names import name_of, title_of

MAX_RESULTS = 40
"""At most this many people are sent to the page per search (the list stays usable and
small however many people the run has)."""
MAX_QUERY = 80
"""A search longer than this is cut (the text comes from the page)."""
ROLE_ORDER = ("executive", "councillor", "enabler", "manager", "frontline")
ROLE_GROUP = {"executive": "executives", "councillor": "councillors", "enabler": "enablers",
              "manager": "managers", "frontline": "frontline workers"}


@dataclass(frozen=True)
class PersonEntry:
    """One person of a run as the picker shows them."""

    index: int  # slot in the model's arrays (what the page selects)
    name: str
    title: str
    role: str
    org: str
    org_index: int

    @property
    def label(self) -> str:
        return f"{self.name}, {self.title}"

    @property
    def group(self) -> str:
        return f"{self.org} · {ROLE_GROUP.get(self.role, self.role)}"

    @property
    def sort_key(self) -> tuple[int, int, str, int]:
        return (self.org_index, ROLE_ORDER.index(self.role) if self.role in ROLE_ORDER
                else len(ROLE_ORDER), self.name, self.index)

    def haystack(self) -> str:
        return " ".join((self.name, self.title, self.role, ROLE_GROUP.get(self.role, ""),
                         self.org)).casefold()


def people_index(model: Any) -> list[PersonEntry]:
    """Every active person of ``model``, in the order of organisation, role, name."""
    st = model.state
    p, o = st.people, st.orgs
    seed = int(model.seed)
    out = []
    for i in range(p.n):
        if not bool(p.active[i]):
            continue
        role, org = ROLE_NAMES[int(p.role[i])], int(p.org[i])
        pid = int(p.person_id[i])
        out.append(PersonEntry(i, name_of(seed, pid), title_of(seed, pid, role, o.kinds[org]),
                               role, o.names[org], org))
    out.sort(key=lambda e: e.sort_key)
    return out


def search_people(entries: list[PersonEntry], query: Any, limit: int = MAX_RESULTS
                  ) -> tuple[list[PersonEntry], int]:
    """(the first ``limit`` people matching every word of ``query``, how many match in all).

    Words match anywhere in a person's name, title, role or organisation, ignoring case; an
    empty query matches everyone. ``query`` comes from the page: anything that is not text is
    taken as empty, and it is cut to :data:`MAX_QUERY` characters."""
    text = query if isinstance(query, str) else ""
    words = text[:MAX_QUERY].casefold().split()
    limit = max(1, min(int(limit), MAX_RESULTS))
    hits: list[PersonEntry] = []
    total = 0
    for e in entries:
        if words:
            hay = e.haystack()
            if not all(w in hay for w in words):
                continue
        total += 1
        if len(hits) < limit:
            hits.append(e)
    return hits, total


def grouped_items(hits: list[PersonEntry], selected: PersonEntry | None = None
                  ) -> list[dict[str, Any]]:
    """Items for a Vuetify select: a header per organisation and role, then its people. The
    selected person is always offered (first, under "Now seeing as") so the field shows them
    even when the search does not find them."""
    items: list[dict[str, Any]] = []
    if selected is not None and all(h.index != selected.index for h in hits):
        items += [{"header": "Now seeing as"},
                  {"text": selected.label, "value": selected.index}]
    group = None
    for e in sorted(hits, key=lambda e: e.sort_key):
        if e.group != group:
            group = e.group
            items.append({"header": group})
        items.append({"text": e.label, "value": e.index})
    return items
