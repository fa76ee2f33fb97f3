"""The roles of a session: the leader of each organisation, and a councillor or a frontline
worker where the scenario has them. A role is played through one person slot of the model
(a successor in the slot carries the role on)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from diplomacy_sim.domain.state import ROLE_INDEX

LEADER_TITLES: dict[str, str] = {
    "hospital": "Hospital chief executive",
    "council": "Director of adult social care",
    "district_council": "District council chief executive",
    "combined_authority": "Combined authority chief executive",
    "icb": "Integrated care board chief executive",
    "gp_federation": "GP federation clinical lead",
    "charity": "Charity lead",
    "national_body": "Regional director of the national body",
    "mental_health_trust": "Mental health trust chief executive",
    "police": "Police commander",
    "school": "Head teacher",
    "health": "Community health lead",
}
FRONTLINE_TITLES: dict[str, str] = {
    "hospital": "Ward discharge nurse",
    "council": "Social worker",
    "district_council": "Housing officer",
    "gp_federation": "GP",
    "charity": "Support worker",
    "mental_health_trust": "Community mental health nurse",
    "police": "Police officer",
    "school": "Teacher",
    "health": "Health visitor",
}
LEADER_ORDER = ("executive", "enabler", "manager", "councillor")
"""Who leads an organisation in the room: its first executive, else the first of these."""


@dataclass(frozen=True)
class RoleSpec:
    id: str
    kind: str  # "leader" | "councillor" | "frontline"
    label: str
    org: int
    org_id: str
    org_name: str
    person: int
    person_role: str = "executive"  # the person's role in the model (who may make which move)

    @property
    def button(self) -> str:
        return f"{self.label}, {self.org_name}"


def _humanise(kind: str) -> str:
    return kind.replace("_", " ").capitalize()


def leader_title(kind: str, name: str) -> str:
    if kind == "council" and "children" in name.lower():
        return "Director of children's services"
    return LEADER_TITLES.get(kind, f"{_humanise(kind)} lead")


def roles_of(model: object) -> list[RoleSpec]:
    """Every role of a model's place, in a fixed order (organisations, then kind)."""
    st = model.state  # type: ignore[attr-defined]
    p, o = st.people, st.orgs
    out: list[RoleSpec] = []
    for j in range(o.m):
        mine = np.flatnonzero(p.org == j)
        if mine.size == 0:
            continue
        kind, name = o.kinds[j], o.names[j]
        for r in LEADER_ORDER:
            cand = mine[p.role[mine] == ROLE_INDEX[r]]
            if cand.size:
                out.append(RoleSpec(f"{o.ids[j]}.leader", "leader", leader_title(kind, name), j,
                                    o.ids[j], name, int(cand[0]), r))
                break
        cllr = mine[p.role[mine] == ROLE_INDEX["councillor"]]
        if cllr.size and not (out and out[-1].person == int(cllr[0])):
            out.append(RoleSpec(f"{o.ids[j]}.councillor", "councillor", "Councillor", j,
                                o.ids[j], name, int(cllr[0]), "councillor"))
        front = mine[p.role[mine] == ROLE_INDEX["frontline"]]
        if front.size:
            out.append(RoleSpec(f"{o.ids[j]}.frontline", "frontline",
                                FRONTLINE_TITLES.get(kind, "Frontline worker"), j, o.ids[j], name,
                                int(front[0]), "frontline"))
    return out
