"""Browser tests: Playwright for Python driving Debian's Chromium against `live_server`.

Chromium comes from Debian (`apt-get install chromium`, done by `make test`); Playwright's
own browser download does not work on these machines, so the launch names the executable.
The live server is a thread of this process: the test's rows, the sent mail
(`mail.outbox`) and eager Celery tasks are all shared with it. Every test here must be
`django_db(transaction=True)` (the `e2e` mark on the module does that through `pytestmark`).
"""

import os
import re
import shutil
from pathlib import Path

import pytest

# localstripe, for the journeys that pay through the Stripe provider (tests/payments).
from tests.payments.conftest import localstripe_url, stripe_fake  # noqa: F401

# Playwright's sync API runs an event loop in the main thread; Django refuses ORM calls
# from a thread with a running loop unless told that this is on purpose.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).parent / "artifacts"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"The browser tests need Debian's Chromium at {CHROMIUM}: "
            "`apt-get install -y chromium` (make test installs it)."
        )
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-quic",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": DESKTOP, "locale": "en-GB"}


@pytest.fixture(scope="session")
def live_server(_collected_static):
    """pytest-django's live server, but with static files served as production serves them:
    tests run with DEBUG off, so pages name hashed files (the manifest) that only whitenoise
    (in the middleware) knows; Django's finder-based static handler would answer 404."""
    from pytest_django.live_server_helper import LiveServer

    server = LiveServer(os.environ.get("DJANGO_LIVE_TEST_SERVER_ADDRESS", "localhost"), start=False)
    server.thread.static_handler = lambda application: application
    server.start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _browser_settings(settings):
    """The live server speaks plain HTTP: cookies must not be Secure-only there."""
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.LANGUAGE_COOKIE_SECURE = False


@pytest.fixture(autouse=True)
def _page_timeouts(page):
    page.set_default_timeout(15_000)
    page.set_default_navigation_timeout(20_000)
    return page


@pytest.fixture
def shot(request):
    """`shot(page, "cart")` saves tests/e2e/artifacts/<test name>/<NN>-cart.png (full page)."""
    folder = ARTIFACTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    if folder.exists():
        shutil.rmtree(folder)
    counter = iter(range(1, 1000))

    def take(page, name: str) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{next(counter):02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def no_horizontal_scroll(page) -> bool:
    return page.evaluate(
        "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def last_mail_link(outbox, pattern: str) -> str:
    """The first link matching `pattern` in the newest mail that has one."""
    for message in reversed(outbox):
        bodies = [message.body] + [body for body, _ in getattr(message, "alternatives", [])]
        for body in bodies:
            found = re.search(rf"https?://[^\s\"'<>]*{pattern}[^\s\"'<>]*", body)
            if found:
                return found.group(0)
    raise AssertionError(f"No sent mail holds a link matching {pattern!r}")
