"""The checkout form: a shipping address (from the address book or typed in, optionally
saved to the book) and an optional different billing address.

The form checks the shape of the input and answers the addresses as the plain
snapshots orders.services.order_place stores; stock, prices and who may check out are
the services' rules.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.forms import AddressForm
from accounts.models import Address
from core.forms import id_from_text
from orders.models import Order

NEW = "new"
SAME = "same"


class CheckoutAddressForm(AddressForm):
    """A new address typed at checkout: the address book's fields without its default
    flag (whether to keep the address is the checkout's own question).

    Its fields are hidden while an address-book entry is chosen, so the browser must
    not insist on them: the form is validated only when "a new address" is chosen.
    """

    use_required_attribute = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields.pop("is_default", None)

    def snapshot(self) -> dict[str, str]:
        """The cleaned address as an order stores it (country as its code)."""
        return self.instance.as_snapshot()


class CheckoutForm(forms.Form):
    shipping_choice = forms.ChoiceField(label=_("Shipping address"), widget=forms.RadioSelect)
    save_shipping = forms.BooleanField(
        required=False, label=_("Save this address to my address book")
    )
    billing_choice = forms.ChoiceField(label=_("Billing address"), widget=forms.RadioSelect)
    save_billing = forms.BooleanField(
        required=False, label=_("Save this billing address to my address book")
    )

    def __init__(self, data=None, *, addresses: list[Address], guest: bool = False) -> None:
        super().__init__(data)
        self.guest = guest
        if guest:  # no address book to save to; an address for the order's mails
            del self.fields["save_shipping"], self.fields["save_billing"]
            self.fields["email"] = forms.EmailField(
                label=_("Email"),
                max_length=Order._meta.get_field("email").max_length,
                help_text=_("Your confirmation goes here, with a link to follow your order."),
                widget=forms.EmailInput(attrs={"autocomplete": "email"}),
            )
        self.addresses = {str(address.pk): address for address in addresses}
        book = [(key, str(address)) for key, address in self.addresses.items()]
        self.fields["shipping_choice"].choices = [*book, (NEW, _("A new address"))]
        self.fields["billing_choice"].choices = [
            (SAME, _("Same as the shipping address")),
            *book,
            (NEW, _("A new billing address")),
        ]
        default = next(
            (key for key, address in self.addresses.items() if address.is_default),
            next(iter(self.addresses), NEW),
        )
        self.fields["shipping_choice"].initial = default
        self.fields["billing_choice"].initial = SAME
        # Someone without an address book most likely wants to start one.
        if not guest:
            self.fields["save_shipping"].initial = not self.addresses
        self.shipping_form = CheckoutAddressForm(data, prefix="shipping")
        self.billing_form = CheckoutAddressForm(data, prefix="billing")

    # --- What the template draws ------------------------------------------------------

    def _options(self, name: str) -> list[dict[str, Any]]:
        chosen = str(self[name].value() or "")
        return [
            {
                "value": value,
                "label": label,
                "address": self.addresses.get(value),
                "checked": value == chosen,
                "id": f"id_{name}_{value}",
            }
            for value, label in self.fields[name].choices
        ]

    def shipping_options(self) -> list[dict[str, Any]]:
        return self._options("shipping_choice")

    def billing_options(self) -> list[dict[str, Any]]:
        return self._options("billing_choice")

    # --- Validation and results --------------------------------------------------------

    def _typed_forms(self) -> list[tuple[str, CheckoutAddressForm]]:
        """The new-address forms in use, named by their kind."""
        typed = []
        if self["shipping_choice"].value() == NEW:
            typed.append(("shipping", self.shipping_form))
        if self["billing_choice"].value() == NEW:
            typed.append(("billing", self.billing_form))
        return typed

    def is_valid(self) -> bool:
        valid = super().is_valid()
        for _kind, form in self._typed_forms():
            valid = form.is_valid() and valid
        return valid

    def _snapshot(self, kind: str) -> dict[str, str] | None:
        choice = self.cleaned_data[f"{kind}_choice"]
        if choice == SAME:
            return None
        if choice == NEW:
            return getattr(self, f"{kind}_form").snapshot()
        return self.addresses[choice].as_snapshot()

    def shipping_address(self) -> dict[str, str]:
        return self._snapshot("shipping")

    def billing_address(self) -> dict[str, str] | None:
        """None: the same as the shipping address (the order stores no billing address)."""
        return self._snapshot("billing")

    def addresses_to_save(self) -> list[tuple[CheckoutAddressForm, dict[str, Any]]]:
        """The typed addresses the person asked to keep, with the data address_create takes."""
        return [
            (form, form.address_data())
            for kind, form in self._typed_forms()
            if self.cleaned_data.get(f"save_{kind}")
        ]

    # --- Delivery -------------------------------------------------------------------------

    def keep_input_without_errors(self) -> None:
        """For a render that only updates the delivery options: the input stays as typed,
        and nothing half-typed is reported as an error yet."""
        from django.forms.utils import ErrorDict

        for form in (self, self.shipping_form, self.billing_form):
            form._errors = ErrorDict()

    def destination(self) -> tuple[str, str]:
        """The country and region the chosen shipping address is in, as far as the input
        tells (before validation: the delivery options follow the choice on each render)."""
        choice = str(self["shipping_choice"].value() or "")
        if choice in self.addresses:
            address = self.addresses[choice]
            return address.country.code, address.region
        if choice == NEW:
            return (
                str(self.shipping_form["country"].value() or "").upper(),
                str(self.shipping_form["region"].value() or ""),
            )
        return "", ""


def chosen_methods(data) -> dict[int, int]:
    """The delivery method chosen per shop on the checkout page (`shipping_method_<shop
    id>` radio buttons); what is not a pair of ids is left out."""
    chosen = {}
    for key, value in (data or {}).items():
        if not key.startswith("shipping_method_"):
            continue
        shop_id = id_from_text(key.removeprefix("shipping_method_"))
        method_id = id_from_text(value)
        if shop_id is not None and method_id is not None:
            chosen[shop_id] = method_id
    return chosen


class FulfilmentForm(forms.Form):
    """What a seller says of a parcel sent: the carrier and its tracking."""

    carrier = forms.CharField(label=_("Carrier"), max_length=100, required=False)
    tracking_number = forms.CharField(label=_("Tracking number"), max_length=100, required=False)
    tracking_url = forms.URLField(
        label=_("Tracking url"), max_length=500, required=False, assume_scheme="https"
    )
