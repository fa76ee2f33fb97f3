"""Moves a participant can make in a training session, between steps.

Each move acts through the same state and rules as the simulated leaders' behaviour and
leaves a plain-words event (kind ``move``) so the debrief can see who did what and when.
Bad arguments raise :class:`ValueError` with a message naming what is allowed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import networkx as nx
import numpy as np

from diplomacy_sim.domain.events import Event
from diplomacy_sim.domain.state import ROLE_NAMES, Channel, Stage

if TYPE_CHECKING:
    from diplomacy_sim.model.model import DiplomacyModel


def _initiative(model: DiplomacyModel, initiative: str) -> int:
    ini = model.state.initiatives
    if initiative not in ini.ids:
        raise ValueError(f"no initiative `{initiative}`; allowed: {', '.join(ini.ids)}")
    return ini.ids.index(initiative)


def _org(model: DiplomacyModel, org: str) -> int:
    if org not in model.org_index:
        raise ValueError(f"no organisation `{org}`; allowed: {', '.join(model.org_index)}")
    return model.org_index[org]


def _log(model: DiplomacyModel, text: str, cause: str, actors: tuple[str, ...]) -> Event:
    ev = Event(model.week, "move", text, cause, actors, injected=True)
    model.events.append(ev)
    return ev


def propose(model: DiplomacyModel, initiative: str) -> Event:
    """Put an initiative on the table now, whatever the doctrine would have chosen."""
    q = _initiative(model, initiative)
    ini, o = model.state.initiatives, model.state.orgs
    if ini.stage[q] not in (Stage.PROPOSED, Stage.ABANDONED):
        raise ValueError(f"`{initiative}` is already {model.stage_of(q)}; only proposed or "
                         "abandoned initiatives can be put on the table")
    parties = np.flatnonzero(ini.parties[q])
    if not o.alive[parties].all() or parties.size == 0:
        raise ValueError(f"`{initiative}` has a party that no longer exists")
    ini.stage[q] = Stage.NEGOTIATING
    ini.rounds[q] = 0
    if model.doctrine.mandates:  # under command the most authoritative party leads
        ini.lead[q] = int(parties[np.argmax(o.authority[parties])])
    d = o.discretionary()[parties]
    ini.shares[q] = 0.0
    ini.shares[q, parties] = d / d.sum() if d.sum() > 0 else 1.0 / parties.size
    return _log(model, f"A participant put {ini.names[q]} on the table.",
                "Trainer's move: propose.", tuple(o.ids[i] for i in parties))


def court(model: DiplomacyModel, org: str) -> Event:
    """Informal outreach to a partner that has gone cold: it comes back to the table."""
    j = _org(model, org)
    o = model.state.orgs
    if not o.alive[j]:
        raise ValueError(f"`{org}` no longer exists")
    if o.engaged[j]:
        raise ValueError(f"`{org}` is already at the table")
    o.engaged[j] = True
    o.ignored_weeks[j] = model.params.engagement.cold_after // 2
    return _log(model, f"{o.names[j]} is back at the table after a private conversation.",
                "Trainer's move: court a cold partner through an informal channel.", (o.ids[j],))


def cede(model: DiplomacyModel, initiative: str, org: str, share: float) -> Event:
    """``org`` takes on ``share`` more of an initiative's cost, from the other parties."""
    q = _initiative(model, initiative)
    j = _org(model, org)
    ini, o = model.state.initiatives, model.state.orgs
    if not ini.parties[q, j]:
        raise ValueError(f"`{org}` is not a party to `{initiative}`")
    if not 0.0 < share <= 1.0:
        raise ValueError(f"share must be between 0 and 1, not {share}")
    others = np.flatnonzero(ini.parties[q]) != j
    parties = np.flatnonzero(ini.parties[q])
    take = min(share, float(ini.shares[q, parties[others]].sum()))
    if take > 0:
        ini.shares[q, parties[others]] *= 1.0 - take / ini.shares[q, parties[others]].sum()
        ini.shares[q, j] += take
    return _log(model, f"{o.names[j]} took on {take:.0%} more of the cost of {ini.names[q]}.",
                "Trainer's move: cede ground so the deal works for the others.", (o.ids[j],))


def meet(model: DiplomacyModel, a: int, b: int) -> Event:
    """Two people meet informally (a coffee): an informal tie forms or warms both ways."""
    st = model.state
    p, t = st.people, st.ties
    for i in (a, b):
        if not 0 <= i < p.n or not p.active[i]:
            raise ValueError(f"no active person {i}; people are numbered 0 to {p.n - 1}")
    if a == b:
        raise ValueError("a person cannot meet themselves")
    warm = model.params.trust.encounter_gain * 2.0
    for s, d in ((a, b), (b, a)):
        lo, hi = np.searchsorted(t.src, [s, s + 1])
        found = np.flatnonzero(t.dst[lo:hi] == d)
        if found.size:
            e = lo + int(found[0])
            t.trust[e] += warm * (1.0 - t.trust[e])
        else:
            t.append(np.array([s]), np.array([d]), np.array([model.params.trust.new_tie]),
                     np.array([Channel.INFORMAL], dtype=np.int64))
    oa, ob = st.orgs.names[p.org[a]], st.orgs.names[p.org[b]]
    return _log(
        model,
        f"A {ROLE_NAMES[p.role[a]]} from {oa} met a {ROLE_NAMES[p.role[b]]} from {ob} for coffee.",
        "Trainer's move: use an informal channel.",
        (st.orgs.ids[p.org[a]], st.orgs.ids[p.org[b]]),
    )


def trust_network(model: DiplomacyModel) -> nx.DiGraph:
    """The trust network as a networkx graph (people as nodes, trust and channel on edges)."""
    st = model.state
    p, t = st.people, st.ties
    g = nx.DiGraph()
    for i in np.flatnonzero(p.active):
        g.add_node(int(i), organisation=st.orgs.ids[p.org[i]], role=ROLE_NAMES[p.role[i]])
    for s, d, w, c in zip(t.src, t.dst, t.trust, t.channel, strict=True):
        g.add_edge(int(s), int(d), trust=float(w), channel=Channel(int(c)).name.lower())
    return g
