import pytest
from rest_framework.test import APIClient

# A real ASGI server (uvicorn in a thread) for the socket tests and the live journeys.
from tests.asgi_server import asgi_server  # noqa: F401
from tests.factories import StaffFactory, UserFactory


def pytest_configure(config):
    """The translations compiled, as `make install` does, for a run started with pytest."""
    from core.translations import compile_translations

    compile_translations()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def staff_user(db):
    return StaffFactory()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Real hashers are slow on purpose; tests that check hashing itself set their own."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _default_language_after_each_test():
    """A request in another language leaves it active in the thread (LocaleMiddleware
    activates, nothing deactivates): the next test of the worker starts in the default."""
    yield
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle counters and cached pages live in the cache (Redis in CI): start empty."""
    from django.core.cache import cache

    cache.clear()


def bearer_client(user) -> APIClient:
    """An API client signed in with a real access token, as a mobile app is."""
    from rest_framework_simplejwt.tokens import RefreshToken

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


@pytest.fixture
def user_client(user) -> APIClient:
    return bearer_client(user)


@pytest.fixture
def staff_client(staff_user) -> APIClient:
    return bearer_client(staff_user)


@pytest.fixture
def verified_user(db):
    from allauth.account.models import EmailAddress

    user = UserFactory()
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)
    return user


@pytest.fixture
def throttle_rates(settings):
    """Set some throttle rates for one test: `throttle_rates(login="3/min")`."""

    def set_rates(**rates: str) -> None:
        current = settings.REST_FRAMEWORK
        settings.REST_FRAMEWORK = {
            **current,
            "DEFAULT_THROTTLE_RATES": {**current["DEFAULT_THROTTLE_RATES"], **rates},
        }

    return set_rates


@pytest.fixture(autouse=True)
def _isolated_media(settings, tmp_path):
    """Uploaded files of a test land in its own folder, never in the project's media/."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(scope="session", autouse=True)
def _collected_static(tmp_path_factory):
    """Tests run with DEBUG off, as production does: static files come from a collected,
    hashed manifest served by whitenoise, so collect them once per session."""
    from django.core.management import call_command
    from django.test import override_settings

    static_root = tmp_path_factory.mktemp("staticfiles")
    with override_settings(STATIC_ROOT=static_root):
        call_command("collectstatic", "--noinput", verbosity=0)
        yield static_root


# --- Real Celery worker ----------------------------------------------------------------
# Tests run tasks eagerly (pyproject sets CELERY_TASK_ALWAYS_EAGER). A test that asks for
# `celery_worker` gets a real worker instead: a thread of this process consuming a queue
# of its own on the Redis broker. The worker has its own database connection, so such a
# test must be `@pytest.mark.django_db(transaction=True)` and it sees only committed rows.

WORKER_WAIT_SECONDS = 20.0


def wait_until(
    condition,
    *,
    timeout: float = WORKER_WAIT_SECONDS,
    interval: float = 0.05,
    message: str = "the condition",
):
    """Call `condition` until it answers something truthy, and answer that; fail after
    `timeout` seconds. The pause between calls grows from `interval` to 0.5 s. On SQLite
    a read while the worker's thread writes finds the table locked (no waiting in its
    shared cache): that read is tried again, as a "not yet"."""
    import time

    from django.db import OperationalError

    deadline = time.monotonic() + timeout
    while True:
        try:
            result = condition()
        except OperationalError as exc:
            if "locked" not in str(exc):
                raise
            result = None
        if result:
            return result
        if time.monotonic() >= deadline:
            pytest.fail(f"Waited {timeout:g} s for {message}, in vain.")
        time.sleep(interval)
        interval = min(interval * 1.5, 0.5)


@pytest.fixture
def wait_for():
    """`wait_for(condition, timeout=..., message=...)`: poll until truthy (see wait_until)."""
    return wait_until


def _worker_broker_url() -> str:
    from django.conf import settings

    broker_url = settings.CELERY_BROKER_URL
    if not broker_url.startswith(("redis://", "rediss://")):
        # Without REDIS_URL the shop uses an in-memory broker; the worker tests want a
        # real one, and every development machine runs Redis here (docs/architecture.md, "Testing").
        broker_url = "redis://127.0.0.1:6379/1"
    return broker_url


@pytest.fixture(scope="session")
def celery_session_worker():
    """One real worker for the whole run (started by the first test that needs it),
    consuming only a queue named for this process, so that other test runs sharing the
    Redis server neither take its tasks nor give it theirs."""
    import logging
    import os
    import uuid

    import redis
    from celery import signals
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    broker_url = _worker_broker_url()
    try:
        redis.Redis.from_url(broker_url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.fail(f"The Celery worker tests need Redis at {broker_url}: {exc}")

    saved_broker_url = app.conf.broker_url
    app.conf.broker_url = broker_url
    queue = f"tests-{os.getpid()}-{uuid.uuid4().hex[:8]}"

    # Keep the project's logging: Celery configures logging only when nobody answers
    # this signal (otherwise it would set the root logger's level for the whole run).
    def keep_logging(**kwargs):
        return None

    signals.setup_logging.connect(keep_logging, weak=False)
    try:
        with start_worker(
            app, pool="solo", perform_ping_check=False, queues=[queue], shutdown_timeout=15
        ) as worker:
            logging.captureWarnings(False)  # start_worker routes warnings to logging
            worker.test_queue = queue
            yield worker
    finally:
        signals.setup_logging.disconnect(keep_logging)
        with app.connection_for_write() as connection:
            connection.default_channel.queue_delete(queue)
        app.conf.broker_url = saved_broker_url


@pytest.fixture
def celery_worker(celery_session_worker):
    """The real worker; during the test, tasks go to it instead of running eagerly."""
    from config.celery import app

    saved = {
        key: app.conf[key] for key in ("task_always_eager", "task_default_queue", "task_routes")
    }
    app.conf.task_always_eager = False
    app.conf.task_default_queue = celery_session_worker.test_queue
    # Every task, whatever queue it is routed to (CELERY_TASK_ROUTES), to this worker.
    app.conf.task_routes = {"*": {"queue": celery_session_worker.test_queue}}
    _reroute(app)
    try:
        yield celery_session_worker
        # Tasks the test's tasks queued (a mail after a payment, a retry) must not run
        # while the database is emptied for the next test: wait for the worker to be idle.
        wait_until(
            _worker_idle(app, celery_session_worker.test_queue),
            message="the worker to finish the test's tasks",
        )
    finally:
        for key, value in saved.items():
            app.conf[key] = value
        _reroute(app)


def _reroute(app) -> None:
    """Make Celery read `task_routes` again (its router keeps the table it was made with)."""
    app.amqp.flush_routes()
    app.amqp.__dict__.pop("router", None)


def _worker_idle(app, queue: str):
    """A condition: nothing waits in the queue and nothing runs or waits in the worker,
    seen twice in a row (a message taken from the queue is not yet a request for a
    moment)."""
    from celery.worker import state
    from kombu.exceptions import ChannelError

    seen_idle = []

    def waiting() -> int:
        with app.connection_for_write() as connection:
            try:
                declared = connection.default_channel.queue_declare(queue=queue, passive=True)
            except ChannelError:  # Redis keeps no key for an empty queue
                return 0
        return declared.message_count

    def idle() -> bool:
        now_idle = not (waiting() or state.active_requests or state.reserved_requests)
        seen_idle.append(now_idle)
        return now_idle and seen_idle[-2:] == [True, True]

    return idle


@pytest.fixture
def fake_paypal(httpserver, settings):
    """PayPal offered beside the card provider, its API a local fake (tests/payments/
    fake_paypal.py) that PayPal's real SDK talks to."""
    import re

    from tests.payments.fake_paypal import WEBHOOK_ID, FakePayPal

    fake = FakePayPal()
    fake.base = httpserver.url_for("/").rstrip("/")
    httpserver.expect_request(re.compile(".*")).respond_with_handler(fake.handle)
    settings.PAYPAL_CLIENT_ID = "fake-client"
    settings.PAYPAL_CLIENT_SECRET = "fake-secret"
    settings.PAYPAL_WEBHOOK_ID = WEBHOOK_ID
    settings.PAYPAL_API_BASE = fake.base
    return fake
