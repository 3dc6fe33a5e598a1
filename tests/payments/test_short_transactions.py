"""The provider is called outside every transaction (issue 23): no row lock is held while
a payment provider answers, and what the locks used to guarantee still holds: two
simultaneous creates make one payment, and an order that stops waiting for its money
while the provider answers gets no payment (the intent is cancelled at the provider)."""

import threading

import pytest
from django.db import connection

from orders.models import Order, OrderStatus
from orders.services import order_cancel
from payments import services
from payments.exceptions import OrderNotPayable
from payments.models import Payment
from payments.providers.dummy import DummyProvider
from tests.payments.test_api_dummy import confirm, create, place_order, shopper


class Recording(DummyProvider):
    """The dummy provider, noting whether each call came inside a transaction, and
    running `during` (if set) while it "answers"."""

    calls: list[tuple[str, bool]]
    during = None

    def _note(self, name):
        self.calls.append((name, connection.in_atomic_block))
        if self.during is not None:
            self.during()

    def create_intent(self, **kwargs):
        self._note("create_intent")
        return super().create_intent(**kwargs)

    def confirm_intent(self, **kwargs):
        self._note("confirm_intent")
        return super().confirm_intent(**kwargs)

    def cancel_intent(self, **kwargs):
        self.calls.append(("cancel_intent", connection.in_atomic_block))
        return super().cancel_intent(**kwargs)


@pytest.fixture
def provider(monkeypatch):
    recording = Recording()
    recording.calls = []
    monkeypatch.setattr(services.payments, "get_provider", lambda name=None: recording)
    return recording


@pytest.mark.django_db(transaction=True)  # no test transaction around the requests
def test_the_provider_answers_outside_every_transaction(provider):
    _user, client = shopper()
    order = place_order(client)
    created = create(client, order["id"])
    assert created.status_code == 201, created.json()
    confirmed = confirm(client, created.json()["id"])
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "succeeded"
    assert provider.calls == [("create_intent", False), ("confirm_intent", False)]
    assert Order.objects.get(pk=order["id"]).status == OrderStatus.PAID


@pytest.mark.postgresql  # threads writing at once: SQLite's in-memory test database locks tables
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_creates_make_one_payment(provider):
    user, client = shopper()
    order = Order.objects.get(pk=place_order(client)["id"])
    both_at_the_provider = threading.Barrier(2)
    provider.during = lambda: both_at_the_provider.wait(timeout=10)
    answers, errors = [], []

    def pay():
        try:
            answers.append(services.payment_create(user=user, order=Order.objects.get(pk=order.pk)))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=pay) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    # The dummy answers a repeated key with a new intent (Stripe would replay the first):
    # the later request's own intent is cancelled, and it answers the recorded payment.
    calls = [name for name, _inside in provider.calls]
    assert calls == ["create_intent", "create_intent", "cancel_intent"]
    assert sorted(created for _payment, created in answers) == [False, True]
    assert len({payment.pk for payment, _created in answers}) == 1
    assert Payment.objects.filter(order=order).count() == 1


@pytest.mark.django_db
def test_an_order_cancelled_while_the_provider_answers_gets_no_payment(provider):
    user, client = shopper()
    order = Order.objects.get(pk=place_order(client)["id"])
    provider.during = lambda: order_cancel(order=Order.objects.get(pk=order.pk), by=user)
    with pytest.raises(OrderNotPayable):
        services.payment_create(user=user, order=order)
    # The attempt is recorded cancelled (its key used up), its intent cancelled.
    assert list(Payment.objects.filter(order=order).values_list("status", flat=True)) == [
        "canceled"
    ]
    assert [name for name, _inside in provider.calls] == ["create_intent", "cancel_intent"]
    assert Order.objects.get(pk=order.pk).status == OrderStatus.CANCELLED


@pytest.mark.django_db
def test_a_payment_paid_while_another_provider_answered_is_not_cancelled(provider):
    """The shopper switches provider while the first attempt is being paid: the order is
    paid once the switch's intent is made, so the new attempt is not recorded and the
    paid one stays paid."""
    user, client = shopper()
    order = Order.objects.get(pk=place_order(client)["id"])
    first, _created = services.payment_create(user=user, order=order)
    Payment.objects.filter(pk=first.pk).update(provider="stripe")  # as if paid by card

    def paid_meanwhile():
        provider.during = None
        services.payment_mark_succeeded(payment=first)

    provider.during = paid_meanwhile
    with pytest.raises(OrderNotPayable):
        services.payment_create(user=user, order=Order.objects.get(pk=order.pk))
    assert sorted(Payment.objects.filter(order=order).values_list("status", flat=True)) == [
        "canceled",  # the switch's attempt, recorded cancelled
        "succeeded",
    ]
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID


@pytest.mark.django_db
def test_after_a_refused_attempt_the_next_one_asks_for_a_new_intent(provider):
    """A refused attempt's key is used up: the next create does not get the provider's
    replay of the cancelled intent."""
    user, client = shopper()
    order = Order.objects.get(pk=place_order(client)["id"])
    reserved = order.reserved_until
    Order.objects.filter(pk=order.pk).update(reserved_until=None)
    provider.during = lambda: Order.objects.filter(pk=order.pk).update(status="paid")
    with pytest.raises(OrderNotPayable):
        services.payment_create(user=user, order=Order.objects.get(pk=order.pk))
    provider.during = None
    Order.objects.filter(pk=order.pk).update(status="pending", reserved_until=reserved)
    payment, created = services.payment_create(user=user, order=Order.objects.get(pk=order.pk))
    assert created and payment.status == "requires_payment_method"
    assert payment.idempotency_key.endswith("attempt-2")
