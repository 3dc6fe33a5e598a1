"""Text in the templates that is not marked for translation.

A template's words must reach the reader through `{% translate %}` or
`{% blocktranslate %}`, or they stay English in every language. This finds the words
that do not: the template is tokenised with Django's own lexer, every variable, tag and
translated block is replaced by a space, and what is left is read as HTML: its
text (outside <script>, <style> and <code>) and the attributes people read (title, alt,
placeholder, aria-label, a button's value) must hold no words.

    python -m tests.i18n.unmarked            lists them, file:line: text
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from django.template.base import Lexer, TokenType

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"
# Swagger UI's page belongs to drf-spectacular (a developer tool, English only).
SKIPPED = ("drf_spectacular/",)
# Words that are the same in every language: names of brands, codes and units.
SAME_IN_EVERY_LANGUAGE = {
    "PayPal",
    "Stripe",
    "Apple",
    "Google",
    "Pay",
    "PDF",
    "CSV",
    "SKU",
    "API",
    "JSON",
    "ID",
    "OK",
    "EUR",
    "USD",
    "GBP",
    "CHF",
    "VAT",
}
# What a variable or tag becomes: a space, so that one inside an HTML tag leaves it a tag.
PLACEHOLDER = " "
WORD = re.compile(r"[^\W\d_]{2,}")
READ_ATTRIBUTES = {"title", "alt", "placeholder", "aria-label", "aria-description"}
BLOCKS_SKIPPED = {
    "blocktranslate": "endblocktranslate",
    "blocktrans": "endblocktrans",
    "comment": "endcomment",
    "verbatim": "endverbatim",
}


@dataclass(frozen=True)
class Unmarked:
    path: str
    line: int
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.text}"


def _words(text: str) -> list[str]:
    text = re.sub(r"&[a-zA-Z]+;|&#\d+;", " ", text)
    text = re.sub(r"\S*/\S*", " ", text)  # addresses and paths: /admin/catalog/product/
    return [word for word in WORD.findall(text) if word not in SAME_IN_EVERY_LANGUAGE]


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.found: list[tuple[int, str]] = []
        self.hidden = 0  # inside <script>, <style> or <code>

    def handle_starttag(self, tag, attrs):
        if tag in {"script", "style", "code"}:
            self.hidden += 1
        attributes = dict(attrs)
        for name, value in attrs:
            read = name in READ_ATTRIBUTES or (
                name == "value"
                and tag == "input"
                and (attributes.get("type") or "").lower() in {"submit", "button", "reset"}
            )
            if read and value and _words(value):
                self.found.append((self.getpos()[0], f'{name}="{value.strip()}"'))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag in {"script", "style", "code"}:
            self.hidden -= 1

    def handle_endtag(self, tag):
        if tag in {"script", "style", "code"} and self.hidden:
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden and _words(data):
            self.found.append((self.getpos()[0], " ".join(data.split())))


def unmarked_in(source: str) -> list[tuple[int, str]]:
    """(line, text) of each piece of text in a template that is not marked."""
    parts: list[str] = []
    closing: str | None = None
    for token in Lexer(source).tokenize():
        if token.token_type == TokenType.TEXT:
            parts.append(PLACEHOLDER if closing else token.contents)
            continue
        if token.token_type == TokenType.BLOCK:
            name = token.contents.split()[0] if token.contents.split() else ""
            if closing is None and name in BLOCKS_SKIPPED:
                closing = BLOCKS_SKIPPED[name]
            elif (
                closing is None and name == "block" and token.contents.split()[-1].endswith("class")
            ):
                closing = "endblock"  # {% block main_class %}: CSS classes, not words
            elif closing == name:
                closing = None
        # Variables, tags and comments become a placeholder; keep the line count.
        # (A tag whose name a template tag chooses, `<{% if %}a{% else %}button{% endif %}`,
        # gets a name.)
        opens_tag = bool(parts) and parts[-1].endswith(("<", "</"))
        parts.append(("x" if opens_tag else "") + PLACEHOLDER + "\n" * token.contents.count("\n"))
    reader = _Reader()
    reader.feed("".join(parts))
    reader.close()
    return reader.found


def unmarked(root: Path = TEMPLATES) -> list[Unmarked]:
    found = []
    for path in sorted(root.rglob("*")):
        if path.suffix not in {".html", ".txt"} or not path.is_file():
            continue
        relative = path.relative_to(root).as_posix()
        if relative.startswith(SKIPPED):
            continue
        for line, text in unmarked_in(path.read_text()):
            found.append(Unmarked(relative, line, text))
    return found


if __name__ == "__main__":
    results = unmarked()
    for item in results:
        print(item)
    print(f"{len(results)} unmarked", file=sys.stderr)
    sys.exit(1 if results else 0)
