"""Account mail: rendered with text and HTML, sent by a Celery task through Django's
email API, so that anymail's SendGrid backend sends it when configured."""

import json
import warnings

import pytest
from anymail.exceptions import AnymailNotSupportedWarning
from django.core import mail

from accounts.exceptions import EmailNotVerified
from accounts.services import password_reset_request, user_require_verified_email
from accounts.tasks import send_password_reset_email, send_welcome_email
from core.emails import email_payload, message_from_payload, render_email

pytestmark = pytest.mark.django_db


def test_mail_is_sent_only_after_the_transaction_commits(user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        password_reset_request(email=user.email)
    assert mail.outbox == []
    assert len(callbacks) == 1
    callbacks[0]()
    assert mail.outbox[0].to == [user.email]


def test_a_message_survives_the_trip_through_the_task_queue(user):
    message = render_email("accounts/email/welcome", to=[user.email], context={"user": user})
    payload = json.loads(json.dumps(email_payload(message)))
    rebuilt = message_from_payload(payload)
    assert rebuilt.subject == message.subject == "Welcome to Shop"
    assert rebuilt.body == message.body
    assert rebuilt.alternatives[0][1] == "text/html"
    assert rebuilt.to == [user.email]


def test_tasks_skip_users_that_are_gone_or_inactive(user):
    user.is_active = False
    user.save()
    send_welcome_email(user.pk)
    send_password_reset_email(user.pk)
    send_welcome_email(999_999)
    assert mail.outbox == []


def test_sendgrid_backend_sends_the_reset_mail_over_http(user, settings, httpserver):
    httpserver.expect_request("/v3/mail/send", method="POST").respond_with_data("", status=202)
    settings.EMAIL_BACKEND = "anymail.backends.sendgrid.EmailBackend"
    settings.ANYMAIL = {
        "SENDGRID_API_KEY": "SG.test-key",
        "SENDGRID_API_URL": httpserver.url_for("/v3/"),
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AnymailNotSupportedWarning)
        send_password_reset_email(user.pk)

    ((request, _response),) = httpserver.log
    assert request.headers["Authorization"] == "Bearer SG.test-key"
    sent = request.get_json()
    assert sent["personalizations"][0]["to"] == [{"email": user.email}]
    assert sent["subject"] == "Reset your Shop password"
    types = {part["type"] for part in sent["content"]}
    assert types == {"text/plain", "text/html"}
    text = next(part["value"] for part in sent["content"] if part["type"] == "text/plain")
    assert "/accounts/password/reset/" in text


def test_checkout_gate_needs_a_verified_email(user, verified_user):
    with pytest.raises(EmailNotVerified) as error:
        user_require_verified_email(user=user)
    assert error.value.code == "email_not_verified"
    assert error.value.status_code == 403
    user_require_verified_email(user=verified_user)  # no error
