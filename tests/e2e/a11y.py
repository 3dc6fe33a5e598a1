"""Accessibility basics, checked with axe-core (axe-playwright-python bundles it).

The rules are the issue's list: images have alt text, form fields have labels, headings
go in order, the page has a language and a title, buttons and links have names.
"""

from axe_playwright_python.sync_playwright import Axe

RULES = [
    "image-alt",
    "input-image-alt",
    "role-img-alt",
    "svg-img-alt",
    "label",
    "select-name",
    "heading-order",
    "page-has-heading-one",
    "empty-heading",
    "html-has-lang",
    "html-lang-valid",
    "document-title",
    "button-name",
    "input-button-name",
    "link-name",
    "duplicate-id-aria",
    "aria-valid-attr-value",
]

_axe = Axe()


def violations(page) -> list[str]:
    """One line per broken rule on the current page: rule, what it means, where."""
    results = _axe.run(
        page,
        options={"runOnly": {"type": "rule", "values": RULES}, "resultTypes": ["violations"]},
    )
    return [
        f"{item['id']}: {item['help']} — "
        + "; ".join(" ".join(node["target"]) for node in item["nodes"][:5])
        for item in results.response["violations"]
    ]


def assert_accessible(page) -> None:
    found = violations(page)
    assert not found, f"Accessibility problems on {page.url}:\n" + "\n".join(found)
