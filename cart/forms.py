"""Forms of the cart pages. They check the shape of the input only: which quantities are
allowed and how much is in stock are cart.services' rules, and come back as domain errors."""

from __future__ import annotations

from django import forms


class CartAddForm(forms.Form):
    """What the product page's "Add to cart" form posts."""

    product_id = forms.IntegerField(min_value=1)
    variant_id = forms.IntegerField(min_value=1, required=False)  # required with variants
    quantity = forms.IntegerField(required=False, initial=1)  # missing: 1, as in the API
    next = forms.CharField(required=False)


class CartQuantityForm(forms.Form):
    """A cart line's quantity; 0 removes the line."""

    quantity = forms.IntegerField()
