"""Shocks, stated with hand-computed values on a tiny place.

Each test lands one shock on a known state and checks what it must do, and by how much:
disturbance on the organisations hit (and, more faintly, on their partners), a merge
halving the progress of deals that must be remade, a cut squeezing discretionary money
first, a new chief executive starting without relationships.
"""

from __future__ import annotations

import numpy as np
import pytest

from diplomacy_sim.domain import people as vectorised
from diplomacy_sim.domain import reference
from diplomacy_sim.domain import shocks as sk
from diplomacy_sim.domain.state import ROLE_INDEX, TABLE_MASK_BY_ROLE, Channel, Stage
from diplomacy_sim.scenario import schema

from .conftest import CHARITY, COUNCIL, HOSP, INDEX

NEW_TIE = 0.15


def reorg(mode, organisations, into=None, **kw):
    return schema.Reorganisation(kind="reorganisation", at=0, mode=mode,
                                 organisations=organisations, into=into,
                                 tie_loss=kw.pop("tie_loss", 0.0), leavers=kw.pop("leavers", 0.0),
                                 **kw)


# ---------------------------------------------------------------- disturbance
def test_disturbance_lands_on_the_organisation_hit_and_a_ripple_on_its_partners(tiny):
    sk.disturb(tiny, [HOSP], 0.6)
    # everyone: ripple 0.5 * 0.6 * 0.5 = 0.15; the hospital also the full 0.6
    np.testing.assert_allclose(tiny.orgs.disturbance, [0.75, 0.15, 0.15], atol=1e-15)


def test_without_a_ripple_only_the_organisation_hit_is_disturbed(tiny):
    sk.disturb(tiny, [COUNCIL], 0.3, ripple=0.0)
    np.testing.assert_allclose(tiny.orgs.disturbance, [0.0, 0.3, 0.0], atol=1e-15)


def test_disturbance_adds_up_and_is_held_at_one(tiny):
    sk.disturb(tiny, [HOSP], 0.4, ripple=0.0)
    sk.disturb(tiny, [HOSP], 0.4, ripple=0.0)
    assert tiny.orgs.disturbance[HOSP] == pytest.approx(0.8)
    sk.disturb(tiny, [HOSP], 0.9, ripple=0.0)
    assert tiny.orgs.disturbance[HOSP] == 1.0


@pytest.mark.parametrize("rules", [vectorised, reference], ids=["vectorised", "reference"])
def test_a_shock_raises_its_organisations_anxiety_more_than_its_partners(tiny, rules):
    p = tiny.people
    base = p.anxiety.copy()
    sk.disturb(tiny, [HOSP], 0.6)
    after = rules.anxiety_update(p.anxiety, tiny.orgs.disturbance[p.org], 0.2, 0.15)
    rise = after - base
    # people start at the baseline 0.2: the rise is rate * disturbance felt
    np.testing.assert_allclose(rise[p.org == HOSP], 0.15 * 0.75, atol=1e-15)
    np.testing.assert_allclose(rise[p.org != HOSP], 0.15 * 0.15, atol=1e-15)


# ---------------------------------------------------------------- reorganisation
def test_a_merge_halves_the_progress_of_deals_that_must_be_remade(tiny):
    ini = tiny.initiatives
    ini.stage[:] = [Stage.LIVE, Stage.LIVE, Stage.DELIVERING]
    ini.progress[:] = [0.8, 0.8, 0.5]
    ini.rounds[:] = 5
    sk.reorganise(tiny, reorg("merge", ["hosp", "council"], into="council"), INDEX,
                  np.random.default_rng(0), 3, NEW_TIE, False)
    # a and c had the hospital as a party: remade with whoever is left, at half progress
    np.testing.assert_allclose(ini.progress, [0.4, 0.8, 0.25])
    assert list(ini.stage) == [Stage.NEGOTIATING, Stage.LIVE, Stage.NEGOTIATING]
    assert list(ini.rounds) == [0, 5, 0]


def test_a_merge_passes_the_absorbed_bodys_share_and_lead_to_the_one_kept(tiny):
    ini = tiny.initiatives
    sk.reorganise(tiny, reorg("merge", ["hosp", "council"], into="council"), INDEX,
                  np.random.default_rng(0), 3, NEW_TIE, False)
    assert not ini.parties[:, HOSP].any()
    np.testing.assert_allclose(ini.shares[0], [0.0, 1.0, 0.0])
    np.testing.assert_allclose(ini.shares[2], [0.0, 2 / 3, 1 / 3])
    assert ini.lead[0] == COUNCIL
    assert list(ini.stage) == [Stage.PROPOSED] * 3  # unagreed work keeps its stage
    np.testing.assert_array_equal(ini.progress, 0.0)


def test_a_merged_body_pools_budgets_weights_agendas_by_budget_and_weakens_identity(tiny):
    o, p = tiny.orgs, tiny.people
    hosp_people = np.flatnonzero(p.org == HOSP)
    a_h, a_c = o.agenda[HOSP].copy(), o.agenda[COUNCIL].copy()
    events = sk.reorganise(tiny, reorg("merge", ["hosp", "council"], into="council",
                                       distraction_weeks=13),
                           INDEX, np.random.default_rng(0), 3, NEW_TIE, False)
    np.testing.assert_allclose(o.agenda[COUNCIL], (20.0 * a_c + 10.0 * a_h) / 30.0)
    assert o.budget[COUNCIL] == pytest.approx(30.0) and o.budget0[COUNCIL] == pytest.approx(30.0)
    assert o.statutory_share[COUNCIL] == pytest.approx((20 * 0.5 + 10 * 0.8) / 30)
    assert o.identity[COUNCIL] == pytest.approx(0.7 * (0.4 + 0.6) / 2)
    assert o.authority[COUNCIL] == pytest.approx(0.8)
    assert not o.alive[HOSP] and not o.engaged[HOSP]
    assert np.all(p.org[hosp_people] == COUNCIL)
    assert o.distraction[COUNCIL] == 13
    assert [e.kind for e in events] == ["reorganisation"]


def test_a_merge_disturbs_both_bodies_fully_and_the_rest_by_the_ripple(tiny):
    sk.reorganise(tiny, reorg("merge", ["hosp", "council"], into="council", intensity=0.6),
                  INDEX, np.random.default_rng(0), 3, NEW_TIE, False)
    np.testing.assert_allclose(tiny.orgs.disturbance, [0.75, 0.75, 0.15], atol=1e-15)


def test_abolition_without_a_successor_removes_its_people_and_their_relationships(tiny):
    p, t, ini = tiny.people, tiny.ties, tiny.initiatives
    charity_people = np.flatnonzero(p.org == CHARITY)
    sk.reorganise(tiny, reorg("abolish", ["charity"]), INDEX, np.random.default_rng(0), 3,
                  NEW_TIE, False)
    assert not p.active[charity_people].any() and p.active[p.org != CHARITY].all()
    assert not np.isin(t.src, charity_people).any() and not np.isin(t.dst, charity_people).any()
    assert not ini.parties[:, CHARITY].any()
    np.testing.assert_allclose(ini.shares[1], [0.0, 1.0, 0.0])
    np.testing.assert_allclose(ini.shares[2], [0.5, 0.5, 0.0])


def test_work_with_no_party_left_is_abandoned_with_nothing_kept(tiny):
    ini = tiny.initiatives
    ini.stage[0], ini.progress[0] = Stage.LIVE, 0.9
    sk.reorganise(tiny, reorg("abolish", ["hosp", "council"]), INDEX, np.random.default_rng(0),
                  3, NEW_TIE, False)
    assert ini.stage[0] == Stage.ABANDONED and ini.progress[0] == 0.0
    assert ini.stage[1] != Stage.ABANDONED and ini.parties[1, CHARITY]


def test_a_restructure_diverts_attention_for_its_weeks_and_keeps_the_body(tiny):
    sk.reorganise(tiny, reorg("restructure", ["hosp"], distraction_weeks=26), INDEX,
                  np.random.default_rng(0), 3, NEW_TIE, False)
    np.testing.assert_array_equal(tiny.orgs.distraction, [26, 0, 0])
    assert tiny.orgs.alive.all()


def test_with_full_tie_loss_every_cross_boundary_tie_of_the_affected_goes_both_ways(tiny):
    p, t = tiny.people, tiny.ties
    within_before = int((t.channel == Channel.WITHIN).sum())
    hosp = np.flatnonzero(p.org == HOSP)
    assert (np.isin(t.src, hosp) & (t.channel != Channel.WITHIN)).any()
    sk.cut_ties(tiny, hosp, 1.0, np.random.default_rng(0))
    touches = np.isin(t.src, hosp) | np.isin(t.dst, hosp)
    assert not (touches & (t.channel != Channel.WITHIN)).any()
    assert int((t.channel == Channel.WITHIN).sum()) == within_before


def test_with_no_tie_loss_no_tie_is_cut(tiny):
    m = tiny.ties.m
    assert sk.cut_ties(tiny, np.arange(tiny.people.n), 0.0, np.random.default_rng(0)) == 0
    assert tiny.ties.m == m


def test_leavers_at_a_reorganisation_are_the_share_asked_for(tiny):
    p = tiny.people
    ids = p.person_id.copy()
    sk.reorganise(tiny, reorg("restructure", ["council"], leavers=1.0), INDEX,
                  np.random.default_rng(0), 3, NEW_TIE, False)
    council = p.org == COUNCIL
    assert np.all(p.person_id[council] != ids[council])  # everyone was replaced
    assert np.all(p.person_id[~council] == ids[~council])


# ---------------------------------------------------------------- budget cut
def cut(fraction, orgs=("council",), intensity=0.3):
    return schema.BudgetCut(kind="budget_cut", at=0, organisations=list(orgs), fraction=fraction,
                            intensity=intensity)


def test_a_cut_falls_on_discretionary_money_first(tiny):
    tiny.orgs.statutory_elasticity = 0.0  # statutory duties fully protected
    events = sk.budget_cut(tiny, cut(0.2), INDEX, 4, False)
    # council: budget 20 -> 16, statutory 10 stays, so joint-work money 10 -> 6 (a 40% fall)
    assert tiny.orgs.budget[COUNCIL] == pytest.approx(16.0)
    assert tiny.orgs.discretionary()[COUNCIL] == pytest.approx(6.0)
    assert "fell by 40%" in events[0].text


def test_with_statutory_spending_in_proportion_the_cut_is_shared_evenly(tiny):
    tiny.orgs.statutory_elasticity = 1.0
    sk.budget_cut(tiny, cut(0.2), INDEX, 4, False)
    assert tiny.orgs.discretionary()[COUNCIL] == pytest.approx(8.0)


def test_a_funders_cut_passes_to_its_grantees_as_its_discretion_falls(tiny):
    tiny.orgs.statutory_elasticity = 0.0
    events = sk.budget_cut(tiny, cut(0.2), INDEX, 4, False)
    # the charity's grant (half of its 2 £m) falls by the council's 40%: 2 - 0.5 * 2 * 0.4
    assert tiny.orgs.budget[CHARITY] == pytest.approx(1.6)
    assert tiny.orgs.budget[HOSP] == pytest.approx(10.0)
    assert [e.kind for e in events] == ["budget_cut", "budget_cut"]


def test_a_cut_disturbs_the_body_cut_and_ripples_to_the_rest(tiny):
    sk.budget_cut(tiny, cut(0.2, intensity=0.4), INDEX, 4, False)
    np.testing.assert_allclose(tiny.orgs.disturbance, [0.1, 0.5, 0.1], atol=1e-15)


def test_a_cut_to_an_abolished_body_does_nothing_to_it(tiny):
    tiny.orgs.alive[HOSP] = False
    assert sk.budget_cut(tiny, cut(0.5, orgs=("hosp",)), INDEX, 4, False) == []
    assert tiny.orgs.budget[HOSP] == 10.0


# ---------------------------------------------------------------- demand surge
def test_a_surge_sets_demand_for_its_duration_and_disturbs_everyone_equally(tiny):
    spec = schema.DemandSurge(kind="demand_surge", at=0, multiplier=1.5, duration=6,
                              intensity=0.3)
    sk.demand_surge(tiny, spec, 2, False)
    assert tiny.services.demand_multiplier == 1.5 and tiny.services.surge_weeks_left == 6
    np.testing.assert_allclose(tiny.orgs.disturbance, [0.3, 0.3, 0.3], atol=1e-15)


# ---------------------------------------------------------------- leadership turnover
def test_the_longest_serving_chief_executive_leaves_and_the_new_one_has_no_relationships(tiny):
    p, t = tiny.people, tiny.ties
    execs = np.flatnonzero((p.org == HOSP) & (p.role == ROLE_INDEX["executive"]))
    p.tenure[execs] = [100, 200]
    leaver = int(execs[1])
    p.strain[leaver], p.beliefs[leaver] = 0.7, 0.9
    old_id = int(p.person_id[leaver])
    spec = schema.LeadershipTurnover(kind="leadership_turnover", at=0, organisation="hosp",
                                     intensity=0.3)
    events = sk.leadership_turnover(tiny, spec, INDEX, np.random.default_rng(0), 5, NEW_TIE, False)
    assert "in post 200 weeks" in events[0].text
    assert p.person_id[leaver] != old_id and p.tenure[leaver] == 0 and p.tenure[execs[0]] == 100
    assert p.strain[leaver] == 0.0 and np.all(p.beliefs[leaver] == 0.5)
    mine = (t.src == leaver) | (t.dst == leaver)
    assert np.all(t.trust[mine] == NEW_TIE)
    assert not (mine & np.isin(t.channel, [Channel.INFORMAL, Channel.FRONTLINE])).any()
    # board seats: every table member of the other live organisations, both directions
    table = np.flatnonzero(TABLE_MASK_BY_ROLE[p.role] & (p.org != HOSP))
    assert sorted(t.dst[(t.src == leaver) & (t.channel == Channel.FORMAL)]) == list(table)
    assert sorted(t.src[(t.dst == leaver) & (t.channel == Channel.FORMAL)]) == list(table)
    np.testing.assert_allclose(tiny.orgs.disturbance, [0.375, 0.075, 0.075], atol=1e-15)


# ---------------------------------------------------------------- national mandate
def test_a_mandate_pulls_the_agenda_toward_its_issue_by_its_strength(tiny):
    o = tiny.orgs
    before = o.agenda[HOSP].copy()
    spec = schema.NationalMandate(kind="national_mandate", at=0, issue="housing",
                                  organisations=["hosp"], strength=0.5, intensity=0.2)
    sk.national_mandate(tiny, spec, INDEX, 1, 2, False)
    np.testing.assert_allclose(o.agenda[HOSP], before + 0.5 * (np.array([0.0, 1.0]) - before))
    np.testing.assert_allclose(o.agenda[HOSP], [0.4, 0.6])
    assert o.target[HOSP] == 1 and o.mandate[HOSP] == 0.5
    assert o.pressure[HOSP] == pytest.approx(0.5)
    np.testing.assert_allclose(o.agenda[COUNCIL], [0.3, 0.7])  # not mandated, not moved


def test_mandate_pressure_adds_up_but_never_past_one(tiny):
    spec = schema.NationalMandate(kind="national_mandate", at=0, issue="housing",
                                  organisations=["hosp"], strength=0.7, intensity=0.0)
    sk.national_mandate(tiny, spec, INDEX, 1, 2, False)
    sk.national_mandate(tiny, spec, INDEX, 1, 3, False)
    assert tiny.orgs.mandate[HOSP] == 1.0 and tiny.orgs.pressure[HOSP] == 1.0


# ---------------------------------------------------------------- election
@pytest.mark.parametrize(("fraction", "replaced"), [(1.0, 3), (0.0, 0)])
def test_an_election_replaces_the_share_of_councillors_it_says(tiny, fraction, replaced):
    p = tiny.people
    ids = p.person_id.copy()
    spec = schema.Election(kind="election", at=0, fraction=fraction, intensity=0.2)
    events = sk.election(tiny, spec, np.random.default_rng(0), 2, NEW_TIE, False)
    changed = p.person_id != ids
    assert int(changed.sum()) == replaced
    assert np.all(p.role[changed] == ROLE_INDEX["councillor"])
    assert f"{replaced} of 3 councillors" in events[0].text
    np.testing.assert_allclose(tiny.orgs.disturbance, [0.0, 0.2, 0.0], atol=1e-15)


def test_a_reorganisation_of_bodies_already_gone_does_nothing(tiny):
    rng = np.random.default_rng(1)
    sk.reorganise(tiny, reorg("merge", ["charity"], into="council"), INDEX, rng, 0, NEW_TIE,
                  False)
    before = {k: np.copy(v) for k, v in vars(tiny.people).items() if isinstance(v, np.ndarray)}
    orgs = (tiny.orgs.alive.copy(), tiny.orgs.budget.copy())
    for shock in (reorg("merge", ["council"], into="charity"),  # into a body that is gone
                  reorg("restructure", ["charity"]), reorg("abolish", ["charity"])):
        assert sk.reorganise(tiny, shock, INDEX, rng, 0, NEW_TIE, False) == []
    for k, v in before.items():
        np.testing.assert_array_equal(getattr(tiny.people, k), v, err_msg=k)
    np.testing.assert_array_equal(tiny.orgs.alive, orgs[0])
    np.testing.assert_array_equal(tiny.orgs.budget, orgs[1])
    assert (tiny.people.org[tiny.people.active] != CHARITY).all()  # no staff in a gone body
