from celery import shared_task

from payments import services
from payments.models import Payment


@shared_task(autoretry_for=(Exception,), retry_backoff=True, retry_backoff_max=600, max_retries=10)
def process_webhook_event(event_pk: int) -> None:
    """Apply a stored provider event; a failure is retried (the event stays stored)."""
    services.webhook_process(event_pk=event_pk)


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=10)
def refund_payment(payment_id: str, reason: str) -> None:
    payment = Payment.objects.filter(pk=payment_id).first()
    if payment is not None and payment.refundable_amount > 0:
        services.payment_refund(payment=payment, reason=reason)


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=10)
def settle_cancelled_order(order_id: str) -> None:
    services.order_payments_settle_on_cancel(order_id=order_id)
