"""Text written once for one reader, in that reader's language (core.i18n.in_language_of):
a notification, a note on an order's timeline. The writer does not know the language
when it makes the text, so it hands over a lazy translation or a function that calls
gettext, and whoever knows the reader writes it (`written`) inside their language."""

from __future__ import annotations

from collections.abc import Callable

from django.utils.functional import Promise

# Plain text (already final, e.g. a name), a lazy translation, or a function writing it.
Text = str | Promise | Callable[[], str]


def written(text: Text) -> str:
    """`text` as plain text, translated in the language active now."""
    if callable(text) and not isinstance(text, Promise):
        return str(text())
    return str(text)
