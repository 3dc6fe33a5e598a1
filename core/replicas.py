"""Read replicas: reads of the catalog and the reports from a streaming replica,
everything else, and everything after a write, from the primary.

With `DATABASE_REPLICA_URLS` set, `settings.DATABASE_REPLICAS` names the replicas'
aliases and `ReplicaRouter` sends there:

- reads of the models of `REPLICA_APPS` (the catalog, the shops, the recommendations,
  shipping and taxes: what listings and product pages show), and
- every read inside `replica_reads()` (the reports: `@replica_reads_in` on their
  selectors),

unless one of these holds, in which case the read goes to the primary:

- this request has written (the router saw a write: read your own writes), or the same
  browser or person wrote less than `REPLICA_STICKY_SECONDS` ago (a cookie, and for API
  clients a mark in the cache under their id); a Celery task always reads the primary;
- cached data that replicas serve changed less than `behind_at_most()` ago
  (core.generations): what is read now is cached for everyone and must not come from a
  replica behind the change;
- a transaction is open on the primary (what it reads, it may lock or write);
- no replica is healthy: each is checked at most every `REPLICA_CHECK_SECONDS` per
  process against the primary's WAL position, and skipped while it cannot be reached,
  does not stream from the primary, or replays more than `REPLICA_MAX_LAG_S` behind.

Every other read is sent to the primary by name (not left to Django, which would follow
a related row to the replica its instance came from). A replica that fails in the middle
of a GET that wrote nothing (stopped, cut off) is marked down and the request is served
again from the primary (`ReplicaMiddleware`).
"""

from __future__ import annotations

import functools
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections
from django.http import HttpRequest, HttpResponse

from core.generations import BUMPED_AT

logger = logging.getLogger(__name__)

# Apps whose reads may come from a replica: what the storefront's listings show.
REPLICA_APPS = frozenset({"catalog", "shops", "recommendations", "taxes", "shipping"})
STICKY_COOKIE = "primary_until"


@dataclass
class _State:
    """What the router knows of the request or task it serves."""

    wrote: bool = False
    reports: int = 0  # depth of replica_reads()
    request: HttpRequest | None = None
    sticky: bool | None = None  # the request's own mark of a recent write, once read
    bumped_at: float | None = None  # when cached data last changed, once read
    used: set[str] = field(default_factory=set)  # replicas read from


_state: ContextVar[_State | None] = ContextVar("replica_state", default=None)


def _current() -> _State:
    state = _state.get()
    if state is None:
        state = _State()
        _state.set(state)
    return state


@contextmanager
def scope(request: HttpRequest | None = None) -> Iterator[_State]:
    """A fresh state for one request or task."""
    token = _state.set(_State(request=request))
    try:
        yield _state.get()
    finally:
        _state.reset(token)


@contextmanager
def replica_reads() -> Iterator[None]:
    """Inside, every read may come from a replica (reports: a few seconds behind is fine)."""
    state = _current()
    state.reports += 1
    try:
        yield
    finally:
        state.reports -= 1


def replica_reads_in(function: Callable) -> Callable:
    """`replica_reads()` around `function`."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with replica_reads():
            return function(*args, **kwargs)

    return wrapper


def primary_only() -> None:
    """From now on this request or task reads from the primary (it is about to rely on
    what it reads being current)."""
    _current().wrote = True


# --- Health ------------------------------------------------------------------------------

# On the replica: is it a standby, does it stream from the primary now, has it replayed
# up to the primary's position read a moment before, and if not, how old is the last
# transaction it replayed. (Replayed as far as it received is not enough: a replica cut
# off from its primary has replayed all it received, and falls further behind.)
_LAG_SQL = """
SELECT pg_is_in_recovery(),
       EXISTS (SELECT FROM pg_stat_wal_receiver WHERE status = 'streaming'),
       pg_last_wal_replay_lsn() >= %s::pg_lsn,
       extract(epoch FROM now() - pg_last_xact_replay_timestamp())
"""


class _Health:
    """Per process: when each replica was last checked and whether it could be used."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.checked: dict[str, tuple[float, bool]] = {}

    def usable(self, alias: str) -> bool:
        now = time.monotonic()
        with self.lock:
            seen = self.checked.get(alias)
            if seen is not None and now - seen[0] < settings.REPLICA_CHECK_SECONDS:
                return seen[1]
            # Others go on with the last answer while this thread asks.
            placeholder = (now, seen[1] if seen else False)
            self.checked[alias] = placeholder
        usable = self._check(alias)
        with self.lock:
            # Not over a mark-down made meanwhile by a request that saw it fail.
            if self.checked.get(alias) is placeholder:
                self.checked[alias] = (time.monotonic(), usable)
        return usable

    def _check(self, alias: str) -> bool:
        try:
            with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
                cursor.execute("SELECT pg_current_wal_lsn()::text")
                (primary_at,) = cursor.fetchone()
        except Exception:  # the primary's own trouble: no replica is judged by it
            logger.warning("Could not read the primary's WAL position", exc_info=True)
            return False
        try:
            with connections[alias].cursor() as cursor:
                cursor.execute(_LAG_SQL, [primary_at])
                in_recovery, streaming, caught_up, since_replay = cursor.fetchone()
        except Exception:  # down, refusing, cut off: not usable
            logger.warning("Replica %s cannot be reached: reading from the primary", alias)
            _close(alias)
            return False
        if not in_recovery:
            logger.warning("Replica %s is not in recovery (promoted?): not used", alias)
            return False
        if not streaming:
            logger.warning("Replica %s does not stream from the primary: not used", alias)
            return False
        lag = 0.0 if caught_up else float(since_replay if since_replay is not None else "inf")
        if lag > settings.REPLICA_MAX_LAG_S:
            logger.warning("Replica %s is %.1f s behind: reading from the primary", alias, lag)
            return False
        return True

    def mark_down(self, alias: str) -> None:
        with self.lock:
            self.checked[alias] = (time.monotonic(), False)
        _close(alias)

    def forget(self) -> None:
        with self.lock:
            self.checked.clear()


health = _Health()


def _close(alias: str) -> None:
    try:
        connections[alias].close()
    except Exception:
        logger.debug("Closing replica %s failed", alias, exc_info=True)


def healthy_replica() -> str | None:
    replicas = list(settings.DATABASE_REPLICAS)
    random.shuffle(replicas)
    for alias in replicas:
        if health.usable(alias):
            return alias
    return None


# --- Read your writes -------------------------------------------------------------------


def _sticky_key(user_id: Any) -> str:
    return f"replicas:primary-until:{user_id}"


def _recently_wrote(state: _State) -> bool:
    """The request comes from a browser or a person that wrote a moment ago."""
    if state.sticky is None:
        request = state.request
        state.sticky = False
        if request is not None:
            until = request.COOKIES.get(STICKY_COOKIE, "")
            try:
                state.sticky = float(until) > time.time()
            except ValueError:
                state.sticky = False
            user = request.__dict__.get("user")  # set by now, or not looked up at all
            if not state.sticky and user is not None and getattr(user, "is_authenticated", False):
                state.sticky = bool(cache.get(_sticky_key(user.pk)))
    return state.sticky


def behind_at_most() -> float:
    """How far behind a replica in use may be: REPLICA_MAX_LAG_S when last checked, and
    up to REPLICA_CHECK_SECONDS more since. After a change, reads wait this long (and a
    second more) before they may go to a replica."""
    return settings.REPLICA_MAX_LAG_S + settings.REPLICA_CHECK_SECONDS + 1


def _catalog_just_changed(state: _State) -> bool:
    """Cached data that replicas serve changed a moment ago (core.generations): what is
    built from the database now is cached for everyone, so it is read where the change
    surely is, not from a replica that may not have replayed it yet."""
    if state.bumped_at is None:
        state.bumped_at = float(cache.get(BUMPED_AT) or 0)
    return time.time() - state.bumped_at < behind_at_most()


# --- The router --------------------------------------------------------------------------


class ReplicaRouter:
    def db_for_read(self, model, **hints) -> str | None:
        if not settings.DATABASE_REPLICAS:
            return None
        state = _current()
        # Named, not None: Django would otherwise read a related row from where the
        # instance came from (an order's rows through a product read on a replica).
        if not (state.reports or model._meta.app_label in REPLICA_APPS):
            return DEFAULT_DB_ALIAS
        if state.wrote or connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS
        if _recently_wrote(state) or _catalog_just_changed(state):
            return DEFAULT_DB_ALIAS
        alias = healthy_replica()
        if alias is None:
            return DEFAULT_DB_ALIAS
        state.used.add(alias)
        return alias

    def db_for_write(self, model, **hints) -> str:
        if settings.DATABASE_REPLICAS:
            _current().wrote = True
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True  # the replicas hold the primary's rows

    def allow_migrate(self, db, app_label, model_name=None, **hints) -> bool:
        return db == DEFAULT_DB_ALIAS


# --- Requests and tasks -------------------------------------------------------------------


class ReplicaMiddleware:
    """Gives each request its router state; after a request that wrote, its browser (a
    cookie) and its person (the cache) read from the primary for REPLICA_STICKY_SECONDS;
    a GET whose replica failed is served again from the primary."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not settings.DATABASE_REPLICAS:
            return self.get_response(request)
        with scope(request) as state:
            response = self.get_response(request)
            if state.wrote:
                seconds = settings.REPLICA_STICKY_SECONDS
                response.set_cookie(
                    STICKY_COOKIE,
                    f"{time.time() + seconds:.3f}",
                    max_age=seconds,
                    httponly=True,
                    samesite="Lax",
                    secure=request.is_secure(),
                )
                user = getattr(request, "user", None)
                if user is not None and user.is_authenticated:
                    cache.set(_sticky_key(user.pk), True, seconds)
            return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        request._replica_view = (view_func, view_args, view_kwargs)

    def process_exception(self, request, exception):
        state = _state.get()
        if (
            not isinstance(exception, OperationalError)
            or state is None
            or not state.used
            or state.wrote  # it wrote (on the primary): not run twice
            or request.method not in ("GET", "HEAD")
            or getattr(request, "_replica_retried", False)
        ):
            return None
        failed = [alias for alias in state.used if not _answers(alias)]
        if not failed:
            return None  # the primary's own error (a timeout, a deadlock): not ours
        for alias in failed:
            logger.warning("Replica %s failed in a request: marked down", alias)
            health.mark_down(alias)
        state.used.clear()
        state.wrote = True  # the rest of this request from the primary
        request._replica_retried = True
        view_func, view_args, view_kwargs = request._replica_view
        response = view_func(request, *view_args, **view_kwargs)
        if hasattr(response, "render") and callable(response.render):
            response = response.render()
        return response


def _answers(alias: str) -> bool:
    """The replica answers a query now (its connection is up, or can be made)."""
    try:
        connection = connections[alias]
        connection.ensure_connection()
        return connection.is_usable()
    except Exception:  # down: it does not answer
        return False


def connect_celery() -> None:
    """Each task reads from the primary: it was queued by a change it must see (a new
    image, stock that fell) and a replica may not have replayed that change yet."""
    from celery import signals

    tokens: dict[str, Any] = {}

    def started(task_id=None, **kwargs):
        tokens[task_id] = _state.set(_State(wrote=True))

    def finished(task_id=None, **kwargs):
        token = tokens.pop(task_id, None)
        if token is not None:
            try:
                _state.reset(token)
            except ValueError:  # finished in another context
                _state.set(None)

    signals.task_prerun.connect(started, weak=False)
    signals.task_postrun.connect(finished, weak=False)
