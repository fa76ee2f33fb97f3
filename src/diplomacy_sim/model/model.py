"""The Mesa model: owns the state arrays, runs the step order, keeps the record.

The order of a step is defined here and only here (:meth:`DiplomacyCore.step`):

1. events      scheduled and injected shocks due this week
   decisions   each organisation's decisions for the week: its doctrine's autopilot,
               except where a participant's move holds (domain/doctrines.py)
2. encounters  boards on their cadence, informal contacts, frontline work, colleagues
3. influence   anchored bounded-confidence agenda change, then the organisation's pull
4. negotiation new proposals into free workstreams; one round of offers per board meeting
5. delivery    effort, progress, upkeep of live work, graded reviews of promises
6. updates     trust, beliefs, anxiety, strain, engagement, leader turnover, tie formation,
               patient flows through the services, regulator pressure
7. measures    the outcome row for the week

Each phase reads and writes an explicit :class:`~diplomacy_sim.model.context.StepContext`;
the rules themselves are named functions in ``domain/`` and every constant is a schema
parameter. This module only orchestrates.

:class:`DiplomacyCore` holds all the state and the step and imports no Mesa: batch runs,
sweep workers and :func:`diplomacy_sim.api.run` use it, so a worker starts without
importing Mesa (and with it pandas, scipy.spatial and networkx). :class:`DiplomacyModel`,
the model Mesa users, the dashboard and the training room get, is the same class plus
``mesa.Model``, the Mesa surface and the agents (model/mesa_model.py); it is loaded from
here on first use, so ``from diplomacy_sim.model.model import DiplomacyModel`` still works.
The two give the same bits: the core never draws from the ``"mesa"`` stream (only
``mesa.Model`` does), and every other stream is its own generator.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from diplomacy_sim.domain import delivery as dl
from diplomacy_sim.domain import doctrines, services
from diplomacy_sim.domain import engagement as eg
from diplomacy_sim.domain import negotiation as ng
from diplomacy_sim.domain import outcomes as oc
from diplomacy_sim.domain import people as vectorised_rules
from diplomacy_sim.domain import reference as reference_rules
from diplomacy_sim.domain import shocks as sk
from diplomacy_sim.domain.events import Event, agree_to_disagree_cause, counted, week_number
from diplomacy_sim.domain.numerics import add_reduce, mean, mean_rows, nonzero
from diplomacy_sim.domain.state import (
    LEADER_MASK_BY_ROLE,
    TABLE_MASK_BY_ROLE,
    Channel,
    Stage,
    stage_mask,
)
from diplomacy_sim.model.build import build_state
from diplomacy_sim.model.context import StepContext
from diplomacy_sim.model.structure import PlaceStructure, TieStructure
from diplomacy_sim.rng import streams
from diplomacy_sim.scenario import schema

if TYPE_CHECKING:
    from diplomacy_sim.model.mesa_model import DiplomacyModel as DiplomacyModel

Engine = Literal["vectorised", "reference"]
ENGINES: dict[str, ModuleType] = {"vectorised": vectorised_rules, "reference": reference_rules}
STAGE_NAMES = {s.value: s.name.lower() for s in Stage}
WORKED_ON = stage_mask(Stage.NEGOTIATING, Stage.AGREED, Stage.DELIVERING, Stage.LIVE)
"""Stages in which an initiative counts as attending to its parties' priorities."""
BUSY = stage_mask(Stage.NEGOTIATING, Stage.AGREED, Stage.DELIVERING)
"""Stages that occupy a workstream."""
FREE = stage_mask(Stage.PROPOSED, Stage.ABANDONED)
"""Stages in which an initiative may be put on the table."""
FRONTLINE_ONLY = np.ones(0, bool)
"""``_org_trust``'s channel mask within a step: the frontline ties (kept per structure)."""
IN_DELIVERY = stage_mask(Stage.DELIVERING, Stage.LIVE)
"""Stages whose work the delivery phase does each week."""
LIVE, DELIVERING = int(Stage.LIVE), int(Stage.DELIVERING)
"""The stages as plain ints (compared with ``stage.item(q)``, faster than the enum)."""
DEFAULT_COST = float(schema.InitiativeSpec.model_fields["cost"].default)
"""Initiatives of this cost progress at ``delivery.progress_rate``; bigger ones slower."""


def __getattr__(name: str) -> Any:
    """``DiplomacyModel`` on first use (it imports Mesa; the core does not)."""
    if name == "DiplomacyModel":
        from diplomacy_sim.model.mesa_model import DiplomacyModel

        return DiplomacyModel
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class DiplomacyCore:
    """A place where organisations and people negotiate agendas under shocks (no Mesa).

    All the state and the step; :class:`DiplomacyModel` adds ``mesa.Model`` and the agents.

    Args:
        scenario: a validated :class:`~diplomacy_sim.scenario.schema.Scenario`.
        seed: master seed; defaults to the scenario's. Stored with every result.
        engine: ``"vectorised"`` (fast) or ``"reference"`` (per-agent loops, the oracle).
    """

    def __init__(
        self, scenario: schema.Scenario, seed: int | None = None, engine: Engine = "vectorised"
    ) -> None:
        seed = scenario.seed if seed is None else int(seed)
        self.rngs = streams(seed)
        self._start_mesa()
        if engine not in ENGINES:
            raise ValueError(f"engine must be one of {sorted(ENGINES)}, not {engine!r}")
        self.seed = seed
        self.spec = scenario.model_copy(update={"seed": seed})
        self.params = scenario.parameters
        self.doctrine = doctrines.from_profile(
            scenario.doctrine, getattr(scenario.parameters.doctrines, scenario.doctrine))
        self.engine = engine
        self.rules = ENGINES[engine]
        self.state = build_state(scenario, self.rngs)
        self.org_index = {oid: i for i, oid in enumerate(self.state.orgs.ids)}
        self.week = 0
        self.horizon = scenario.steps
        self.rows: list[dict[str, float]] = []
        self.events: list[Event] = []
        self.injected: list[tuple[int, Any]] = []
        self._schedule: dict[int, list[Any]] = {}
        for sh in scenario.shocks:
            self._schedule.setdefault(sh.at, []).append(sh)
        self._progress_at_board = np.zeros(self.state.initiatives.q)
        self._place: PlaceStructure | None = None  # built at the first step, dropped by shocks
        self._tie_structure: TieStructure | None = None
        self._table_sums: tuple[np.ndarray, np.ndarray] | None = None  # this week's, see table_view
        self._avoidance = (0, 0)
        t0 = self.state.ties
        self._tie_target = np.stack([  # each post's starting informal and frontline ties
            np.bincount(t0.src[t0.channel == c], minlength=self.state.people.n)
            for c in (Channel.INFORMAL, Channel.FRONTLINE)
        ], axis=1)
        p = self.state.people
        self._table_roles = TABLE_MASK_BY_ROLE[p.role]
        self._leader_roles = LEADER_MASK_BY_ROLE[p.role]
        self._table_agendas = self._org_table_agendas()
        alive = self.state.orgs.alive
        self.initial_diversity = oc.mean_pairwise_distance(self._table_agendas[alive])
        services.start(self.state, self.params.services)
        self.decisions = doctrines.Decisions.empty(self.state.orgs.m)
        self.decisions.attend = self.state.orgs.engaged.copy()
        inf = self.params.influence
        self._channel_w = np.array([  # influence weight of a meeting on each channel
            min(inf.formal_weight * self.doctrine.formal_weight_factor, 1.0),
            inf.informal_weight,
            inf.frontline_weight,
            1.0,
        ])
        self._make_agents()
        self.running = True

    def _start_mesa(self) -> None:
        """``mesa.Model``'s own start, in :class:`DiplomacyModel`; the core has none."""

    def _make_agents(self) -> None:
        """The Mesa agents, in :class:`DiplomacyModel`; the core has none."""

    # ------------------------------------------------------------------ public API
    def inject(self, shock: Any) -> None:
        """Inject a shock now (a trainer's move); it lands at the start of the next step.

        ``shock`` is a shock model from the schema or a mapping with its fields (``at`` may
        be omitted). Raises :class:`~diplomacy_sim.scenario.loader.ScenarioError` if invalid.
        """
        from diplomacy_sim.scenario.loader import ScenarioError, scenario_from_dict

        if isinstance(shock, dict):
            data = self.spec.model_dump(mode="json")
            spec = dict(shock)
            spec["at"] = min(self.week, self.horizon - 1)
            data["shocks"] = [spec]
            data["steps"] = max(self.horizon, self.week + 1)
            shock = scenario_from_dict(data, source="injected shock").shocks[0]
        if not isinstance(shock, tuple(schema.SHOCK_CLASSES.values())):
            raise ScenarioError("injected shock", [f"not a shock: {shock!r}"])
        self.injected.append((self.week, shock))

    def landing_problems(self, shock: Any, week: int | None = None,
                         pending: Iterable[tuple[int, Any]] = ()) -> list[str]:
        """Why ``shock``, landing in ``week`` (default: the next step), may not be added:
        a reorganisation among the shocks still to land — scheduled from this week on, the
        injected not yet run, ``pending`` (the caller's (week, shock) pairs) and this one, in
        the order the model applies them (by week; scheduled before injected, injected in
        order) — that would name a body gone by then
        (:func:`domain.shock_kinds.sequence_problems`). Shocks as data or parsed."""
        o = self.state.orgs
        gone = {oid for oid, alive in zip(o.ids, o.alive.tolist(), strict=True) if not alive}
        ahead = [(w, 0, i, s) for w, due in self._schedule.items() if w >= self.week
                 for i, s in enumerate(due)]
        added = [(w, s) for w, s in self.injected if w >= self.week] + list(pending)
        added.append((self.week if week is None else week, shock))
        ahead += [(w, 1, i, s) for i, (w, s) in enumerate(added)]
        ahead.sort(key=lambda a: a[:3])
        new = next(k for k, a in enumerate(ahead) if a[1] == 1 and a[2] == len(added) - 1)
        out = []
        for pos, where, why in sk.sequence_problems([a[3] for a in ahead], gone):
            w, _, _, other = ahead[pos]
            out.append(f"{where}: {why}" if pos == new else
                       f"it would leave the {sk.shock_field(other, 'kind')} landing in week "
                       f"{week_number(w)} without effect ({where}: {why})")
        return out

    @property
    def done(self) -> bool:
        return self.week >= self.horizon

    def step(self) -> None:
        """Advance the place by one week, in the documented order."""
        if self.done:
            self.running = False
            return
        self._apply_shocks()
        ctx = StepContext(
            week=self.week,
            board_week=self.week % self.params.encounters.board_cadence == 0,
            m=self.state.orgs.m,
            decisions=self.decisions,
            structure=self._structure(),
        )
        s = ctx.structure
        ctx.src_org, ctx.dst_org, ctx.cross = s.src_org, s.dst_org, s.cross
        self._decide(ctx)
        self._encounters(ctx)
        self._influence(ctx)
        self._negotiate(ctx)
        self._deliver(ctx)
        self._update(ctx)
        self._measure(ctx)
        self.week += 1
        if self.done:
            self.running = False

    def run_to_end(self) -> None:
        while not self.done:
            self.step()

    # ------------------------------------------------------------------ 1. events
    def _apply_shocks(self) -> None:
        sv = self.state.services
        if sv.surge_weeks_left > 0:  # a surge landing in week w covers weeks w .. w+d-1
            sv.surge_weeks_left -= 1
            if sv.surge_weeks_left == 0:
                sv.demand_multiplier = 1.0
        due = [(s, False) for s in self._schedule.get(self.week, [])]
        due += [(s, True) for w, s in self.injected if w == self.week]
        for shock, injected in due:
            self.events.extend(self._apply(shock, injected))

    def _apply(self, shock: Any, injected: bool) -> list[Event]:
        """Apply a shock by its kind's rule, from the registry ``domain.shocks.SHOCK_KINDS``."""
        ctx = sk.ShockContext(self.org_index, self.rngs["shocks"], self.week,
                              self.params.trust.new_tie, injected)
        events = sk.apply_shock(self.state, shock, ctx)
        if sk.SHOCK_KINDS[shock.kind].reshapes_people:
            self._refresh_people_masks()
        self.structure_changed()
        return events

    def structure_changed(self) -> None:
        """Drop what the steps derived from the place's structure (organisations, people,
        ties, budgets, targets, parties). Shocks call it; code that edits those arrays
        directly between steps must call it too."""
        self._place = None
        self._tie_structure = None

    def _structure(self) -> TieStructure:
        """The tie and place structure as it stands now (rebuilt only after a change)."""
        place = self._place
        if place is None:
            place = self._place = PlaceStructure(self.state, self._table_roles, self.params,
                                                 self.doctrine)
        ts = self._tie_structure
        if ts is None or not ts.current(self.state, place):
            ts = self._tie_structure = TieStructure(self.state, place, self._channel_w)
        return ts

    def _refresh_people_masks(self) -> None:
        p = self.state.people
        self._table_roles = TABLE_MASK_BY_ROLE[p.role] & p.active
        self._leader_roles = LEADER_MASK_BY_ROLE[p.role] & p.active

    # ------------------------------------------------------------------ 1b. decisions
    def _decide(self, ctx: StepContext) -> None:
        """Each organisation's decisions this week: the doctrine's autopilot, except where a
        participant's move still holds (the phases below read only these arrays)."""
        o, ini = self.state.orgs, self.state.initiatives
        ng_p = self.params.negotiation
        place = ctx.structure.place
        stage = ini.stage
        ready_now = (stage == Stage.PROPOSED) | (
            (stage == Stage.ABANDONED)
            & (self.week - ini.abandoned_at >= ng_p.repropose_after)
        )
        ready_now &= place.alive_parties
        cand = nonzero(ready_now)
        own = self._table_agendas  # the table as it stood at the end of last week
        box = dl.box_agenda(o.agenda, o.target, o.pressure, place.box_rows, place.box_targets)
        proposal, score = doctrines.proposal_scores(
            self.doctrine, ini.advances, ini.parties, cand, own, box, o.alive, o.authority,
            o.ignored_weeks,
        )
        fresh = doctrines.autopilot(self.doctrine, o.m, o.engaged, o.alive, o.authority,
                                    o.ignored_weeks, proposal, score,
                                    self.decisions.held_until)  # merge keeps these
        self.decisions = doctrines.merge(self.decisions, fresh, self.week)
        d = self.decisions
        if not 0 <= d.latest_hold <= self.week:  # a participant's decision may hold
            ok = (d.proposal >= 0) & o.alive
            free = FREE[stage]
            held = d.held("proposal", self.week)
            # a proposal lapses once its initiative is no longer free (a participant's may
            # re-table abandoned work before the autopilot would)
            ok[ok] = np.where(held[ok], free[d.proposal[ok]], ready_now[d.proposal[ok]])
            d.proposal = np.where(ok, d.proposal, -1)
        # else every proposal is the autopilot's, made by a live organisation from this
        # week's candidates (ready now), so none lapses
        ctx.decisions = d
        ctx.present = o.alive & d.attend
        ctx.box_agenda = box

    # ------------------------------------------------------------------ 2. encounters
    def _encounters(self, ctx: StepContext) -> None:
        st, enc, auth = self.state, self.params.encounters, self.params.authorising
        t, p = st.ties, st.people
        workshop = enc.workshop_cadence > 0 and self.week % enc.workshop_cadence == 0
        informal = eg.informal_use(enc.informal_rate, self.doctrine.informal_factor,
                                      enc.informal_base, auth.risk_tolerance)
        prob = (  # chance a tie on each channel is used this week
            1.0 if (ctx.board_week or workshop) else 0.0,
            informal,
            1.0 if workshop else enc.frontline_rate,
            enc.within_rate,
        )
        met = self.rngs["encounters"].random(t.m) < ctx.structure.by_channel(prob)
        # formal ties meet only when both sides sit at the table this week
        at_table = ctx.present[p.org] & p.active
        s = ctx.structure
        met[s.formal_idx] &= at_table[s.formal_src] & at_table[s.formal_dst]
        ctx.met = met

    # ------------------------------------------------------------------ 3. influence
    def _influence(self, ctx: StepContext) -> None:
        st, inf, af = self.state, self.params.influence, self.params.affect
        t, p = st.ties, st.people
        s = ctx.structure
        place = s.place
        ctx.channel_w = self._channel_w
        # openness at this anxiety: the negotiation phase reads the same factor as focus
        g = ctx.openness = self.rules.openness_factor(
            p.anxiety, af.productive_anxiety, af.productive_width
        )
        eps = p.openness * g
        anchoring = self.rules.anxious_anchoring(place.anchoring, p.anxiety,
                                                 af.productive_anxiety, inf.anxious_anchoring)
        anchoring = np.where(p.active, anchoring, 1.0)
        on = nonzero(ctx.met)  # only ties in play this week carry influence
        src, dst = t.src[on], t.dst[on]
        chw = s.channel_w[on]
        trust_on = t.trust[on]
        new, dist = self.rules.influence(
            p.agenda, p.anchor, anchoring, eps, src, dst, trust_on * chw, inf.self_weight
        )
        met_anyone = np.bincount(src, minlength=p.n) > 0
        pull = place.identity_pull * met_anyone
        pull = np.where(self._table_roles, pull * self.doctrine.anchoring_factor, pull)
        p.agenda = self.rules.identity_pull(new, place.org_agenda, anchoring, pull)
        tr = self.params.trust
        t.trust[on] = self.rules.trust_after_encounters(
            trust_on, dist, eps[src], np.ones(on.size, bool), chw, tr.encounter_gain,
            tr.friction,
        )

    # ------------------------------------------------------------------ 4. negotiation
    def _org_table_agendas(self, place: PlaceStructure | None = None) -> np.ndarray:
        """Mean agenda of each organisation's table members (its official agenda if none).

        ``place``: the current structure, whose table weights, their sums and cells it uses.
        """
        p, o = self.state.people, self.state.orgs
        if place is None:
            num, den = self.rules.org_sums(p.agenda, p.org, self._table_roles.astype(float),
                                           o.m)
        else:
            num, den = self.rules.org_sums(p.agenda, p.org, place.table_f, o.m,
                                           place.table_den, place.cells(p.agenda.shape[1]))
        out = o.agenda.copy()
        has = den > 0
        out[has] = num[has] / den[has, None]
        return out

    def _org_mean(self, values: np.ndarray, mask: np.ndarray) -> np.ndarray:
        p, m = self.state.people, self.state.orgs.m
        num, den = self.rules.org_sums(values, p.org, mask.astype(float), m)
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)

    def _org_means(self, agendas: np.ndarray, columns: tuple[np.ndarray, ...],
                   weight: np.ndarray, den: np.ndarray,
                   place: PlaceStructure) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`_org_agenda` and :meth:`_org_mean` of several columns in one pass: the
        organisations' mean agendas (their official agenda where no one counts) and the
        means of the columns (0 where no one counts), over the people ``weight`` counts
        (``den``: its sum per organisation, kept by the ``place`` with the cells)."""
        p, o = self.state.people, self.state.orgs
        k = agendas.shape[1]
        c = k + len(columns)
        values = np.empty((p.n, c))
        values[:, :k] = agendas
        for i, col in enumerate(columns):
            values[:, k + i] = col
        num, den = self.rules.org_sums(values, p.org, weight, o.m, den, place.cells(c))
        has = den > 0
        means = num / np.where(has, den, 1.0)[:, None]
        return (np.where(has[:, None], means[:, :k], o.agenda),
                np.where(has[:, None], means[:, k:], 0.0))

    def _table_means(self, ctx: StepContext) -> tuple[np.ndarray, ...]:
        """The table members' mean agendas, beliefs that change will happen, skill and
        focus (openness) per organisation, this week."""
        p = self.state.people
        place = ctx.structure.place
        own, cols = self._org_means(p.agenda, (p.beliefs[:, 1], p.skill, ctx.openness),
                                    place.table_f, place.table_den, place)
        return own, cols[:, 0], cols[:, 1], cols[:, 2]

    def _org_agenda(self, mask: np.ndarray) -> np.ndarray:
        p, o = self.state.people, self.state.orgs
        num, den = self.rules.org_sums(p.agenda, p.org, mask.astype(float), o.m)
        out = o.agenda.copy()
        has = den > 0
        out[has] = num[has] / den[has, None]
        return out

    def _org_trust(self, channel_mask: np.ndarray | None = None,
                   ctx: StepContext | None = None) -> np.ndarray:
        st = self.state
        t, m = st.ties, st.orgs.m
        if ctx is None:
            src_org, dst_org = st.people.org[t.src], st.people.org[t.dst]
            sel = src_org != dst_org
            if channel_mask is not None:
                sel = sel & channel_mask
            num, den = self.rules.org_pair_sums(src_org[sel], dst_org[sel], t.trust[sel], m)
            has, safe = den > 0, np.maximum(den, 1)
        else:  # this step's ties (they have not changed since it began)
            s = ctx.structure
            if channel_mask is None:
                idx, src_org, dst_org = s.cross_idx, s.cross_src_org, s.cross_dst_org
            else:  # the only channel asked for: frontline
                idx, src_org, dst_org = s.front_idx, s.front_src_org, s.front_dst_org
            key, count, has, safe = s.pair_count(channel_mask is not None, m)
            num, _ = self.rules.org_pair_sums(src_org, dst_org, t.trust[idx], m, key, count)
        # organisations with no ties between them are strangers
        default = self.params.trust.new_tie if channel_mask is None else 0.0
        return np.where(has, num / safe, default)

    def table_view(self, decisions: doctrines.Decisions | None = None,
                   present: np.ndarray | None = None,
                   ctx: StepContext | None = None) -> ng.TableView:
        """What each organisation brings to the table, given its decisions this week."""
        o, p = self.state.orgs, self.state.people
        d = self.decisions if decisions is None else decisions
        if ctx is None:
            own = self._org_table_agendas()
            belief = self._org_mean(p.beliefs[:, 1], self._table_roles)
            skill = self._org_mean(p.skill, self._table_roles)
            box = dl.box_agenda(o.agenda, o.target, o.pressure)
            disc = o.discretionary()
        else:  # this week's: one pass over the table members, the box from the decisions
            own, belief, skill, ctx.focus = self._table_means(ctx)
            ctx.table_agendas = own
            box, disc = ctx.box_agenda, ctx.structure.place.discretionary
        system = mean_rows(own[o.alive])
        w = d.own_weight[:, None]
        ng_p, en = self.params.negotiation, self.params.engagement
        return ng.TableView(
            table_agenda=w * own + (1.0 - w) * system,
            box_agenda=box,
            belief=belief,
            trust=self._org_trust(ctx=ctx),
            discretionary=disc,
            skill=skill,
            present=(o.alive & d.attend) if present is None else present,
            authority=ng.mandated_authority(o.authority, d.mandate, ng_p.mandate_authority),
            grievance=o.ignored_weeks / en.cold_after,
            concession=o.concession,
            cede=d.cede,
            agree_to_disagree=d.agree_to_disagree,
        )

    def _terms(self) -> ng.Terms:
        n = self.params.negotiation
        return ng.Terms(
            deadline=n.deadline_rounds, ceding_rate=n.ceding_rate,
            consensus_norm=n.consensus_norm, cost_sensitivity=n.cost_sensitivity,
            trust_weight=n.trust_weight, trust_reference=n.trust_reference,
            poverty_floor=n.poverty_floor, compliance_authority=n.compliance_authority,
            compliance_utility=n.compliance_utility, compliance_grievance=n.compliance_grievance,
        )

    def _workstreams(self) -> int:
        ng_p = self.params.negotiation
        return ng_p.max_parallel if self.spec.workstreams == "parallel" else 1

    def free_workstreams(self) -> int:
        """Workstreams free for a new negotiation now."""
        return self._workstreams() - int(BUSY[self.state.initiatives.stage].sum())

    def encounter(self, a: int, b: int) -> None:
        """People ``a`` and ``b`` meet informally now: the same trust rule as any informal
        encounter, both ways; with no tie between them, an informal tie forms."""
        st, inf, af, tr = self.state, self.params.influence, self.params.affect, \
            self.params.trust
        p, t = st.people, st.ties
        for s, d in ((a, b), (b, a)):
            lo, hi = np.searchsorted(t.src, [s, s + 1])
            found = nonzero(t.dst[lo:hi] == d)
            if not found.size:
                t.append(np.array([s]), np.array([d]), np.array([tr.new_tie]),
                         np.array([Channel.INFORMAL], dtype=np.int64))
                continue
            e = np.array([lo + int(found[0])])
            eps = p.openness[s] * self.rules.openness_factor(
                p.anxiety[s:s + 1], af.productive_anxiety, af.productive_width)
            dist = self.rules.agenda_distance(p.agenda[s:s + 1], p.agenda[d:d + 1])
            t.trust[e] = self.rules.trust_after_encounters(
                t.trust[e], dist, eps, np.ones(1, bool), np.array([inf.informal_weight]),
                tr.encounter_gain, tr.friction)

    def _week_view(self, ctx: StepContext) -> ng.TableView:
        """This week's :meth:`table_view`, built when a phase first needs it (nothing a
        phase changes before then enters it: proposals change only initiatives)."""
        if ctx.view is None:
            ctx.view = self.table_view(ctx.decisions, ctx.present, ctx)
        return ctx.view

    def _propose(self, ctx: StepContext) -> None:
        ini, o = self.state.initiatives, self.state.orgs
        ng_p, d = self.params.negotiation, ctx.decisions
        if add_reduce(BUSY[ini.stage]) >= self._workstreams():
            return
        held = d.held("proposal", self.week) & (d.proposal >= 0)
        if held.any():  # a participant's proposal goes on the table as soon as a slot is free
            j = int(nonzero(held)[0])
            self.put_on_table(int(d.proposal[j]), j, by_participant=True)
            d.held_until["proposal"][j] = 0
            return
        belief = float(mean(self._week_view(ctx).belief[o.alive])) if o.alive.any() else 0.0
        share = float(mean(d.joint_share[o.alive])) if o.alive.any() else 0.0
        drive = ng.proposal_drive(ng_p.proposal_drive, share, ng_p.drive_belief_base, belief,
                                  self.params.authorising.hubris)
        if self.rngs["negotiation"].random() >= drive:
            return
        wants = nonzero(d.proposal >= 0)
        if wants.size == 0:
            return
        j = int(wants[np.argmax(d.score[wants])])
        self.put_on_table(int(d.proposal[j]), j)

    def put_on_table(self, q: int, by: int, by_participant: bool = False) -> None:
        """Initiative ``q`` goes into negotiation, proposed by organisation ``by``."""
        ini, o = self.state.initiatives, self.state.orgs
        ini.stage[q] = Stage.NEGOTIATING
        ini.rounds[q] = 0
        parties = nonzero(ini.parties[q])
        disc = o.discretionary()[parties]
        ini.shares[q] = 0.0
        ini.shares[q, parties] = disc / disc.sum() if disc.sum() > 0 else 1.0 / parties.size
        if self.doctrine.led:  # the most authoritative party leads
            ini.lead[q] = int(parties[np.argmax(o.authority[parties])])
        elif by in parties:
            ini.lead[q] = by
        self.events.append(Event(
            self.week, "proposal",
            f"{ini.names[q]} was put on the table by {o.names[by]}.",
            "A participant's move." if by_participant else self._proposal_cause(),
            tuple(o.ids[i] for i in parties),
        ))

    def _proposal_cause(self) -> str:
        if self.doctrine.led:
            return "Command: the lead organisation sets the plan from its own priorities."
        if self.doctrine.attends_to_ignored:
            return "Diplomacy: the next workstream serves the partner left waiting longest."
        return "Chosen for its value to the whole system."

    def _negotiate(self, ctx: StepContext) -> None:
        ini = self.state.initiatives
        self._propose(ctx)
        if not ctx.board_week:
            return
        negotiating = nonzero(ini.stage == Stage.NEGOTIATING)
        if negotiating.size == 0:
            return
        view = self._week_view(ctx)
        focus = ctx.focus  # the table members' openness this week
        rng = self.rngs["negotiation"]
        terms = self._terms()
        for q in map(int, negotiating):
            parties = nonzero(ini.parties[q])
            present = parties[view.present[parties]]
            ctx.meetings[present] += 1
            draws = rng.random(parties.size + 1)
            productive = False
            result = None
            if present.size == parties.size and draws[-1] < float(mean(focus[parties])):
                result, shares = ng.negotiation_round(
                    view, parties, ini.advances[q], float(ini.cost[q]), ini.shares[q, parties],
                    int(ini.rounds[q]), self._led(q, ctx), int(ini.lead[q]), terms, draws[:-1],
                )
                ini.shares[q, parties] = shares
                productive = result.agreed or result.moved > 1e-9
                if result.agreed:
                    self._agree(q, result.agree_to_disagree, ctx)
            if not productive:
                ctx.unproductive[present] += 1
            ini.rounds[q] += 1
            if ini.stage[q] == Stage.NEGOTIATING and ini.rounds[q] >= terms.deadline:
                self._abandon(q, self._deadlock_cause(parties, present, result))

    def _led(self, q: int, ctx: StepContext) -> bool:
        """A deal is led when the doctrine leads or its lead holds a mandate."""
        return self.doctrine.led or bool(ctx.decisions.mandate[int(self.state.initiatives.lead[q])])

    def _agree(self, q: int, atd: bool, ctx: StepContext) -> None:
        ini, o, t = self.state.initiatives, self.state.orgs, self.state.ties
        ini.stage[q] = Stage.AGREED  # delivery starts the next week
        ini.agreed_at[q] = self.week
        ini.agree_to_disagree[q] = atd
        ini.broken_streak[q] = 0
        self._progress_at_board[q] = ini.progress[q]
        parties = nonzero(ini.parties[q])
        lead = int(ini.lead[q])
        mandated = bool(ctx.decisions.mandate[lead])
        if mandated:  # imposing a mandated plan costs the lead some of the others' trust
            others = np.isin(ctx.src_org, parties[parties != lead]) & (ctx.dst_org == lead)
            t.trust[others] = self.rules.logodds_shift(
                t.trust[others], np.full(int(others.sum()),
                                         -self.params.negotiation.mandate_trust_cost))
        if self._led(q, ctx):
            cause = (f"Led by {o.names[lead]}" + (" with a national mandate" if mandated else "")
                     + "; the others complied.")
        elif atd:
            cause = agree_to_disagree_cause(
                [o.names[j] for j in parties], o.agenda[parties], ini.advances[q],
                self.state.issue_labels)
        else:
            cause = "The parties found a split of the costs each could accept."
        self.events.append(Event(
            self.week, "agreement",
            f"{ini.names[q]} was agreed after {counted(ini.rounds[q] + 1, 'round')}; delivery "
            "starts next week.",
            cause, tuple(o.ids[i] for i in parties),
        ))

    def _deadlock_cause(self, parties: np.ndarray, present: np.ndarray, result: Any) -> str:
        o = self.state.orgs
        absent = [o.names[i] for i in parties if i not in present]
        if absent:
            return f"{', '.join(absent)} stopped coming to the table."
        if result is not None and result.rejecting.size:
            who = o.names[int(result.rejecting[0])]
            return (f"{who} could not see enough in it for its own priorities at the cost "
                    "asked, or would not follow the lead.")
        return "Meetings kept avoiding the difficult questions."

    def _abandon(self, q: int, cause: str) -> None:
        ini, o = self.state.initiatives, self.state.orgs
        was_live = ini.stage[q] in (Stage.DELIVERING, Stage.LIVE)
        ini.stage[q] = Stage.ABANDONED
        ini.abandoned_at[q] = self.week
        ini.progress[q] = 0.0
        verb = "was dropped part-way through delivery" if was_live else "was abandoned"
        self.events.append(Event(
            self.week, "abandoned", f"{ini.names[q]} {verb}.", cause,
            tuple(o.ids[i] for i in nonzero(ini.parties[q])),
        ))

    # ------------------------------------------------------------------ 5. delivery
    def _deliver(self, ctx: StepContext) -> None:
        ini, o, p = self.state.initiatives, self.state.orgs, self.state.people
        dv, auth, d = self.params.delivery, self.params.authorising, ctx.decisions
        starting = (ini.stage == Stage.AGREED) & (ini.agreed_at < self.week)
        ini.stage[starting] = Stage.DELIVERING
        working = nonzero(IN_DELIVERY[ini.stage])
        if working.size == 0:
            return
        place = ctx.structure.place
        present = ctx.present
        # what the people who deliver value now: their own agendas, which their
        # organisation's identity pulls back toward its box week after week
        agendas, cols = self._org_means(p.agenda, (dl.commitment(p.beliefs, p.strain),),
                                        place.active_f, place.active_den, place)
        commitment = cols[:, 0]
        ws = place.working_set(working, ini.advances)
        attention = dl.attention(present, o.distraction > 0, ws.load, dv.distracted_attention)
        capacity = place.spare_capacity
        value = dl.box_agenda(agendas, o.target, o.pressure, place.box_rows, place.box_targets)
        ft = None  # frontline trust between organisations, once work in delivery needs it
        rng = self.rngs["delivery"]
        efforts = dl.party_efforts(  # nothing below changes what effort depends on
            value, ws.advances, ws.parties, commitment, attention, capacity, d.joint_share,
            dv.value_floor, dv.will_floor, ws.everyone,
        )
        stage = ini.stage
        for q, effort in zip(working.tolist(), efforts, strict=True):
            parties = place.party_list[q]
            if starting[q]:
                ini.promised[q] = 0.0
                ini.promised[q, parties] = dl.promise(effort, dv.min_promise)
            promised = ini.promised[q, parties]
            if stage.item(q) == LIVE:
                kept_up = dl.upkeep(effort, promised, present[parties], dv.upkeep_saturation)
                ini.progress[q] = dl.live_progress(float(ini.progress[q]), kept_up,
                                                   dv.sustain_cost)
                if ini.progress[q] < dv.slip_back:
                    ini.stage[q] = Stage.DELIVERING
                    self.events.append(Event(
                        self.week, "slipped", f"{ini.names[q]} is no longer fully live.",
                        self._slip_cause(parties, effort, promised, present),
                        tuple(o.ids[j] for j in parties),
                    ))
                continue
            if ft is None:
                ft = self._org_trust(FRONTLINE_ONLY, ctx)
            pair = ft.take(place.pair_cells(q))  # ft[parties[:, None], parties]
            ftrust = float(add_reduce(pair, axis=None) / max(parties.size * (parties.size - 1), 1))
            inc = dl.progress_increment(
                effort, ini.shares[q, parties], dv.progress_rate, ftrust, dv.frontline_boost,
                size=float(ini.cost[q]) / DEFAULT_COST,
            )
            ini.progress[q] = min(1.0, ini.progress[q] + inc * (1.0 + auth.hubris))
            if ctx.board_week:
                ctx.meetings[parties[present[parties]]] += 1
                done = ini.progress[q] - self._progress_at_board[q]
                expected = dv.progress_rate * self.params.encounters.board_cadence * DEFAULT_COST
                if dl.unproductive(done, expected / float(ini.cost[q]), dv.unproductive_pace):
                    ctx.unproductive[parties[present[parties]]] += 1
                self._progress_at_board[q] = ini.progress[q]
            since = self.week - ini.agreed_at[q]
            if since > 0 and since % dv.review_cadence == 0:
                degree = dl.keeping(effort, promised, dv.promise_tolerance)
                fail = rng.random() < dl.experiment_fail_chance(auth.hubris, auth.risk_tolerance)
                if fail:
                    degree[parties == ini.lead[q]] = -1.0
                self._record_review(q, parties, degree, effort, ctx.verdict, fail)
            if stage.item(q) == DELIVERING and ini.progress[q] >= 1.0:
                ini.stage[q] = Stage.LIVE
                self.events.append(Event(
                    self.week, "live", f"{ini.names[q]} is now live.",
                    "Every party kept up its share of the work until it was done.",
                    tuple(o.ids[i] for i in parties),
                ))

    def _slip_cause(self, parties: np.ndarray, effort: np.ndarray, promised: np.ndarray,
                    present: np.ndarray) -> str:
        o = self.state.orgs
        gone = [o.names[j] for j in parties if not present[j]]
        if gone:
            return f"{', '.join(gone)} stopped playing its part, and the joint work eroded."
        worst = int(np.argmin(effort / np.maximum(promised, 1e-12)))
        return (f"{o.names[parties[worst]]} gave it less than it promised, and the joint work "
                "eroded.")

    def _record_review(
        self, q: int, parties: np.ndarray, degree: np.ndarray, effort: np.ndarray,
        verdict: np.ndarray, experiment_failed: bool,
    ) -> None:
        ini, o = self.state.initiatives, self.state.orgs
        for a in parties:
            for b_pos, b in enumerate(parties):
                if a != b:  # the worst review this week of b seen from a
                    v = float(degree[b_pos])
                    verdict[a, b] = v if verdict[a, b] == 0 else min(verdict[a, b], v)
        broke = degree < 0
        for pos, b in enumerate(parties):
            if not broke[pos]:
                continue
            if experiment_failed and b == ini.lead[q]:
                cause = "A risky experiment failed and its bosses would not tolerate it."
            elif not o.engaged[b]:
                cause = f"{o.names[b]} had gone cold and stopped doing its part."
            elif o.distraction[b] > 0:
                cause = f"{o.names[b]} was absorbed in its own reorganisation."
            else:
                cause = (f"Back in its own organisation, {o.names[b]} put in "
                         f"{effort[pos]:.0%} effort against the "
                         f"{ini.promised[q, b]:.0%} it promised: the deal serves its people's "
                         "own priorities too little, or they doubt the others will deliver.")
            self.events.append(Event(
                self.week, "broken_promise",
                f"{o.names[b]} kept only part of its commitment to {ini.names[q]}.", cause,
                (o.ids[b],),
            ))
        if broke.any():
            ini.broken_streak[q] += 1
            if ini.broken_streak[q] >= self.params.delivery.abandon_after:
                self._abandon(q, "Promises were broken review after review.")
        else:
            ini.broken_streak[q] = 0

    # ------------------------------------------------------------------ 6. updates
    def _update(self, ctx: StepContext) -> None:
        st, p, o, t = self.state, self.state.people, self.state.orgs, self.state.ties
        tr, af = self.params.trust, self.params.affect
        if ctx.verdict.any():
            t.trust = self.rules.trust_after_reviews(
                t.trust, ctx.src_org, ctx.dst_org, ctx.verdict, tr.promise_gain, tr.loss_ratio
            )
        self._update_beliefs()
        # each person's organisation's disturbance (added per organisation, then gathered)
        disturbance = (o.disturbance + af.distraction_disturbance * (o.distraction > 0))[p.org]
        p.anxiety = self.rules.anxiety_update(p.anxiety, disturbance, af.anxiety_baseline,
                                              af.anxiety_rate)
        o.disturbance *= 1.0 - af.disturbance_decay
        unprod = np.where(self._leader_roles, ctx.unproductive[p.org], 0.0)
        p.strain = self.rules.strain_update(p.strain, unprod, p.anxiety, af.strain_gain,
                                            af.strain_recovery, af.anxiety_strain)
        self._update_engagement(ctx)
        if self._turnover(ctx.structure.place):
            ctx.table_agendas = None  # a newcomer's agenda changed the table
        self._form_ties()
        p.tenure += 1
        t.age += 1
        o.distraction = np.maximum(o.distraction - 1, 0)
        svp, auth = self.params.services, self.params.authorising
        place = ctx.structure.place
        services.update(st, self.week, svp, place.capacity, place.doers)
        rows = place.box_rows  # organisations under a regulator's target
        o.pressure[rows] = eg.regulator_pressure(
            st.services.met[place.box_targets], o.mandate[rows], auth.target_pressure,
            auth.shortfall_gain)
        o.mandate *= 1.0 - af.disturbance_decay

    def _update_beliefs(self) -> None:
        p, ini, t = self.state.people, self.state.initiatives, self.state.ties
        af = self.params.affect
        on = WORKED_ON[ini.stage]
        joint = add_reduce(ini.advances * on[:, None], axis=0)
        if add_reduce(joint) > 0:  # every row the shared agenda (a read-only view)
            shared = np.broadcast_to(joint / add_reduce(joint), p.agenda.shape)
            goals = 1.0 - self.rules.agenda_distance(p.agenda, shared)
        else:
            goals = np.full(p.n, 0.5)
        working = services.ACTIVE[ini.stage]
        mine = ini.parties & working[:, None]
        count = add_reduce(mine, axis=0)
        prog = add_reduce(ini.progress[:, None] * mine, axis=0)
        # with work under way people judge by its progress; with none, they hold their view
        visible = np.where(count > 0, eg.visible_possibility(
            prog / np.maximum(count, 1), af.possible_floor), np.nan)
        possible = visible[p.org]
        possible = np.where(np.isnan(possible), p.beliefs[:, 1], possible)
        commit = np.sqrt(p.beliefs[:, 1] * p.beliefs[:, 2])
        happen = self.rules.neighbour_commitment(commit, t.src, t.dst, t.trust, p.n)
        # columns: goals, possible, happen, each plus its noise (added in place: a + b is b + a)
        signals = self.rngs["beliefs"].normal(0.0, af.signal_noise, (p.n, 3))
        signals[:, 0] += goals
        signals[:, 1] += possible
        signals[:, 2] += happen
        p.beliefs = self.rules.belief_update(p.beliefs, signals, af.belief_rate)

    def _update_engagement(self, ctx: StepContext) -> None:
        st, o, ini = self.state, self.state.orgs, self.state.initiatives
        en, d = self.params.engagement, ctx.decisions
        top = ctx.box_agenda.argmax(axis=1)
        on = WORKED_ON[ini.stage]
        serves = ini.advances[:, top] >= en.serves_threshold  # (q, m): q serves j's priority
        attended = (ini.parties & serves & on[:, None]).any(axis=0)
        o.ignored_weeks = np.where(attended, 0, o.ignored_weeks + 1)
        s = ctx.structure  # informal contacts this week from engaged organisations
        court_from = ctx.met[s.informal_idx] & o.engaged[s.informal_src_org]
        courted = np.bincount(s.informal_dst_org[court_from], minlength=o.m).astype(float)
        courted += eg.deliberate_courting(d.court, o.engaged & o.alive, o.m, en.court_contacts)
        draws = self.rngs["negotiation"].random(o.m)
        held = d.held("attend", self.week)
        for j in range(o.m):
            if not o.alive[j]:
                continue
            issue = st.issue_labels[top[j]]
            if held[j]:  # a participant decides whether this organisation comes
                if o.engaged[j] != bool(d.attend[j]):
                    o.engaged[j] = bool(d.attend[j])
                    o.ignored_weeks[j] = 0
                continue
            if o.engaged[j] and o.ignored_weeks[j] >= en.cold_after:
                o.engaged[j] = False
                self.events.append(Event(
                    self.week, "went_cold",
                    f"{o.names[j]} stopped attending the partnership board.",
                    f"{issue} has been off the agenda for {counted(o.ignored_weeks[j], 'week')}.",
                    (o.ids[j],),
                ))
            elif not o.engaged[j]:
                p_back = eg.courted_back(en.courting_rate, float(courted[j]))
                if attended[j] or draws[j] < p_back:
                    o.engaged[j] = True
                    o.ignored_weeks[j] = 0 if attended[j] else \
                        int(en.courted_credit * en.cold_after)
                    cause = (f"{issue} is being worked on again." if attended[j] else
                             "Informal conversations with partners brought it back.")
                    self.events.append(Event(
                        self.week, "came_back", f"{o.names[j]} is back at the table.", cause,
                        (o.ids[j],),
                    ))

    def _turnover(self, place: PlaceStructure) -> bool:
        """Chief executives leave with a hazard rising with their regulator's pressure.
        Returns whether anyone left (a newcomer then holds the post)."""
        st, p, o = self.state, self.state.people, self.state.orgs
        tv = self.params.turnover
        execs = place.execs  # active executives of live organisations
        if execs.size == 0:
            return False
        hazard = tv.executive_hazard * (1.0 + tv.pressure_gain * o.pressure[place.exec_org])
        rng = self.rngs["turnover"]
        leavers = execs[rng.random(execs.size) < hazard]
        if leavers.size == 0:
            return False
        weeks = p.tenure[leavers].copy()
        sk.replace_people(st, leavers, rng, self.params.trust.new_tie)
        for i, w in zip(leavers, weeks, strict=True):
            org = int(p.org[i])
            sk.disturb(st, [org], tv.disturbance, ripple=0.0)
            cause = ("Performance against the regulator's target was poor."
                     if o.pressure[org] > 0.3 else "Moved on to another post.")
            self.events.append(Event(
                self.week, "leadership_turnover",
                f"A chief executive of {o.names[org]} left after {counted(w, 'week')}; "
                "the successor starts with no relationships.",
                cause, (o.ids[org],),
            ))
        return True

    def _form_ties(self) -> None:
        """People rebuild lost cross-boundary ties slowly, up to the number their post had.

        Someone short of informal (leaders) or frontline ties may, with ``formation_rate`` a
        week, tie up with someone in another organisation who is also short of such ties.
        """
        p, t = self.state.people, self.state.ties
        rate = self.params.trust.formation_rate
        if rate <= 0:
            return
        rng = self.rngs["formation"]
        s = self._structure()  # the ties after this week's turnover
        for col, channel in enumerate((Channel.INFORMAL, Channel.FRONTLINE)):
            short = s.short_of(channel, self._tie_target[:, col])
            u = rng.random(short.size)
            if short.size < 2:
                continue
            seekers = short[u < rate]
            if seekers.size == 0:
                continue
            partners = short[rng.integers(0, short.size, seekers.size)]
            ok = p.org[partners] != p.org[seekers]
            a, b = seekers[ok], partners[ok]
            # one new tie per person a week, so nobody goes past their post's number
            uses = np.bincount(np.concatenate([a, b]), minlength=p.n)
            once = (uses[a] == 1) & (uses[b] == 1)
            a, b = a[once], b[once]
            if a.size:
                trust = np.full(2 * a.size, self.params.trust.new_tie)
                t.append(np.concatenate([a, b]), np.concatenate([b, a]), trust,
                         np.full(2 * a.size, channel, dtype=np.int64))

    # ------------------------------------------------------------------ 7. measures
    def _measure(self, ctx: StepContext) -> None:
        meetings, unproductive = int(add_reduce(ctx.meetings)), int(add_reduce(ctx.unproductive))
        if meetings:  # between boards, avoidance is that of the latest meetings held
            self._avoidance = (meetings, unproductive)
        meetings, unproductive = self._avoidance
        # the table as negotiation saw it, unless a replacement has changed it since
        own = ctx.table_agendas
        self._table_agendas = self._org_table_agendas(ctx.structure.place) if own is None \
            else own
        s = self._structure()  # the ties after this week's turnover and new ties
        row = oc.measure(
            self.state, self._table_agendas, self.initial_diversity, self._leader_roles,
            meetings, unproductive, s.measured_idx, s.place.capacity.issues,
        )
        row = {"step": float(self.week), **row}
        self.rows.append(row)

    # ------------------------------------------------------------------ inspection
    def stage_of(self, q: int) -> str:
        return STAGE_NAMES[int(self.state.initiatives.stage[q])]
