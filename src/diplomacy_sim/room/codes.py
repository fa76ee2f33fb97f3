"""Join codes, participant tokens and facilitator keys, and the slowing of wrong codes.

A join code is read aloud across a room: 6 characters from an alphabet without the look-alikes
0/O and 1/I (and without L, U and V, which are easily misheard or misread). Codes, tokens and
keys all come from :mod:`secrets`. Only a hash of a token or key is stored.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

ALPHABET = "ABCDEFGHJKMNPQRSTWXYZ23456789"
"""Join-code characters: no 0/O, 1/I; also no L (like 1), U/V (misheard)."""
CODE_LENGTH = 6
TOKEN_BYTES = 24  # 192 bits: unguessable
KEY_BYTES = 24

FREE_TRIES = 3
"""Wrong codes a client may type before it is slowed down."""
FIRST_DELAY = 1.0
"""Seconds a client waits after its first wrong code past the free tries; doubles after each."""
MAX_DELAY = 60.0
FORGET_AFTER = 600.0
"""Seconds after a client's last wrong code when its count starts again from zero. A right
code does not clear the count: anyone can know one right code (a session they started, the
one they are in) and would otherwise get fresh free tries after every third guess."""
MAX_CLIENTS = 10_000
"""Clients remembered by the throttle (oldest forgotten first): bounded memory."""


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def new_key() -> str:
    return secrets.token_urlsafe(KEY_BYTES)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def same_secret(secret: str | None, digest: str) -> bool:
    """Constant-time check of a token or key against its stored hash."""
    if not isinstance(secret, str) or not secret or len(secret) > 200:
        return False
    return hmac.compare_digest(hash_secret(secret), digest)


def normalise(text: str) -> str:
    """What someone typed as a code: case and spaces/dashes do not matter."""
    return "".join(ch for ch in str(text)[:40].upper() if ch not in " -_\t")


def wellformed(text: str) -> bool:
    c = normalise(text)
    return len(c) == CODE_LENGTH and all(ch in ALPHABET for ch in c)


class Throttle:
    """Slows down clients that type wrong codes: after :data:`FREE_TRIES` wrong codes each
    further one makes the client wait, doubling from :data:`FIRST_DELAY` to
    :data:`MAX_DELAY`. The count starts again :data:`FORGET_AFTER` seconds after the last
    wrong code (never on a right one). Memory is bounded."""

    def __init__(self, clock: Callable[[], float] = time.monotonic,
                 max_clients: int = MAX_CLIENTS) -> None:
        self._clock = clock
        self._max = max_clients
        self._lock = threading.Lock()
        self._fails: OrderedDict[str, tuple[int, float, float]] = OrderedDict()
        """client -> (wrong codes, may try again at, last wrong code at)"""

    def wait_left(self, client: str) -> float:
        """Seconds this client must still wait before trying a code (0: may try now)."""
        with self._lock:
            _, until, _ = self._fails.get(client, (0, 0.0, 0.0))
            return max(0.0, until - self._clock())

    def failed(self, client: str) -> float:
        """Record a wrong code; returns the seconds the client must now wait."""
        with self._lock:
            now = self._clock()
            count, _, last = self._fails.pop(client, (0, 0.0, now))
            count = 1 if now - last > FORGET_AFTER else count + 1
            delay = 0.0 if count <= FREE_TRIES else min(
                FIRST_DELAY * 2.0 ** min(count - FREE_TRIES - 1, 16), MAX_DELAY)
            self._fails[client] = (count, now + delay, now)
            while len(self._fails) > self._max:
                self._fails.popitem(last=False)
            return delay

    def __len__(self) -> int:
        return len(self._fails)
