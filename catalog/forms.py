"""Forms of the catalog pages. They check the shape of the input; the rules (one review
per person, no reviews by the shop's own members) live in catalog.services."""

from __future__ import annotations

from django import forms

RATING_CHOICES = [
    ("", "Choose a rating"),
    (5, "5 stars — Excellent"),
    (4, "4 stars — Good"),
    (3, "3 stars — Average"),
    (2, "2 stars — Poor"),
    (1, "1 star — Terrible"),
]


class ReviewForm(forms.Form):
    rating = forms.TypedChoiceField(label="Your rating", choices=RATING_CHOICES, coerce=int)
    title = forms.CharField(label="Title", max_length=200, required=False)
    body = forms.CharField(
        label="Your review",
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="What did you like or dislike? How did you use it?",
    )
