"""Forms of the payment pages and of the payments admin.

They check the shape of the input only: whether a card is accepted, and how much may
still be refunded, are payments.services' answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from payments.models import RefundReason, SavedPaymentMethod

# The dummy provider's test payment methods (see payments/providers/dummy.py), as Stripe's
# test mode names them.
TEST_CARDS = [
    ("pm_card_visa", gettext_lazy("Visa ending 4242 (succeeds)")),
    ("pm_card_mastercard", gettext_lazy("Mastercard ending 4444 (succeeds)")),
    ("pm_card_chargeDeclined", gettext_lazy("Declined card")),
    ("pm_card_insufficientFunds", gettext_lazy("Insufficient funds")),
]


def saved_method_label(method: SavedPaymentMethod, *, expiry: bool = True) -> str:
    """`Visa •••• 4242, expires 12/2034` (without `expiry`: `Visa •••• 4242`)."""
    brand = method.brand.replace("_", " ").title() if method.brand else _("Card")
    if brand == "Amex":
        brand = "American Express"
    label = f"{brand} •••• {method.last4}" if method.last4 else brand
    if expiry and method.exp_month and method.exp_year:
        # Translators: a saved card and its expiry date, e.g. Visa •••• 4242, expires 12/2034.
        label = _("%(card)s, expires %(month)02d/%(year)s") % {
            "card": label,
            "month": method.exp_month,
            "year": method.exp_year,
        }
    return label


class CardPaymentForm(forms.Form):
    """Pay an order's open payment with a card confirmed by the server: a saved card,
    or (with the dummy provider) one of the test cards.

    `payment` names the payment the page was drawn for, so a form sent twice, or from an
    old tab, does not confirm another attempt than the one its person saw.
    """

    payment = forms.UUIDField(widget=forms.HiddenInput)
    payment_method = forms.ChoiceField(label=gettext_lazy("Card"))
    save_payment_method = forms.BooleanField(
        label=gettext_lazy("Save this card for next time"),
        required=False,
        help_text=gettext_lazy("You can remove saved cards at any time."),
    )

    def __init__(
        self,
        *args: Any,
        saved_methods: Sequence[SavedPaymentMethod] = (),
        test_cards: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        saved = [
            (method.provider_method_id, saved_method_label(method)) for method in saved_methods
        ]
        choices: list[Any] = []
        if saved and test_cards:
            choices = [(_("Your saved cards"), saved), (_("Test cards"), TEST_CARDS)]
        else:
            choices = saved or (TEST_CARDS if test_cards else [])
        field = self.fields["payment_method"]
        field.choices = choices
        field.initial = saved[0][0] if saved else (TEST_CARDS[0][0] if test_cards else None)
        if not test_cards:
            # Without a new card there is nothing to save.
            del self.fields["save_payment_method"]
        else:
            field.help_text = _("A test card: no money moves.")

    @property
    def has_choices(self) -> bool:
        return bool(self.fields["payment_method"].choices)


class RefundForm(forms.Form):
    """Staff give back all or part of a payment (the admin's refund page)."""

    amount = forms.DecimalField(
        label=gettext_lazy("Amount"),
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        required=False,
        help_text=gettext_lazy("Left empty, everything that remains is refunded."),
    )
    reason = forms.ChoiceField(
        label=gettext_lazy("Reason"),
        choices=RefundReason.choices,
        initial=RefundReason.REQUESTED_BY_CUSTOMER,
    )
