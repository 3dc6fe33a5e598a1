from celery import shared_task

from core.emails import render_email
from orders.models import Order
from orders.services import orders_expire_reservations

# Which mails respect the person's "order updates" preference: confirmation and
# cancellation concern money and always go out.
OPTIONAL_KINDS = {"shipped", "delivered"}


@shared_task
def send_order_email(order_id: str, kind: str) -> None:
    order = (
        Order.objects.select_related("user").prefetch_related("lines").filter(pk=order_id).first()
    )
    if order is None or not order.user.is_active:
        return
    if kind in OPTIONAL_KINDS and not order.user.order_updates:
        return
    render_email(
        f"orders/email/{kind}",
        to=[order.user.email],
        context={"order": order, "lines": list(order.lines.all()), "kind": kind},
    ).send()


@shared_task
def expire_reservations() -> int:
    """Beat runs this every minute: unpaid orders past their reservation are cancelled."""
    return orders_expire_reservations()
