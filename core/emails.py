"""Rendering and queueing of email: a text body, an HTML alternative, sent by a Celery task.

Apps render with `render_email(template_prefix, ...)` from
`<prefix>_subject.txt`, `<prefix>_message.txt` and (optional) `<prefix>_message.html`,
then `queue_email(message)`: the message is handed to the worker once the current
transaction commits, so that no mail goes out for work that was rolled back.
"""

from __future__ import annotations

import uuid
from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import transaction
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import translation

# How long a sent message's key is remembered (`send_once`): longer than any redelivery.
SENT_KEY_SECONDS = 7 * 24 * 3600


def render_email(
    template_prefix: str,
    *,
    to: list[str],
    context: dict[str, Any],
    language: str | None = None,
) -> EmailMultiAlternatives:
    """The message in `language` (core.i18n.language_of its recipient), or in the
    language active now when None."""
    if language:
        with translation.override(language):
            return render_email(template_prefix, to=to, context=context)
    context = {"site_url": settings.SITE_URL, **context}
    subject = render_to_string(f"{template_prefix}_subject.txt", context)
    subject = " ".join(subject.splitlines()).strip()
    text = render_to_string(f"{template_prefix}_message.txt", context).strip()
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, to)
    try:
        html = render_to_string(f"{template_prefix}_message.html", context)
    except TemplateDoesNotExist:
        pass
    else:
        message.attach_alternative(html, "text/html")
    return message


def email_payload(message: EmailMessage) -> dict[str, Any]:
    """A JSON-serialisable form of a message, for the Celery task that sends it."""
    alternatives = [
        {"content": content, "mimetype": mimetype}
        for content, mimetype in getattr(message, "alternatives", [])
    ]
    return {
        "subject": message.subject,
        "body": message.body,
        "from_email": message.from_email,
        "to": list(message.to),
        "headers": dict(message.extra_headers),
        "content_subtype": message.content_subtype,
        "alternatives": alternatives,
    }


def message_from_payload(payload: dict[str, Any]) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        payload["subject"],
        payload["body"],
        payload["from_email"],
        payload["to"],
        headers=payload.get("headers") or None,
    )
    message.content_subtype = payload.get("content_subtype", "plain")
    for alternative in payload.get("alternatives", []):
        message.attach_alternative(alternative["content"], alternative["mimetype"])
    return message


# The task keeps the name it had when it lived in accounts.tasks, so that messages
# already queued under it are still delivered (the worker loads it from there too).
@shared_task(
    name="accounts.tasks.send_email_message",
    autoretry_for=(OSError,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
)
def send_email_message(payload: dict) -> None:
    """Send a message rendered here (SMTP, SendGrid or the console)."""
    message = message_from_payload(payload)
    key = payload.get("key")
    if key:
        send_once(message, key=f"queued:{key}")
    else:  # queued before messages carried a key
        message.send()


def queue_email(message: EmailMessage) -> None:
    """Send `message` from a worker after the current transaction commits."""
    payload = {**email_payload(message), "key": uuid.uuid4().hex}
    transaction.on_commit(lambda: send_email_message.delay(payload))


def send_once(message: EmailMessage, *, key: str) -> bool:
    """Send `message` unless one with this key went out already: the tasks that send
    mail are acknowledged late, so a task whose worker died after sending runs again,
    and must not mail twice. False when it had been sent. (A worker dying between the
    sending and the remembering still sends twice: mail servers take no keys.)"""
    remembered = f"email:sent:{key}"
    if cache.get(remembered):
        return False
    message.send()
    cache.set(remembered, True, SENT_KEY_SECONDS)
    return True
