"""Forms of the shop pages. They check the shape of the input; the rules (who may add
whom, the last owner) live in shops.services and come back as domain errors."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from shops.models import ShopMembership


class MemberAddForm(forms.Form):
    email = forms.EmailField(
        label=_("Email address"),
        help_text=_("The address of their account on the shop: ask them to sign up first."),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    role = forms.ChoiceField(
        label=_("Role"),
        choices=ShopMembership.Role.choices,
        initial=ShopMembership.Role.STAFF,
        help_text=_("Staff manage the products; owners also manage the shop and its members."),
    )
