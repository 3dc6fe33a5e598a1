"""The shop in English, German and French: how a request's language is chosen, what is
translated (pages, API errors, scripts, mail, notifications), prices in the reader's
locale, caches kept per language, and translation catalogues that are complete."""

from __future__ import annotations

import json
import re
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.core import mail
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.utils import translation

from catalog.templatetags.shop_tags import money, rating_text, stock_status
from core import translations
from core.i18n import language_of
from notifications.services import notify
from orders.tasks import send_order_email
from tests.conftest import bearer_client
from tests.factories import ProductFactory, UserFactory, address_data, verify_email

ROOT = Path(__file__).resolve().parents[2]


def german(text: str, context: str | None = None) -> str:
    with translation.override("de"):
        found = translation.pgettext(context, text) if context else translation.gettext(text)
    assert found != text, f"{text!r} has no German translation"
    return found


def french(text: str) -> str:
    with translation.override("fr"):
        found = translation.gettext(text)
    assert found != text, f"{text!r} has no French translation"
    return found


def lang_of(page: str) -> str:
    return re.search(r'<html lang="([\w-]+)"', page).group(1)


# --- Choosing the language ------------------------------------------------------------


@pytest.mark.django_db
def test_the_browsers_accept_language_chooses_among_the_shops_languages(client):
    ProductFactory(name="Kettle")
    for accept, expected in [
        ("de-DE,de;q=0.9,en;q=0.8", "de"),
        ("fr-CH, fr;q=0.9", "fr"),
        ("es-ES,es;q=0.9", "en"),  # not one of ours: English
        ("", "en"),
    ]:
        page = client.get("/products/", HTTP_ACCEPT_LANGUAGE=accept)
        assert page.status_code == 200 and page["Content-Language"] == expected
        assert lang_of(page.content.decode()) == expected
    german_page = client.get("/products/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert f">{german('Products')}</a>" in german_page


@pytest.mark.django_db
def test_the_footer_switcher_sets_the_language_for_this_browser_and_the_persons_preference():
    person = verify_email(UserFactory())
    browser = Client()
    answer = browser.post(
        "/i18n/language/", {"language": "fr", "next": "/products/"}, HTTP_ACCEPT_LANGUAGE="de"
    )
    assert answer.status_code == 302 and answer["Location"] == "/products/"
    assert browser.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fr"
    assert lang_of(browser.get("/products/", HTTP_ACCEPT_LANGUAGE="de").content.decode()) == "fr"

    # Signed in, the choice is also the person's preference (their mail follows it).
    browser.force_login(person)
    browser.post("/i18n/language/", {"language": "de", "next": "/"})
    person.refresh_from_db()
    assert person.language == "de"
    # An unknown language changes nothing.
    browser.post("/i18n/language/", {"language": "xx", "next": "/"})
    person.refresh_from_db()
    assert person.language == "de"
    assert browser.get("/i18n/language/").status_code == 405


@pytest.mark.django_db
def test_a_signed_in_persons_preference_wins_over_the_browser_until_they_switch():
    person = verify_email(UserFactory(language="fr"))
    browser = Client()
    browser.force_login(person)
    page = browser.get("/accounts/", HTTP_ACCEPT_LANGUAGE="de")
    assert lang_of(page.content.decode()) == "fr"
    # The switcher in this browser wins (and becomes the preference).
    browser.post("/i18n/language/", {"language": "de", "next": "/"})
    assert lang_of(browser.get("/accounts/", HTTP_ACCEPT_LANGUAGE="en").content.decode()) == "de"


@pytest.mark.django_db
def test_the_profile_page_and_the_api_set_the_language_preference():
    person = verify_email(UserFactory())
    browser = Client()
    browser.force_login(person)
    form = browser.get("/accounts/profile/").content.decode()
    assert '<option value="de">Deutsch</option>' in form
    assert '<option value="fr">Français</option>' in form
    answer = browser.post(
        "/accounts/profile/",
        {"first_name": "Ana", "last_name": "Lima", "language": "de", "order_updates": "on"},
    )
    assert answer.status_code == 302
    person.refresh_from_db()
    assert person.language == "de"
    assert browser.cookies[settings.LANGUAGE_COOKIE_NAME].value == "de"

    api = bearer_client(person)
    assert api.get("/api/v1/auth/me/").json()["language"] == "de"
    changed = api.patch("/api/v1/auth/me/", {"language": "fr"}, format="json")
    assert changed.status_code == 200 and changed.json()["language"] == "fr"
    refused = api.patch("/api/v1/auth/me/", {"language": "klingon"}, format="json")
    assert refused.status_code == 400 and "language" in refused.json()["fields"]
    assert api.patch("/api/v1/auth/me/", {"language": ""}, format="json").json()["language"] == ""


# --- The API ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_api_errors_speak_the_accept_language_and_keep_their_codes(api_client):
    for language in ("de", "fr"):
        answer = api_client.get("/api/v1/products/999999/", HTTP_ACCEPT_LANGUAGE=language)
        assert answer.status_code == 404 and answer["Content-Language"] == language
        assert answer.json()["code"] == "not_found"
        with translation.override(language):
            assert answer.json()["detail"] == translation.gettext("Not found.") != "Not found."

    login = api_client.post(
        "/api/v1/auth/login/",
        {"email": "nobody@example.com", "password": "wrong-password-1"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="de",
    )
    assert login.json()["code"] == "invalid_credentials"
    english = api_client.post(
        "/api/v1/auth/login/",
        {"email": "nobody@example.com", "password": "wrong-password-1"},
        format="json",
    ).json()["detail"]
    assert login.json()["detail"] == german(english)

    invalid = api_client.post(
        "/api/v1/auth/register/",
        {"email": "not-an-address"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert invalid.json()["code"] == "validation_error"
    assert invalid.json()["fields"]["password"] == [french("This field is required.")]


def test_the_scripts_catalogue_is_served_in_the_language_of_its_address(client):
    german_js = client.get("/i18n/js/de/").content.decode()
    with (ROOT / "locale/de/LC_MESSAGES/djangojs.po").open("rb") as source:
        catalog = read_po(source, locale="de")
    sorry = catalog.get("Something went wrong while paying. Please try again.").string
    served = json.loads(re.search(r"const newcatalog = (\{.*?\});", german_js, re.S).group(1))
    assert sorry and served["Something went wrong while paying. Please try again."] == sorry
    assert "max-age=86400" in client.get("/i18n/js/fr/")["Cache-Control"]
    english = client.get("/i18n/js/xx/")
    assert english.status_code == 200


# --- What the page shows --------------------------------------------------------------


def test_prices_numbers_and_stock_follow_the_readers_locale():
    with translation.override("de"):
        assert money(Decimal("1234.56"), "EUR") == "1.234,56\xa0€"
        assert money("-5", "USD") == "-5,00\xa0$"
        assert rating_text(Decimal("4.5")) == german("%(rating)s out of 5 stars") % {
            "rating": "4,5"
        }
    with translation.override("fr"):
        assert money(Decimal("1234.56"), "EUR") == "1\u202f234,56\xa0€"
    with translation.override("en"):
        assert money(Decimal("1234.56"), "EUR") == "€1,234.56"
        assert money("19.99", "CHF") == "19.99 CHF"
        assert rating_text(Decimal("4.00")) == "4 out of 5 stars"
    product = ProductFactory.build(stock_quantity=2)
    with translation.override("de"):
        assert stock_status(product)["label"] == translation.ngettext(
            "Only %(count)d left", "Only %(count)d left", 2
        ) % {"count": 2}


@pytest.mark.django_db
def test_cached_pages_are_kept_per_language(client):
    ProductFactory(name="Kettle", slug="kettle")
    english = client.get("/products/").content.decode()
    german_page = client.get("/products/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert german("Sort", "verb") in german_page and german("Sort", "verb") not in english
    # Warm caches answer each language its own.
    assert lang_of(client.get("/products/").content.decode()) == "en"
    assert (
        lang_of(client.get("/products/kettle/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()) == "fr"
    )
    product_en = client.get("/products/kettle/").content.decode()
    assert lang_of(product_en) == "en" and "Add to cart" in product_en
    product_de = client.get("/products/kettle/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert german("Add to cart") in product_de and "Add to cart" not in product_de


# --- Mail and notifications in the recipient's language -----------------------------------


@pytest.mark.django_db
def test_mail_and_notifications_speak_the_recipients_language_not_the_requests(
    django_capture_on_commit_callbacks,
):
    from cart.services import cart_add_item, cart_get_for_user
    from orders.services import order_place

    buyer = verify_email(UserFactory(language="de"))
    cart = cart_get_for_user(user=buyer)
    cart_add_item(cart=cart, product=ProductFactory(price="1234.56"), quantity=1)
    mail.outbox.clear()
    with (
        translation.override("fr"),  # the request that placed it was in French
        django_capture_on_commit_callbacks(execute=True),
    ):
        order = order_place(user=buyer, cart=cart, shipping_address=address_data())
    assert order.language == "fr"
    (message,) = mail.outbox
    with translation.override("de"):
        expected = translation.gettext("Order %(number)s confirmed") % {"number": order.number}
    assert message.subject == expected

    # The same order mail to a guest goes out in the language they ordered in.
    order.user = None
    order.email = "guest@example.com"
    order.save(update_fields=["user", "email"])
    mail.outbox.clear()
    cache.clear()  # forget that this order's confirmation went out (core.emails.send_once)
    send_order_email(str(order.pk), "confirmation")
    with translation.override("fr"):
        expected = translation.gettext("Order %(number)s confirmed") % {"number": order.number}
    assert mail.outbox[0].subject == expected

    # A notification is stored in its recipient's language.
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        notify(
            user_ids=[buyer.pk], kind="order_status", title=translation.gettext_lazy("Price drop")
        )
    assert buyer.notifications.latest("created_at").title == german("Price drop")


@pytest.mark.django_db
def test_a_task_run_again_does_not_mail_twice():
    from cart.services import cart_add_item, cart_get_for_user
    from orders.services import order_place

    buyer = verify_email(UserFactory())
    cart = cart_get_for_user(user=buyer)
    cart_add_item(cart=cart, product=ProductFactory(), quantity=1)
    order = order_place(user=buyer, cart=cart, shipping_address=address_data())
    mail.outbox.clear()
    send_order_email(str(order.pk), "confirmation")
    send_order_email(str(order.pk), "confirmation")  # redelivered after its worker died
    assert len(mail.outbox) == 1


def test_language_of_prefers_the_person_then_the_order_then_the_site():
    assert language_of(UserFactory.build(language="fr"), fallback="de") == "fr"
    assert language_of(UserFactory.build(language=""), fallback="de-AT") == "de"
    assert language_of(None, fallback="") == "en"
    assert language_of(None, fallback="xx") == "en"


# --- The catalogues ---------------------------------------------------------------------


@pytest.mark.parametrize("language", ["de", "fr"])
@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_every_message_is_translated_with_its_placeholders(language, domain):
    path = ROOT / "locale" / language / "LC_MESSAGES" / f"{domain}.po"
    with path.open("rb") as source:
        catalog = read_po(source, locale=language)
    messages = [message for message in catalog if message.id]
    assert len(messages) > (500 if domain == "django" else 5)
    untranslated = [
        message.id
        for message in messages
        if not message.string
        or (isinstance(message.string, tuple) and not all(message.string))
        or message.fuzzy
    ]
    assert not untranslated, untranslated[:10]
    problems = [(message.id, errors) for message in messages if (errors := message.check(catalog))]
    assert not problems, problems[:5]


def test_the_catalogues_hold_every_message_of_the_code(tmp_path, settings, monkeypatch):
    """makemessages run afresh on the code finds nothing the catalogues lack: whoever marks
    a new text also translates it. It runs on a copy (the sources linked, the catalogues
    copied), so that the project's own catalogues stay as they are."""
    if not shutil.which("xgettext"):
        pytest.fail("This test needs GNU gettext's xgettext: apt-get install gettext (make test).")
    skipped = {".git", ".venv", "tests", "locale", "bench", "media", "backups", "staticfiles"}
    for entry in ROOT.iterdir():
        if entry.is_dir() and not entry.name.startswith(".") and entry.name not in skipped:
            (tmp_path / entry.name).symlink_to(entry)
    shutil.copytree(ROOT / "locale", tmp_path / "locale", ignore=shutil.ignore_patterns("*.mo"))
    monkeypatch.chdir(tmp_path)
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    for domain in ("django", "djangojs"):
        call_command(
            "makemessages",
            domain=domain,
            locale=["de", "fr"],
            symlinks=True,
            ignore_patterns=["node_modules"],
            no_obsolete=True,
            verbosity=0,
        )
    for path in sorted((tmp_path / "locale").glob("*/LC_MESSAGES/*.po")):
        with path.open("rb") as source:
            catalog = read_po(source)
        missing = [
            message.id
            for message in catalog
            if message.id and (not message.string or message.fuzzy)
        ]
        assert not missing, f"{path.relative_to(tmp_path)} lacks: {missing[:10]}"


def test_translations_compile_when_their_catalogue_changed(tmp_path):
    folder = tmp_path / "de" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    shutil.copy(ROOT / "locale" / "de" / "LC_MESSAGES" / "djangojs.po", folder)
    assert translations.stale(tmp_path) == [folder / "djangojs.po"]
    assert translations.compile_translations(tmp_path) == [folder / "djangojs.mo"]
    assert translations.stale(tmp_path) == [] and translations.compile_translations(tmp_path) == []
    assert (folder / "djangojs.mo").read_bytes()[:4] in (b"\xde\x12\x04\x95", b"\x95\x04\x12\xde")


@pytest.mark.django_db
def test_a_worker_in_english_writes_a_german_buyers_mail_in_german_figures_included():
    from cart.services import cart_add_item, cart_get_for_user
    from orders.services import order_place

    buyer = verify_email(UserFactory(language="de"))
    cart = cart_get_for_user(user=buyer)
    cart_add_item(cart=cart, product=ProductFactory(price="10.00"), quantity=2)
    order = order_place(user=buyer, cart=cart, shipping_address=address_data())
    mail.outbox.clear()
    with translation.override("en"):  # the worker's own language
        send_order_email(str(order.pk), "confirmation")
    (message,) = mail.outbox
    assert f"{german('Subtotal')}: " in message.body and "Subtotal:" not in message.body
    assert "20,00" in message.body
