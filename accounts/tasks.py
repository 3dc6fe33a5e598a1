from celery import shared_task
from django.conf import settings

from accounts.models import User
from config.emails import message_from_payload, render_email


@shared_task(
    autoretry_for=(OSError,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
)
def send_email_message(payload: dict) -> None:
    """Send a message rendered by `config.emails` (SMTP, SendGrid or the console)."""
    message_from_payload(payload).send()


@shared_task
def send_welcome_email(user_id: int) -> None:
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return
    render_email("accounts/email/welcome", to=[user.email], context={"user": user}).send()


@shared_task
def send_password_reset_email(user_id: int) -> None:
    from accounts.services import password_reset_token_make

    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return
    uid, token = password_reset_token_make(user=user)
    context = {
        "user": user,
        "uid": uid,
        "token": token,
        "reset_url": f"{settings.SITE_URL}/accounts/password/reset/{uid}/{token}/",
    }
    render_email("accounts/email/password_reset", to=[user.email], context=context).send()
