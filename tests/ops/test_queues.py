"""Celery's queues: each kind of work on its own queue, and a worker killed in the middle
of a task that must not run twice.

The worker here is a real `celery worker` process on the Redis broker and the test
database, as production runs it (compose.yaml: one worker per queue).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from celery.exceptions import AlwaysEagerIgnored
from django.conf import settings
from django.db import connection

from config.celery import app
from payments.models import Payment, Refund
from tests.conftest import _worker_broker_url, wait_until
from tests.e2e._admin_helpers import paid_order
from tests.factories import ProductFactory, UserFactory, verify_email

ROOT = Path(__file__).resolve().parents[2]


# Every task the project has, and its queue: a new task must be placed here on purpose.
QUEUE_OF = {
    "accounts.tasks.send_email_message": "emails",
    "accounts.tasks.send_password_reset_email": "emails",
    "accounts.tasks.send_welcome_email": "emails",
    "cart.tasks.purge_guest_carts": "default",
    "catalog.tasks.make_thumbnail": "media",
    "catalog.tasks.send_low_stock_email": "emails",
    "invoices.tasks.invoice_render_and_send": "emails",
    "invoices.tasks.issue_credit_notes": "default",
    "invoices.tasks.issue_invoices": "default",
    "orders.tasks.expire_reservations": "default",
    "orders.tasks.send_fulfilment_email": "emails",
    "orders.tasks.send_order_email": "emails",
    "payments.tasks.process_webhook_event": "payments",
    "payments.tasks.refund_payment": "payments",
    "payments.tasks.settle_cancelled_order": "payments",
    "recommendations.tasks.trim_recently_viewed": "default",
    "recommendations.tasks.update_bought_together": "default",
}


def test_every_task_goes_to_the_queue_of_its_kind():
    app.loader.import_default_modules()
    # (Tests define tasks of their own, under tests.)
    names = {name for name in app.tasks if not name.startswith(("celery.", "tests."))}
    assert names == set(QUEUE_OF), "a task was added or removed: give it its queue here"
    routed = {name: app.amqp.router.route({}, name)["queue"].name for name in names}
    assert routed == QUEUE_OF
    assert set(routed.values()) == set(settings.CELERY_QUEUE_NAMES)
    assert settings.METRICS_QUEUES == settings.CELERY_QUEUE_NAMES


# --- A worker killed mid-task ------------------------------------------------------------


class FakeStripe:
    """Stripe's refunds endpoint as Stripe keeps it: a request whose Idempotency-Key was
    seen answers the refund made the first time, and makes no other. The first request
    is held (the worker waits for the answer) until `release`."""

    def __init__(self) -> None:
        self.requests: list[str] = []  # the Idempotency-Key of each request
        self.refunds: dict[str, dict] = {}  # made, by key
        self.first_arrived = threading.Event()
        self.release = threading.Event()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(length).decode())
                key = self.headers.get("Idempotency-Key", "")
                fake.requests.append(key)
                if key not in fake.refunds:
                    fake.refunds[key] = {
                        "id": f"re_fake_{len(fake.refunds) + 1}",
                        "object": "refund",
                        "status": "succeeded",
                        "amount": int(form["amount"][0]),
                        "currency": "usd",
                        "payment_intent": form["payment_intent"][0],
                    }
                    fake.first_arrived.set()
                    fake.release.wait(60)
                body = json.dumps(fake.refunds[key]).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:  # the worker that asked is gone
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def _database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def start_worker(
    tmp_path: Path, name: str, broker: str, stripe_url: str, queues: str = "payments"
) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": broker,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        # An unacknowledged task goes back to its queue after 2 s, not an hour.
        "CELERY_VISIBILITY_TIMEOUT": "2",
        "CELERY_RESTORE_INTERVAL": "1",
        "PAYMENT_PROVIDER": "stripe",
        "STRIPE_SECRET_KEY": "sk_test_killed_worker",
        "STRIPE_API_BASE": stripe_url,
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-Q",
            queues,
            "--concurrency",
            "1",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--hostname",
            f"{name}@%h",
            "--loglevel",
            "INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / f"{name}.log").open("wb"),
        start_new_session=True,  # its own process group: main process and pool child
    )


def stop(worker: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, sig)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_in_the_middle_of_a_refund_leaves_one_refund_and_the_task_runs_again(
    tmp_path,
):
    broker = _worker_broker_url()
    with app.connection_for_write(broker) as conn:
        conn.default_channel.client.flushdb()  # this test's Redis database: no old tasks
    buyer = UserFactory()
    verify_email(buyer)
    order = paid_order(user=buyer, items=[(ProductFactory(price=Decimal("30.00")), 1)])
    payment = Payment.objects.get(order=order)
    # Paid through Stripe, as far as the refund is concerned.
    Payment.objects.filter(pk=payment.pk).update(provider="stripe", provider_payment_id="pi_kill")

    stripe = FakeStripe()
    first = start_worker(tmp_path, "first", broker, stripe.url)
    second = None
    try:
        with app.connection_for_write(broker) as conn, pytest.warns(AlwaysEagerIgnored):
            app.send_task(
                "payments.tasks.refund_payment",
                args=[str(payment.pk), "requested_by_customer"],
                connection=conn,
            )
        # The worker has asked Stripe for the refund and waits for the answer, inside the
        # transaction that will record it: killed now, with everything it runs.
        assert stripe.first_arrived.wait(60), (tmp_path / "first.log").read_text()[-3000:]
        stop(first, signal.SIGKILL)
        assert first.returncode == -signal.SIGKILL
        stripe.release.set()
        assert not Refund.objects.filter(payment=payment).exists()  # rolled back with it

        # Nobody acknowledged the task: it goes back to the queue and runs again.
        second = start_worker(tmp_path, "second", broker, stripe.url)
        refund = wait_until(
            lambda: Refund.objects.filter(payment=payment).first(),
            timeout=60,
            message="the task to run again on the second worker",
        )
    finally:
        stop(first, signal.SIGKILL)
        if second is not None:
            stop(second)
        stripe.close()

    # Asked twice with the same key, Stripe made one refund; the shop recorded one.
    assert len(stripe.requests) == 2 and len(set(stripe.requests)) == 1
    assert len(stripe.refunds) == 1
    assert Refund.objects.filter(payment=payment).count() == 1
    assert refund.provider_refund_id == "re_fake_1" and refund.amount == payment.amount
    payment.refresh_from_db()
    assert payment.refunded_amount == payment.amount


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_a_backlog_of_thumbnails_does_not_delay_a_payment_webhook(tmp_path):
    """A webhook queued behind a thousand thumbnails is taken at once: by a worker of its
    own queue (compose's worker-payments), and even by one worker serving both queues,
    which takes from each in turn."""
    from payments.models import WebhookEvent

    broker = _worker_broker_url()
    with app.connection_for_write(broker) as conn:
        conn.default_channel.client.flushdb()
        with pytest.warns(AlwaysEagerIgnored):
            for image_id in range(1000):
                app.send_task("catalog.tasks.make_thumbnail", args=[image_id], connection=conn)
        event = WebhookEvent.objects.create(
            event_id="evt_backlog", provider="stripe", type="customer.created", payload={}
        )
        with pytest.warns(AlwaysEagerIgnored):
            app.send_task("payments.tasks.process_webhook_event", args=[event.pk], connection=conn)
        assert conn.default_channel.client.llen("media") == 1000

    worker = start_worker(tmp_path, "both", broker, "http://127.0.0.1:9", queues="media,payments")
    try:
        wait_until(
            lambda: WebhookEvent.objects.get(pk=event.pk).status != WebhookEvent.Status.RECEIVED,
            timeout=60,
            message="the worker to apply the webhook",
        )
        with app.connection_for_write(broker) as conn:
            waiting = conn.default_channel.client.llen("media")
    finally:
        stop(worker)
    assert WebhookEvent.objects.get(pk=event.pk).status == WebhookEvent.Status.IGNORED
    # Taken within the first few tasks, not after the thousand thumbnails before it.
    assert waiting > 900, waiting
    with app.connection_for_write(broker) as conn:
        conn.default_channel.client.flushdb()
