from celery import shared_task
from django.conf import settings

from accounts.models import User

# The kernel's mail task, imported here so that the worker's task discovery finds it.
from core.emails import (
    render_email,
    send_email_message,  # noqa: F401
    send_once,
)
from core.i18n import language_of


@shared_task
def send_welcome_email(user_id: int, language: str | None = None) -> None:
    """`language`: the one the request that made the account was in (a person's own
    preference wins)."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return
    message = render_email(
        "accounts/email/welcome",
        to=[user.email],
        context={"user": user},
        language=language_of(user, fallback=language),
    )
    send_once(message, key=f"welcome:{user.pk}")


@shared_task
def send_password_reset_email(user_id: int, language: str | None = None) -> None:
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
    render_email(
        "accounts/email/password_reset",
        to=[user.email],
        context=context,
        language=language_of(user, fallback=language),
    ).send()
