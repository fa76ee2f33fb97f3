"""The autopilot: how a role nobody plays (or a participant who submitted nothing) moves.

It plays the session's doctrine with the same moves and the same action-point budget as a
participant, reading the doctrine's own switches (see ``domain/doctrines.py``), so the
counterfactual is "the same place with every role played the doctrine's way":

- ``attends_to_ignored`` (diplomacy): court every partner that has gone cold and shares work
  with the role's organisation;
- ``cedes`` (diplomacy): on a deal under negotiation where the organisation pays less than an
  equal share, take on ``CEDE_STEP`` more of the cost;
- ``mandates`` (command) or a system-first table (``own_agenda_at_table`` < 1, stewardship):
  if none of the organisation's initiatives is being negotiated or delivered, put the one
  that best serves its agenda (command) or the system's (stewardship) on the table;
- ``informal_factor`` > 1 (diplomacy): meet the reachable person the role trusts least.

Fatalism has none of these and makes no moves. Choices are deterministic functions of the
state (no random draws), so a session replays to the bit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from diplomacy_sim.domain.state import Stage
from diplomacy_sim.room.actions import reachable_people
from diplomacy_sim.room.roles import RoleSpec

CEDE_STEP = 0.1
"""Share of a deal's cost the diplomatic autopilot takes on in one move."""


def choose(model: Any, role: RoleSpec, roles: Sequence[RoleSpec]) -> list[dict[str, Any]]:
    """The autopilot's candidate moves for a role, best first (before costs are counted)."""
    d = model.doctrine
    st = model.state
    o, ini, p, t = st.orgs, st.initiatives, st.people, st.ties
    j = role.org
    if not o.alive[j] or not p.active[role.person]:
        return []
    out: list[dict[str, Any]] = []
    mine = np.flatnonzero(ini.parties[:, j])
    if role.kind in ("leader", "councillor") and d.attends_to_ignored:
        partners = sorted({int(k) for q in mine for k in np.flatnonzero(ini.parties[q])} - {j})
        out += [{"kind": "court", "org": o.ids[k]} for k in partners
                if o.alive[k] and not o.engaged[k]]
    if role.kind == "leader" and d.cedes:
        for q in mine:
            n = int(ini.parties[q].sum())
            if ini.stage[q] == Stage.NEGOTIATING and n > 1 and ini.shares[q, j] < 1.0 / n:
                out.append({"kind": "cede", "initiative": ini.ids[q], "share": CEDE_STEP})
    busy = np.isin(ini.stage[mine], [Stage.NEGOTIATING, Stage.AGREED, Stage.DELIVERING])
    if role.kind == "leader" and (d.mandates or d.own_agenda_at_table < 1.0) and not busy.any():
        w = d.own_agenda_at_table
        value = w * o.agenda[j] + (1.0 - w) * o.agenda[o.alive].mean(axis=0)
        ready = [q for q in mine if ini.stage[q] in (Stage.PROPOSED, Stage.ABANDONED)]
        if ready:
            best = max(ready, key=lambda q: (float(ini.advances[q] @ value), -q))
            out.append({"kind": "propose", "initiative": ini.ids[best]})
    if d.informal_factor > 1.0:
        lo, hi = np.searchsorted(t.src, [role.person, role.person + 1])
        trust = dict(zip(map(int, t.dst[lo:hi]), map(float, t.trust[lo:hi]), strict=True))
        people = [i for i, _ in reachable_people(model, role, roles)]
        if people:
            least = min(people, key=lambda i: (trust.get(i, 0.0), i))
            out.append({"kind": "meet", "person": least})
    return out


def play(model: Any, role: RoleSpec, roles: Sequence[RoleSpec], registry: Mapping[str, Any],
         costs: Mapping[str, int], budget: int) -> list[tuple[dict[str, Any], Any]]:
    """Choose and apply the autopilot's moves for a role within ``budget`` points, in order;
    a move the model refuses is skipped. Returns (move, event) for each move made."""
    done = []
    left = budget
    for move in choose(model, role, roles):
        spec = registry.get(move["kind"])
        if spec is None or role.kind not in spec.roles or costs[move["kind"]] > left:
            continue
        try:
            ev = spec.call(model, role, move)
        except (ValueError, IndexError):
            continue
        left -= costs[move["kind"]]
        done.append((move, ev))
    return done
