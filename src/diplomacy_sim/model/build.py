"""Building the starting state of a place from a validated scenario."""

from __future__ import annotations

import numpy as np

from diplomacy_sim.domain.network import draw_ties
from diplomacy_sim.domain.state import (
    ROLE_INDEX,
    Initiatives,
    Organisations,
    People,
    Services,
    Stage,
    SystemState,
)
from diplomacy_sim.scenario.schema import ROLES, Scenario


def _agenda_vector(weights: dict[str, float], issue_ids: list[str]) -> np.ndarray:
    v = np.array([float(weights.get(k, 0.0)) for k in issue_ids])
    return v / v.sum()


def build_state(scenario: Scenario, rngs: dict[str, np.random.Generator]) -> SystemState:
    """Organisations, people with agendas near their organisation's, ties, initiatives."""
    issue_ids = [i.id for i in scenario.issues]
    k = len(issue_ids)
    org_index = {o.id: n for n, o in enumerate(scenario.organisations)}
    m = len(scenario.organisations)
    params = scenario.parameters

    agenda = np.stack([_agenda_vector(o.agenda, issue_ids) for o in scenario.organisations])
    budget = np.array([o.budget for o in scenario.organisations])
    orgs = Organisations(
        ids=[o.id for o in scenario.organisations],
        names=[o.name for o in scenario.organisations],
        kinds=[o.kind for o in scenario.organisations],
        agenda=agenda,
        budget=budget.copy(),
        budget0=budget.copy(),
        statutory_share=np.array([o.statutory_share for o in scenario.organisations]),
        identity=np.array([o.identity for o in scenario.organisations]),
        authority=np.array([o.authority for o in scenario.organisations]),
        target=np.array(
            [issue_ids.index(o.target) if o.target else -1 for o in scenario.organisations],
            dtype=np.int64,
        ),
        funded_by=np.array(
            [org_index[o.funded_by] if o.funded_by else -1 for o in scenario.organisations],
            dtype=np.int64,
        ),
        grant_share=np.array([o.grant_share for o in scenario.organisations]),
        alive=np.ones(m, bool),
        engaged=np.ones(m, bool),
        ignored_weeks=np.zeros(m, np.int64),
        distraction=np.zeros(m, np.int64),
        disturbance=np.zeros(m),
        mandate=np.zeros(m),
        concession=np.array([
            params.negotiation.concession_exponent if o.concession is None else o.concession
            for o in scenario.organisations
        ]),
        statutory_elasticity=params.services.statutory_elasticity,
        pressure=np.array(
            [params.authorising.target_pressure if o.target else 0.0 for o in scenario.organisations]
        ),
    )

    org_col, role_col = [], []
    for n_org, o in enumerate(scenario.organisations):
        for role in ROLES:
            c = o.people.get(role, 0)  # type: ignore[call-overload]
            org_col += [n_org] * c
            role_col += [ROLE_INDEX[role]] * c
    org_arr = np.array(org_col, dtype=np.int64)
    role_arr = np.array(role_col, dtype=np.int64)
    n = org_arr.size

    rp = rngs["people"]
    system_mean = agenda.mean(axis=0)
    uniform = np.full(k, 1.0 / k)
    # the view each person starts from: their organisation's, coloured by role
    centre = agenda[org_arr].copy()
    front = role_arr == ROLE_INDEX["frontline"]
    centre[front] = 0.6 * centre[front] + 0.4 * uniform  # the service user in front of them
    enab = role_arr == ROLE_INDEX["enabler"]
    centre[enab] = 0.5 * centre[enab] + 0.5 * system_mean  # orchestrators see wider
    personal = rp.dirichlet(np.ones(k), size=n) if n else np.zeros((0, k))
    start = 0.8 * centre + 0.2 * personal
    inf = params.influence
    anchoring = np.clip(rp.normal(inf.anchoring, 0.05, n), 0.0, 1.0)
    openness = np.clip(rp.normal(inf.openness, inf.openness_spread, n), 0.01, 1.0)
    skill = rp.beta(2.0, 2.0, n)
    beliefs = np.clip(rp.normal(0.6, 0.1, (n, 3)), 0.0, 1.0)
    people = People(
        org=org_arr,
        role=role_arr,
        agenda=start.copy(),
        anchor=start.copy(),
        anchoring=anchoring,
        openness=openness,
        skill=skill,
        beliefs=beliefs,
        anxiety=np.full(n, params.affect.anxiety_baseline),
        strain=np.zeros(n),
        tenure=rp.integers(0, 260, n).astype(np.int64),
        person_id=np.arange(n, dtype=np.int64),
        active=np.ones(n, bool),
    )

    net = scenario.network
    ties = draw_ties(
        rngs["network"],
        org_arr,
        role_arr,
        net.within_ties,
        net.informal_ties,
        net.frontline_ties,
        params.trust.initial_within,
        params.trust.initial_cross,
    )

    q = len(scenario.initiatives)
    parties = np.zeros((q, m), bool)
    advances = np.zeros((q, k))
    lead = np.zeros(q, np.int64)
    for n_i, ini in enumerate(scenario.initiatives):
        for p in ini.parties:
            parties[n_i, org_index[p]] = True
        for issue, w in ini.advances.items():
            advances[n_i, issue_ids.index(issue)] = w
        lead[n_i] = org_index[ini.lead] if ini.lead else org_index[ini.parties[0]]
    shares = parties / np.maximum(parties.sum(axis=1, keepdims=True), 1)
    initiatives = Initiatives(
        ids=[i.id for i in scenario.initiatives],
        names=[i.name for i in scenario.initiatives],
        advances=advances,
        parties=parties,
        lead=lead,
        cost=np.array([i.cost for i in scenario.initiatives]),
        reach=np.array([i.reach for i in scenario.initiatives]),
        weight=np.array([i.weight for i in scenario.initiatives]),
        stage=np.full(q, Stage.PROPOSED, np.int64),
        progress=np.zeros(q),
        shares=shares.astype(float),
        rounds=np.zeros(q, np.int64),
        broken_streak=np.zeros(q, np.int64),
        abandoned_at=np.full(q, -(10**6), np.int64),
        agreed_at=np.full(q, -1, np.int64),
        agree_to_disagree=np.zeros(q, bool),
        promised=np.zeros((q, m)),
    )
    state = SystemState(
        people=people,
        ties=ties,
        orgs=orgs,
        initiatives=initiatives,
        services=Services(),
        issue_ids=issue_ids,
        issue_labels=[i.label for i in scenario.issues],
        issue_service=[i.service for i in scenario.issues],
        issue_weight=np.array([i.weight for i in scenario.issues]),
        next_person_id=n,
    )
    return state
