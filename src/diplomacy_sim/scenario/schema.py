"""The scenario schema: every parameter of the model is defined here, once.

Each numeric parameter carries its bounds, unit, default and a one-line description.
The CLI (``--set``), the scenario files and the dashboard's controls all read this module;
nothing else restates a default.
"""

from __future__ import annotations

import typing
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from diplomacy_sim.domain import shock_kinds as shock_registry
from diplomacy_sim.limits import MAX_PEOPLE, MAX_SEED

ROLES: tuple[str, ...] = ("executive", "manager", "frontline", "councillor", "enabler")
"""Roles a person can hold. Executives are strategists, managers are doers."""

LEADER_ROLES: tuple[str, ...] = ("executive", "manager", "councillor", "enabler")
"""Leaders: their strain is the ``strain`` outcome. Managers (doers) lead delivery but do not
sit at the formal partnership boards; executives, councillors and enablers do."""

DOCTRINES: tuple[str, ...] = ("command", "stewardship", "diplomacy", "fatalism")
SHOCK_KINDS: tuple[str, ...] = tuple(shock_registry.SHOCK_KINDS)
"""Shock kinds, from the one registry (``domain.shock_kinds.SHOCK_KINDS``)."""
SERVICES: tuple[str, ...] = ("admissions", "discharge", "none")
# MAX_PEOPLE (most people in a scenario, in all) and MAX_SEED live in diplomacy_sim.limits

Doctrine = Literal["command", "stewardship", "diplomacy", "fatalism"]
Role = Literal["executive", "manager", "frontline", "councillor", "enabler"]
Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", min_length=1, max_length=60)]


def param(default: float, lo: float, hi: float, unit: str, description: str) -> Any:
    """A numeric model parameter with its bounds, unit and one-line description."""
    return Field(
        default, ge=lo, le=hi, description=description, json_schema_extra={"unit": unit}
    )


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


# --------------------------------------------------------------------------- parameters
class EncounterParams(_Strict):
    """How often people meet, and through which channel."""

    board_cadence: int = param(4, 1, 52, "weeks", "Weeks between formal partnership boards")
    informal_rate: float = param(
        0.25, 0.0, 1.0, "per tie per week", "Chance an informal tie (coffee, WhatsApp) is used"
    )
    frontline_rate: float = param(
        0.5, 0.0, 1.0, "per tie per week", "Chance a frontline cross-boundary tie is used"
    )
    within_rate: float = param(
        0.5, 0.0, 1.0, "per tie per week", "Chance a tie inside one organisation is used"
    )
    workshop_cadence: int = param(
        0, 0, 52, "weeks", "Weeks between co-production workshops (0 = none)"
    )
    informal_base: float = param(
        0.5, 0.0, 1.0, "ratio",
        "Use of informal ties when bosses tolerate no risk; risk tolerance adds to it"
    )


class InfluenceParams(_Strict):
    """Anchored, bounded-confidence opinion dynamics over agendas."""

    openness: float = param(
        0.35, 0.0, 1.0, "agenda distance", "Mean confidence bound: how different a view is heard"
    )
    openness_spread: float = param(
        0.1, 0.0, 0.5, "agenda distance", "Spread of the confidence bound between people"
    )
    anchoring: float = param(
        0.3, 0.0, 1.0, "weight", "Mean weight each person keeps on their own starting view"
    )
    self_weight: float = param(
        1.0, 0.0, 10.0, "weight", "Weight of one's current view against heard views"
    )
    anxious_anchoring: float = param(
        1.0, 0.0, 5.0, "per unit anxiety", "How fast anchoring rises with anxiety past the productive zone"
    )
    identity_pull: float = param(
        0.05, 0.0, 1.0, "per week", "Pull of the organisation's agenda after meetings"
    )
    formal_weight: float = param(0.6, 0.0, 1.0, "weight", "Influence weight of a formal tie")
    informal_weight: float = param(1.0, 0.0, 1.0, "weight", "Influence weight of an informal tie")
    frontline_weight: float = param(
        0.8, 0.0, 1.0, "weight", "Influence weight of a frontline tie"
    )


class TrustParams(_Strict):
    """Trust on directed ties: slow to build, quick to fall."""

    initial_within: float = param(0.6, 0.0, 1.0, "trust", "Starting trust inside an organisation")
    initial_cross: float = param(0.3, 0.0, 1.0, "trust", "Starting trust across organisations")
    new_tie: float = param(0.15, 0.0, 1.0, "trust", "Trust on a tie formed after a shock")
    encounter_gain: float = param(
        0.02, 0.0, 0.5, "per encounter", "Trust gained from an encounter among like minds"
    )
    friction: float = param(
        0.3, 0.0, 1.0, "ratio", "Loss on a disagreeing encounter, relative to the gain"
    )
    promise_gain: float = param(
        0.1, 0.0, 1.0, "log-odds per review",
        "Trust gained (in log-odds) when a partner fully keeps a promise"
    )
    formation_rate: float = param(
        0.02, 0.0, 1.0, "per person per week", "Chance someone short of cross-boundary ties makes a new one"
    )
    loss_ratio: float = param(
        4.0, 1.0, 10.0, "ratio", "How much faster broken promises destroy trust than kept build it"
    )


class NegotiationParams(_Strict):
    """Negotiating initiatives: concession over rounds, ceding, agreeing to disagree."""

    deadline_rounds: int = param(
        12, 1, 100, "board rounds", "Rounds before an unagreed initiative is abandoned"
    )
    concession_exponent: float = param(
        1.0, 0.1, 10.0, "exponent",
        "Time-dependent concession e of organisations without their own: <1 boulware, >1 conceder"
    )
    ceding_rate: float = param(
        0.3, 0.0, 1.0, "share of surplus", "Share of its surplus a ceding party gives to another"
    )
    consensus_norm: float = param(
        0.5, 0.0, 5.0, "value per agenda distance",
        "Value a party loses per unit gap between its reasons and the others' (unless it agrees "
        "to disagree)"
    )
    cost_sensitivity: float = param(
        1.0, 0.0, 10.0, "value per budget share", "How much a party minds its cost share"
    )
    trust_weight: float = param(
        0.5, 0.0, 5.0, "value per trust", "How much trust in the other parties adds to a deal's value"
    )
    max_parallel: int = param(
        3, 1, 20, "initiatives", "Workstreams negotiated at once when running in parallel"
    )
    proposal_drive: float = param(
        0.5, 0.0, 1.0, "per week", "Chance a free workstream slot takes up a new proposal"
    )
    repropose_after: int = param(
        26, 1, 520, "weeks", "Weeks before an abandoned initiative may be proposed again"
    )
    drive_belief_base: float = param(
        0.5, 0.0, 2.0, "ratio", "Drive to propose when leaders believe change impossible; belief adds"
    )
    poverty_floor: float = param(
        0.05, 0.001, 1.0, "share of mean budget",
        "Discretionary budget below which a party's cost share hurts no more"
    )
    trust_reference: float = param(
        0.5, 0.0, 1.0, "trust", "Trust in the others at which a deal is valued at face value"
    )
    compliance_authority: float = param(
        4.0, 0.0, 20.0, "log-odds per authority",
        "Under a lead: how much the lead's authority above a party raises its compliance"
    )
    compliance_utility: float = param(
        4.0, 0.0, 20.0, "log-odds per value", "How much a party's own value of the plan raises compliance"
    )
    compliance_grievance: float = param(
        1.0, 0.0, 20.0, "log-odds per cold period",
        "How much a party's priorities ignored in the past (in units of cold_after) lower compliance"
    )
    mandate_authority: float = param(
        0.5, 0.0, 1.0, "share of missing authority",
        "Authority a national mandate adds to the lead asking for it"
    )
    mandate_trust_cost: float = param(
        0.1, 0.0, 1.0, "log-odds", "Trust the other parties lose in a lead that imposes a mandated deal"
    )


class DeliveryParams(_Strict):
    """Delivering agreed initiatives; reviews find promises kept or broken."""

    progress_rate: float = param(
        0.03, 0.001, 1.0, "progress per week",
        "Progress at full effort from every party, for work of the default initiative cost"
    )
    review_cadence: int = param(4, 1, 52, "weeks", "Weeks between delivery reviews")
    promise_tolerance: float = param(
        0.7, 0.01, 0.99, "share of promise",
        "Share of its promised effort at which a party's review is neutral (above: kept by "
        "degrees, below: broken by degrees)"
    )
    min_promise: float = param(
        0.05, 0.001, 1.0, "effort", "Smallest effort a party can promise"
    )
    value_floor: float = param(
        0.25, 0.0, 1.0, "effort", "Effort worth putting into a deal that serves nothing of one's own"
    )
    will_floor: float = param(
        0.4, 0.0, 1.0, "ratio", "Will to work of people who neither believe nor see others commit"
    )
    distracted_attention: float = param(
        0.4, 0.0, 1.0, "ratio", "Attention left for joint work during a reorganisation"
    )
    unproductive_pace: float = param(
        0.25, 0.0, 1.0, "share of full pace", "Delivery pace below which a board meeting was unproductive"
    )
    slip_back: float = param(
        0.9, 0.0, 1.0, "progress", "Progress below which live work goes back to delivery"
    )
    upkeep_saturation: float = param(
        3.0, 0.1, 20.0, "per share of promise",
        "How fast live work's quality saturates with upkeep (quality = 1 - exp(-k x kept share))"
    )
    abandon_after: int = param(
        3, 1, 20, "broken reviews", "Consecutive broken reviews before an initiative is abandoned"
    )
    frontline_boost: float = param(
        0.5, 0.0, 2.0, "ratio", "Extra progress from cross-boundary frontline trust"
    )
    sustain_cost: float = param(
        0.02, 0.0, 0.2, "per week", "Speed live work follows the upkeep its parties give it"
    )


class AffectParams(_Strict):
    """Anxiety, beliefs and strain of people."""

    anxiety_baseline: float = param(0.2, 0.0, 1.0, "anxiety", "Anxiety in calm times")
    anxiety_rate: float = param(0.15, 0.0, 1.0, "per week", "Speed anxiety follows disturbance")
    disturbance_decay: float = param(
        0.05, 0.0, 1.0, "per week", "Speed a shock's disturbance fades"
    )
    productive_anxiety: float = param(
        0.4, 0.0, 1.0, "anxiety", "Anxiety at which people are most open (productive zone)"
    )
    productive_width: float = param(
        0.25, 0.01, 1.0, "anxiety", "Width of the productive zone"
    )
    belief_rate: float = param(0.05, 0.0, 1.0, "per week", "Speed beliefs follow what people see")
    signal_noise: float = param(
        0.1, 0.0, 1.0, "outcome units", "Noise on the outcome signals a person sees"
    )
    strain_gain: float = param(
        0.03, 0.0, 1.0, "per meeting", "Strain from a meeting that produced nothing"
    )
    strain_recovery: float = param(0.02, 0.0, 1.0, "per week", "Recovery from strain")
    anxiety_strain: float = param(
        0.5, 0.0, 5.0, "meetings per unit anxiety", "Strain from anxiety, as unproductive meetings"
    )
    possible_floor: float = param(
        0.4, 0.0, 1.0, "belief", "What people see as possible from joint work just started"
    )
    distraction_disturbance: float = param(
        0.1, 0.0, 1.0, "disturbance", "Disturbance felt while one's organisation reorganises"
    )


class EngagementParams(_Strict):
    """Organisations go cold when their priorities are ignored, and come back."""

    cold_after: int = param(
        8, 1, 104, "weeks", "Weeks a priority can be off the agenda before a partner goes cold"
    )
    courting_rate: float = param(
        0.1, 0.0, 1.0, "per informal encounter", "Chance an informal contact brings a cold partner back"
    )
    serves_threshold: float = param(
        0.25, 0.0, 1.0, "advance", "How far work must advance a priority to count as attending to it"
    )
    courted_credit: float = param(
        0.5, 0.0, 1.0, "share of cold_after", "Patience a partner courted back starts with, used up"
    )
    court_contacts: float = param(
        3.0, 0.0, 50.0, "encounters per week", "Informal contacts a courting organisation makes with a cold one"
    )


class ServiceParams(_Strict):
    """Demand from the population and how joined-up work meets it."""

    weekly_demand: float = param(
        1000.0, 1.0, 1e6, "people per week", "People needing a service each week"
    )
    base_supply: float = param(
        0.6, 0.0, 2.0, "capacity per need",
        "Care capacity for an issue at full budget and staff, without joint work"
    )
    joint_supply: float = param(
        0.4, 0.0, 2.0, "capacity per need", "Extra capacity when the joint work on an issue is fully live"
    )
    outcome_lag: float = param(
        26.0, 1.0, 520.0, "weeks", "Time for joint work to change how patients flow"
    )
    saturation: float = param(
        0.65, 0.05, 5.0, "capacity per need",
        "Capacity at which 63% of need is met (share met = 1 - exp(-capacity/saturation))"
    )
    winter_amplitude: float = param(
        0.1, 0.0, 0.9, "share of demand", "Seasonal rise of demand at the winter peak (and fall at its trough)"
    )
    winter_peak: int = param(
        26, 0, 51, "week of year", "Week of the year (counted from the run's start) demand peaks"
    )
    strain_absence: float = param(
        0.3, 0.0, 1.0, "share of staff per strain",
        "Staff capacity lost to sickness and absence per unit strain"
    )
    statutory_elasticity: float = param(
        0.73, 0.0, 1.0, "ratio",
        "How far statutory spending falls with the budget (1 = in proportion, 0 = fully protected)"
    )
    admission_rate: float = param(
        0.05, 0.0, 1.0, "per person", "Avoidable admission risk of a person whose need is not met"
    )
    discharge_rate: float = param(
        0.04, 0.0, 1.0, "per person", "Delayed discharge risk of a person whose need is not met"
    )


class TurnoverParams(_Strict):
    """Leaders leave; poor performance against targets drives churn."""

    executive_hazard: float = param(
        0.003, 0.0, 0.2, "per week", "Weekly chance an executive leaves in good times"
    )
    pressure_gain: float = param(
        4.0, 0.0, 50.0, "ratio", "Extra leaving hazard at full performance pressure"
    )
    disturbance: float = param(
        0.2, 0.0, 1.0, "disturbance", "Disturbance a chief executive's departure causes"
    )


class AuthorisingParams(_Strict):
    """The authorising environment: risk tolerance against target-driven compliance."""

    risk_tolerance: float = param(
        0.5, 0.0, 1.0, "share", "How far bosses tolerate informal deals and experiments"
    )
    target_pressure: float = param(
        0.5, 0.0, 1.0, "share", "How hard regulators' targets press on organisations"
    )
    hubris: float = param(
        0.0, 0.0, 1.0, "share", "Appetite for risky experiments (fail fast) whatever the environment"
    )
    shortfall_gain: float = param(
        2.0, 0.0, 10.0, "pressure per unmet need",
        "Regulator pressure per unit of target need unmet, at full target pressure"
    )


class DoctrineProfile(_Strict):
    """What a doctrine's leaders do: the policy behind each organisation's weekly decisions.

    The defaults of each doctrine (in :class:`DoctrineParams`) are read from the source
    essays; they are the treatments the model compares. Set a field to ablate a component,
    e.g. ``parameters.doctrines.diplomacy.cedes = 0``.
    """

    own_agenda_at_table: float = param(
        1.0, 0.0, 1.0, "weight", "Weight of its own agenda at the table (the rest: the whole system's)"
    )
    anchoring_factor: float = param(
        1.0, 0.0, 3.0, "ratio", "Multiplies table leaders' anchoring and identity pull"
    )
    formal_weight_factor: float = param(
        1.0, 0.0, 3.0, "ratio", "Multiplies the influence of formal meetings"
    )
    informal_factor: float = param(
        1.0, 0.0, 3.0, "ratio", "Multiplies how often its people use informal channels"
    )
    cedes: float = param(0.0, 0.0, 1.0, "share", "Willingness to cede surplus cost share")
    agrees_to_disagree: float = param(
        0.0, 0.0, 1.0, "share", "Share of the consensus norm it sets aside (accepts for its own reasons)"
    )
    led: bool = Field(default=False, description="The most authoritative organisation leads; others comply")
    asks_mandate: bool = Field(default=False, description="The lead asks for a national mandate")
    attends_to_ignored: bool = Field(
        default=False, description="Proposes the work serving the partner ignored longest"
    )
    courts: bool = Field(default=False, description="Courts cold partners through deliberate informal contacts")
    joint_share: float = param(
        1.0, 0.0, 1.0, "share of discretionary capacity", "Share of spare capacity given to joint work"
    )


class CommandProfile(DoctrineProfile):
    """Command: the lead sets the plan from its own priorities and asks for mandates."""

    informal_factor: float = param(
        0.5, 0.0, 3.0, "ratio", "Multiplies how often its people use informal channels"
    )
    led: bool = Field(default=True, description="The most authoritative organisation leads; others comply")
    asks_mandate: bool = Field(default=True, description="The lead asks for a national mandate")


class StewardshipProfile(DoctrineProfile):
    """Stewardship: everyone argues from the whole system and lets go of the box's view."""

    own_agenda_at_table: float = param(
        0.2, 0.0, 1.0, "weight", "Weight of its own agenda at the table (the rest: the whole system's)"
    )
    anchoring_factor: float = param(
        0.3, 0.0, 3.0, "ratio", "Multiplies table leaders' anchoring and identity pull"
    )
    formal_weight_factor: float = param(
        1.5, 0.0, 3.0, "ratio", "Multiplies the influence of formal meetings"
    )


class DiplomacyProfile(DoctrineProfile):
    """Diplomacy: own vantage points kept; ceding, agreeing to disagree, courting, informal."""

    informal_factor: float = param(
        1.5, 0.0, 3.0, "ratio", "Multiplies how often its people use informal channels"
    )
    cedes: float = param(1.0, 0.0, 1.0, "share", "Willingness to cede surplus cost share")
    agrees_to_disagree: float = param(
        1.0, 0.0, 1.0, "share", "Share of the consensus norm it sets aside (accepts for its own reasons)"
    )
    attends_to_ignored: bool = Field(
        default=True, description="Proposes the work serving the partner ignored longest"
    )
    courts: bool = Field(default=True, description="Courts cold partners through deliberate informal contacts")


class FatalismProfile(DoctrineProfile):
    """Fatalism: little can be done, so joint work gets little."""

    informal_factor: float = param(
        0.5, 0.0, 3.0, "ratio", "Multiplies how often its people use informal channels"
    )
    joint_share: float = param(
        0.3, 0.0, 1.0, "share of discretionary capacity", "Share of spare capacity given to joint work"
    )


class DoctrineParams(_Strict):
    """The four doctrines' profiles: what each doctrine's leaders do."""

    command: CommandProfile = CommandProfile()
    stewardship: StewardshipProfile = StewardshipProfile()
    diplomacy: DiplomacyProfile = DiplomacyProfile()
    fatalism: FatalismProfile = FatalismProfile()


class MoveParams(_Strict):
    """A participant's moves in the training room: how long they hold and what they cost."""

    hold_weeks: int = param(
        8, 1, 520, "weeks", "Weeks a participant's decision holds before the autopilot resumes"
    )
    propose_cost: int = param(2, 0, 20, "action points", "Cost of putting an initiative on the table")
    court_cost: int = param(1, 0, 20, "action points", "Cost of courting a cold partner")
    cede_cost: int = param(1, 0, 20, "action points", "Cost of ceding cost share")
    meet_cost: int = param(1, 0, 20, "action points", "Cost of an informal meeting")
    attend_board_cost: int = param(0, 0, 20, "action points", "Cost of deciding to attend or skip")
    set_joint_capacity_cost: int = param(1, 0, 20, "action points", "Cost of setting joint capacity")
    agree_to_disagree_cost: int = param(1, 0, 20, "action points", "Cost of agreeing to disagree")
    ask_mandate_cost: int = param(2, 0, 20, "action points", "Cost of asking for a mandate")
    stay_idle_cost: int = param(0, 0, 20, "action points", "Cost of making no deliberate moves")


class Parameters(_Strict):
    """All tunable parameters, grouped by process."""

    encounters: EncounterParams = EncounterParams()
    influence: InfluenceParams = InfluenceParams()
    trust: TrustParams = TrustParams()
    negotiation: NegotiationParams = NegotiationParams()
    delivery: DeliveryParams = DeliveryParams()
    affect: AffectParams = AffectParams()
    engagement: EngagementParams = EngagementParams()
    services: ServiceParams = ServiceParams()
    turnover: TurnoverParams = TurnoverParams()
    authorising: AuthorisingParams = AuthorisingParams()
    doctrines: DoctrineParams = DoctrineParams()
    moves: MoveParams = MoveParams()


class NetworkSpec(_Strict):
    """How the trust network is drawn."""

    within_ties: float = param(
        6.0, 0.0, 50.0, "ties per person", "Mean ties to colleagues in one's organisation"
    )
    informal_ties: float = param(
        1.0, 0.0, 20.0, "ties per leader", "Mean informal ties of a leader across organisations"
    )
    frontline_ties: float = param(
        1.5, 0.0, 20.0, "ties per frontline worker", "Mean frontline ties across organisations"
    )


# --------------------------------------------------------------------------- entities
class IssueSpec(_Strict):
    """An agenda dimension."""

    id: Identifier
    label: str = Field(min_length=1)
    service: Literal["admissions", "discharge", "none"] = "none"
    weight: float = param(1.0, 0.0, 10.0, "weight", "Weight of this issue in the user outcome")


class OrganisationSpec(_Strict):
    """An organisation at the table: its vantage point, resources and people."""

    id: Identifier
    name: str = Field(min_length=1)
    kind: Identifier = Field(description="hospital, council, charity, or any scenario kind")
    agenda: dict[str, float] = Field(min_length=1)
    budget: float = param(10.0, 0.01, 1e5, "£m per year", "Annual budget")
    statutory_share: float = param(
        0.8, 0.0, 1.0, "share of budget", "Share of the budget tied to statutory duties"
    )
    identity: float = param(0.5, 0.0, 1.0, "strength", "How hard the organisation's box pulls")
    authority: float = param(0.5, 0.0, 1.0, "strength", "Positional authority at the table")
    concession: float | None = Field(
        None, ge=0.1, le=10.0,
        description="Its concession exponent e (<1 boulware, >1 conceder); default "
        "parameters.negotiation.concession_exponent",
    )
    target: str | None = Field(None, description="Issue id its regulator's target is about")
    funded_by: str | None = Field(None, description="Organisation id whose grants fund it")
    grant_share: float = param(
        0.0, 0.0, 1.0, "share of budget", "Share of the budget that is a grant from funded_by"
    )
    people: dict[Role, Annotated[int, Field(ge=0, le=MAX_PEOPLE)]] = Field(min_length=1)


class InitiativeSpec(_Strict):
    """A joint integration project."""

    id: Identifier
    name: str = Field(min_length=1)
    advances: dict[str, Annotated[float, Field(ge=0.0, le=1.0)]] = Field(min_length=1)
    parties: list[str] = Field(min_length=1)
    cost: float = param(0.3, 0.01, 10.0, "share of discretionary budget",
                        "Total cost of the work; bigger work takes longer to deliver")
    reach: float = param(
        0.5, 0.0, 1.0, "share of need", "Share of an issue's unmet need it addresses when live"
    )
    weight: float = param(1.0, 0.01, 100.0, "weight", "Weight in the integration outcome")
    lead: str | None = None


class _ShockBase(_Strict):
    at: int = Field(ge=0, description="Week the shock lands")
    label: str | None = None


class Reorganisation(_ShockBase):
    kind: Literal["reorganisation"]
    mode: Literal["merge", "abolish", "restructure"]
    organisations: list[str] = Field(min_length=1)
    into: str | None = None
    tie_loss: float = param(0.5, 0.0, 1.0, "share of ties", "Share of affected people's ties cut")
    leavers: float = param(
        0.2, 0.0, 1.0, "share of people", "Share of affected people who leave and are replaced"
    )
    distraction_weeks: int = param(
        26, 0, 520, "weeks", "Weeks attention is diverted from partnership work"
    )
    intensity: float = param(0.6, 0.0, 1.0, "disturbance", "Disturbance it causes")


class BudgetCut(_ShockBase):
    kind: Literal["budget_cut"]
    organisations: list[str] = Field(min_length=1)
    fraction: float = param(0.2, 0.0, 0.95, "share of budget", "Share of the budget cut")
    intensity: float = param(0.3, 0.0, 1.0, "disturbance", "Disturbance it causes")


class DemandSurge(_ShockBase):
    kind: Literal["demand_surge"]
    multiplier: float = param(1.3, 1.0, 5.0, "ratio", "Demand relative to normal")
    duration: int = param(12, 1, 520, "weeks", "How long the surge lasts")
    intensity: float = param(0.3, 0.0, 1.0, "disturbance", "Disturbance it causes")


class LeadershipTurnover(_ShockBase):
    kind: Literal["leadership_turnover"]
    organisation: str
    intensity: float = param(0.3, 0.0, 1.0, "disturbance", "Disturbance it causes")


class NationalMandate(_ShockBase):
    kind: Literal["national_mandate"]
    issue: str
    organisations: list[str] = Field(min_length=1)
    strength: float = param(0.5, 0.0, 1.0, "share of agenda", "How far agendas are pulled to it")
    intensity: float = param(0.2, 0.0, 1.0, "disturbance", "Disturbance it causes")


class Election(_ShockBase):
    kind: Literal["election"]
    fraction: float = param(0.4, 0.0, 1.0, "share of councillors", "Councillors replaced")
    intensity: float = param(0.2, 0.0, 1.0, "disturbance", "Disturbance it causes")


Shock = Annotated[
    Reorganisation | BudgetCut | DemandSurge | LeadershipTurnover | NationalMandate | Election,
    Field(discriminator="kind"),
]

SHOCK_CLASSES: dict[str, type[_ShockBase]] = {
    typing.get_args(cls.model_fields["kind"].annotation)[0]: cls
    for cls in typing.get_args(typing.get_args(Shock)[0])
}
"""Each shock kind's schema class (its fields, bounds and units), by name."""
if tuple(SHOCK_CLASSES) != SHOCK_KINDS:  # pragma: no cover - a developer's slip, at import
    raise RuntimeError(
        f"the schema's shock classes {tuple(SHOCK_CLASSES)} do not match the registry "
        f"domain.shock_kinds.SHOCK_KINDS {SHOCK_KINDS}: add the kind to both, in the same order")


class Scenario(_Strict):
    """A complete, validated scenario: the place, its organisations, and its events."""

    name: Identifier
    title: str = Field(min_length=1)
    description: str = Field(min_length=1, description="Plain words for learners")
    source: str = Field(min_length=1, description="Where the situation comes from")
    steps: int = param(156, 1, 5200, "weeks", "Horizon of the run")
    seed: int = Field(0, ge=0, le=MAX_SEED, description="Master seed of the run")
    doctrine: Doctrine = "diplomacy"
    workstreams: Literal["parallel", "sequential"] = "parallel"
    issues: list[IssueSpec] = Field(min_length=1)
    organisations: list[OrganisationSpec] = Field(min_length=2)
    initiatives: list[InitiativeSpec] = Field(min_length=1)
    shocks: list[Shock] = Field(default_factory=list)
    network: NetworkSpec = NetworkSpec()
    parameters: Parameters = Parameters()

    @property
    def n_people(self) -> int:
        return sum(sum(o.people.values()) for o in self.organisations)


# --------------------------------------------------------------------------- introspection
@dataclass(frozen=True)
class ParamInfo:
    """One tunable numeric parameter, as the CLI and the dashboard see it."""

    path: str
    type: type
    default: float
    low: float
    high: float
    unit: str
    description: str


def _bounds(field: Any) -> tuple[float, float]:
    lo = hi = None
    for m in field.metadata:
        lo = getattr(m, "ge", lo)
        hi = getattr(m, "le", hi)
    return float(lo), float(hi)  # type: ignore[arg-type]


def _walk(model: type[BaseModel], prefix: str) -> Iterator[ParamInfo]:
    for name, field in model.model_fields.items():
        ann = field.annotation
        path = f"{prefix}{name}"
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            yield from _walk(ann, path + ".")
        elif ann in (int, float) and isinstance(field.json_schema_extra, dict):
            lo, hi = _bounds(field)
            yield ParamInfo(
                path=path,
                type=int if ann is int else float,
                default=field.default,
                low=lo,
                high=hi,
                unit=str(field.json_schema_extra["unit"]),
                description=field.description or "",
            )


def tunable_parameters() -> list[ParamInfo]:
    """Every tunable numeric parameter of a scenario (``parameters.*``, ``network.*``, steps)."""
    out = [p for p in _walk(Scenario, "") if p.path == "steps"]
    out += list(_walk(NetworkSpec, "network."))
    out += list(_walk(Parameters, "parameters."))
    return out
