"""Reads of the orders app: what each caller may see, and the sales figures."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import (
    Case,
    Count,
    DecimalField,
    F,
    IntegerField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.guests import is_guest
from cart.pricing import totals_rows
from core.replicas import replica_reads_in
from orders.models import (
    PAID_STATUSES,
    SALE_STATUSES,
    Fulfilment,
    FulfilmentLine,
    Order,
    OrderLine,
    OrderStatus,
    OrderStatusChange,
    Shipment,
)
from orders.policies import is_buyer, may_view_all_orders
from promotions.selectors import redemptions_of_orders
from shops.selectors import user_shop_ids

SALES_STATUSES = SALE_STATUSES  # the name the reports and their tests use


def _reach(user) -> tuple[str, list[int]]:
    """Whose orders `user` sees, decided in one place: "guest" (what their proof reaches),
    "all" (staff who may view every order), "shops" (their own and their shops' lines:
    the shop ids) or "own"."""
    if is_guest(user):
        return "guest", []
    if may_view_all_orders(user):
        return "all", []
    shop_ids = user_shop_ids(user=user)
    return ("shops", shop_ids) if shop_ids else ("own", [])


def sees_own_orders_only(*, user) -> bool:
    """`user` is a signed-in customer who sees exactly their own orders and all their
    lines (neither staff who may view every order nor a member of a shop): what
    order_visibility answers as "own only" for a person, whose history may be cached as
    theirs (orders.caching). No query: the person's shops are read with their card."""
    return user.is_authenticated and _reach(user)[0] == "own"


def order_visibility(
    *, user, own: bool = False
) -> tuple[QuerySet[Order], QuerySet[OrderLine], bool]:
    """The orders `user` may see, the lines of them they may see (not prefetched), and
    whether that is exactly the person's own orders and all their lines. `own`: the
    caller already found that (sees_own_orders_only) and caches what it builds under the
    person's own key, so it is not decided again (a membership committed in between
    must not put a shop's orders under that key).

    A customer sees their own orders; a shop member also sees orders with lines of their
    shops (those lines only); platform staff who may view orders see everything. A guest
    (accounts.guests) sees the orders their proof reaches. Shop members do not see a
    guest's order that waits for its email address to be confirmed.
    """
    reach, shop_ids = ("own", []) if own and not is_guest(user) else _reach(user)
    if reach == "guest":
        return guest_orders(user), OrderLine.objects.all(), True
    if reach == "all":
        return Order.objects.all(), OrderLine.objects.all(), False
    if reach == "own":
        return Order.objects.filter(user=user), OrderLine.objects.all(), True
    for_shops = Q(shop_id__in=shop_ids, order__awaiting_email=False)
    visible_lines = OrderLine.objects.filter(Q(order__user=user) | for_shops)
    orders = Order.objects.filter(
        Q(user=user) | Q(lines__shop_id__in=shop_ids, awaiting_email=False)
    ).distinct()
    return orders, visible_lines, False


def guest_orders(guest) -> QuerySet[Order]:
    """A guest's orders: those whose signed link their session opened (or that it
    placed), and those placed with their guest cart token; none once an account adopted
    it (its owner reads it signed in)."""
    if not guest.known:
        return Order.objects.none()
    reach = Q(pk__in=sorted(guest.order_ids)) if guest.order_ids else Q(pk__in=[])
    if guest.key:
        reach |= Q(guest_key=guest.key)
    return Order.objects.filter(reach, user__isnull=True)


def _shipments() -> QuerySet[Shipment]:
    fulfilments = Fulfilment.objects.order_by("created_at", "id").prefetch_related(
        Prefetch("lines", queryset=FulfilmentLine.objects.order_by("id"), to_attr="line_list")
    )
    return Shipment.objects.order_by("shop_name", "id").prefetch_related(
        Prefetch("fulfilments", queryset=fulfilments, to_attr="fulfilment_list")
    )


def order_shipments(order: Order) -> list[Shipment]:
    """The shipments of `order` its viewer may see: those of the shops whose lines they
    see (`order.visible_lines`), each with `fulfilment_list` (and their `line_list`)."""
    shop_ids = {line.shop_id for line in order.visible_lines}
    return [shipment for shipment in order.shipment_list if shipment.shop_id in shop_ids]


@dataclass(frozen=True)
class OrderFigures:
    """What one viewer sees of an order's money and addresses. A shop member who is
    not the buyer (nor staff who see every order) sees only their shops' part: the
    subtotal of their lines and the shipping address, not the other shops' figures,
    not the billing address (`partial`)."""

    partial: bool
    subtotal: Decimal
    shipping_total: Decimal
    tax_total: Decimal
    discount_total: Decimal
    total: Decimal
    refunded_total: Decimal | None
    billing_address: dict | None
    prices_include_tax: bool = False
    shipments: tuple = ()
    discounts: tuple = ()  # the codes' redemptions (the whole order's figures only)

    def rows(self) -> list:
        """The figures as every face shows them (cart.pricing.totals_rows)."""
        return totals_rows(
            subtotal=self.subtotal,
            shipping=[(s.shop_name, s.method_name, s.price) for s in self.shipments],
            tax_total=self.tax_total,
            prices_include_tax=self.prices_include_tax,
            discount_total=self.discount_total,
            discounts=[(d.code, d.label, d.amount) for d in self.discounts],
            total=self.total,
            refunded=self.refunded_total or Decimal("0.00"),
        )


def order_figures_for(*, order: Order, user, sees_all: bool | None = None) -> OrderFigures:
    """`order`'s figures as `user` may see them; `order.visible_lines` holds the lines
    they may see (as every selector here loads them). `sees_all`: the answer of
    may_view_all_orders(user), when the caller already asked it."""
    if sees_all is None:
        sees_all = may_view_all_orders(user)
    shipments = tuple(order_shipments(order))
    if sees_all or is_buyer(user, order):
        return OrderFigures(
            partial=False,
            subtotal=order.subtotal,
            shipping_total=order.shipping_total,
            tax_total=order.tax_total,
            discount_total=order.discount_total,
            total=order.total,
            refunded_total=order.refunded_total,
            billing_address=order.billing_address,
            prices_include_tax=order.prices_include_tax,
            shipments=shipments,
            discounts=tuple(order_discounts(order)),
        )
    zero = Decimal("0.00")
    subtotal = sum((line.line_total for line in order.visible_lines), zero)
    shipping = sum((shipment.price for shipment in shipments), zero)
    discount = sum((line.discount_amount for line in order.visible_lines), zero) + sum(
        (shipment.discount_amount for shipment in shipments), zero
    )
    tax = sum((line.tax_amount for line in order.visible_lines), zero) + sum(
        (shipment.tax_amount for shipment in shipments), zero
    )
    return OrderFigures(
        partial=True,
        subtotal=subtotal,
        shipping_total=shipping,
        tax_total=tax,
        discount_total=discount,
        total=subtotal + shipping - discount + (zero if order.prices_include_tax else tax),
        refunded_total=None,
        billing_address=None,
        prices_include_tax=order.prices_include_tax,
        shipments=shipments,
    )


def _history() -> QuerySet[OrderStatusChange]:
    return OrderStatusChange.objects.order_by("at", "id")


def order_list_for(*, user, own: bool = False) -> QuerySet[Order]:
    """Orders `user` may see, each with `visible_lines` (the lines they may see) and
    `history` (its status changes), as lists, in a fixed number of queries (see
    `order_visibility`, and its `own`)."""
    orders, visible_lines, _own = order_visibility(user=user, own=own)
    return orders.prefetch_related(
        Prefetch("lines", queryset=visible_lines, to_attr="visible_lines"),
        Prefetch("status_history", queryset=_history(), to_attr="history"),
        Prefetch("shipments", queryset=_shipments(), to_attr="shipment_list"),
    )


def orders_load_lines_and_history(orders, *, visible_lines: QuerySet[OrderLine]) -> list[Order]:
    """A page of orders with `visible_lines`, `history` and `shipment_list`, as
    `order_list_for` gives them: plain queries, without Django building a queryset per
    order (most of the time of a page of orders)."""
    orders = list(orders)
    ids = [order.pk for order in orders]
    lines: dict = {pk: [] for pk in ids}
    history: dict = {pk: [] for pk in ids}
    shipments: dict = {pk: [] for pk in ids}
    if ids:
        for line in visible_lines.filter(order_id__in=ids).order_by("id"):
            lines[line.order_id].append(line)
        for change in _history().filter(order_id__in=ids):
            history[change.order_id].append(change)
        for shipment in _shipments().filter(order_id__in=ids):
            shipments[shipment.order_id].append(shipment)
    for order in orders:
        order.visible_lines = lines[order.pk]
        order.history = history[order.pk]
        order.shipment_list = shipments[order.pk]
    orders_attach_discounts(orders)
    return orders


def order_for_buyer(*, order_id) -> Order | None:
    """An order as its buyer sees it (all its lines, history and shipments) with its
    buyer: for the mails sent to them."""
    return (
        Order.objects.select_related("user")
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.order_by("id"), to_attr="visible_lines"),
            Prefetch("status_history", queryset=_history(), to_attr="history"),
            Prefetch("shipments", queryset=_shipments(), to_attr="shipment_list"),
        )
        .filter(pk=order_id)
        .first()
    )


def order_recipient(order: Order, *, optional: bool = False) -> str | None:
    """Where the order's mails go: its account's address (None once the account is
    closed), or the address the guest gave. `optional`: a mail the person may turn off
    (their "order updates" preference; a guest cannot, and gets them)."""
    user = order.user
    if user is None:
        return order.email or None
    if not user.is_active or (optional and not user.order_updates):
        return None
    return user.email


def orders_attach_discounts(orders) -> None:
    """Set `discount_list` (the codes' redemptions) on each order: one query for those
    with a discount, none when no order has one."""
    orders = list(orders)
    wanted = [
        order.pk for order in orders if order.discount_total and not hasattr(order, "discount_list")
    ]
    found = redemptions_of_orders(wanted) if wanted else {}
    for order in orders:
        if not hasattr(order, "discount_list"):
            order.discount_list = found.get(order.pk, [])


def order_discounts(order: Order) -> list:
    """The order's codes with what each gave (code, label, amount)."""
    orders_attach_discounts([order])
    return order.discount_list


def order_has_fulfilments(*, order_id) -> bool:
    """Some of the order's goods left: a shop sent lines (a fulfilment), or staff marked it
    shipped or delivered by hand (its shipments say so)."""
    return (
        Shipment.objects.filter(order_id=order_id).exclude(status=Shipment.Status.PENDING).exists()
    )


def order_get_for(*, user, order_id) -> Order | None:
    """The order if `user` may see it; None too for an id that is no UUID."""
    import uuid

    try:
        order_id = uuid.UUID(str(order_id))
    except ValueError:
        return None
    return order_list_for(user=user).filter(pk=order_id).first()


def user_bought_product(user, product) -> bool:
    """A paid (or later) order of `user` has this product: their review is a verified purchase."""
    return OrderLine.objects.filter(
        order__user=user,
        product=product,
        order__status__in=PAID_STATUSES,
    ).exists()


def user_has_ordered(user_id: int) -> bool:
    """`user` placed an order before that was not cancelled ("first order only" codes)."""
    return Order.objects.filter(user_id=user_id).exclude(status=OrderStatus.CANCELLED).exists()


def created_between(
    *, date_from: date | None, date_to: date | None, field: str = "created_at"
) -> Q:
    """`field` on one of the days from `date_from` to `date_to` (inclusive, either open),
    in the current time zone: the same rows as `field__date__gte/lte`, written as a range
    of instants so that an index on `field` serves it (a cast to date cannot use one)."""
    zone = timezone.get_current_timezone()
    condition = Q()
    if date_from:
        condition &= Q(**{f"{field}__gte": datetime.combine(date_from, time.min, tzinfo=zone)})
    if date_to:
        next_day = datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=zone)
        condition &= Q(**{f"{field}__lt": next_day})
    return condition


def _sales_lines(*, date_from: date | None, date_to: date | None) -> QuerySet[OrderLine]:
    return OrderLine.objects.filter(
        created_between(date_from=date_from, date_to=date_to, field="order__created_at"),
        order__status__in=SALES_STATUSES,
    )


def _measures() -> dict[str, Any]:
    money = DecimalField(max_digits=14, decimal_places=2)
    return {
        "revenue": Coalesce(Sum("line_total"), Value(Decimal("0.00")), output_field=money),
        # The lines' shares of discount codes (revenue is before them).
        "discounts": Coalesce(Sum("discount_amount"), Value(Decimal("0.00")), output_field=money),
        "orders": Count("order_id", distinct=True),
        "units": Coalesce(Sum("quantity"), 0),
    }


def sales_totals(*, date_from: date | None = None, date_to: date | None = None) -> dict[str, Any]:
    """The whole period's revenue, orders and units (an order counts once)."""
    totals = _sales_lines(date_from=date_from, date_to=date_to).aggregate(**_measures())
    return {**totals, "revenue": _cents(totals["revenue"])}


SALES_GROUPINGS = ("day", "shop", "category", "product", "variant")


@replica_reads_in  # a report: from a read replica when there is one (core.replicas)
def sales_report(
    *, date_from: date | None = None, date_to: date | None = None, group_by: str = "day"
) -> list[dict[str, Any]]:
    """Revenue, orders and units of paid (not cancelled or refunded) orders, grouped by day,
    shop, category, product or variant, computed in the database. Dates are order dates
    (UTC), inclusive."""
    lines = _sales_lines(date_from=date_from, date_to=date_to)
    measures = _measures()
    if group_by == "day":
        rows = (
            lines.annotate(day=TruncDate("order__created_at"))
            .values("day")
            .annotate(**measures)
            .order_by("day")
        )
        return [
            {"key": row["day"].isoformat(), "label": row["day"].isoformat(), **_m(row)}
            for row in rows
        ]
    if group_by == "shop":
        rows = (
            lines.values("shop_id", "shop__name")
            .annotate(**measures)
            .order_by("-revenue", "shop_id")
        )
        return [{"key": row["shop_id"], "label": row["shop__name"], **_m(row)} for row in rows]
    if group_by == "category":
        rows = (
            lines.values("product__category_id", "product__category__name")
            .annotate(**measures)
            .order_by("-revenue", "product__category_id")
        )
        return [
            {
                "key": row["product__category_id"],
                "label": row["product__category__name"] or _("Uncategorised"),
                **_m(row),
            }
            for row in rows
        ]
    if group_by == "product":
        rows = (
            lines.values("product_id", "product__name")
            .annotate(**measures)
            .order_by("-revenue", "product_id")
        )
        return [
            {"key": row["product_id"], "label": row["product__name"], **_m(row)} for row in rows
        ]
    if group_by == "variant":
        # Named as last sold (the snapshot on the lines): a variant may since be gone.
        rows = (
            lines.values("variant_id")
            .annotate(
                **measures,
                name=Max("product_name"),
                options=Max("variant_options"),
                variant_sku=Max("sku"),
            )
            .order_by("-revenue", "variant_id")
        )
        return [
            {
                "key": row["variant_id"],
                "label": f"{row['name']} ({row['options']})" if row["options"] else row["name"],
                "sku": row["variant_sku"],
                **_m(row),
            }
            for row in rows
        ]
    raise ValueError(f"Unknown grouping {group_by!r}: {', '.join(SALES_GROUPINGS)}.")


CENT = Decimal("0.01")


def _cents(value) -> Decimal:
    """Money to two places whatever the database answered (SQLite sums lose the scale)."""
    return Decimal(value or 0).quantize(CENT)


def _m(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "revenue": _cents(row["revenue"]),
        "discounts": _cents(row["discounts"]),
        "orders": row["orders"],
        "units": row["units"],
    }


# --- Aggregates for the admin's dashboard and reports -----------------------------------


def sales_top_products(
    *, date_from: date | None = None, date_to: date | None = None, limit: int = 5
) -> list[dict[str, Any]]:
    """The best-selling products by revenue over the period (same definition as
    `sales_report`), with their shop's name."""
    rows = (
        _sales_lines(date_from=date_from, date_to=date_to)
        .values("product_id", "product__name", "shop__name")
        .annotate(**_measures())
        .order_by("-revenue", "product_id")[:limit]
    )
    return [
        {
            "key": row["product_id"],
            "label": row["product__name"],
            "shop": row["shop__name"],
            **_m(row),
        }
        for row in rows
    ]


def sales_top_shops(
    *, date_from: date | None = None, date_to: date | None = None, limit: int = 5
) -> list[dict[str, Any]]:
    """The shops that sold most over the period, as `sales_report(group_by="shop")` rows."""
    rows = (
        _sales_lines(date_from=date_from, date_to=date_to)
        .values("shop_id", "shop__name")
        .annotate(**_measures())
        .order_by("-revenue", "shop_id")[:limit]
    )
    return [{"key": row["shop_id"], "label": row["shop__name"], **_m(row)} for row in rows]


def sales_daily(*, date_from: date, date_to: date) -> list[dict[str, Any]]:
    """`sales_report(group_by="day")` over the period with every day present (zeros on
    days without sales), oldest first: one query."""
    found = {row["key"]: row for row in sales_report(date_from=date_from, date_to=date_to)}
    days = []
    for offset in range((date_to - date_from).days + 1):
        day = date_from + timedelta(days=offset)
        row = found.get(day.isoformat())
        days.append(
            {
                "day": day,
                "revenue": row["revenue"] if row else Decimal("0.00"),
                "discounts": row["discounts"] if row else Decimal("0.00"),
                "orders": row["orders"] if row else 0,
                "units": row["units"] if row else 0,
            }
        )
    return days


def order_status_counts() -> dict[str, int]:
    """How many orders are in each status, every status present (zero included)."""
    counts = dict(Order.objects.order_by().values_list("status").annotate(count=Count("pk")))
    return {status: counts.get(status, 0) for status in OrderStatus.values}


def order_item_count() -> Coalesce:
    """The number of items (units) of the outer order, for `.annotate(item_count=...)`;
    a subquery rather than a join, so that it stays right beside any filter on lines."""
    units = (
        OrderLine.objects.filter(order=OuterRef("pk"))
        .order_by()
        .values("order")
        .annotate(units=Sum("quantity"))
        .values("units")
    )
    return Coalesce(Subquery(units), 0, output_field=IntegerField())


def order_list_with_item_count() -> QuerySet[Order]:
    """All orders with their buyer and `item_count` (platform staff: the admin, exports)."""
    return Order.objects.select_related("user").annotate(item_count=order_item_count())


# --- Exports: one row per order, the same for the admin's download and export_orders ----

ORDER_EXPORT_COLUMNS = (
    "number",
    "created_at",
    "status",
    "user_email",
    "subtotal",
    "shipping_total",
    "tax_total",
    "discount_total",
    "total",
    "refunded_total",
    "currency",
    "items",
)
EXPORT_CHUNK = 2000


def order_export_rows(orders: QuerySet[Order]) -> Iterator[list[Any]]:
    """One row per order of `orders` (ORDER_EXPORT_COLUMNS; items: units ordered;
    created_at in ISO 8601, UTC), read in chunks from the database."""
    orders = orders.select_related("user").annotate(item_count=order_item_count())
    for order in orders.iterator(chunk_size=EXPORT_CHUNK):
        yield [
            order.number,
            order.created_at.astimezone(UTC).isoformat(),
            order.status,
            order.user.email if order.user_id else order.email,
            order.subtotal,
            order.shipping_total,
            order.tax_total,
            order.discount_total,
            order.total,
            order.refunded_total,
            order.currency,
            order.item_count,
        ]


ORDER_LINE_EXPORT_COLUMNS = (
    "order_number",
    "created_at",
    "status",
    "shop",
    "product_id",
    "product_name",
    "variant_id",
    "variant_options",
    "sku",
    "unit_price",
    "quantity",
    "line_total",
    "tax_rate",
    "tax_amount",
    "currency",
)


def order_line_export_rows(lines: QuerySet[OrderLine]) -> Iterator[list[Any]]:
    """One row per order line of `lines` (ORDER_LINE_EXPORT_COLUMNS: what was sold, by
    variant, as it was at checkout), read in chunks from the database."""
    lines = lines.select_related("order").order_by("order__created_at", "order_id", "id")
    for line in lines.iterator(chunk_size=EXPORT_CHUNK):
        yield [
            line.order.number,
            line.order.created_at.astimezone(UTC).isoformat(),
            line.order.status,
            line.shop_name,
            line.product_id,
            line.product_name,
            line.variant_id,
            line.variant_options,
            line.sku,
            line.unit_price,
            line.quantity,
            line.line_total,
            line.tax_rate,
            line.tax_amount,
            line.order.currency,
        ]


# --- Seller statements ---------------------------------------------------------------------

STATEMENT_COLUMNS = [
    "shop_id",
    "shop",
    "orders",
    "gross_sales",
    "refunds",
    "tax_collected",
    "commission_rate",
    "commission",
    "platform_discounts",
    "net_owed",
    "currency",
]


def commission_rate_of(shop) -> Decimal:
    """The platform's commission on a shop's sales, in percent: the shop's own rate, else
    PLATFORM_COMMISSION_RATE."""
    from django.conf import settings

    if shop.commission_rate is not None:
        return shop.commission_rate
    return Decimal(str(getattr(settings, "PLATFORM_COMMISSION_RATE", "10.00")))


def _statement_parts(where: Q) -> dict[tuple, dict[str, Any]]:
    """Per (order, shop) of the lines and shipments matching `where`: what the buyer paid
    for the shop's part (its lines and shipping after discounts, with the tax when it was
    added to them), its tax, what the platform's codes took off it (`platform`: the
    platform pays it), and the commission rate kept at checkout. Two queries."""
    zero = Decimal("0.00")
    added_tax = Case(
        When(order__prices_include_tax=False, then=F("tax_amount")),
        default=Value(zero),
        output_field=DecimalField(max_digits=14, decimal_places=2),
    )
    parts: dict[tuple, dict[str, Any]] = {}
    lines = (
        OrderLine.objects.filter(where)
        .values("order_id", "shop_id")
        .annotate(
            amount=Sum(F("line_total") - F("discount_amount")),
            tax=Sum("tax_amount"),
            added=Sum(added_tax),
            platform=Sum("platform_discount_amount"),
        )
        .order_by()
    )
    for row in lines:
        # To the cent on every database (SQLite's sums lose the scale).
        parts[(row["order_id"], row["shop_id"])] = {
            "paid": (Decimal(row["amount"]) + row["added"]).quantize(CENT),
            "tax": Decimal(row["tax"]).quantize(CENT),
            "platform": Decimal(row["platform"]).quantize(CENT),
            "rate": None,
        }
    shipments = Shipment.objects.filter(where).values(
        "order_id",
        "shop_id",
        "price",
        "discount_amount",
        "platform_discount_amount",
        "tax_amount",
        "commission_rate",
        "order__prices_include_tax",
    )
    for row in shipments:
        part = parts.setdefault(
            (row["order_id"], row["shop_id"]),
            {"paid": zero, "tax": zero, "platform": zero, "rate": None},
        )
        added = zero if row["order__prices_include_tax"] else row["tax_amount"]
        part["paid"] += row["price"] - row["discount_amount"] + added
        part["tax"] += row["tax_amount"]
        part["platform"] += row["platform_discount_amount"]
        part["rate"] = row["commission_rate"]
    return parts


def seller_statements_for(
    *, user, shop_id: int | None = None, date_from: date | None = None, date_to: date | None = None
) -> list[dict[str, Any]]:
    """The statements `user` may read (orders.policies.statement_shop_ids): every shop's
    for staff who see the sales, their own shops' for owners; `shop_id` narrows to one."""
    from orders.exceptions import ShopNotYours, StatementsNotPermitted
    from orders.policies import statement_shop_ids

    shops = statement_shop_ids(user)
    if shops is not None and not shops:
        raise StatementsNotPermitted()
    if shop_id is not None:
        if shops is not None and shop_id not in shops:
            raise ShopNotYours()
        shops = {shop_id}
    return seller_statements(date_from=date_from, date_to=date_to, shop_ids=shops)


@replica_reads_in
def seller_statements(
    *, date_from: date | None = None, date_to: date | None = None, shop_ids=None
) -> list[dict[str, Any]]:
    """What each shop sold in the period (orders placed then and paid at some point) and
    what the platform owes it:

    - `gross_sales`: what buyers paid for the shop's part: its lines and shipping after
      discounts, and the tax on them when prices exclude tax;
    - `platform_discounts`: what the platform's discount codes took off the shop's part
      (the platform funds its codes: it is owed to the shop; a shop's own codes are the
      shop's);
    - `refunds`: the shop's share of what was given back (an order's refunds split over
      all its shops by their shares of its total, to the cent: taxes.services.money_split);
    - `tax_collected`: the tax on its lines and shipping (inside `gross_sales`);
    - `commission`: on each order's part, net of tax and refunds, the rate kept at
      checkout (`commission_rate`: that rate, or what the commission came to when it
      changed during the period);
    - `net_owed`: gross sales + platform discounts - refunds - commission.

    A fixed number of queries whatever the number of shops and orders."""
    from shops.models import Shop
    from taxes.services import money_split, round_half_up

    zero = Decimal("0.00")
    period = created_between(date_from=date_from, date_to=date_to, field="order__created_at")
    sold = Q(order__status__in=PAID_STATUSES)
    in_shops = Q() if shop_ids is None else Q(shop_id__in=list(shop_ids))
    parts = _statement_parts(Q(period, sold, in_shops))
    # An order's refunds are split over all its shops (whoever reads), then picked.
    refunded = dict(
        Order.objects.filter(pk__in={order_id for order_id, _shop in parts}, refunded_total__gt=0)
        .values_list("pk", "refunded_total", "total")
        .values_list("pk", "refunded_total")
    )
    refunds: dict[tuple, Decimal] = {}
    if refunded:
        whole_orders = _statement_parts(Q(order_id__in=list(refunded)))
        totals = dict(Order.objects.filter(pk__in=list(refunded)).values_list("pk", "total"))
        by_order: dict = {}
        for (order_id, shop_id), part in whole_orders.items():
            by_order.setdefault(order_id, {})[shop_id] = part["paid"]
        for order_id, paid_by_shop in by_order.items():
            if not totals[order_id]:
                continue
            amount = min(refunded[order_id], totals[order_id])
            split = money_split(amount, paid_by_shop, whole=totals[order_id])
            for shop_id, share in split.items():
                refunds[(order_id, shop_id)] = share
    shops = Shop.objects.in_bulk({shop_id for _order, shop_id in parts})
    figures: dict[int, dict[str, Any]] = {}
    for (order_id, shop_id), part in parts.items():
        figure = figures.setdefault(
            shop_id,
            {"orders": 0, "gross": zero, "tax": zero, "refunds": zero, "commission": zero}
            | {"base": zero, "rates": set(), "platform": zero},
        )
        paid, tax = part["paid"], part["tax"]
        refund = refunds.get((order_id, shop_id), zero)
        # The commission as it stood at checkout (older orders: the shop's rate now), on
        # this part's sales net of tax and refunds.
        rate = part["rate"] if part["rate"] is not None else commission_rate_of(shops[shop_id])
        # The shop sold at the price before the platform's codes: those count too.
        base = (paid - refund) * (paid - tax) / paid if paid else zero
        base += part["platform"]
        figure["platform"] += part["platform"]
        figure["orders"] += 1
        figure["gross"] += paid
        figure["tax"] += tax
        figure["refunds"] += refund
        figure["base"] += base
        figure["commission"] += round_half_up(base * rate / 100)
        figure["rates"].add(rate)
    statements = []
    for shop_id, figure in figures.items():
        gross, refund, commission = figure["gross"], figure["refunds"], figure["commission"]
        if len(figure["rates"]) == 1:
            rate = next(iter(figure["rates"]))
        else:  # rates changed during the period: the rate the commission came to
            rate = round_half_up(commission * 100 / figure["base"]) if figure["base"] else zero
        statements.append(
            {
                "shop_id": shop_id,
                "shop": shops[shop_id].name,
                "orders": figure["orders"],
                "gross_sales": gross,
                "refunds": refund,
                "tax_collected": figure["tax"],
                "commission_rate": rate,
                "commission": commission,
                "platform_discounts": figure["platform"],
                "net_owed": gross + figure["platform"] - refund - commission,
            }
        )
    statements.sort(key=lambda statement: (statement["shop"], statement["shop_id"]))
    return statements
