from celery import shared_task

from core.emails import render_email
from orders.models import Fulfilment, Order
from orders.selectors import order_figures_for, order_for_buyer
from orders.services import orders_expire_reservations

# Which mails respect the person's "order updates" preference: confirmation and
# cancellation concern money and always go out.
OPTIONAL_KINDS = {"shipped", "delivered"}


def _email_context(order: Order) -> dict:
    """What every order mail shows: its lines and its figures as the order page shows
    them (orders.selectors.order_figures_for, cart.pricing.totals_rows)."""
    figures = order_figures_for(order=order, user=order.user, sees_all=True)
    return {"order": order, "lines": order.visible_lines, "rows": figures.rows()}


@shared_task
def send_order_email(order_id: str, kind: str) -> None:
    order = order_for_buyer(order_id=order_id)
    if order is None or not order.user.is_active:
        return
    if kind in OPTIONAL_KINDS and not order.user.order_updates:
        return
    render_email(
        f"orders/email/{kind}",
        to=[order.user.email],
        context={**_email_context(order), "kind": kind},
    ).send()


@shared_task
def send_fulfilment_email(fulfilment_id: int) -> None:
    """A shop sent (some of) its lines: what, and the tracking link."""
    fulfilment = (
        Fulfilment.objects.select_related("shipment")
        .prefetch_related("lines__order_line")
        .filter(pk=fulfilment_id)
        .first()
    )
    if fulfilment is None:
        return
    order = order_for_buyer(order_id=fulfilment.shipment.order_id)
    if order is None or not order.user.is_active or not order.user.order_updates:
        return
    render_email(
        "orders/email/fulfilment",
        to=[order.user.email],
        context={
            **_email_context(order),
            "fulfilment": fulfilment,
            "shipment": fulfilment.shipment,
            "sent": [(line.order_line, line.quantity) for line in fulfilment.lines.all()],
        },
    ).send()


@shared_task
def expire_reservations() -> int:
    """Beat runs this every minute: unpaid orders past their reservation are cancelled."""
    return orders_expire_reservations()
