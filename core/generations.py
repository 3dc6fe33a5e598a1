"""Generation keys: how the caches of hot reads (catalog.caching, orders.caching) are
emptied.

A cached read is keyed by *generations*: short random tokens kept in the cache and
replaced ("bumped") when the data under them changes, so that every key built on an
old token is never read again (and expires on its own).

A generation is bumped at once and again after commit: at once so that the writer's own
transaction (and a test's) reads fresh data, after commit so that a reader that cached
the old rows between the two is outdone. One on-commit callback (a `PendingBump`) per
transaction and savepoint, whatever it changed: it holds its keys itself, so a rolled-back
transaction drops them with it (no later commit bumps what never changed).

`read_through` is the one cached read built on them: every cache of hot reads uses it.

Some values also change with the clock (a sale's prices start and end at set times):
what builds them calls `valid_until(moment)`, and the value is stored with the earliest
such moment and not served from that moment on (`building` collects them, nested builds
passing theirs to the enclosing one). The check uses the application's clock, so the
first read after a sale ends builds anew, whatever the cache's own timeout.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

T = TypeVar("T")


class Horizon:
    """The earliest moment a value being built stops being true (None: no such moment)."""

    def __init__(self) -> None:
        self.until: datetime | None = None

    def limit(self, moment: datetime | None) -> None:
        if moment is not None and (self.until is None or moment < self.until):
            self.until = moment

    @property
    def stamp(self) -> str:
        """The moment as text for a version string ("" for none)."""
        return f"{self.until.timestamp():.6f}" if self.until else ""


_horizons = threading.local()


@contextmanager
def building() -> Iterator[Horizon]:
    """Collect the `valid_until` moments of what is built inside."""
    stack = getattr(_horizons, "stack", None)
    if stack is None:
        stack = _horizons.stack = []
    horizon = Horizon()
    stack.append(horizon)
    try:
        yield horizon
    finally:
        stack.pop()
        if stack:
            stack[-1].limit(horizon.until)


def valid_until(moment: datetime | None) -> None:
    """What is being built (inside `building`) stops being true at `moment`."""
    stack = getattr(_horizons, "stack", None)
    if stack and moment is not None:
        stack[-1].limit(moment)


def still_valid(until: datetime | None) -> bool:
    return until is None or timezone.now() < until


def stamp_valid(stamp: str) -> bool:
    """A `Horizon.stamp` not reached yet."""
    return not stamp or timezone.now().timestamp() < float(stamp)


def token() -> str:
    return uuid.uuid4().hex[:12]


def current(keys: list[str]) -> list[str]:
    """The current tokens of these generations (in order), starting any that is missing."""
    found = cache.get_many(keys)
    for key in keys:
        if key not in found:
            cache.add(key, token(), timeout=None)
            found[key] = cache.get(key) or token()
    return [found[key] for key in keys]


def read_keys(key: str, *, generation: str | tuple[str, ...]) -> list[str]:
    """The cache keys `read_through(key, generation=...)` reads, for a caller reading
    them ahead with others."""
    return [key, *(generation if isinstance(generation, tuple) else (generation,))]


def read_through(
    key: str,
    build: Callable[[], T],
    *,
    generation: str | tuple[str, ...],
    timeout: int,
    read_ahead: dict[str, object] | None = None,
) -> T:
    """The value under `key` if it was stored while `generation` stood (one round trip for
    both), else `build()`'s, stored at the token read before building it (so that a bump
    during the build is never papered over). `build` must read the database, not another
    cache. `generation` may be several: the value stands while all of them do.

    `read_ahead`: these keys (`read_keys`) as read already in this request, a missing one
    as None (the rate limit's round trip, core.security.throttles; a whole page's,
    catalog.late_parts), so that none is made here."""
    names = read_keys(key, generation=generation)
    if read_ahead is not None and all(name in read_ahead for name in names):
        found = {name: read_ahead[name] for name in names if read_ahead[name] is not None}
    else:
        found = cache.get_many(names)
    generation_keys = names[1:]
    missing = [name for name in generation_keys if name not in found]
    if missing:
        found.update(zip(missing, current(missing), strict=True))
    tokens = tuple(found[name] for name in generation_keys)
    current_token: object = tokens if isinstance(generation, tuple) else tokens[0]
    stored = found.get(key)
    if (
        stored is not None
        and stored[0] == current_token
        and still_valid(stored[2] if len(stored) > 2 else None)
    ):
        valid_until(stored[2] if len(stored) > 2 else None)
        return stored[1]
    with building() as horizon:
        value = build()
    cache.set(key, (current_token, value, horizon.until), timeout=timeout)
    return value


# When a generation of data that read replicas serve was last bumped (a Unix time): for a
# while after, the replicas may not have replayed the change yet, and reads go to the
# primary (core.replicas). The generations of the apps whose reads replicas serve
# (core.replicas.REPLICA_APPS): the catalog, shops, shipping, recommendations, taxes.
BUMPED_AT = "generations:bumped-at"
REPLICATED_PREFIXES = ("catalog:", "shipping:", "recommendations:", "taxes:")


def _set(keys: Iterable[str]) -> None:
    tokens: dict[str, object] = {key: token() for key in sorted(keys)}
    if settings.DATABASE_REPLICAS and any(key.startswith(REPLICATED_PREFIXES) for key in tokens):
        tokens[BUMPED_AT] = time.time()
    cache.set_many(tokens, timeout=None)


class PendingBump:
    """The after-commit bump of what a transaction (or savepoint) changed."""

    def __init__(self) -> None:
        self.keys: set[str] = set()

    def __call__(self) -> None:
        if self.keys:
            _set(self.keys)


def bump(keys: Iterable[str]) -> None:
    """These generations' data changed: bump them now and, in a transaction, at commit."""
    keys = set(keys)
    if not keys:
        return
    _set(keys)
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        return  # autocommit: the change is committed already, and bumped
    here = set(connection.savepoint_ids)
    for savepoints, callback, _robust in connection.run_on_commit:
        if isinstance(callback, PendingBump) and savepoints == here:
            callback.keys |= keys
            return
    pending = PendingBump()
    pending.keys |= keys
    transaction.on_commit(pending)
