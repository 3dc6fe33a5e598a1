"""A service's refusal shown on a form: the one mapping of domain errors (and Django's
ValidationError) onto form fields, for the pages and the admin alike."""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from core.errors import ApplicationError


def messages_by_field(error: Exception) -> dict[str | None, list[str]]:
    """The messages of a domain or Django validation error by field (None: the whole form)."""
    if isinstance(error, ValidationError):
        if hasattr(error, "error_dict"):
            return {
                None if field == NON_FIELD_ERRORS else field: texts
                for field, texts in error.message_dict.items()
            }
        return {None: error.messages}
    if isinstance(error, ApplicationError):
        fields = error.extra.get("fields") or {}
        return {field: list(texts) for field, texts in fields.items()} or {None: [error.detail]}
    return {None: [str(error)]}


def error_text(error: Exception) -> str:
    """All the messages of a refusal in one line (for a page message)."""
    return " ".join(message for texts in messages_by_field(error).values() for message in texts)


def form_add_service_error(
    form: forms.BaseForm, error: Exception, aliases: dict[str, str] | None = None
) -> None:
    """Show a service's refusal on `form`: messages naming a field go to that field (or
    to its alias on this form: `aliases={"new_password": "new_password1"}`) when the form
    has it, anything else above the form."""
    for name, texts in messages_by_field(error).items():
        name = (aliases or {}).get(name, name) if name else None
        target = name if name in form.fields else None
        for message in texts:
            form.add_error(target, message)


_ID = re.compile(r"[0-9]{1,18}")


def id_from_text(value) -> int | None:
    """A database id written in ASCII digits (at most 18: within a bigint), else None.
    `str.isdigit()` also admits digits such as "²" that `int()` refuses."""
    text = str(value)
    return int(text) if _ID.fullmatch(text) else None
