"""The benchmark's options and the settings it serves the shop with (bench/run.py)."""

import shutil
from pathlib import Path

import pytest

from bench.run import RAISED_THROTTLE, Scale, arguments, django_environment


def test_the_scale_follows_the_issue_at_100000_products():
    scale = Scale(products=100_000)
    assert (scale.products, scale.shops, scale.categories) == (100_000, 20, 200)
    assert (scale.reviews, scale.orders) == (50_000, 20_000)
    assert scale.customers == 1000
    small = Scale(products=500)
    assert (small.reviews, small.orders, small.customers) == (250, 100, 20)


def test_defaults_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("BENCH_DURATION", "3")
    monkeypatch.setenv("BENCH_CONNECTIONS", "8")
    monkeypatch.setenv("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/elsewhere")
    monkeypatch.delenv("BENCH_WARMUP", raising=False)
    options = arguments([])
    assert (options.duration, options.warmup, options.connections) == (3.0, 2.0, 8)
    assert options.database_url.endswith("/elsewhere")
    assert options.products == 100_000 and not options.reseed
    assert arguments(["--duration", "20", "--reseed"]).duration == 20.0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--database-url", "sqlite:///x.db"], "needs PostgreSQL"),
        (["--products", "10"], "at least 100"),
        (["--duration", "0"], "--duration"),
        (["--connections", "0"], "--connections"),
        (["--healthz-probe", "-1"], "--healthz-probe"),
    ],
)
def test_bad_options_stop_with_a_message(argv, message, capsys):
    with pytest.raises(SystemExit) as stopped:
        arguments(argv)
    assert stopped.value.code == 2
    assert message in capsys.readouterr().err


def test_a_bad_number_in_the_environment_is_named(monkeypatch):
    monkeypatch.setenv("BENCH_DURATION", "fifteen")
    with pytest.raises(SystemExit, match="BENCH_DURATION must be a number"):
        arguments([])


def test_the_shop_runs_with_production_settings_and_raised_throttles():
    options = arguments(["--redis-url", "redis://127.0.0.1:6379/7"])
    env = django_environment(options, "/srv/bench-static")
    assert env["DJANGO_DEBUG"] == "false"
    assert env["DJANGO_SETTINGS_MODULE"] == "bench.settings"
    assert env["BENCH_STATIC_ROOT"] == "/srv/bench-static"
    assert env["DJANGO_ALLOWED_HOSTS"] == "127.0.0.1,localhost"
    assert env["DJANGO_SECURE_SSL_REDIRECT"] == env["DJANGO_SECURE_COOKIES"] == "false"
    assert env["REDIS_URL"] == env["CELERY_BROKER_URL"] == "redis://127.0.0.1:6379/7"
    assert env["DATABASE_URL"] == options.database_url
    assert env["DJANGO_ENV_FILE"] == ""
    for scope in ("ANON", "USER", "CHECKOUT"):
        assert env[f"API_THROTTLE_{scope}"] == RAISED_THROTTLE
    assert len(env["DJANGO_SECRET_KEY"]) >= 50
    assert (
        django_environment(options, "/srv/bench-static")["DJANGO_SECRET_KEY"]
        != (env["DJANGO_SECRET_KEY"])
    )


def test_the_raised_throttle_is_a_rate_drf_reads():
    from rest_framework.throttling import SimpleRateThrottle

    requests, seconds = SimpleRateThrottle.parse_rate(None, RAISED_THROTTLE)
    assert seconds == 1 and requests >= 1_000_000


@pytest.mark.django_db
def test_a_profile_shows_where_an_endpoints_time_goes():
    from bench.run import Endpoint, endpoint_profile

    text = endpoint_profile(Endpoint("healthz", "/healthz/ (ceiling)", "/healthz/"), requests=5)
    assert text.startswith("/healthz/ (ceiling): 5 requests of /healthz/")
    assert "function calls" in text and "cumulative" in text
    assert "(healthz)" in text  # config/health.py's view is among the functions listed


@pytest.mark.django_db
def test_a_checkout_profile_shows_each_steps_time_and_counts_its_queries():
    from decimal import Decimal

    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.models import Address
    from bench.checkout import STEPS, Buyer, Journey
    from bench.run import checkout_profile, checkout_queries
    from catalog.models import Product
    from orders.models import Order, OrderStatus
    from promotions.services import promotion_create
    from shipping.services import shipping_default_zone_create
    from shops.models import Shop
    from tests.factories import UserFactory, address_data, verify_email

    user = verify_email(UserFactory())
    address = Address.objects.create(user=user, **address_data())
    shop = Shop.objects.create(name="Oak", slug="oak")
    shipping_default_zone_create(shop=shop)
    product = Product.objects.create(shop=shop, name="Thing", slug="thing", price=Decimal(10))
    variant = product.variants.create(shop=shop, sku="T-1", price=Decimal(10), stock_quantity=99)
    promotion_create(shop=None, by=None, data={"name": "Ten", "kind": "code",
                     "reward": "percentage", "value": 10, "code": "TEN"})  # fmt: skip
    buyer = Buyer(token=str(AccessToken.for_user(user)), address_id=address.pk)
    journey = Journey(products=[variant.pk], voucher="TEN")

    counts = checkout_queries(buyer, journey)
    assert list(counts) == list(STEPS) and all(count > 0 for count in counts.values())
    text = checkout_profile(buyer, journey, checkouts=2)
    assert text.startswith("checkout: 2 whole checkouts, each step profiled apart")
    for step in STEPS:
        assert f"--- {step}: " in text
    assert "(order_place)" in text and "(payment_confirm)" in text
    folder = text.split("snakeviz: ")[1].split("/<step>.prof")[0]
    assert sorted(path.name for path in Path(folder).iterdir()) == sorted(
        f"{step}.prof" for step in STEPS
    )
    shutil.rmtree(folder)
    # 1 + 1 warm-up + 2 profiled checkouts, each paid, the code entered on every one.
    assert Order.objects.filter(status=OrderStatus.PAID, discount_total__gt=0).count() == 4
