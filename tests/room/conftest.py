"""Fixtures for the room engine: a registry on a real database file, a session with players."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from diplomacy_sim.room import Room, RoomRegistry

HOSPITAL = "northgate_hospital.leader"
COUNCIL = "city_council.leader"
CHARITY = "home_first_charity.leader"
SHELTER = "shelter_link.leader"


@pytest.fixture
def db(tmp_path):
    return tmp_path / "rooms.sqlite"


@pytest.fixture
def registry(db):
    reg = RoomRegistry(db)
    yield reg
    reg.close()


@dataclass
class Session:
    room: Room
    key: str
    tokens: dict[str, str] = field(default_factory=dict)

    def t(self, role: str) -> str:
        return self.tokens[role]


def make_session(registry: RoomRegistry, roles=(HOSPITAL, COUNCIL, CHARITY), **kw) -> Session:
    kw.setdefault("seed", 7)
    room, key = registry.create("integrated_discharge", **kw)
    s = Session(room, key)
    for i, role in enumerate(roles):
        tok = room.join(f"Player {i + 1}")
        room.take_role(tok, role)
        s.tokens[role] = tok
    return s


@pytest.fixture
def session(registry) -> Session:
    return make_session(registry)
