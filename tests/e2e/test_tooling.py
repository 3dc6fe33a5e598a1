"""The browser tooling itself: Chromium serves our styled pages, and the accessibility
checker really finds what it is meant to find."""

import pytest

from tests.e2e.a11y import violations

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_live_server_serves_the_hashed_stylesheet(live_server, page):
    page.goto(live_server.url + "/")
    stylesheets = page.evaluate(
        "() => [...document.styleSheets].map(sheet => sheet.cssRules.length)"
    )
    assert stylesheets and all(count > 0 for count in stylesheets)


def test_accessibility_checker_reports_the_basics(page):
    page.set_content(
        "<html><head></head><body><h1>Shop</h1><h3>Skipped a level</h3>"
        '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
        '<form><input type="text" name="q"><button></button></form>'
        '<a href="/x"></a></body></html>'
    )
    rules = {line.split(":", 1)[0] for line in violations(page)}
    assert {
        "image-alt",
        "label",
        "heading-order",
        "html-has-lang",
        "document-title",
        "button-name",
        "link-name",
    } <= rules
