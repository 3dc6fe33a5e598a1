"""Forms of the catalog pages. They check the shape of the input; the rules (one review
per person, no reviews by the shop's own members) live in catalog.services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

RATING_CHOICES = [
    ("", _("Choose a rating")),
    (5, _("5 stars — Excellent")),
    (4, _("4 stars — Good")),
    (3, _("3 stars — Average")),
    (2, _("2 stars — Poor")),
    (1, _("1 star — Terrible")),
]


class ReviewForm(forms.Form):
    rating = forms.TypedChoiceField(label=_("Your rating"), choices=RATING_CHOICES, coerce=int)
    # Translators: a review's title.
    title = forms.CharField(label=pgettext_lazy("review", "Title"), max_length=200, required=False)
    body = forms.CharField(
        label=_("Your review"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What did you like or dislike? How did you use it?"),
    )
