"""Query budgets of every list and detail endpoint and page, in one table.

Each row is measured on a world holding N of everything a response lists (products,
shops, categories, tags, reviews, cart lines, orders, order lines, addresses, payments;
the detailed product has N images and tags), asked for with `page_size=N`: the number
of queries must be the budget exactly, the same for N=1 and N=100. Requests are
measured cold (the cache emptied first), so the budget is the database work of a miss;
what the cache saves on a hit is in test_catalog_caches.py.

Signed-in rows count the session and user lookups of Django's session authentication
(pages) or the user lookup of the bearer token (API). Every row that shows prices counts
one read of the running sales (promotions.sales: cached until a sale changes, so a miss
of the page's own cache rarely pays it).
"""

from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import Address, User
from cart.models import Cart, CartItem
from catalog.models import Category, Product, ProductImage, ProductVariant, Review, Tag
from catalog.services import product_search_index_update
from orders.models import Fulfilment, FulfilmentLine, Order, OrderLine, OrderStatus, Shipment
from payments.models import Payment
from promotions.services import promotion_create
from shipping.services import shipping_default_zone_create
from shops.models import Shop
from tests.conftest import bearer_client
from tests.factories import MembershipFactory, StaffFactory, UserFactory, address_data, verify_email

pytestmark = pytest.mark.django_db

# (who asks, path with {placeholders}) -> queries. `{n}` is the page size.
BUDGETS = {
    # --- API ---
    ("anonymous", "/api/v1/products/?page_size={n}"): 5,
    ("buyer", "/api/v1/products/?page_size={n}&ordering=price"): 7,
    # + its options and its variants (the same for 1 or 500: test_variants_budgets.py).
    ("anonymous", "/api/v1/products/{product_id}/"): 6,
    ("anonymous", "/api/v1/products/search/?q=thing&page_size={n}"): 5,
    ("anonymous", "/api/v1/categories/?page_size={n}"): 3,
    ("anonymous", "/api/v1/categories/{category_id}/"): 2,
    ("anonymous", "/api/v1/products/categories/"): 1,
    ("anonymous", "/api/v1/tags/?page_size={n}"): 2,
    ("anonymous", "/api/v1/shops/?page_size={n}"): 2,
    ("anonymous", "/api/v1/shops/{shop_id}/"): 1,
    ("anonymous", "/api/v1/products/{product_id}/reviews/?page_size={n}"): 3,
    ("anonymous", "/api/v1/reviews/{review_id}/"): 1,
    # + the lines' option values; + the estimate for the default address: the address,
    # the tax settings and rates, the shops' zones, methods and tiers; + its discount codes.
    ("buyer", "/api/v1/cart/"): 13,
    # + the shipments, their fulfilments and those's lines (three, for any page).
    ("buyer", "/api/v1/orders/?page_size={n}"): 9,
    # + the caller's Django permissions (their own and their groups'): staff act by them.
    ("staff", "/api/v1/orders/?page_size={n}&status=paid"): 10,
    ("buyer", "/api/v1/orders/{order_id}/"): 8,
    ("buyer", "/api/v1/addresses/?page_size={n}"): 3,
    ("buyer", "/api/v1/payments/?page_size={n}"): 4,
    # --- Pages ---
    # Cards read their colours (the swatches) with one more query per row of cards; a
    # listing's sidebar counts its option values (catalog.facets) with one more.
    ("anonymous", "/"): 11,
    ("anonymous", "/products/?page_size={n}"): 9,
    ("anonymous", "/products/?q=thing&page_size={n}"): 9,
    ("anonymous", "/categories/things/?page_size={n}"): 9,
    # + its options, its variants and the colours of "more from the shop"; + its
    # recommendations when cold (bought together, similar, their cards with images, tags
    # and colours: 6, however many; none when warm: recommendations.selectors), filled
    # into the whole page when it is sent, from the product's id (+ 1: the product).
    ("anonymous", "/products/{product_slug}/"): 20,
    # A signed-in page counts the bell's unread notifications once (then cached until
    # they change: notifications.selectors.unread_count): + 1 on each first page below.
    # + the view written to the person's recently viewed (catalog.viewed).
    ("buyer", "/products/{product_slug}/"): 27,
    # + where the shop ships (zones, methods, tiers; cached warm: shipping.caching).
    ("anonymous", "/shops/oak/?page_size={n}"): 12,
    ("anonymous", "/shops/"): 2,
    # + the lines' option values, codes; + the estimate, as the API; + "you may also like"
    # (bought together, similar, their cards: 6) and recently viewed (1) when cold.
    ("buyer", "/cart/"): 23,
    ("buyer", "/checkout/"): 17,  # + the delivery options and totals for the address
    ("buyer", "/orders/"): 12,  # + shipments, fulfilments and their lines
    ("buyer", "/orders/{order_id}/"): 14,  # + its invoices
}


# Products beyond N, so that the home page's two rows and the product page's "more from
# the shop" are never empty (an empty list skips its prefetch queries).
ALWAYS_MORE = 9


def build_world(n: int) -> dict:
    """N of everything (N + ALWAYS_MORE products), written in bulk."""
    owner_shop = Shop.objects.create(name="Oak", slug="oak")
    shipping_default_zone_create(shop=owner_shop)  # ships everywhere, as a new shop does
    Shop.objects.bulk_create(Shop(name=f"Shop {i}", slug=f"shop-{i}") for i in range(n - 1))
    MembershipFactory(shop=owner_shop, role="owner")
    things = Category.objects.create(name="Things", slug="things")
    Category.objects.bulk_create(
        Category(name=f"Kind {i}", slug=f"kind-{i}", parent=things) for i in range(n - 1)
    )
    tags = Tag.objects.bulk_create(Tag(name=f"tag {i}", slug=f"tag-{i}") for i in range(n))
    products = Product.objects.bulk_create(
        Product(
            shop=owner_shop,
            category=things,
            name=f"Thing {i}",
            slug=f"thing-{i}",
            price=Decimal("10.00") + i,
            price_max=Decimal("10.00") + i,
            stock_quantity=1000,
        )
        for i in range(n + ALWAYS_MORE)
    )
    variants = ProductVariant.objects.bulk_create(
        ProductVariant(
            product=product, shop=owner_shop, sku=f"T-{i}", price=product.price, stock_quantity=1000
        )
        for i, product in enumerate(products)
    )
    featured = products[0]
    Through = Product.tags.through
    Through.objects.bulk_create(
        [Through(product=featured, tag=tag) for tag in tags]
        + [Through(product=product, tag=tags[0]) for product in products[1:]]
    )
    ProductImage.objects.bulk_create(
        [
            ProductImage(
                product=featured,
                image=f"products/{featured.pk}/{i}.png",
                position=i,
                width=1,
                height=1,
            )
            for i in range(n)
        ]
        + [
            ProductImage(product=product, image=f"products/{product.pk}/a.png", width=1, height=1)
            for product in products[1:]
        ]
    )
    reviewers = User.objects.bulk_create(
        User(email=f"reviewer{i}@example.com", first_name=f"Rev{i}") for i in range(n)
    )
    reviews = Review.objects.bulk_create(
        Review(product=featured, user=user, rating=4, title="Fine") for user in reviewers
    )
    product_search_index_update()

    buyer = verify_email(UserFactory())
    Address.objects.bulk_create(
        Address(user=buyer, is_default=i == 0, **address_data(full_name=f"Buyer {i}"))
        for i in range(n)
    )
    cart = Cart.objects.create(user=buyer)
    CartItem.objects.bulk_create(
        CartItem(
            cart=cart,
            product=product,
            variant=variant,
            quantity=1,
            price_when_added=product.price,
        )
        for product, variant in zip(products[:n], variants, strict=False)
    )
    orders = Order.objects.bulk_create(
        Order(
            number=f"B{i:06d}",
            user=buyer,
            status=OrderStatus.PAID,
            subtotal=Decimal("10.00"),
            total=Decimal("10.00"),
            shipping_address=address_data(),
        )
        for i in range(n)
    )
    big_order = orders[0]
    featured_variant = variants[0]
    OrderLine.objects.bulk_create(
        [
            OrderLine(
                order=big_order,
                product=product,
                variant=variant,
                shop=owner_shop,
                product_name=product.name,
                sku=variant.sku,
                shop_name=owner_shop.name,
                unit_price=product.price,
                quantity=1,
                line_total=product.price,
            )
            for product, variant in zip(products[:n], variants, strict=False)
        ]
        + [
            OrderLine(
                order=order,
                product=featured,
                variant=featured_variant,
                shop=owner_shop,
                product_name=featured.name,
                sku=featured_variant.sku,
                shop_name=owner_shop.name,
                unit_price=featured.price,
                quantity=1,
                line_total=featured.price,
            )
            for order in orders[1:]
        ]
    )
    for order in orders:
        order.status_history.create(from_status=OrderStatus.PENDING, to_status=OrderStatus.PAID)
    # Each order's shipment, with a fulfilment of one of its lines.
    shipments = Shipment.objects.bulk_create(
        Shipment(
            order=order,
            shop=owner_shop,
            shop_name=owner_shop.name,
            method_name="Standard delivery",
            method_kind="flat",
            price=Decimal("0.00"),
            min_days=3,
            max_days=7,
            status=Shipment.Status.PARTIALLY_SHIPPED,
        )
        for order in orders
    )
    fulfilments = Fulfilment.objects.bulk_create(
        Fulfilment(shipment=shipment, carrier="DHL", tracking_number=f"T{i}")
        for i, shipment in enumerate(shipments)
    )
    first_lines = {}
    for line in OrderLine.objects.filter(order__in=orders).order_by("-id"):
        first_lines[line.order_id] = line
    FulfilmentLine.objects.bulk_create(
        FulfilmentLine(fulfilment=fulfilment, order_line=first_lines[shipment.order_id], quantity=1)
        for fulfilment, shipment in zip(fulfilments, shipments, strict=True)
    )
    Payment.objects.bulk_create(
        Payment(
            order=order,
            user=buyer,
            provider="dummy",
            status="succeeded",
            amount=order.total,
            currency=order.currency,
            idempotency_key=f"key-{order.number}",
        )
        for order in orders
    )
    return {
        "buyer": buyer,
        "values": {
            "product_id": featured.pk,
            "product_slug": featured.slug,
            "category_id": things.pk,
            "shop_id": owner_shop.pk,
            "review_id": reviews[0].pk,
            "order_id": big_order.pk,
        },
    }


def client_for(who: str, world: dict, path: str):
    if who == "anonymous":
        return Client() if not path.startswith("/api/") else bearer_client_anonymous()
    user = world["buyer"] if who == "buyer" else verify_email(StaffFactory())
    if path.startswith("/api/"):
        return bearer_client(user)
    client = Client()
    client.force_login(user)
    return client


def bearer_client_anonymous():
    from rest_framework.test import APIClient

    return APIClient()


def measure(n: int) -> dict:
    world = build_world(n)
    found = {}
    for (who, template), _budget in BUDGETS.items():
        path = template.format(n=n, **world["values"])
        client = client_for(who, world, path)
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        found[(who, template)] = len(queries)
    return found


@pytest.mark.parametrize("n", [1, 100])
def test_every_endpoint_and_page_keeps_its_query_budget(n):
    found = measure(n)
    over = {
        f"{who} GET {path}": f"{found[(who, path)]} queries, budget {budget}"
        for (who, path), budget in BUDGETS.items()
        if found[(who, path)] != budget
    }
    assert not over, "\n" + "\n".join(f"{key}: {value}" for key, value in over.items())


# What an anonymous visitor's request costs once the cache holds it (the second request).
WARM_BUDGETS = {
    "/api/v1/products/?page_size={n}": 0,
    "/api/v1/products/search/?q=thing&page_size={n}": 0,
    "/api/v1/products/{product_id}/": 0,
    "/api/v1/products/categories/": 0,
    "/products/{product_slug}/": 0,
    # The home page's catalog sections are cached whole (catalog.views.home).
    "/": 0,
    # The listings' HTML (filters, cards, pages) is cached per address; only the page
    # around it (header, cart count) is rendered.
    "/products/?page_size={n}": 0,
    "/products/?q=thing&page_size={n}&ordering=price": 0,
    "/categories/things/?page_size={n}": 0,
    "/shops/oak/?page_size={n}": 0,  # the open shop too (catalog.views.listings)
}


@pytest.mark.parametrize("n", [1, 100])
def test_anonymous_requests_served_from_the_cache_keep_their_budget(n):
    world = build_world(n)
    found = {}
    for template in WARM_BUDGETS:
        path = template.format(n=n, **world["values"])
        client = Client() if not path.startswith("/api/") else bearer_client_anonymous()
        assert client.get(path).status_code == 200
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path).status_code == 200
        found[template] = len(queries)
    assert found == WARM_BUDGETS


# What a signed-in customer's request costs once the cache holds it (issue 23): the
# product list and search from the anonymous caches (nothing personal in them: the
# customer manages no shop), their cart, order history and an order's detail from caches
# of their own; the token's user and their memberships are cached too.
SIGNED_IN_WARM_BUDGETS = {
    "/api/v1/products/?page_size={n}": 0,
    "/api/v1/products/search/?q=thing&page_size={n}": 0,
    "/api/v1/products/facets/": 0,
    "/api/v1/products/{product_id}/": 0,
    "/api/v1/cart/": 0,
    "/api/v1/orders/?page_size={n}": 0,
    "/api/v1/orders/{order_id}/": 0,
}


@pytest.mark.parametrize("n", [1, 100])
def test_a_signed_in_customers_reads_served_from_the_caches_keep_their_budget(n):
    world = build_world(n)
    found = {}
    for template in SIGNED_IN_WARM_BUDGETS:
        path = template.format(n=n, **world["values"])
        client = client_for("buyer", world, path)
        assert client.get(path).status_code == 200
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path).status_code == 200
        found[template] = len(queries)
    assert found == SIGNED_IN_WARM_BUDGETS


# One checkout over the API, step by step (as bench/run.py counts it); then the buyer's
# order history twice (the second from the cache). The bearer token's user is read from
# the database by the first step only, then from the cache (core.security.jwt).
CHECKOUT_BUDGETS = {
    # The variant read once, fresh for sale (what the cart adds: no second read, no
    # visibility lookup); + the default address looked up for the cart's estimate (none
    # here); + the cart's discount codes.
    "add": 15,  # + the running sales; + the token's user, read once
    # The code checked, the cart priced with it (its lines, the tax settings, read once
    # and then cached: taxes.selectors), the code written; then the cart answered with
    # the promotion's targets (categories, products, variants, shops).
    "voucher": 28,
    # + what the buyer already holds unpaid (the hoarding caps); + the variants' rows
    # locked after their products', and the products' summary of them written.
    # + the code's promotion locked and its targets, the rates of the address's country
    # and the shop's zones, methods and tiers (each cached once read: taxes.selectors,
    # shipping.caching; cold here), the shipments, the use of the code and its
    # redemption written. The low-stock check reads nothing: the rows are locked and
    # known; the answer's discounts are the redemptions just written, not read back.
    # (4 of these are the test transaction's savepoints.)
    "checkout": 35,
    # The order's attempts read, then (the provider answered, outside any transaction)
    # the order locked again and the payment written.
    "pay_create": 7,
    # No lock while the provider answers; then the order's row locked (with its buyer,
    # handed on to mark it paid) before the payment's, the order's other attempts read
    # once (one paid already: this one is given back; open ones are cancelled); + the
    # shops' members found, + the buyer's and the members' notifications written, in the
    # same transaction (their push waits for the commit). The answer's refunds: none, the
    # payment paid the order just now (not read).
    "pay_confirm": 12,
    "history": 8,  # + shipments and their fulfilments, + the order's discounts
    "history again": 0,  # the token's user and their memberships are cached too
}


def test_a_checkout_keeps_its_query_budget():
    buyer = verify_email(UserFactory())
    address = Address.objects.create(user=buyer, **address_data())
    shop = Shop.objects.create(name="Oak", slug="oak")
    shipping_default_zone_create(shop=shop)
    product = Product.objects.create(
        shop=shop,
        name="Thing",
        slug="thing",
        price=Decimal("10.00"),
        price_max=Decimal("10.00"),
        stock_quantity=1000,  # no low-stock alert to write
    )
    variant = product.variants.create(
        shop=product.shop, sku="T-1", price=Decimal("10.00"), stock_quantity=1000
    )
    Cart.objects.create(user=buyer)  # a returning buyer's (empty) cart
    # The journey of the benchmark: a code of the platform, a method chosen for the shop.
    promotion_create(shop=None, by=None, data={"name": "Ten", "kind": "code",
                     "reward": "percentage", "value": 10, "code": "TEN"})  # fmt: skip
    method = shop.shipping_zones.get().methods.get()
    checkout = {"shipping_address_id": address.pk, "shipping_methods": {str(shop.pk): method.pk}}
    client = bearer_client(buyer)
    answer: dict = {}
    steps = [
        ("add", "/api/v1/cart/add/", lambda _a: {"variant_id": variant.pk, "quantity": 1}),
        ("voucher", "/api/v1/cart/voucher/", lambda _a: {"code": "TEN"}),
        ("checkout", "/api/v1/cart/checkout/", lambda _a: checkout),
        ("pay_create", "/api/v1/payments/create/", lambda a: {"order_id": a["id"]}),
        (
            "pay_confirm",
            "/api/v1/payments/confirm/",
            lambda a: {"payment_id": a["id"], "payment_method": "pm_card_visa"},
        ),
    ]
    found = {}
    cache.clear()
    for step, path, body in steps:
        with CaptureQueriesContext(connection) as queries:
            response = client.post(path, body(answer), format="json")
        assert response.status_code in (200, 201), (step, response.json())
        answer = response.json()
        found[step] = len(queries)
    assert answer["status"] == "succeeded"
    assert Order.objects.get().discount_total == Decimal("1.00")  # the code was used
    for step in ("history", "history again"):
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/api/v1/orders/")
        assert response.json()["results"][0]["status"] == "paid"
        found[step] = len(queries)
    assert found == CHECKOUT_BUDGETS
