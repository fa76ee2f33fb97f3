"""The training room: facilitated sessions where a group plays the organisations of a place.

Engine only (no pages): :class:`~diplomacy_sim.room.store.Store` (SQLite, WAL),
:class:`~diplomacy_sim.room.registry.RoomRegistry` (one :class:`~diplomacy_sim.room.room.Room`
per session, rebuilt from seed and log), the move layer over the model's moves, the debrief
and the debrief pack. See docs/design.md, "The training room".
"""

from diplomacy_sim.room.actions import MoveRejected
from diplomacy_sim.room.errors import NotSaved, PermissionDenied, RoomError, Throttled
from diplomacy_sim.room.registry import RoomRegistry, default_db_path, process_registry
from diplomacy_sim.room.room import Room, RoomSettings
from diplomacy_sim.room.store import Store, StoreError


def export_pack(*args, **kwargs):  # type: ignore[no-untyped-def]
    from diplomacy_sim.room.export import export_pack as _export

    return _export(*args, **kwargs)


def pack_html(*args, **kwargs):  # type: ignore[no-untyped-def]
    from diplomacy_sim.room.export import pack_html as _pack

    return _pack(*args, **kwargs)


__all__ = [
    "MoveRejected", "NotSaved", "PermissionDenied", "Room", "RoomError", "RoomRegistry", "RoomSettings",
    "Store", "StoreError", "Throttled", "default_db_path", "export_pack", "pack_html",
    "process_registry",
]
