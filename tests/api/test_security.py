"""The security policy of the whole site: headers, cookies, CORS, what pages may load,
escaping of what people write, uploads, error answers, password hashing, JWT keys,
request size limits and throttles."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jwt
import pytest
from django.conf import settings
from django.contrib.auth.hashers import check_password, identify_hasher
from django.core.cache import cache
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from catalog.models import ProductImage, Review
from core.errors import api_exception_handler
from core.security import checks
from tests.api.conftest import png_bytes
from tests.conftest import bearer_client
from tests.factories import (
    DEFAULT_PASSWORD,
    MembershipFactory,
    ProductFactory,
    TagFactory,
    UserFactory,
    address_data,
    verify_email,
)

ROOT = Path(__file__).resolve().parents[2]
SECURITY_URLS = "tests.api.urls_security"

pytestmark = pytest.mark.django_db


# --- Headers and cookies --------------------------------------------------------------


def test_pages_and_api_answers_carry_the_security_headers(client, api_client):
    for response in (client.get("/"), api_client.get("/api/v1/products/")):
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert response["X-Frame-Options"] == "DENY"
        assert response["Cross-Origin-Opener-Policy"] == "same-origin"
        policy = directives(response)
        assert policy["script-src"] == ["'self'"]
        assert policy["style-src"] == ["'self'"]
        assert policy["font-src"] == ["'self'"]
        assert policy["img-src"] == ["'self'", "data:"]
        assert policy["frame-ancestors"] == ["'none'"]
        assert policy["form-action"] == ["'self'"]
        assert policy["object-src"] == ["'none'"]


def test_https_answers_carry_hsts_in_production(client):
    assert settings.DEBUG is False  # the tests run with production settings
    response = client.get("/", secure=True)
    assert response["Strict-Transport-Security"] == ("max-age=31536000; includeSubDomains; preload")


def test_cookies_are_secure_in_production(client):
    assert settings.SESSION_COOKIE_SECURE and settings.CSRF_COOKIE_SECURE
    assert settings.SESSION_COOKIE_HTTPONLY
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    csrf = response.cookies["csrftoken"]
    assert csrf["secure"] and csrf["samesite"] == "Lax"
    user = UserFactory()
    response = client.post("/accounts/login/", {"login": user.email, "password": DEFAULT_PASSWORD})
    session = response.cookies[settings.SESSION_COOKIE_NAME]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"


def test_every_post_form_carries_a_csrf_token():
    for template in sorted((ROOT / "templates").rglob("*.html")):
        text = template.read_text()
        for form in re.finditer(r"<form\b[^>]*>.*?</form>", text, flags=re.S | re.I):
            opening = form.group(0).split(">", 1)[0]
            if re.search(r"method=[\"']?post", opening, flags=re.I):
                assert "csrf_token" in form.group(0), f"{template}: {opening}>"


def test_a_form_posted_without_its_csrf_token_is_refused():
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory())
    response = client.post("/accounts/addresses/add/", address_data())
    assert response.status_code == 403
    assert b"csrf" in response.content.lower() or b"expired" in response.content.lower()
    api = Client(enforce_csrf_checks=True)
    api.force_login(UserFactory())
    answer = api.post("/api/v1/addresses/", address_data(), content_type="application/json")
    assert answer.status_code == 403 and answer.json()["code"] == "csrf_failed"


# --- CORS -----------------------------------------------------------------------------


@override_settings(CORS_ALLOWED_ORIGINS=["https://app.example.com"])
def test_cors_answers_only_the_configured_origins(api_client):
    allowed = api_client.get("/api/v1/products/", HTTP_ORIGIN="https://app.example.com")
    assert allowed["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert "Access-Control-Allow-Credentials" not in allowed
    preflight = api_client.options(
        "/api/v1/cart/add/",
        HTTP_ORIGIN="https://app.example.com",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type",
    )
    assert preflight.status_code == 200
    assert "authorization" in preflight["Access-Control-Allow-Headers"]
    other = api_client.get("/api/v1/products/", HTTP_ORIGIN="https://evil.example.net")
    assert "Access-Control-Allow-Origin" not in other
    page = Client().get("/", HTTP_ORIGIN="https://app.example.com")
    assert "Access-Control-Allow-Origin" not in page  # only the API


def test_no_origin_is_allowed_by_default(api_client):
    assert settings.CORS_ALLOWED_ORIGINS == []
    response = api_client.get("/api/v1/products/", HTTP_ORIGIN="https://app.example.com")
    assert "Access-Control-Allow-Origin" not in response


# --- Content Security Policy and what pages load --------------------------------------


def directives(response) -> dict[str, list[str]]:
    policy = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *sources = part.split()
        policy[name] = sources
    return policy


@pytest.fixture
def pay_page(client):
    """The address of the payment page of a pending order, for its signed-in owner."""
    user = verify_email(UserFactory())
    client.force_login(user)
    api = bearer_client(user)
    product = ProductFactory()
    api.post("/api/v1/cart/add/", {"product_id": product.pk, "quantity": 1}, format="json")
    order = api.post(
        "/api/v1/cart/checkout/", {"shipping_address": address_data()}, format="json"
    ).json()
    return f"/orders/{order['id']}/pay/"


STRIPE = {"STRIPE_PUBLISHABLE_KEY": "pk_test_123"}


def test_only_the_payment_page_lets_stripe_js_in(client, pay_page):
    with override_settings(**STRIPE):
        response = client.get(pay_page)
        assert response.status_code == 200
        policy = directives(response)
        assert policy["script-src"] == [
            "'self'",
            "https://js.stripe.com",
            "https://*.js.stripe.com",
        ]
        assert policy["frame-src"] == [
            "'self'",
            "https://js.stripe.com",
            "https://*.js.stripe.com",
            "https://hooks.stripe.com",
        ]
        assert policy["connect-src"] == ["'self'", "https://api.stripe.com"]
        for other in ("/", "/products/", "/cart/", "/orders/", "/api/docs/"):
            assert "stripe" not in client.get(other)["Content-Security-Policy"], other
    # Without Stripe keys the page uses no Stripe.js, and the policy stays closed.
    assert "stripe" not in client.get(pay_page)["Content-Security-Policy"]


EXTERNAL_ASSET = [
    # <script src>, and <link href> of any kind (stylesheets, fonts, icons, preloads).
    re.compile(r"<script\b[^>]*\bsrc\s*=\s*[\"']?((?:https?:)?//[^\"'\s>]+)", re.I),
    re.compile(r"<link\b[^>]*\bhref\s*=\s*[\"']?((?:https?:)?//[^\"'\s>]+)", re.I),
    # CSS: url(...) and @import.
    re.compile(r"url\(\s*[\"']?((?:https?:)?//[^\"')\s]+)", re.I),
    re.compile(r"@import\s+(?:url\()?\s*[\"']?((?:https?:)?//[^\"')\s;]+)", re.I),
    # JavaScript: modules and scripts loaded from code.
    re.compile(r"\bimport\s*(?:\(|[^;]*?\bfrom\s*)[\"']((?:https?:)?//[^\"']+)", re.I),
    re.compile(r"\.src\s*=\s*[\"']((?:https?:)?//[^\"']+)", re.I),
]
ALLOWED_EXTERNAL = {("templates/payments/pay.html", "https://js.stripe.com/v3/")}


def test_nothing_loads_scripts_styles_or_fonts_from_outside_the_site():
    found = set()
    for folder in ("templates", "static"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix not in {".html", ".txt", ".css", ".js", ".svg"}:
                continue
            text = path.read_text(errors="replace")
            for pattern in EXTERNAL_ASSET:
                for match in pattern.finditer(text):
                    found.add((str(path.relative_to(ROOT)), match.group(1)))
    assert found - ALLOWED_EXTERNAL == set()


# --- What people write is shown as text -----------------------------------------------

SCRIPT = "<script>alert('xss')</script>"
ESCAPED = "&lt;script&gt;alert(&#x27;xss&#x27;)&lt;/script&gt;"


def test_a_review_with_a_script_is_shown_as_text_on_the_product_page(client):
    product = ProductFactory(name=f"Mug {SCRIPT}")
    author = UserFactory(first_name=f"Eve{SCRIPT}", last_name="X")
    response = bearer_client(author).post(
        f"/api/v1/products/{product.pk}/reviews/",
        {"rating": 1, "title": f"Bad {SCRIPT}", "body": f"Really {SCRIPT} bad"},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["body"] == f"Really {SCRIPT} bad"  # stored as written
    page = client.get(f"/products/{product.slug}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert SCRIPT not in html
    assert f"Bad {ESCAPED}" in html and f"Really {ESCAPED} bad" in html
    assert f"Eve{ESCAPED}" in html and f"Mug {ESCAPED}" in html
    assert Review.objects.get().title == f"Bad {SCRIPT}"


def test_names_and_addresses_are_shown_as_text(client):
    user = verify_email(UserFactory(first_name=SCRIPT, last_name=SCRIPT))
    shop = MembershipFactory(shop__name=f"Shop {SCRIPT}").shop
    client.force_login(user)
    bearer_client(user).post(
        "/api/v1/addresses/",
        address_data(full_name=f"Ada {SCRIPT}", line1=f"1 {SCRIPT} Street"),
        format="json",
    )
    pages = ["/accounts/addresses/", "/accounts/profile/", "/accounts/"]
    for page in pages:
        html = client.get(page).content.decode()
        assert SCRIPT not in html, page
    assert f"Ada {ESCAPED}" in client.get("/accounts/addresses/").content.decode()
    html = client.get(f"/shops/{shop.slug}/").content.decode()
    assert SCRIPT not in html and f"Shop {ESCAPED}" in html


# --- Uploads --------------------------------------------------------------------------

SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"


@pytest.mark.parametrize("content", [SVG, HTML], ids=["svg", "html"])
def test_a_script_disguised_as_an_image_is_refused(content):
    membership = MembershipFactory()
    owner, product = membership.user, ProductFactory(shop=membership.shop)
    response = bearer_client(owner).post(
        f"/api/v1/products/{product.pk}/upload-image/",
        {"image": SimpleUploadedFile("photo.png", content, content_type="image/png")},
        format="multipart",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert not ProductImage.objects.exists()


@pytest.mark.urls(SECURITY_URLS)
def test_uploads_are_stored_and_served_as_images_never_as_pages():
    membership = MembershipFactory()
    owner, product = membership.user, ProductFactory(shop=membership.shop)
    response = bearer_client(owner).post(
        f"/api/v1/products/{product.pk}/upload-image/",
        {"image": SimpleUploadedFile("page.html", png_bytes(), content_type="text/html")},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    url = response.json()["url"]
    assert url.endswith(".png")  # named by what the file is, not what it was called
    served = Client().get(url.removeprefix("http://testserver"))
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    assert served["X-Content-Type-Options"] == "nosniff"


# --- Errors say nothing of the inside ---------------------------------------------------


@pytest.mark.urls(SECURITY_URLS)
def test_errors_show_no_secret_and_no_stack_trace():
    assert settings.DEBUG is False
    client = Client(raise_request_exception=False)
    crash = client.get("/test/crash/")
    assert crash.status_code == 500
    missing = client.get("/no-such-page/")
    api_missing = client.get("/api/v1/products/999999/")
    bad_token = client.get("/api/v1/orders/", HTTP_AUTHORIZATION="Bearer x.y.z")
    for response in (crash, missing, api_missing, bad_token):
        body = response.content.decode()
        assert settings.SECRET_KEY not in body
        assert settings.SIMPLE_JWT["SIGNING_KEY"] not in body
        assert "Traceback" not in body and "RuntimeError" not in body
        assert "urlconf" not in body.lower() and "settings.py" not in body
    assert api_missing.json() == {"code": "not_found", "detail": "Not found."}
    assert bad_token.json()["code"] == "token_invalid"


# --- Passwords ------------------------------------------------------------------------

REAL_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]


def test_passwords_are_hashed_with_argon2(api_client):
    with override_settings(PASSWORD_HASHERS=REAL_HASHERS):
        response = api_client.post(
            "/api/v1/auth/register/",
            {"email": "argon@example.com", "password": "plum-orchard-47-lantern"},
            format="json",
        )
        assert response.status_code == 201
        from accounts.models import User

        user = User.objects.get(email="argon@example.com")
        assert user.password.startswith("argon2$argon2id$")
        assert identify_hasher(user.password).algorithm == "argon2"
        assert check_password("plum-orchard-47-lantern", user.password)


def test_the_settings_hash_with_argon2_and_still_read_older_hashes():
    """tests/conftest.py swaps in a fast hasher; the settings themselves are checked here
    by loading them afresh."""
    from importlib import import_module

    module = import_module("config.settings")
    assert module.PASSWORD_HASHERS == REAL_HASHERS


def test_an_older_pbkdf2_hash_still_signs_in_and_is_upgraded(api_client):
    from django.contrib.auth.hashers import make_password

    with override_settings(PASSWORD_HASHERS=REAL_HASHERS):
        user = UserFactory()
        user.password = make_password(DEFAULT_PASSWORD, hasher="pbkdf2_sha256")
        user.save(update_fields=["password"])
        response = api_client.post(
            "/api/v1/auth/login/",
            {"email": user.email, "password": DEFAULT_PASSWORD},
            format="json",
        )
        assert response.status_code == 200
        user.refresh_from_db()
        assert user.password.startswith("argon2$")


# --- JWT signing keys -----------------------------------------------------------------


def test_tokens_are_signed_with_a_key_of_their_own():
    key = settings.SIMPLE_JWT["SIGNING_KEY"]
    assert key and key != settings.SECRET_KEY
    token = AccessToken.for_user(UserFactory())

    jwt.decode(str(token), key, algorithms=["HS256"])  # the configured key signed it
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(str(token), settings.SECRET_KEY, algorithms=["HS256"])


def jwt_key(key: str, previous: list[str] | None = None):
    return override_settings(
        SIMPLE_JWT={**settings.SIMPLE_JWT, "SIGNING_KEY": key},
        JWT_PREVIOUS_SIGNING_KEYS=previous or [],
    )


OLD_KEY = "old-jwt-key-" + "a" * 40
NEW_KEY = "new-jwt-key-" + "b" * 40


def test_the_signing_key_rotates_without_signing_everybody_out(api_client):
    user = UserFactory()
    with jwt_key(OLD_KEY):
        old_access = str(AccessToken.for_user(user))
        old_refresh = str(RefreshToken.for_user(user))

    # Rotated: the old key still verifies, only the new one signs.
    with jwt_key(NEW_KEY, previous=[OLD_KEY]):
        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {old_access}")
        assert api_client.get("/api/v1/auth/me/").status_code == 200
        api_client.credentials()
        refreshed = api_client.post("/api/v1/auth/refresh/", {"refresh": old_refresh})
        assert refreshed.status_code == 200
        new_access = refreshed.json()["access"]
        jwt.decode(new_access, NEW_KEY, algorithms=["HS256"])

    # The old key retired: its tokens are refused, the new ones work.
    with jwt_key(NEW_KEY):
        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {old_access}")
        refused = api_client.get("/api/v1/auth/me/")
        assert refused.status_code == 401 and refused.json()["code"] == "token_invalid"
        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {new_access}")
        assert api_client.get("/api/v1/auth/me/").status_code == 200


def test_a_token_signed_with_an_unknown_key_is_refused(api_client):
    user = UserFactory()
    with jwt_key("someone-else-" + "c" * 40):
        forged = str(AccessToken.for_user(user))
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {forged}")
    response = api_client.get("/api/v1/auth/me/")
    assert response.status_code == 401 and response.json()["code"] == "token_invalid"


def test_deploy_checks_ask_for_a_jwt_key_of_its_own():
    with override_settings(SIMPLE_JWT={**settings.SIMPLE_JWT, "SIGNING_KEY": settings.SECRET_KEY}):
        assert [m.id for m in checks.check_jwt_signing_key()] == ["shop_security.W001"]
    with override_settings(JWT_SIGNING_KEY_FROM_ENV=False):
        assert [m.id for m in checks.check_jwt_signing_key()] == ["shop_security.I001"]
    with override_settings(
        JWT_SIGNING_KEY_FROM_ENV=True, SIMPLE_JWT={**settings.SIMPLE_JWT, "SIGNING_KEY": "short"}
    ):
        assert [m.id for m in checks.check_jwt_signing_key()] == ["shop_security.W002"]
    with override_settings(
        JWT_SIGNING_KEY_FROM_ENV=True, SIMPLE_JWT={**settings.SIMPLE_JWT, "SIGNING_KEY": NEW_KEY}
    ):
        assert checks.check_jwt_signing_key() == []


# --- Abuse limits ---------------------------------------------------------------------


def test_a_json_body_over_the_limit_is_413_in_the_error_shape(api_client):
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 1024 * 1024
    big = json.dumps({"email": "a@example.com", "password": "x" * (1024 * 1024)})
    response = api_client.post("/api/v1/auth/login/", big, content_type="application/json")
    assert response.status_code == 413
    assert response.json() == {
        "code": "request_too_large",
        "detail": "The request body is too large.",
    }


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=2000, MAX_UPLOAD_REQUEST_SIZE=5000)
def test_body_limits_apply_to_forms_and_uploads(client):
    response = client.post("/accounts/login/", {"login": "a@example.com", "password": "x" * 3000})
    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/html")  # a page, for a page
    membership = MembershipFactory()
    owner, product = membership.user, ProductFactory(shop=membership.shop)
    uploader = bearer_client(owner)
    small = uploader.post(
        f"/api/v1/products/{product.pk}/upload-image/",
        {"image": SimpleUploadedFile("a.png", png_bytes(), content_type="image/png")},
        format="multipart",
    )
    assert small.status_code == 201  # a multipart body may be larger than a JSON one
    large = uploader.post(
        f"/api/v1/products/{product.pk}/upload-image/",
        {"image": SimpleUploadedFile("a.png", b"\0" * 6000, content_type="image/png")},
        format="multipart",
    )
    assert large.status_code == 413 and large.json()["code"] == "request_too_large"


def test_a_body_django_finds_too_large_is_413():
    response = api_exception_handler(RequestDataTooBig("too big"), {})
    assert response.status_code == 413
    assert response.data["code"] == "request_too_large"


@pytest.mark.parametrize("value", ["99999999999999999999", "1e30", "1.5", "-1"])
def test_an_id_filter_out_of_range_is_a_validation_error(value, staff_client):
    """Found by the schema fuzzing: on SQLite such a number crashed the query (500)."""
    for name in ("user", "shop"):
        response = staff_client.get("/api/v1/orders/", {name: value})
        assert response.status_code == 400, (name, value)
        assert response.json()["code"] == "validation_error"
        assert name in response.json()["fields"]


def test_page_size_is_capped_at_100(api_client):
    TagFactory.create_batch(105)
    response = api_client.get("/api/v1/tags/", {"page_size": 1000})
    body = response.json()
    assert body["count"] == 105 and len(body["results"]) == 100


@pytest.mark.parametrize("who", ["anonymous", "user"])
def test_api_traffic_is_throttled_at_configurable_rates(who, throttle_rates, api_client):
    throttle_rates(anon="2/min", user="2/min")
    client = api_client if who == "anonymous" else bearer_client(UserFactory())
    assert [client.get("/api/v1/tags/").status_code for _ in range(2)] == [200, 200]
    response = client.get("/api/v1/tags/")
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert int(response["Retry-After"]) > 0


def test_each_kind_of_traffic_counts_against_its_own_rate(throttle_rates, api_client):
    """Anonymous requests spend only the `anon` rate and signed-in ones only `user`."""
    throttle_rates(anon="2/min", user="4/min")
    client = bearer_client(UserFactory())
    assert [client.get("/api/v1/tags/").status_code for _ in range(4)] == [200] * 4
    assert client.get("/api/v1/tags/").status_code == 429

    throttle_rates(anon="4/min", user="2/min")
    assert [api_client.get("/api/v1/tags/").status_code for _ in range(4)] == [200] * 4
    assert api_client.get("/api/v1/tags/").status_code == 429


def test_writing_reviews_is_throttled(throttle_rates):
    throttle_rates(review="2/min")
    client = bearer_client(UserFactory())
    products = ProductFactory.create_batch(3)
    statuses = [
        client.post(f"/api/v1/products/{p.pk}/reviews/", {"rating": 5}, format="json").status_code
        for p in products
    ]
    assert statuses == [201, 201, 429]
    assert client.get(f"/api/v1/products/{products[0].pk}/reviews/").status_code == 200
    review = Review.objects.first()
    edit = client.patch(f"/api/v1/reviews/{review.pk}/", {"rating": 4}, format="json")
    assert edit.status_code == 429  # editing counts as writing


def test_checking_out_is_throttled(throttle_rates):
    throttle_rates(checkout="1/min")
    user = verify_email(UserFactory())
    client = bearer_client(user)
    product = ProductFactory(stock_quantity=10)

    def checkout(path):
        client.post("/api/v1/cart/add/", {"product_id": product.pk}, format="json")
        return client.post(path, {"shipping_address": address_data()}, format="json")

    assert checkout("/api/v1/cart/checkout/").status_code == 201
    throttled = checkout("/api/v1/orders/")  # the same limit, by either address
    assert throttled.status_code == 429 and throttled.json()["code"] == "throttled"
    assert client.get("/api/v1/orders/").status_code == 200  # reading is not limited
    cache.clear()
    assert checkout("/api/v1/orders/").status_code == 201


def test_a_throttle_window_opens_at_the_first_request_and_retry_after_is_what_is_left(
    throttle_rates, api_client
):
    """A fixed window per caller, counted in Redis with a lifetime: the refused request
    is told to come back when the window closes, never later than the rate's period."""
    throttle_rates(anon="1/hour")
    assert api_client.get("/api/v1/tags/").status_code == 200
    refused = api_client.get("/api/v1/tags/")
    assert refused.status_code == 429 and refused.json()["code"] == "throttled"
    assert 3590 <= int(refused["Retry-After"]) <= 3600
    windows = list(cache._cache.get_client().scan_iter("*throttle_anon_*:window"))
    assert len(windows) == 1
    assert 0 < cache._cache.get_client().ttl(windows[0]) <= 3600


def test_a_closed_throttle_window_lets_the_caller_in_again(throttle_rates, api_client):
    throttle_rates(anon="2/min")
    assert [api_client.get("/api/v1/tags/").status_code for _ in range(3)] == [200, 200, 429]
    client = cache._cache.get_client()
    for key in client.scan_iter("*throttle_anon_*:window"):
        client.delete(key)  # what Redis does when the window's minute is over
    assert [api_client.get("/api/v1/tags/").status_code for _ in range(3)] == [200, 200, 429]


def test_throttle_windows_on_other_cache_backends(monkeypatch):
    """Without Redis (a local-memory cache) the window is a counter added, then
    incremented, beside the time it closes."""
    from django.core.cache.backends import base, locmem

    from core.security import throttles

    now = [1000.0]
    clock = type("Clock", (), {"time": staticmethod(lambda: now[0])})
    monkeypatch.setattr(base, "time", clock)
    monkeypatch.setattr(locmem, "time", clock)
    monkeypatch.setattr(throttles, "time", clock)
    memory = locmem.LocMemCache("throttle-test", {})
    assert throttles.window_hit(memory, "k", 60) == (1, 60)
    now[0] += 20.5
    assert throttles.window_hit(memory, "k", 60) == (2, 40)
    now[0] += 40  # the window closed: a new one opens
    assert throttles.window_hit(memory, "k", 60) == (1, 60)
    # A read ahead answers what get_many answers.
    memory.set("answer", b"{}")
    assert throttles.window_hit_reading(memory, "k", 60, ["answer", "missing"]) == (
        2,
        60,
        {"answer": b"{}"},
    )


def test_throttle_rates_come_from_the_environment():
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    assert rates["anon"] == "100/min" and rates["user"] == "1000/min"
    assert rates["review"] == "20/hour" and rates["checkout"] == "30/hour"
    probe = (
        "import json; from django.conf import settings; "
        "print(json.dumps(settings.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES']))"
    )
    import os
    import subprocess
    import sys

    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_ENV_FILE": "",
        "DJANGO_DEBUG": "true",
        "API_THROTTLE_REVIEW": "3/min",
        "API_THROTTLE_CHECKOUT": "4/hour",
        "API_THROTTLE_ANON": "5/min",
    }
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {probe}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert (loaded["review"], loaded["checkout"], loaded["anon"]) == ("3/min", "4/hour", "5/min")
