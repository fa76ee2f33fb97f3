"""Seeded names and job titles for the people of a run, for display only.

A person is shown by name and job title wherever they appear (the explorer's picker and
cards, the training room's pages). Names are deterministic from the run's seed and the
person's id, and never touch a model stream: they come from their own
``SeedSequence(seed, spawn_key=(NAMES_SPAWN_KEY, block))``, a key no stream of
:mod:`diplomacy_sim.rng` uses (those are ``SeedSequence(seed).spawn(n)`` children, spawn keys
``(0,)`` … ``(n-1,)``, and the view generator's entropy is a list). This module is outside
the model fingerprint (``provenance.NOT_MODEL``): no run's numbers depend on it.

Ids are drawn in blocks of :data:`BLOCK`, so a person's name depends only on the seed and
their id — a newcomer who replaces a leaver gets a fresh name, and asking in any order gives
the same answer.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

NAMES_SPAWN_KEY = 0x4E414D45  # "NAME": far from the streams' spawn keys 0..len(STREAMS)-1
BLOCK = 256

GIVEN = (
    "Aisha", "Alan", "Amara", "Amir", "Ana", "Andrew", "Anita", "Ben", "Bola", "Carl",
    "Chloe", "Chris", "Dan", "Deepa", "Dev", "Ella", "Emeka", "Emma", "Eve", "Faisal",
    "Fiona", "Gareth", "Grace", "Hana", "Harry", "Imran", "Isla", "Jack", "Jade", "Jamal",
    "Jane", "Joe", "Kate", "Kemi", "Kwame", "Laura", "Leah", "Liam", "Lucy", "Maria",
    "Mark", "Maya", "Megan", "Mo", "Nadia", "Neil", "Nia", "Noor", "Olu", "Owen",
    "Paul", "Priya", "Rachel", "Ravi", "Rhys", "Rosa", "Ruth", "Sam", "Sara", "Sean",
    "Sian", "Simon", "Sofia", "Tom", "Tariq", "Una", "Vik", "Wei", "Yusuf", "Zara",
)
FAMILY = (
    "Adams", "Ahmed", "Ali", "Bailey", "Baker", "Begum", "Bell", "Brown", "Campbell", "Chen",
    "Clarke", "Cooper", "Davies", "Evans", "Green", "Hall", "Harris", "Hughes", "Hussain",
    "Jackson", "James", "Jones", "Kaur", "Khan", "King", "Lewis", "Mensah", "Miah", "Mitchell",
    "Moore", "Morgan", "Murphy", "Nguyen", "Novak", "Okafor", "Owen", "Patel", "Phillips",
    "Price", "Roberts", "Robinson", "Scott", "Shah", "Singh", "Smith", "Taylor", "Thomas",
    "Thompson", "Turner", "Walker", "Ward", "Watson", "White", "Williams", "Wilson", "Wood",
    "Wright", "Young",
)

TITLES: dict[str, dict[str, tuple[str, ...]]] = {
    "hospital": {
        "executive": ("Chief Executive", "Chief Operating Officer", "Director of Nursing",
                      "Medical Director", "Director of Finance"),
        "manager": ("Ward Manager", "Discharge Lead", "Service Manager", "Matron",
                    "Bed Manager"),
        "frontline": ("Staff Nurse", "Physiotherapist", "Occupational Therapist",
                      "Junior Doctor", "Healthcare Assistant", "Discharge Coordinator"),
    },
    "council": {
        "executive": ("Chief Executive", "Director of Adult Social Care",
                      "Director of Public Health", "Director of Children's Services"),
        "manager": ("Team Manager", "Commissioning Manager", "Head of Service",
                    "Reablement Manager"),
        "frontline": ("Social Worker", "Care Coordinator", "Reablement Worker",
                      "Occupational Therapist", "Housing Officer"),
    },
    "charity": {
        "executive": ("Chief Executive", "Director of Services", "Chair of Trustees"),
        "manager": ("Project Manager", "Services Manager", "Volunteer Manager"),
        "frontline": ("Support Worker", "Volunteer Coordinator", "Link Worker",
                      "Advice Worker"),
    },
    "icb": {
        "executive": ("Chief Executive", "Director of Strategy", "Chief Finance Officer"),
        "manager": ("Programme Manager", "Commissioning Manager", "Place Lead"),
        "frontline": ("Analyst", "Project Officer", "Care Navigator"),
    },
    "": {  # any other kind of organisation
        "executive": ("Chief Executive", "Director", "Deputy Director"),
        "manager": ("Service Manager", "Team Leader", "Programme Manager"),
        "frontline": ("Practitioner", "Officer", "Support Worker", "Coordinator"),
    },
}
ROLE_TITLES: dict[str, tuple[str, ...]] = {
    "councillor": ("Cabinet Member for Adult Social Care", "Cabinet Member for Health",
                   "Ward Councillor", "Leader of the Council", "Scrutiny Chair"),
    "enabler": ("Partnership Manager", "System Integration Lead", "Programme Director",
                "Transformation Lead"),
}
"""Roles whose titles do not depend on the kind of organisation."""

_KIND_FAMILY = {"district_council": "council", "combined_authority": "council",
                "gp_federation": "hospital", "mental_health_trust": "hospital",
                "health": "hospital"}


@lru_cache(maxsize=256)
def _block(seed: int, block: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(given, family, title) draws for ids ``block*BLOCK`` … ``(block+1)*BLOCK - 1``."""
    ss = np.random.SeedSequence(int(seed), spawn_key=(NAMES_SPAWN_KEY, int(block)))
    rng = np.random.Generator(np.random.PCG64(ss))
    out = (rng.integers(0, len(GIVEN), BLOCK), rng.integers(0, len(FAMILY), BLOCK),
           rng.integers(0, 1 << 30, BLOCK))
    for a in out:
        a.flags.writeable = False
    return out


def name_of(seed: int, person_id: int) -> str:
    """A person's seeded name, e.g. "Priya Okafor"."""
    g, f, _ = _block(seed, person_id // BLOCK)
    k = person_id % BLOCK
    return f"{GIVEN[int(g[k])]} {FAMILY[int(f[k])]}"


def title_of(seed: int, person_id: int, role: str, org_kind: str) -> str:
    """A person's seeded job title for their role and kind of organisation."""
    _, _, t = _block(seed, person_id // BLOCK)
    options = ROLE_TITLES.get(role) or TITLES.get(
        _KIND_FAMILY.get(org_kind, org_kind), TITLES[""]).get(role) or (role.capitalize(),)
    return options[int(t[person_id % BLOCK]) % len(options)]


def person_name(model: object, i: int) -> str:
    """The name of the person in slot ``i`` of a running model (by their id)."""
    st = model.state  # type: ignore[attr-defined]
    return name_of(int(model.seed), int(st.people.person_id[i]))  # type: ignore[attr-defined]


def person_title(model: object, i: int) -> str:
    """The job title of the person in slot ``i``, e.g. "Discharge Lead"."""
    from diplomacy_sim.domain.state import ROLE_NAMES

    st = model.state  # type: ignore[attr-defined]
    p = st.people
    return title_of(int(model.seed), int(p.person_id[i]),  # type: ignore[attr-defined]
                    ROLE_NAMES[int(p.role[i])], st.orgs.kinds[int(p.org[i])])
