"""Deploy checks (`manage.py check --deploy`) for the security settings of the shop."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Info, Tags, Warning, register

MIN_JWT_KEY_LENGTH = 32


@register(Tags.security, deploy=True)
def check_jwt_signing_key(app_configs=None, **kwargs):
    messages = []
    key = settings.SIMPLE_JWT.get("SIGNING_KEY", "")
    if key == settings.SECRET_KEY:
        messages.append(
            Warning(
                "The JWT signing key is DJANGO_SECRET_KEY.",
                hint="Set JWT_SIGNING_KEY to a key of its own.",
                id="shop_security.W001",
            )
        )
    elif not getattr(settings, "JWT_SIGNING_KEY_FROM_ENV", False):
        messages.append(
            Info(
                "JWT_SIGNING_KEY is not set: tokens are signed with a key derived from "
                "DJANGO_SECRET_KEY, which cannot be rotated on its own.",
                hint="Set JWT_SIGNING_KEY (see JWT_PREVIOUS_SIGNING_KEYS for rotation).",
                id="shop_security.I001",
            )
        )
    elif len(key) < MIN_JWT_KEY_LENGTH:
        messages.append(
            Warning(
                f"JWT_SIGNING_KEY is shorter than {MIN_JWT_KEY_LENGTH} characters.",
                hint="Use a long random key, e.g. `python -c 'import secrets; "
                "print(secrets.token_urlsafe(50))'`.",
                id="shop_security.W002",
            )
        )
    return messages
