"""What a person can see (a partial view) and what the balcony shows (everything)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from diplomacy_sim.domain.outcomes import UNIT_OUTCOMES
from diplomacy_sim.domain.state import ROLE_NAMES, Channel, Stage
from diplomacy_sim.rng import view_generator

if TYPE_CHECKING:
    from diplomacy_sim.model.model import DiplomacyModel

STAGE = {s.value: s.name.lower() for s in Stage}


def _initiative(model: DiplomacyModel, q: int) -> dict[str, Any]:
    ini, o = model.state.initiatives, model.state.orgs
    return {
        "id": ini.ids[q],
        "name": ini.names[q],
        "stage": STAGE[int(ini.stage[q])],
        "progress": float(ini.progress[q]),
        "parties": [o.ids[j] for j in np.flatnonzero(ini.parties[q])],
        "agree_to_disagree": bool(ini.agree_to_disagree[q]),
    }


SIGNALS: tuple[str, ...] = ("integration", "trust", "user_outcome")
"""The outcomes a person hears about, as noisy signals (the partial view)."""


def signals_seen(model: DiplomacyModel, person: int, week: int) -> dict[str, float]:
    """The noisy signals of :data:`SIGNALS` that ``person`` had after week ``week`` (1 is the
    first week's row): the true value plus normal noise of ``affect.signal_noise``, kept in
    0..1. The noise comes from the person's own view stream for that week, so every caller —
    the person's view, the dashboard's "as seen" chart, a room participant's page — sees the
    same draw, however often and in whatever order it asks."""
    row = model.rows[week - 1]
    rng = view_generator(model.seed, week, int(model.state.people.person_id[person]))
    noise = model.params.affect.signal_noise
    return {k: float(np.clip(row[k] + rng.normal(0.0, noise), 0.0, 1.0))
            for k in SIGNALS if k in row}


def person_view(model: DiplomacyModel, person: int) -> dict[str, Any]:
    """Only what this person could see: themselves, their ties, their organisation's work,
    events touching their organisation, and noisy signals of how the place is doing."""
    st = model.state
    p, t, o = st.people, st.ties, st.orgs
    if not 0 <= person < p.n:
        raise IndexError(f"no person {person}; people are numbered 0 to {p.n - 1}")
    org = int(p.org[person])
    lo, hi = np.searchsorted(t.src, [person, person + 1])
    neighbours = t.dst[lo:hi]
    signals = signals_seen(model, person, model.week) if model.rows else {}
    enabler = ROLE_NAMES[int(p.role[person])] == "enabler"
    seen_orgs = {org} | {int(p.org[j]) for j in neighbours}
    if enabler:  # system orchestrators see every organisation's joint work
        seen_orgs |= set(range(o.m))
    return {
        "perspective": "person",
        "person": person,
        "role": ROLE_NAMES[int(p.role[person])],
        "organisation": o.ids[org],
        "agenda": dict(zip(st.issue_ids, map(float, p.agenda[person]), strict=True)),
        "beliefs": dict(zip(("goals_are_good", "change_is_possible", "it_will_happen"),
                            map(float, p.beliefs[person]), strict=True)),
        "anxiety": float(p.anxiety[person]),
        "strain": float(p.strain[person]),
        "ties": [
            {"to": int(t.dst[e]), "organisation": o.ids[int(p.org[t.dst[e]])],
             "role": ROLE_NAMES[int(p.role[t.dst[e]])], "trust": float(t.trust[e]),
             "channel": Channel(int(t.channel[e])).name.lower()}
            for e in range(lo, hi)
        ],
        "initiatives": [
            _initiative(model, int(q))
            for q in np.flatnonzero(st.initiatives.parties[:, sorted(seen_orgs if enabler else {org})]
                                    .any(axis=1))
        ],
        "signals": signals,
        "events": [e.to_dict() for e in model.events
                   if not e.actors or any(a in {o.ids[j] for j in seen_orgs} for a in e.actors)],
        "people_visible": sorted({person, *map(int, neighbours)}),
    }


def balcony_view(model: DiplomacyModel) -> dict[str, Any]:
    """Everything: all outcomes without noise, every initiative, every event, everyone."""
    st = model.state
    latest = model.rows[-1] if model.rows else {}
    return {
        "perspective": "balcony",
        "outcomes": {k: latest.get(k) for k in UNIT_OUTCOMES},
        "initiatives": [_initiative(model, q) for q in range(st.initiatives.q)],
        "events": [e.to_dict() for e in model.events],
        "people_visible": list(range(st.people.n)),
    }
