from celery import shared_task

from core.emails import render_email, send_once
from core.i18n import in_language_of
from orders.links import order_url
from orders.models import Fulfilment, Order
from orders.selectors import order_figures_for, order_for_buyer, order_recipient
from orders.services import orders_expire_reservations

# Which mails respect the person's "order updates" preference: confirmation and
# cancellation concern money and always go out.
OPTIONAL_KINDS = {"shipped", "delivered"}


def _email_context(order: Order) -> dict:
    """What every order mail shows: its lines and its figures as the order page shows
    them (orders.selectors.order_figures_for, cart.pricing.totals_rows)."""
    figures = order_figures_for(order=order, user=order.user, sees_all=True)
    return {
        "order": order,
        "lines": order.visible_lines,
        "rows": figures.rows(),
        # A guest's mails link to the order through its signed link (orders.links).
        "order_url": order_url(order),
    }


@shared_task
def send_order_email(order_id: str, kind: str) -> None:
    order = order_for_buyer(order_id=order_id)
    recipient = order and order_recipient(order, optional=kind in OPTIONAL_KINDS)
    if not recipient:
        return
    # In the buyer's language, the figures' labels (built with the context) included.
    with in_language_of(order.user, fallback=order.language):
        message = render_email(
            f"orders/email/{kind}", to=[recipient], context={**_email_context(order), "kind": kind}
        )
    # Run again after its worker died (acks late), the task does not mail twice.
    send_once(message, key=f"order:{order.pk}:{kind}")


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
    recipient = order and order_recipient(order, optional=True)
    if not recipient:
        return
    with in_language_of(order.user, fallback=order.language):
        message = render_email(
            "orders/email/fulfilment",
            to=[recipient],
            context={
                **_email_context(order),
                "fulfilment": fulfilment,
                "shipment": fulfilment.shipment,
                "sent": [(line.order_line, line.quantity) for line in fulfilment.lines.all()],
            },
        )
    send_once(message, key=f"fulfilment:{fulfilment.pk}")


@shared_task
def expire_reservations() -> int:
    """Beat runs this every minute: unpaid orders past their reservation are cancelled."""
    return orders_expire_reservations()
