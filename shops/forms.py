"""Forms of the shop pages. They check the shape of the input; the rules (who may add
whom, the last owner) live in shops.services and come back as domain errors."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError

from config.errors import ApplicationError
from shops.models import ShopMembership


def form_add_service_error(form: forms.Form, exc: ApplicationError | DjangoValidationError) -> None:
    """Show a service's error on `form`: messages under `fields` go to the field of that
    name when the form has it, anything else above the form."""
    if isinstance(exc, DjangoValidationError):
        by_field = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
    else:
        by_field = exc.extra.get("fields") or {None: [exc.detail]}
    for name, field_messages in by_field.items():
        target = name if name in form.fields else None
        for message in field_messages:
            form.add_error(target, message)


class MemberAddForm(forms.Form):
    email = forms.EmailField(
        label="Email address",
        help_text="The address of their account on the shop: ask them to sign up first.",
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    role = forms.ChoiceField(
        label="Role",
        choices=ShopMembership.Role.choices,
        initial=ShopMembership.Role.STAFF,
        help_text="Staff manage the products; owners also manage the shop and its members.",
    )
