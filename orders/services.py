"""Checkout, the order status machine, stock reservations (see docs/architecture.md).

Stock is taken at checkout, in the same transaction that writes the order and
empties the cart. Every stock writer locks the product rows, then the variant rows,
each in primary-key order, so that two checkouts cannot deadlock and no variant is
ever oversold. An unpaid order holds its
stock until `reserved_until`; expiry cancels it and the stock returns.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from accounts.services import user_require_verified_email
from cart.exceptions import InsufficientStock, ProductUnavailable
from cart.models import Cart, CartItem
from cart.services import money_limit
from catalog.models import Product, ProductVariant
from catalog.selectors import variant_is_for_sale
from catalog.services import products_summary_refresh, variants_low_stock_check
from core.errors import DomainValidationError
from orders import policies
from orders.exceptions import (
    CartEmpty,
    InvalidStatusTransition,
    OrderNotCancellable,
    OrderPermissionDenied,
    PendingOrdersLimit,
    PendingUnitsLimit,
)
from orders.models import Order, OrderLine, OrderStatus, OrderStatusChange
from orders.signals import order_cancelled

S = OrderStatus
MAX_ORDER_TOTAL = money_limit(Order._meta.get_field("total"))

TRANSITIONS: dict[str, set[str]] = {
    S.PENDING: {S.PAID, S.CANCELLED},
    S.PAID: {S.PROCESSING, S.CANCELLED, S.REFUNDED},
    S.PROCESSING: {S.SHIPPED, S.CANCELLED, S.REFUNDED},
    S.SHIPPED: {S.DELIVERED, S.REFUNDED},
    S.DELIVERED: {S.REFUNDED},
    S.CANCELLED: set(),
    S.REFUNDED: set(),
}
# What staff may set by hand; `paid` and `refunded` come only from payments.
STAFF_SETTABLE = {S.PROCESSING, S.SHIPPED, S.DELIVERED, S.CANCELLED}


def reservation_minutes() -> int:
    return int(getattr(settings, "ORDER_RESERVATION_MINUTES", 30))


def _check_hoarding(
    *, user: User, items: list[CartItem], variants: dict[int, ProductVariant]
) -> None:
    """What one account may hold unpaid: at most ORDER_MAX_PENDING_ORDERS pending orders
    (their reservation still running) and ORDER_MAX_PENDING_UNITS_PER_PRODUCT units of a
    product (all its variants together) in them, this order included. One query."""
    max_orders = int(getattr(settings, "ORDER_MAX_PENDING_ORDERS", 3))
    max_units = int(getattr(settings, "ORDER_MAX_PENDING_UNITS_PER_PRODUCT", 20))
    held_lines = OrderLine.objects.filter(
        order__user=user, order__status=S.PENDING, order__reserved_until__gt=timezone.now()
    ).values_list("order_id", "product_id", "quantity")
    orders: set = set()
    held: dict[int, int] = {}
    for order_id, product_id, quantity in held_lines:
        orders.add(order_id)
        held[product_id] = held.get(product_id, 0) + quantity
    if len(orders) >= max_orders:
        raise PendingOrdersLimit(limit=max_orders)
    wanted: dict[int, int] = {}
    for item in items:
        wanted[item.product_id] = wanted.get(item.product_id, 0) + item.quantity
    for item in items:
        already = held.get(item.product_id, 0)
        if already + wanted[item.product_id] > max_units:
            product = variants[item.variant_id].product
            raise PendingUnitsLimit(
                product_id=product.pk, name=product.name, limit=max_units, held=already
            )


def _new_number() -> str:
    return f"{timezone.now():%y%m%d}-{secrets.token_hex(3).upper()}"


def _record(
    order: Order, *, from_status: str, to_status: str, by: User | None, note: str = ""
) -> OrderStatusChange:
    return OrderStatusChange.objects.create(
        order=order, from_status=from_status, to_status=to_status, by=by, note=note[:200]
    )


def _lock_stock(variant_ids) -> dict[int, ProductVariant]:
    """Lock the rows of these variants' products, then the variants' rows, each in
    primary-key order (the one order every stock writer uses). Answers the variants
    with their product and shop."""
    ids = sorted(set(variant_ids))
    product_ids = (
        ProductVariant.objects.filter(pk__in=ids).order_by().values("product_id").distinct()
    )
    products = {
        product.pk: product
        for product in Product.objects.select_for_update(of=("self",))
        .filter(pk__in=product_ids)
        .select_related("shop")
        .order_by("pk")
    }
    variants = {}
    for variant in ProductVariant.objects.select_for_update().filter(pk__in=ids).order_by("pk"):
        variant.product = products[variant.product_id]
        variants[variant.pk] = variant
    return variants


# --- Checkout --------------------------------------------------------------------------


@transaction.atomic
def order_place(
    *,
    user: User,
    cart: Cart,
    shipping_address: dict[str, Any],
    billing_address: dict[str, Any] | None = None,
) -> Order:
    """Turn the cart into a pending order: stock reserved, lines snapshotted, cart emptied.

    Not enough stock for any line, or a product no longer for sale, writes nothing.
    """
    user_require_verified_email(user=user)
    Cart.objects.select_for_update().filter(pk=cart.pk).first()
    items = list(CartItem.objects.filter(cart=cart).order_by("variant_id"))
    if not items:
        raise CartEmpty()
    variants = _lock_stock(item.variant_id for item in items)
    _check_hoarding(user=user, items=items, variants=variants)

    for item in items:
        variant = variants[item.variant_id]
        if not variant_is_for_sale(variant):
            raise ProductUnavailable(
                product_id=variant.product_id,
                name=variant.product.name,
                variant_id=variant.pk,
                options=variant.options_text,
            )
        if variant.stock_quantity < item.quantity:
            raise InsufficientStock(
                product_id=variant.product_id,
                available=variant.stock_quantity,
                name=variant.product.name,
                variant_id=variant.pk,
                options=variant.options_text,
            )

    lines = []
    subtotal = Decimal("0.00")
    for item in items:
        variant = variants[item.variant_id]
        product = variant.product
        taken = ProductVariant.objects.filter(
            pk=variant.pk, stock_quantity__gte=item.quantity
        ).update(stock_quantity=F("stock_quantity") - item.quantity)
        if taken != 1:  # cannot happen under the row lock; refuse rather than oversell
            raise InsufficientStock(
                product_id=product.pk, available=variant.stock_quantity, variant_id=variant.pk
            )
        line_total = variant.price * item.quantity
        subtotal += line_total
        lines.append(
            OrderLine(
                product=product,
                variant=variant,
                shop=product.shop,
                product_name=product.name,
                variant_options=variant.options_text,
                sku=variant.sku,
                shop_name=product.shop.name,
                unit_price=variant.price,
                quantity=item.quantity,
                line_total=line_total,
            )
        )
    products_summary_refresh(product_ids={variant.product_id for variant in variants.values()})

    shipping_total = Decimal("0.00")
    if subtotal + shipping_total > MAX_ORDER_TOTAL:
        message = "This order's total is larger than an order can hold: split it in two."
        raise DomainValidationError(message, fields={"cart": [message]})
    order = Order(
        user=user,
        currency=settings.DEFAULT_CURRENCY,
        subtotal=subtotal,
        shipping_total=shipping_total,
        total=subtotal + shipping_total,
        shipping_address=shipping_address,
        billing_address=billing_address,
        reserved_until=timezone.now() + timedelta(minutes=reservation_minutes()),
    )
    for _attempt in range(5):
        order.number = _new_number()
        try:
            with transaction.atomic():
                order.save(force_insert=True)
            break
        except IntegrityError:
            continue
    else:  # pragma: no cover - five random collisions in a row
        raise RuntimeError("Could not allocate an order number.")
    for line in lines:
        line.order = order
    OrderLine.objects.bulk_create(lines)
    change = _record(order, from_status="", to_status=S.PENDING, by=user)
    CartItem.objects.filter(cart=cart).delete()
    # Owners hear once when stock falls below their threshold (mail after commit).
    variants_low_stock_check(variant_ids=list(variants))
    # The order as `order_list_for` reads it back (its lines, its one status change), so
    # that the checkout answer needs no second round of queries.
    order.visible_lines = lines
    order.history = [change]

    from orders.tasks import send_order_email

    order_id = order.pk
    transaction.on_commit(lambda: send_order_email.delay(str(order_id), "confirmation"))
    return order


# --- Status changes --------------------------------------------------------------------


def _lock(order: Order) -> Order:
    return Order.objects.select_for_update().get(pk=order.pk)


def _move(
    order: Order, to_status: str, *, by: User | None, note: str = "", also: tuple[str, ...] = ()
) -> Order:
    """Move `order` to `to_status` and record it; `also`: other fields set on `order`
    by the caller, written in the same UPDATE."""
    if to_status not in TRANSITIONS[order.status]:
        raise InvalidStatusTransition(
            f"An order that is {order.get_status_display().lower()} cannot become {to_status}."
        )
    previous = order.status
    order.status = to_status
    order.save(update_fields=["status", *also, "updated_at"])
    _record(order, from_status=previous, to_status=to_status, by=by, note=note)
    return order


@transaction.atomic
def order_set_status(*, order: Order, status: str, by: User | None) -> Order:
    """Staff move an order along: processing, shipped, delivered or cancelled (staff
    with `orders.change_order`; `by` None is a trusted caller)."""
    if by is not None and not policies.may_change_orders(by):
        raise OrderPermissionDenied("You do not have permission to change orders.")
    if status not in STAFF_SETTABLE:
        raise InvalidStatusTransition(
            f"Staff cannot set {status!r}: paid and refunded come from payments."
        )
    if status == S.CANCELLED:
        return order_cancel(order=order, by=by)
    order = _move(_lock(order), status, by=by)
    if status in (S.SHIPPED, S.DELIVERED):
        from orders.tasks import send_order_email

        order_id = order.pk
        transaction.on_commit(lambda: send_order_email.delay(str(order_id), status))
    return order


def _restock(order: Order) -> None:
    lines = list(order.lines.order_by("variant_id"))
    variants = _lock_stock(line.variant_id for line in lines)
    for line in lines:
        ProductVariant.objects.filter(pk=line.variant_id).update(
            stock_quantity=F("stock_quantity") + line.quantity
        )
    products_summary_refresh(product_ids={variant.product_id for variant in variants.values()})
    variants_low_stock_check(variant_ids=list(variants))


def order_may_cancel(*, order: Order, by: User | None) -> bool:
    """Whether `by` may cancel `order` now (orders.policies.may_cancel_order)."""
    return policies.may_cancel_order(by, order)


@transaction.atomic
def order_cancel(*, order: Order, by: User | None, note: str = "") -> Order:
    """Cancel: the stock returns, and the payments app refunds what was paid."""
    order = _lock(order)
    if by is not None and order.user_id != by.pk and not policies.may_change_orders(by):
        raise OrderPermissionDenied()
    if not order_may_cancel(order=order, by=by):
        raise OrderNotCancellable()
    previous = order.status
    _restock(order)
    order.cancelled_at = timezone.now()
    order.reserved_until = None
    _move(order, S.CANCELLED, by=by, note=note, also=("cancelled_at", "reserved_until"))
    # Payments refunds a paid order (it sits above orders: a signal, not a call).
    order_cancelled.send(sender=Order, order=order, previous_status=previous, by=by)
    from orders.tasks import send_order_email

    order_id = order.pk
    transaction.on_commit(lambda: send_order_email.delay(str(order_id), "cancelled"))
    return order


# No savepoint of its own inside the payment's transaction: nothing here is caught and
# retried, so an error undoes the caller's whole transaction anyway.
@transaction.atomic(savepoint=False)
def order_mark_paid(*, order: Order, note: str = "") -> bool:
    """Payments report the order paid; answers False when it is no longer payable
    (cancelled meanwhile): the caller must then give the money back."""
    order = _lock(order)
    if order.status == S.PAID:
        return True
    if order.status != S.PENDING:
        return False
    order.paid_at = timezone.now()
    order.reserved_until = None
    _move(order, S.PAID, by=None, note=note, also=("paid_at", "reserved_until"))
    from orders.tasks import send_order_email

    order_id = order.pk
    transaction.on_commit(lambda: send_order_email.delay(str(order_id), "paid"))
    return True


@transaction.atomic
def order_record_refund(*, order: Order, amount: Decimal, note: str = "") -> Order:
    """Payments report money given back; a paid (or later) order fully refunded becomes
    `refunded`. A cancelled order stays cancelled."""
    order = _lock(order)
    order.refunded_total = min(order.total, order.refunded_total + amount)
    order.save(update_fields=["refunded_total", "updated_at"])
    if order.refunded_total >= order.total and S.REFUNDED in TRANSITIONS[order.status]:
        _move(order, S.REFUNDED, by=None, note=note)
    return order


def orders_expire_reservations(*, now: datetime | None = None) -> int:
    """Cancel unpaid orders whose reservation ran out; their stock returns. Each order
    in its own transaction, skipping rows another worker is handling."""
    now = now or timezone.now()
    expired_ids = list(
        Order.objects.filter(status=S.PENDING, reserved_until__lt=now).values_list("pk", flat=True)
    )
    cancelled = 0
    for order_id in expired_ids:
        with transaction.atomic():
            order = (
                Order.objects.select_for_update(skip_locked=True)
                .filter(pk=order_id, status=S.PENDING, reserved_until__lt=now)
                .first()
            )
            if order is None:
                continue
            order_cancel(order=order, by=None, note="Reservation expired before payment.")
            cancelled += 1
    return cancelled


@transaction.atomic
def orders_anonymise_for_user(*, user: User) -> int:
    """Erase personal data from a person's orders (their account was erased): amounts
    and lines stay for the books; name, street and phone go."""
    count = 0
    for order in Order.objects.select_for_update().filter(user=user):
        for field in ("shipping_address", "billing_address"):
            address = getattr(order, field)
            if address:
                address.update(full_name="", line1="", line2="", phone="")
                setattr(order, field, address)
        order.save(update_fields=["shipping_address", "billing_address", "updated_at"])
        count += 1
    return count
