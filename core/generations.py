"""Generation keys: how the caches of hot reads (catalog.caching, orders.caching) are
emptied.

A cached read is keyed by *generations*: short random tokens kept in the cache and
replaced ("bumped") when the data under them changes, so that every key built on an
old token is never read again (and expires on its own).

A generation is bumped at once and again after commit: at once so that the writer's own
transaction (and a test's) reads fresh data, after commit so that a reader that cached
the old rows between the two is outdone. One on-commit callback per transaction
(`flush_pending`), whatever it changed; an app may ask to be told when a generation of
its own was bumped after commit (`on_committed_bump`).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterable

from django.core.cache import cache
from django.db import transaction

_pending = threading.local()  # generations to bump again when the transaction commits
_listeners: dict[str, list[Callable[[], None]]] = {}


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


def on_committed_bump(key: str, listener: Callable[[], None]) -> None:
    """Call `listener` after a transaction that bumped `key` commits."""
    if listener not in _listeners.setdefault(key, []):
        _listeners[key].append(listener)


def _set(keys: Iterable[str]) -> None:
    cache.set_many({key: token() for key in sorted(keys)}, timeout=None)


def flush_pending() -> None:
    """The after-commit bump."""
    keys = getattr(_pending, "keys", set())
    _pending.keys = set()
    if keys:
        _set(keys)
    for key in sorted(keys & _listeners.keys()):
        for listener in _listeners[key]:
            listener()


def bump(keys: Iterable[str]) -> None:
    """These generations' data changed: bump them now and, in a transaction, at commit."""
    keys = set(keys)
    if not keys:
        return
    _set(keys)
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        return  # autocommit: the change is committed already, and bumped
    _pending.keys = getattr(_pending, "keys", set()) | keys
    if not any(callback is flush_pending for _, callback, _ in connection.run_on_commit):
        transaction.on_commit(flush_pending)
