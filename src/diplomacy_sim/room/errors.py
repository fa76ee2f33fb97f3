"""Refusals the room gives, each a plain sentence a page shows as text."""

from __future__ import annotations


class RoomError(ValueError):
    """A request the room refuses (wrong state, unknown role, text too long, ...)."""


class PermissionDenied(RoomError):
    """A missing or wrong facilitator key or participant token, or acting for another role."""


class Removed(PermissionDenied):
    """A participant's token the trainer has revoked (:meth:`Room.remove`): it never acts
    again, and its page says so."""


class NotSaved(RoomError):
    """A change the room database could not take (a full disk, a read-only folder): nothing
    of it was kept. ``reason`` is the store's own sentence, for a caller with its own words
    (the command line), and the message the one a page shows."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"The server could not save this: {reason}. Tell the person running "
                         "the server.")
        self.reason = reason


class Throttled(RoomError):
    """Too many wrong join codes from one client: wait ``retry_after`` seconds."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"Too many wrong codes: wait {retry_after:.0f} s and try again.")
        self.retry_after = retry_after
