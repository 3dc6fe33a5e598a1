"""`make bench`: the shop at scale under load (issue 10).

1. A PostgreSQL database with the benchmark's catalog (100,000 products in 20 shops and
   200 categories, 50,000 reviews, 20,000 orders), seeded in bulk by `seed_demo` and
   `seed_orders`, or reused when it already holds that many (`--reseed` starts afresh).
2. gunicorn with the production settings (DEBUG off, Redis cache, a random secret key,
   static files collected into a temporary directory, throttles raised so that the load
   generator is not throttled) on a free port.
3. wrk for a fixed time per endpoint at 32 connections after a short warm-up, and a
   checkout load of many buyers at once driven by threads (bench/checkout.py), followed
   by a check that no product was oversold.
4. The SQL queries of one request per endpoint, counted in this process against the same
   database with Django's test client (one warm request, then the counted one).
5. One table (requests/s, latency percentiles, errors, queries, ratio to /healthz/), the
   largest worker's memory and the issue's targets, written to bench/results/.

Options and environment: `python -m bench.run --help`.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python bench/run.py` as well as `python -m bench.run`
    sys.path.insert(0, str(ROOT))

from bench import report  # noqa: E402
from bench.checkout import (  # noqa: E402
    STEPS,
    Buyer,
    Journey,
    ProcessCpu,
    RateStep,
    capacity_at_slo,
    checkout_load,
    checkout_open_loop,
    postmaster_pid,
    stock_problems,
)
from bench.server import Gunicorn, cpu_count  # noqa: E402
from bench.wrk import wrk_command, wrk_find, wrk_run  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/shop_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/7"
PAGE_SIZE = 24
BUYERS = 200
BUYER_DOMAIN = "bench.shop.example"  # reserved for examples: never a real mailbox
BUYER_COUNTRY = "PT"
POOL_PRODUCTS = 40  # the products bought under load
SCARCE_PRODUCTS = 8  # of which these have a few units only, to race for
SCARCE_STOCK = 4
PLENTY_STOCK = 100_000
COMMON_WORD = "headphones"
TYPO_WORD = "headphnes"
RAISED_THROTTLE = "10000000/s"
PROFILE_REQUESTS = 50
PROFILE_CHECKOUTS = 30
VOUCHER_CODE = "BENCH10"  # 10% off, entered by a tenth of the checkouts
VOUCHER_SHARE = 0.1
SLO_P95_MS = 300.0  # a whole checkout's p95 at the capacity's rate
DEFAULT_RATES = "10,12,14,16,18,20,25,30,40,50,60,70,80,100,120"
PROFILE_LINES = 40


@dataclass(frozen=True)
class Scale:
    products: int
    shops: int = 20
    categories: int = 200

    @property
    def reviews(self) -> int:
        return self.products // 2

    @property
    def orders(self) -> int:
        return self.products // 5

    @property
    def customers(self) -> int:
        return max(20, min(1000, self.products // 100))


@dataclass
class Endpoint:
    name: str
    label: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)

    def environ(self) -> dict[str, str]:
        """The headers as the test client takes them (HTTP_AUTHORIZATION=...)."""
        return {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in self.headers.items()}


def env_number(name: str, default: float) -> float:
    value = os.environ.get(name, "")
    try:
        return float(value) if value else default
    except ValueError:
        sys.exit(f"{name} must be a number, not {value!r}.")


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    cores = cpu_count()
    parser = argparse.ArgumentParser(
        prog="make bench",
        description=(
            "Seed (or reuse) the benchmark database, serve the shop with gunicorn and "
            "production settings, load each endpoint with wrk, and print the table."
        ),
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", ""),
        help=(
            f"PostgreSQL database to seed and use (BENCH_DATABASE_URL; {DEFAULT_DATABASE_URL} "
            "for 100,000 products, shop_bench_<N> for another size, so that each size's "
            "seed is kept)."
        ),
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL),
        help=(
            f"Redis for cache and broker (BENCH_REDIS_URL; {DEFAULT_REDIS_URL}); "
            "this Redis database is emptied at the start."
        ),
    )
    parser.add_argument(
        "--products",
        type=int,
        default=int(env_number("BENCH_PRODUCTS", 100_000)),
        help="Catalog size (BENCH_PRODUCTS; 100000); reviews are half, orders a fifth.",
    )
    parser.add_argument("--reseed", action="store_true", help="Drop and seed the database again.")
    parser.add_argument(
        "--duration",
        type=float,
        default=env_number("BENCH_DURATION", 15),
        help="Seconds of load per endpoint (BENCH_DURATION; 15).",
    )
    parser.add_argument(
        "--warmup",
        type=float,
        default=env_number("BENCH_WARMUP", 2),
        help="Seconds of unmeasured load before each (BENCH_WARMUP; 2).",
    )
    parser.add_argument(
        "--healthz-probe",
        type=int,
        default=int(env_number("BENCH_HEALTHZ_PROBE", 3)),
        help="Seconds of /healthz/ measured again after each endpoint (BENCH_HEALTHZ_PROBE; "
        "3; 0: none): an endpoint's share is of the /healthz/ measured just before and just "
        "after it, so that a machine whose speed drifts during the run does not move the "
        "shares of the endpoints measured late.",
    )
    parser.add_argument(
        "--connections",
        type=int,
        default=int(env_number("BENCH_CONNECTIONS", 32)),
        help="Concurrent connections (BENCH_CONNECTIONS; 32).",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=int(env_number("BENCH_WORKERS", 2 * cores)),
        help=(
            f"gunicorn sync workers (BENCH_WORKERS; 2 per core, here {2 * cores}): a "
            "worker waiting on PostgreSQL or Redis leaves its core to another."
        ),
    )
    parser.add_argument(
        "--only",
        default=os.environ.get("BENCH_ONLY", ""),
        help="Comma-separated endpoint names to run (BENCH_ONLY; all). healthz always runs.",
    )
    parser.add_argument(
        "--profile",
        default=os.environ.get("BENCH_PROFILE", ""),
        metavar="NAMES",
        help=(
            "Comma-separated endpoint names to profile (BENCH_PROFILE): cProfile over "
            f"{PROFILE_REQUESTS} warm requests in this process, the top functions printed "
            "and saved with the results."
        ),
    )
    parser.add_argument(
        "--rates",
        default=os.environ.get("BENCH_CHECKOUT_RATES", DEFAULT_RATES),
        help=(
            "Open-loop checkout: arrival rates to step through, checkouts a second "
            f"(BENCH_CHECKOUT_RATES; {DEFAULT_RATES}); stops at the first rate whose "
            f"p95 reaches {SLO_P95_MS:.0f} ms or with an error or oversold stock."
        ),
    )
    parser.add_argument(
        "--explain",
        action="store_true",
        default=os.environ.get("BENCH_EXPLAIN", "") not in ("", "0", "false"),
        help=(
            "EXPLAIN ANALYZE every query of one cold request of each endpoint run, kept "
            "with the results (BENCH_EXPLAIN; bench/scale.py reads them)."
        ),
    )
    parser.add_argument(
        "--no-save",
        action="store_true",
        help="Print the table but write nothing to bench/results/ (trial runs).",
    )
    options = parser.parse_args(argv)
    if options.products < 100:
        parser.error("--products must be at least 100.")
    if options.duration < 1 or options.warmup < 0 or options.healthz_probe < 0:
        parser.error(
            "--duration must be at least 1 second, --warmup and --healthz-probe 0 or more."
        )
    if options.connections < 1 or options.workers < 1:
        parser.error("--connections and --workers must be at least 1.")
    try:
        options.rates = [float(rate) for rate in options.rates.split(",") if rate.strip()]
    except ValueError:
        parser.error("--rates: comma-separated numbers of checkouts a second, e.g. 10,20,40.")
    if not options.rates or min(options.rates) <= 0:
        parser.error("--rates: at least one rate above 0.")
    if not options.database_url:
        options.database_url = database_url_for(options.products)
    if urlsplit(options.database_url).scheme not in ("postgres", "postgresql"):
        parser.error("The benchmark needs PostgreSQL: --database-url postgres://...")
    return options


def database_url_for(products: int) -> str:
    """The default database of a catalog size: shop_bench at 100,000, shop_bench_<N>
    otherwise."""
    if products == 100_000:
        return DEFAULT_DATABASE_URL
    return DEFAULT_DATABASE_URL.rsplit("/", 1)[0] + f"/shop_bench_{products}"


def django_environment(options: argparse.Namespace, static_root: str) -> dict[str, str]:
    """The production settings as gunicorn gets them (and this process, for queries)."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "BENCH_STATIC_ROOT": static_root,
        "DJANGO_ENV_FILE": "",  # a developer's .env must not change what is measured
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_SECURE_COOKIES": "false",
        "DATABASE_URL": options.database_url,
        "REDIS_URL": options.redis_url,
        "CELERY_BROKER_URL": options.redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",  # mail is queued, as in production
        "CACHE_KEY_PREFIX": "bench",
        "PAYMENT_PROVIDER": "dummy",
        "PAYMENTS_ALLOW_DUMMY": "true",  # the benchmark's buyers pay with the dummy card
        "STRIPE_SECRET_KEY": "",
        "SENTRY_DSN": "",
        "LOG_LEVEL": "WARNING",
        **{
            f"API_THROTTLE_{scope}": RAISED_THROTTLE
            for scope in ("ANON", "USER", "CHECKOUT", "REVIEW")
        },
    }


def manage(*args: str, env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


# --- The database -------------------------------------------------------------------


def database_ensure(url: str, *, reseed: bool) -> None:
    """Create the database (dropped first with --reseed)."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if exists and reseed:
            print(f"Dropping the database {name} (--reseed)", flush=True)
            connection.execute(
                sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name))
            )
            exists = None
        if not exists:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def seeded_counts() -> dict[str, int]:
    from catalog.models import Category, Product, ProductVariant, Review
    from orders.models import Order
    from shops.models import Shop

    return {
        "products": Product.objects.filter(variants__sku__startswith="DEMO-").distinct().count(),
        "variants": ProductVariant.objects.filter(sku__startswith="DEMO-").count(),
        "shops": Shop.objects.count(),
        "categories": Category.objects.count(),
        "reviews": Review.objects.count(),
        "orders": Order.objects.filter(number__startswith="DEMO-").count(),
    }


def seed_if_needed(scale: Scale, env: dict[str, str]) -> dict:
    """Seed unless the database already holds the scale; answers what happened."""
    wanted = {
        "products": scale.products,
        "shops": scale.shops,
        "categories": scale.categories,
        "reviews": scale.reviews,
        "orders": scale.orders,
    }
    found = seeded_counts()
    if all(found[key] >= value for key, value in wanted.items()) and (
        found["products"] == scale.products
    ):
        print(f"Reusing the seeded database: {found}", flush=True)
        return {"reused": True, "counts": found, "seconds": 0.0}
    if found["products"] > scale.products:
        sys.exit(
            f"The database holds {found['products']:,} demo products, more than "
            f"{scale.products:,}: run with --reseed."
        )
    print(f"Seeding {wanted} (bulk inserts; minutes)...", flush=True)
    started = time.monotonic()
    manage(
        "seed_demo",
        f"--products={scale.products}",
        f"--shops={scale.shops}",
        f"--categories={scale.categories}",
        f"--customers={scale.customers}",
        f"--reviews={scale.reviews}",
        "--no-staff",
        "--no-progress",
        f"--owner-password={secrets.token_urlsafe(12)}",
        env=env,
    )
    manage("seed_orders", f"--orders={scale.orders}", env=env)
    seconds = time.monotonic() - started
    counts = seeded_counts()
    print(f"Seeded in {seconds:.0f} s: {counts}", flush=True)
    return {"reused": False, "counts": counts, "seconds": round(seconds, 1)}


def database_analyze(connection) -> None:
    """Fresh planner statistics before measuring: bulk seeding (and earlier runs'
    checkouts) changed the tables wholesale, and a server with autovacuum off (as on these
    machines) would otherwise plan for empty tables and never use the indexes."""
    print("Analyzing the tables...", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


# --- What the load needs: product, category, users, tokens -----------------------------


@dataclass
class Fixtures:
    endpoints: list[Endpoint]
    checkout_buyers: list[Buyer]
    query_buyer: Buyer
    pool: list[int]
    scarce: list[int]
    journey: Journey


def access_token(user) -> str:
    from rest_framework_simplejwt.tokens import AccessToken

    return str(AccessToken.for_user(user))


def buyers_ensure(count: int) -> list:
    """Verified buyers with a default address and an empty cart."""
    from django.contrib.auth.hashers import make_password

    from accounts.models import Address
    from accounts.services import address_create, users_ensure_verified
    from cart.services import cart_clear, cart_get_for_user

    people = [
        (f"buyer{number}@{BUYER_DOMAIN}", "Bench", f"Buyer {number}")
        for number in range(1, count + 1)
    ]
    users, _created = users_ensure_verified(
        people=people, password_hash=make_password(secrets.token_urlsafe(16))
    )
    with_address = set(Address.objects.filter(user__in=users).values_list("user_id", flat=True))
    for user in users:
        if user.pk not in with_address:
            address_create(
                user=user,
                data={
                    "full_name": f"{user.first_name} {user.last_name}",
                    "line1": f"{user.pk} Load Street",
                    "city": "Lisbon",
                    "postal_code": "1100-148",
                    "country": BUYER_COUNTRY,
                    "is_default": True,
                },
            )
        cart_clear(cart=cart_get_for_user(user=user))
    return users


def fixtures_prepare(scale: Scale) -> Fixtures:
    from django.db.models import Count

    from accounts.models import Address
    from catalog.models import Category, Product, ProductVariant
    from catalog.services import products_summary_refresh
    from orders.models import Order

    products = Product.objects.filter(
        variants__sku__startswith="DEMO-", is_active=True, deleted_at=None, shop__is_active=True
    ).distinct()
    middle = f"DEMO-{scale.products // 2:06d}"
    detail = (
        products.filter(variants__sku__gte=middle, rating_count__gt=0, stock_quantity__gt=0)
        .select_related("shop")
        .order_by("pk")
        .first()
    )
    if detail is None:
        sys.exit("No reviewed product in stock to read: run with --reseed.")
    root = Category.objects.filter(parent=None).order_by("position", "id").first()
    deep_page = max(1, products.count() // PAGE_SIZE // 2)
    # The demo customer with the most orders (not a buyer of the checkout load, whose
    # orders pile up run after run and whose password each run sets anew).
    customer = (
        Order.objects.filter(user__isnull=False)
        .exclude(user__email__endswith=f"@{BUYER_DOMAIN}")
        .values("user")
        .annotate(orders=Count("id"))
        .order_by("-orders")
        .first()
    )
    if customer is None:
        sys.exit("No orders in the database: run with --reseed.")
    from accounts.models import User

    orders_user = User.objects.get(pk=customer["user"])

    def api(path: str, **query) -> str:
        return f"/api/v1/{path}" + (f"?{urlencode(query)}" if query else "")

    endpoints = [
        Endpoint("healthz", "/healthz/ (ceiling)", "/healthz/"),
        Endpoint("api_list", "API product list, page 1", api("products/", page_size=PAGE_SIZE)),
        Endpoint(
            "api_list_deep",
            f"API product list, page {deep_page:,}",
            api("products/", page=deep_page, page_size=PAGE_SIZE),
        ),
        # The front door: the home page, a category's page and a shop's page (anonymous).
        Endpoint("home_page", "Home page (anonymous)", "/"),
        Endpoint("category_page", "Category page (anonymous)", f"/categories/{root.slug}/"),
        Endpoint("shop_page", "Shop page (anonymous)", f"/shops/{detail.shop.slug}/"),
        Endpoint("page_list", "Product list page, page 1", "/products/"),
        Endpoint(
            "page_list_deep",
            f"Product list page, page {deep_page:,}",
            f"/products/?page={deep_page}",
        ),
        Endpoint(
            "api_filtered",
            "API filtered list (category, price, stock)",
            api(
                "products/",
                category=root.slug,
                min_price=20,
                max_price=200,
                in_stock="true",
                ordering="price",
                page_size=PAGE_SIZE,
            ),
        ),
        Endpoint(
            "facets",
            "API facets (category, price, stock)",
            api(
                "products/facets/",
                category=root.slug,
                min_price=20,
                max_price=200,
                in_stock="true",
            ),
        ),
        Endpoint(
            "search",
            f"API search '{COMMON_WORD}'",
            api("products/search/", q=COMMON_WORD, page_size=PAGE_SIZE),
        ),
        Endpoint(
            "search_typo",
            f"API search '{TYPO_WORD}' (typo)",
            api("products/search/", q=TYPO_WORD, page_size=PAGE_SIZE),
        ),
        Endpoint("detail_api", "API product detail", api(f"products/{detail.pk}/")),
        Endpoint("detail_page", "Product page (anonymous)", f"/products/{detail.slug}/"),
        Endpoint("categories", "API category tree", api("products/categories/")),
        Endpoint(
            "orders",
            "API my orders (JWT)",
            api("orders/"),
            {"Authorization": f"Bearer {access_token(orders_user)}"},
        ),
    ]

    users = buyers_ensure(BUYERS + 2)
    addresses = dict(
        Address.objects.filter(user__in=users, is_default=True).values_list("user_id", "id")
    )
    buyers = [Buyer(token=access_token(user), address_id=addresses[user.pk]) for user in users]

    # The variants bought under load: a few scarce ones to race for, the rest plentiful.
    pool = list(
        ProductVariant.objects.filter(
            sku__startswith="DEMO-",
            deleted_at=None,
            is_active=True,
            product__is_active=True,
            product__deleted_at=None,
            product__shop__is_active=True,
        )
        .exclude(product=detail)
        .filter(stock_quantity__gt=0)
        .order_by("sku")
        .values_list("pk", flat=True)[:POOL_PRODUCTS]
    )
    scarce = pool[:SCARCE_PRODUCTS]
    ProductVariant.objects.filter(pk__in=scarce).update(stock_quantity=SCARCE_STOCK)
    ProductVariant.objects.filter(pk__in=pool[SCARCE_PRODUCTS:]).update(stock_quantity=PLENTY_STOCK)
    products_summary_refresh(
        product_ids=ProductVariant.objects.filter(pk__in=pool).values_list("product_id", flat=True)
    )

    # Signed-in reads: a cart of three lines (not bought under load), the order list, an
    # order's detail and the product list, each with a bearer token.
    from cart.services import cart_add_item, cart_get_for_user

    shopper = users[1]
    shopper_cart = cart_get_for_user(user=shopper)
    for variant in ProductVariant.objects.filter(pk__in=pool[-3:]):
        cart_add_item(cart=shopper_cart, variant=variant, quantity=1)
    orders_token = {"Authorization": f"Bearer {access_token(orders_user)}"}
    latest_order = Order.objects.filter(user=orders_user).order_by("-created_at").first()
    endpoints += [
        Endpoint(
            "cart",
            "API my cart, 3 lines (JWT)",
            api("cart/"),
            {"Authorization": f"Bearer {buyers[1].token}"},
        ),
        Endpoint("order_detail", "API my order's detail (JWT)", api(f"orders/{latest_order.pk}/"),
                 orders_token),
        Endpoint("api_list_signed_in", "API product list, page 1 (JWT)",
                 api("products/", page_size=PAGE_SIZE), orders_token),
    ]  # fmt: skip
    return Fixtures(
        endpoints=endpoints,
        checkout_buyers=buyers[2:],
        query_buyer=buyers[0],
        pool=pool[SCARCE_PRODUCTS:],
        scarce=scarce,
        journey=Journey(
            products=pool[SCARCE_PRODUCTS:],
            scarce=scarce,
            shipping=shipping_choices(pool, country=BUYER_COUNTRY),
            voucher=voucher_ensure(),
            voucher_share=VOUCHER_SHARE,
        ),
    )


def shipping_choices(variant_ids: list[int], *, country: str) -> dict[int, tuple[int, int]]:
    """For each variant, its shop's dearest method for one unit to `country` (not the
    cheapest that checkout would pick by itself: the buyer chooses)."""
    from decimal import Decimal

    from catalog.models import ProductVariant
    from shipping.selectors import Parcel, shipping_options

    variants = list(
        ProductVariant.objects.filter(pk__in=variant_ids).values_list("pk", "shop_id", "price")
    )
    parcels = [
        Parcel(shop_id=shop, subtotal=price, weight_kg=Decimal("1")) for _, shop, price in variants
    ]
    options = shipping_options(parcels=parcels, country=country)
    chosen = {}
    for pk, shop, _price in variants:
        if options.get(shop):
            chosen[pk] = (shop, options[shop][-1].method_id)
    return chosen


def voucher_ensure() -> str:
    """The platform's code of 10% off for the benchmark's buyers, without a limit."""
    from promotions.models import Voucher
    from promotions.services import promotion_create

    if not Voucher.objects.filter(code=VOUCHER_CODE).exists():
        promotion_create(
            shop=None,
            data={
                "name": "Benchmark 10% off",
                "kind": "code",
                "reward": "percentage",
                "value": 10,
                "code": VOUCHER_CODE,
            },
            by=None,
        )
    return VOUCHER_CODE


# --- Queries per request (in this process, same database) ----------------------------


def queries_count(endpoints: list[Endpoint]) -> dict[str, tuple[int, int]]:
    """The queries of a first request (the cache just emptied) and of a second one (the
    steady state the load sees); a non-200 answer stops the run."""
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    counts = {}
    for endpoint in endpoints:
        extra = endpoint.environ()
        found = []
        cache.clear()  # cold: nothing cached, not even what another endpoint shares
        for _attempt in ("cold", "warm"):
            with CaptureQueriesContext(connection) as captured:
                response = client.get(endpoint.path, **extra)
            if response.status_code != 200:
                sys.exit(f"{endpoint.path} answered {response.status_code}; the benchmark stops.")
            found.append(len(captured))
        counts[endpoint.name] = (found[0], found[1])
    return counts


EXPLAIN_KEEP = 3  # the slowest queries of each endpoint kept with their plans


def queries_explain(endpoints: list[Endpoint]) -> dict[str, list[dict]]:
    """Each endpoint's queries on a cold request (the cache emptied), run again under
    EXPLAIN (ANALYZE, BUFFERS): the slowest few with their time and plan, slowest first.
    Reads only (a GET's SELECTs)."""
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    found: dict[str, list[dict]] = {}
    for endpoint in endpoints:
        extra = endpoint.environ()
        cache.clear()
        with CaptureQueriesContext(connection) as captured:
            client.get(endpoint.path, **extra)
        plans = []
        for query in captured.captured_queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
                lines = [row[0] for row in cursor.fetchall()]
            total = next(
                (float(line.split(":")[1].split()[0]) for line in lines
                 if line.startswith("Execution Time")),
                0.0,
            )  # fmt: skip
            plans.append({"ms": total, "sql": sql, "plan": "\n".join(lines)})
        plans.sort(key=lambda plan: plan["ms"], reverse=True)
        found[endpoint.name] = plans[:EXPLAIN_KEEP]
    return found


def endpoint_profile(endpoint: Endpoint, requests: int = PROFILE_REQUESTS) -> str:
    """Where the time of `requests` warm requests goes (cProfile through the test client:
    Django and the app without gunicorn), the top functions by cumulative time."""
    import cProfile
    import io
    import pstats

    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    extra = endpoint.environ()
    client.get(endpoint.path, **extra)
    profiler = cProfile.Profile()
    profiler.enable()
    for _request in range(requests):
        client.get(endpoint.path, **extra)
    profiler.disable()
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text)
    stats.strip_dirs().sort_stats("cumulative").print_stats(PROFILE_LINES)
    return f"{endpoint.label}: {requests} requests of {endpoint.path}\n{text.getvalue()}"


def _checkout_client(buyer: Buyer):
    from django.test import Client

    return Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {buyer.token}")


def _checkout_steps(client, buyer: Buyer, journey: Journey, *, during) -> None:
    """One whole checkout (with the code entered) through the test `client`; each step's
    request is made inside the context manager `during(step)`."""
    import json

    variant_id = journey.products[0]
    answer: dict = {}
    checkout = {"shipping_address_id": buyer.address_id}
    if variant_id in journey.shipping:
        shop_id, method_id = journey.shipping[variant_id]
        checkout["shipping_methods"] = {str(shop_id): method_id}
    steps = [
        ("add", "/api/v1/cart/add/", lambda _a: {"variant_id": variant_id, "quantity": 1}),
        ("voucher", "/api/v1/cart/voucher/", lambda _a: {"code": journey.voucher}),
        ("checkout", "/api/v1/cart/checkout/", lambda _a: checkout),
        ("pay_create", "/api/v1/payments/create/", lambda a: {"order_id": a["id"]}),
        (
            "pay_confirm",
            "/api/v1/payments/confirm/",
            lambda a: {"payment_id": a["id"], "payment_method": "pm_card_visa"},
        ),
    ]  # fmt: skip
    for step, path, body in steps:
        data = json.dumps(body(answer))
        with during(step):
            response = client.post(path, data, content_type="application/json")
        if response.status_code not in (200, 201):
            sys.exit(f"Checkout step {step} answered {response.status_code}: {response.content!r}")
        answer = response.json()


def checkout_queries(buyer: Buyer, journey: Journey) -> dict[str, int]:
    """The queries of each step of one whole checkout (with the code entered), through
    the test client."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts: dict[str, int] = {}

    @contextmanager
    def counted(step: str):
        with CaptureQueriesContext(connection) as captured:
            yield
        counts[step] = len(captured)

    _checkout_steps(_checkout_client(buyer), buyer, journey, during=counted)
    return counts


def checkout_profile(buyer: Buyer, journey: Journey, checkouts: int = PROFILE_CHECKOUTS) -> str:
    """Where the time of each checkout step goes: `checkouts` whole checkouts through the
    test client (Django and the app without gunicorn, the cache warm after the first),
    one cProfile per step, its top functions by own time and by cumulative time."""
    import cProfile
    import io
    import pstats

    profilers = {step: cProfile.Profile() for step in STEPS}
    spent = dict.fromkeys(STEPS, 0.0)

    @contextmanager
    def profiled(step: str):
        started = time.perf_counter()
        with profilers[step]:
            yield
        spent[step] += time.perf_counter() - started

    # One client (its middleware loaded once), its first checkout to warm the caches.
    client = _checkout_client(buyer)
    _checkout_steps(client, buyer, journey, during=lambda _step: nullcontext())
    for _checkout in range(checkouts):
        _checkout_steps(client, buyer, journey, during=profiled)
    folder = Path(tempfile.mkdtemp(prefix="shop-bench-profile-"))
    parts = [
        f"checkout: {checkouts} whole checkouts, each step profiled apart (whole profiles, "
        f"for pstats or snakeviz: {folder}/<step>.prof)"
    ]
    for step in STEPS:
        profilers[step].dump_stats(folder / f"{step}.prof")
        text = io.StringIO()
        stats = pstats.Stats(profilers[step], stream=text).strip_dirs()
        stats.sort_stats("tottime").print_stats(PROFILE_LINES // 2)
        stats.sort_stats("cumulative").print_stats(PROFILE_LINES)
        mean_ms = spent[step] * 1000 / checkouts
        parts.append(
            f"--- {step}: {mean_ms:.1f} ms a request under the profiler\n{text.getvalue()}"
        )
    return "\n".join(parts)


def stock_snapshot(variant_ids: list[int]) -> dict[int, int]:
    from catalog.models import ProductVariant

    return dict(
        ProductVariant.objects.filter(pk__in=variant_ids).values_list("pk", "stock_quantity")
    )


def stock_sold(product_ids: list[int], since: datetime) -> dict[int, int]:
    from django.db.models import Sum

    from orders.models import OrderLine, OrderStatus

    rows = (
        OrderLine.objects.filter(variant_id__in=product_ids, order__created_at__gte=since)
        .exclude(order__status=OrderStatus.CANCELLED)
        .values("variant_id")
        .annotate(quantity=Sum("quantity"))
    )
    return {row["variant_id"]: row["quantity"] for row in rows}


def orders_by_status(since: datetime) -> dict[str, int]:
    from django.db.models import Count

    from orders.models import Order

    rows = (
        Order.objects.filter(created_at__gte=since, user__email__endswith=f"@{BUYER_DOMAIN}")
        .values("status")
        .annotate(n=Count("id"))
    )
    return {row["status"]: row["n"] for row in rows}


# --- Checkout capacity at the objective ------------------------------------------------

JOURNEY_PATH = (
    "cart/add/ -> [cart/voucher/] -> cart/checkout/ (shipping method) -> payments/create/ "
    "-> payments/confirm/"
)


@dataclass
class Capacity:
    best: RateStep | None
    steps: list[RateStep]

    def as_dict(self) -> dict:
        return {
            "slo_p95_ms": SLO_P95_MS,
            "rate": self.best.rate if self.best else None,
            "cpu_ms_per_checkout": self.best.cpu_ms_per_checkout if self.best else None,
            "steps": [step.as_dict() for step in self.steps],
        }


def database_directory() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW data_directory")
        return cursor.fetchone()[0]


def capacity_measure(options: argparse.Namespace, server: Gunicorn, fixtures: Fixtures):
    """Step the open-loop arrival rate up (--rates) for --duration seconds each and keep
    the highest rate that met the objective; each step's stock is checked after it."""
    from django.db import connection

    roots = {"gunicorn": server.process.pid}
    postmaster = postmaster_pid(database_directory())
    if postmaster is not None:
        roots["postgresql"] = postmaster
    else:
        print("  ! PostgreSQL's postmaster not found: its CPU is not counted", flush=True)
    connection.close()
    cpu = ProcessCpu(roots)
    watched = fixtures.pool + fixtures.scarce

    def run(rate: float) -> RateStep:
        server.wait_idle()
        before = stock_snapshot(watched)
        since = datetime.now(UTC)
        connection.close()
        cpu_before, driver_before = cpu.read(), time.process_time()
        stats, elapsed = checkout_open_loop(
            base_url=server.base_url,
            buyers=fixtures.checkout_buyers,
            journey=fixtures.journey,
            rate=rate,
            duration_s=options.duration,
        )
        cpu_after, driver_after = cpu.read(), time.process_time()
        problems = stock_problems(
            before=before, after=stock_snapshot(watched), sold=stock_sold(watched, since)
        )
        connection.close()
        step = RateStep(
            rate=rate,
            summary=stats.summary(elapsed),
            cpu_s={name: cpu_after[name] - cpu_before[name] for name in roots},
            problems=problems,
            slo_ms=SLO_P95_MS,
            driver_cpu_s=driver_after - driver_before,
        )
        cpu_ms, driver_ms = step.cpu_ms_per_checkout, step.driver_cpu_ms_per_checkout
        print(
            f"  open loop {rate:g}/s: {step.summary['checkouts']} checkouts, p95 "
            f"{step.summary['p95_ms']:.0f} ms, errors {step.summary['errors'] or 'none'}, "
            f"CPU {'-' if cpu_ms is None else f'{cpu_ms:.1f}'} ms/checkout"
            f" (+ the load generator's {'-' if driver_ms is None else f'{driver_ms:.1f}'})"
            + ("" if step.within_slo else "  (misses the objective)"),
            flush=True,
        )
        return step

    best, steps = capacity_at_slo(run, options.rates)
    return Capacity(best=best, steps=steps)


def capacity_row(capacity: Capacity, step_queries: dict[str, int]) -> report.Row:
    best = capacity.best
    summary = best.summary if best else {}
    return report.Row(
        name="checkout_capacity",
        label=(
            f"Checkout capacity at SLO (open loop, p95 < {SLO_P95_MS:.0f} ms): "
            + (f"{best.rate:g} checkouts/s" if best else "no rate met it")
        ),
        path=JOURNEY_PATH,
        requests=summary.get("requests", 0),
        duration_s=best.summary["checkouts"] / best.rate if best else 0.0,
        requests_per_s=summary.get("requests_per_s", 0.0),
        p50_ms=summary.get("p50_ms", 0.0),
        p95_ms=summary.get("p95_ms", 0.0),
        p99_ms=summary.get("p99_ms", 0.0),
        errors=summary.get("errors", {}),
        queries=sum(step_queries.values()),
        extra={
            "checkouts_per_s": best.rate if best else None,
            "cpu_ms_per_checkout": best.cpu_ms_per_checkout if best else None,
            "capacity": capacity.as_dict(),
        },
    )


# --- The run --------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    options = arguments(argv)
    started_at = datetime.now(UTC)
    wrk = wrk_find()
    scale = Scale(products=options.products)
    only = {name.strip() for name in options.only.split(",") if name.strip()}

    static_root = tempfile.mkdtemp(prefix="shop-bench-static-")
    env = django_environment(options, static_root)
    os.environ.update(env)  # this process counts queries with the same settings
    import django

    django.setup()
    from django.db import connection

    database_ensure(options.database_url, reseed=options.reseed)
    manage("migrate", "--noinput", "-v0", env=env)
    seed = seed_if_needed(scale, env)
    database_analyze(connection)
    print("Collecting static files...", flush=True)
    manage("collectstatic", "--noinput", "-v0", env=env)

    import redis

    redis.Redis.from_url(options.redis_url).flushdb()
    fixtures = fixtures_prepare(scale)
    endpoints = [e for e in fixtures.endpoints if not only or e.name in only | {"healthz"}]
    queries = queries_count(endpoints)
    wanted_profiles = {name.strip() for name in options.profile.split(",") if name.strip()}
    profiles = {e.name: endpoint_profile(e) for e in endpoints if e.name in wanted_profiles}
    if "checkout" in wanted_profiles:
        profiles["checkout"] = checkout_profile(fixtures.query_buyer, fixtures.journey)
    explained = queries_explain(endpoints) if options.explain else {}
    run_checkout = not only or "checkout" in only
    if run_checkout:
        step_queries = checkout_queries(fixtures.query_buyer, fixtures.journey)
        stock_before = stock_snapshot(fixtures.pool + fixtures.scarce)
    checkout_since = datetime.now(UTC)
    connection.close()

    log = Path(tempfile.gettempdir()) / f"shop-bench-gunicorn-{os.getpid()}.log"
    server = Gunicorn(
        python=sys.executable,
        env=env,
        workers=options.workers,
        worker_class="sync",
        log_path=log,
    )
    print(
        f"gunicorn: {options.workers} sync workers on {server.base_url} ({cpu_count()} cores); "
        f"wrk: {options.connections} connections, {options.warmup:g} s warm-up + "
        f"{options.duration:g} s per endpoint",
        flush=True,
    )
    rows: list[report.Row] = []

    def healthz_command(seconds: float) -> list[str]:
        return wrk_command(
            wrk=wrk,
            url=server.base_url + "/healthz/",
            duration_s=seconds,
            connections=options.connections,
            threads=cpu_count(),
            headers={},
        )

    checkout_summary = None
    oversold = None
    server.start()
    near = report.HealthzNear()
    try:
        for endpoint in endpoints:
            command = lambda seconds, e=endpoint: wrk_command(  # noqa: E731
                wrk=wrk,
                url=server.base_url + e.path,
                duration_s=seconds,
                connections=options.connections,
                threads=cpu_count(),
                headers=e.headers,
            )
            server.wait_idle()
            if options.warmup:
                wrk_run(command(options.warmup))
                server.wait_idle()
            result = wrk_run(command(options.duration))
            rows.append(
                report.Row(
                    name=endpoint.name,
                    label=endpoint.label,
                    path=endpoint.path,
                    requests=result.requests,
                    duration_s=result.duration_s,
                    requests_per_s=result.requests_per_s,
                    p50_ms=result.p50_ms,
                    p95_ms=result.p95_ms,
                    p99_ms=result.p99_ms,
                    errors={k: v for k, v in result.errors.items() if v},
                    queries=queries[endpoint.name][1],
                    queries_cold=queries[endpoint.name][0],
                )
            )
            print(f"  {endpoint.label}: {result.requests_per_s:,.0f} req/s", flush=True)
            if endpoint.name == report.CEILING:
                near.ceiling(result.requests_per_s)
            elif options.healthz_probe and near.last is not None:
                server.wait_idle()
                warning = near.after(rows[-1], wrk_run(healthz_command(options.healthz_probe)))
                if warning:
                    print(warning, flush=True)
            if result.requests == 0:
                print(
                    f"  ! no answer within {options.duration:g} s: the endpoint is slower than "
                    "that under this load, or the machine is busy with something else",
                    flush=True,
                )
        if run_checkout:
            load = {
                "base_url": server.base_url,
                "buyers": fixtures.checkout_buyers,
                "journey": fixtures.journey,
                "connections": options.connections,
            }
            server.wait_idle()
            if options.warmup:
                checkout_load(**load, duration_s=options.warmup)
            stats, elapsed = checkout_load(**load, duration_s=options.duration)
            checkout_summary = stats.summary(elapsed)
            checkout_summary["queries_per_step"] = step_queries
            rows.append(
                report.Row(
                    name="checkout",
                    label=f"Checkout, closed loop at {options.connections} (latency per checkout)",
                    path=JOURNEY_PATH,
                    requests=stats.requests,
                    duration_s=elapsed,
                    requests_per_s=checkout_summary["requests_per_s"],
                    p50_ms=checkout_summary["p50_ms"],
                    p95_ms=checkout_summary["p95_ms"],
                    p99_ms=checkout_summary["p99_ms"],
                    errors=checkout_summary["errors"],
                    queries=sum(step_queries.values()),
                    extra={"checkouts_per_s": checkout_summary["checkouts_per_s"]},
                )
            )
            print(f"  checkout: {checkout_summary['checkouts_per_s']:,.1f} checkouts/s", flush=True)
            capacity = capacity_measure(options, server, fixtures)
            rows.append(capacity_row(capacity, step_queries))
            for row in rows[-2:]:
                if options.healthz_probe:
                    near.alone(row)
    finally:
        server.stop()
        shutil.rmtree(static_root, ignore_errors=True)
    worker_rss = server.worker_peaks_mb()
    if any(row.error_count for row in rows):
        print(f"Errors were counted: gunicorn's log is {log}", flush=True)
    else:
        log.unlink(missing_ok=True)

    if run_checkout:
        from catalog.models import ProductVariant

        product_ids = fixtures.pool + fixtures.scarce
        problems = stock_problems(
            before=stock_before,
            after=stock_snapshot(product_ids),
            sold=stock_sold(product_ids, checkout_since),
        )
        negative = ProductVariant.objects.filter(stock_quantity__lt=0).count()
        if negative:
            problems.append(f"{negative} variants have a negative stock")
        oversold = bool(problems)
        checkout_summary["stock_problems"] = problems
        checkout_summary["orders_by_status"] = orders_by_status(checkout_since)
    redis.Redis.from_url(options.redis_url).flushdb()  # queued mail nobody will send

    report.ratios_fill(rows)
    max_rss = max(worker_rss.values(), default=None)
    targets = report.targets_evaluate(rows, max_worker_rss_mb=max_rss, oversold=oversold)
    finished_at = datetime.now(UTC)
    print()
    print(report.table_format(rows))
    print()
    shown = ", ".join(f"{mb:.0f}" for mb in worker_rss.values())
    print(f"Largest gunicorn worker RSS: {max_rss:.1f} MB (each worker's peak: {shown} MB)")
    probes = near.probes
    if probes:
        print(
            f"/healthz/ measured again after each endpoint ({options.healthz_probe:g} s): "
            f"{min(probes):,.0f} to {max(probes):,.0f} req/s; each share is of the mean of "
            "the two measured around its endpoint"
        )
    if checkout_summary:
        print(
            f"Checkout: {checkout_summary['checkouts']:,} checkouts "
            f"({checkout_summary['checkouts_per_s']:.1f}/s), "
            f"{checkout_summary['sold_out']:,} sold out (409, expected), "
            f"errors {checkout_summary['errors'] or 'none'}; p95 of one request "
            f"{checkout_summary['request_p95_ms']:.0f} ms, per step (ms): "
            + ", ".join(f"{k} {v:.0f}" for k, v in checkout_summary["steps_p95_ms"].items())
        )
        for sample in checkout_summary["error_samples"]:
            print(f"  error: {sample}")
        print(
            "Stock: "
            + (
                "; ".join(checkout_summary["stock_problems"])
                or "none oversold, every decrease equals the placed orders' quantities"
            )
        )
    capacity_rows = [row for row in rows if row.name == "checkout_capacity"]
    if capacity_rows:
        found = capacity_rows[0].extra["capacity"]
        best = next((step for step in found["steps"] if step["rate"] == found["rate"]), None)
        if best is None:
            print("Checkout capacity at SLO: no rate met it (each step above)")
        else:
            cpu = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in best["cpu_s"].items())
            print(
                f"Checkout capacity at SLO: {best['rate']:g} checkouts/s (p50 "
                f"{best['p50_ms']:.0f} ms, p95 {best['p95_ms']:.0f} ms, p99 {best['p99_ms']:.0f} "
                f"ms), CPU {best['cpu_ms_per_checkout']:.1f} ms per checkout ({cpu} over "
                f"{best['checkouts']} checkouts; the load generator's own: "
                f"{best['driver_cpu_ms_per_checkout']:.1f} ms per checkout)"
            )
    for text in profiles.values():
        print()
        print(text.rstrip())
    print()
    products = seed["counts"]["products"]
    print(f"Targets of issues 10 and 23 ({cpu_count()} cores, {products:,} products):")
    print(report.targets_format(targets))
    if options.no_save:
        print("\n(--no-save: nothing written to bench/results/)")
    else:
        document = report.results_document(
            rows=rows,
            targets=targets,
            started_at=started_at,
            finished_at=finished_at,
            config={
                "products": scale.products,
                "seed": seed,
                "duration_s": options.duration,
                "warmup_s": options.warmup,
                "healthz_probe_s": options.healthz_probe,
                "connections": options.connections,
                "gunicorn_workers": options.workers,
                "worker_class": "sync",
                "cores": cpu_count(),
                "only": sorted(only),
            },
            worker_rss_mb=worker_rss,
            checkout=checkout_summary,
        )
        document["profiles"] = profiles
        document["explain"] = explained
        path = report.results_write(document, started_at=started_at)
        print(f"\nWritten to {path.relative_to(ROOT)} and bench/results/latest.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
