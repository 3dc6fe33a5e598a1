"""EMAIL_URL: every mail backend, with the settings it needs, from one variable
(django-environ's email URLs, plus SendGrid through django-anymail).

    consolemail://                          print mails (the quickstart's default)
    filemail:///var/mail/shop               one file per mail in that folder
    smtp://user:password@host:587/?tls=True SMTP with STARTTLS (smtp+tls:// too)
    smtps://user:password@host:465          SMTP over TLS (smtp+ssl:// is implicit SSL)
    sendgrid://:API_KEY@                    SendGrid's API (django-anymail)
    memorymail:// / dummymail://            kept in memory / thrown away

`settings_of(url)` answers the settings; `missing(settings)` names what a backend needs
and does not have, for the start-up check in config.settings.
"""

from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlsplit

import environ

SENDGRID = "anymail.backends.sendgrid.EmailBackend"
FILE = "django.core.mail.backends.filebased.EmailBackend"
SMTP = "django.core.mail.backends.smtp.EmailBackend"
TRUE = {"1", "true", "yes", "on"}


def settings_of(url: str) -> dict:
    parts = urlsplit(url)
    if parts.scheme == "sendgrid":
        key = unquote(parts.password or parts.username or "")
        return {"EMAIL_BACKEND": SENDGRID, "ANYMAIL": {"SENDGRID_API_KEY": key}}
    found = environ.Env.email_url_config(url)
    found.pop("OPTIONS", None)
    values = {key: value for key, value in found.items() if value not in (None, "")}
    if parts.scheme == "filemail":
        # django-environ drops the leading slash of the folder: keep the path as written.
        values["EMAIL_FILE_PATH"] = unquote(parts.path)
    query = {key.lower(): value[-1] for key, value in parse_qs(parts.query).items()}
    if query.get("tls", "").lower() in TRUE:
        values["EMAIL_USE_TLS"] = True
    if query.get("ssl", "").lower() in TRUE:
        values["EMAIL_USE_SSL"] = True
    if query.get("timeout", "").isdigit():
        values["EMAIL_TIMEOUT"] = int(query["timeout"])
    return values


def missing(values: dict) -> list[str]:
    """What the chosen backend needs and is not given, as sentences naming the setting."""
    backend = values.get("EMAIL_BACKEND", "")
    problems = []
    if backend == FILE and not values.get("EMAIL_FILE_PATH"):
        problems.append(
            "the file mail backend needs EMAIL_FILE_PATH, the folder to write mails to "
            "(EMAIL_URL=filemail:///path/to/folder)"
        )
    if backend == SMTP and not values.get("EMAIL_HOST"):
        problems.append(
            "the SMTP mail backend needs EMAIL_HOST (EMAIL_URL=smtp://user:pw@host:587)"
        )
    if backend.startswith("anymail.backends.sendgrid") and not (values.get("ANYMAIL") or {}).get(
        "SENDGRID_API_KEY"
    ):
        problems.append("the SendGrid mail backend needs its API key (EMAIL_URL=sendgrid://:KEY@)")
    return problems
