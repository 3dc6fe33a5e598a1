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
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Case, F, IntegerField, Q, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts.guests import Guest, is_guest
from accounts.models import User
from accounts.services import user_require_verified_email
from cart.caching import user_cart_changed
from cart.exceptions import InsufficientStock, ProductUnavailable
from cart.models import Cart, CartItem, CartVoucher
from cart.pricing import LineInput, basket_totals
from cart.services import money_limit
from catalog.models import Product, ProductVariant
from catalog.pricing import apply_sale_prices
from catalog.selectors import variant_is_for_sale
from catalog.services import (
    products_summary_refresh,
    variants_low_stock_check,
    variants_low_stock_check_locked,
)
from core import metrics
from core.errors import DomainValidationError
from core.i18n import in_language_of
from core.texts import Text, written
from orders import notices, policies
from orders.caching import user_orders_changed
from orders.exceptions import (
    CartEmpty,
    FulfilmentInvalid,
    InvalidStatusTransition,
    NothingToSend,
    OrderAwaitingEmail,
    OrderLinesFulfilled,
    OrderNotCancellable,
    OrderPermissionDenied,
    PendingOrdersLimit,
    PendingUnitsLimit,
)
from orders.models import (
    SALE_STATUSES,
    Fulfilment,
    FulfilmentLine,
    Order,
    OrderLine,
    OrderStatus,
    OrderStatusChange,
    Shipment,
)
from orders.selectors import commission_rate_of, order_has_fulfilments
from orders.signals import order_cancelled, order_paid, order_refund_recorded, orders_adopted
from promotions.services import redemptions_record, redemptions_release, vouchers_hold
from shops.selectors import user_shop_ids

S = OrderStatus
MAX_ORDER_TOTAL = money_limit(Order._meta.get_field("total"))

TRANSITIONS: dict[str, set[str]] = {
    S.PENDING: {S.PAID, S.CANCELLED},
    S.PAID: {S.PROCESSING, S.PARTIALLY_SHIPPED, S.SHIPPED, S.CANCELLED, S.REFUNDED},
    S.PROCESSING: {S.PARTIALLY_SHIPPED, S.SHIPPED, S.CANCELLED, S.REFUNDED},
    S.PARTIALLY_SHIPPED: {S.SHIPPED, S.REFUNDED},
    S.SHIPPED: {S.DELIVERED, S.REFUNDED},
    S.DELIVERED: {S.REFUNDED},
    S.CANCELLED: set(),
    S.REFUNDED: set(),
}
# What staff may set by hand; `paid` and `refunded` come only from payments.
STAFF_SETTABLE = {S.PROCESSING, S.SHIPPED, S.DELIVERED, S.CANCELLED}


def reservation_minutes() -> int:
    return int(getattr(settings, "ORDER_RESERVATION_MINUTES", 30))


def _buyer_lines(user: User | Guest, email: str) -> Q:
    """The order lines of one buyer for the hoarding rule: an account's; a guest's by
    every handle they could be counted by (the email address they give, their guest
    cart token, the orders their session placed), so that a new address alone does
    not lift the cap."""
    if not is_guest(user):
        return Q(order__user=user)
    reach = Q(order__user__isnull=True, order__email__iexact=email)
    if user.key:
        reach |= Q(order__user__isnull=True, order__guest_key=user.key)
    if user.order_ids:
        reach |= Q(order_id__in=sorted(user.order_ids))
    return reach


def _check_hoarding(
    *, user: User | Guest, email: str, items: list[CartItem], variants: dict[int, ProductVariant]
) -> None:
    """What one buyer may hold unpaid: at most ORDER_MAX_PENDING_ORDERS pending orders
    (their reservation still running) and ORDER_MAX_PENDING_UNITS_PER_PRODUCT units of a
    product (all its variants together) in them, this order included. One query. A
    guest is held to the same caps (`_buyer_lines`)."""
    max_orders = int(getattr(settings, "ORDER_MAX_PENDING_ORDERS", 3))
    max_units = int(getattr(settings, "ORDER_MAX_PENDING_UNITS_PER_PRODUCT", 20))
    held_lines = OrderLine.objects.filter(
        _buyer_lines(user, email),
        order__status=S.PENDING,
        order__reserved_until__gt=timezone.now(),
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
    order: Order, *, from_status: str, to_status: str, by: User | Guest | None, note: Text = ""
) -> OrderStatusChange:
    # A guest acting on their order is recorded as nobody's account (the buyer).
    account = by if by is not None and by.is_authenticated else None
    if not isinstance(note, str):
        # The buyer reads the note in the order's timeline: written in their language
        # (a guest's: the one they ordered in). `_lock` read the order with its buyer.
        with in_language_of(order.user, fallback=order.language):
            note = written(note)
    return OrderStatusChange.objects.create(
        order=order, from_status=from_status, to_status=to_status, by=account, note=note[:200]
    )


def guest_confirm_above() -> Decimal:
    """A guest's order above this total waits for its email address to be confirmed."""
    return Decimal(str(getattr(settings, "GUEST_CONFIRM_ABOVE", "200.00")))


def _guest_email(email: str) -> str:
    email = (email or "").strip()
    message = _("Enter the email address your order confirmation should go to.")
    if not email:
        raise DomainValidationError(message, fields={"email": [message]})
    try:
        validate_email(email)
    except DjangoValidationError as exc:
        message = _("Enter a valid email address.")
        raise DomainValidationError(message, fields={"email": [message]}) from exc
    local, _at, domain = email.rpartition("@")
    return f"{local}@{domain.lower()}"


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
        # FOR NO KEY UPDATE: stock changes no key, and rows that merely point at a
        # product (a promotion's chosen products) may still be written meanwhile.
        for product in Product.objects.select_for_update(of=("self",), no_key=True)
        .filter(pk__in=product_ids)
        .select_related("shop")
        .order_by("pk")
    }
    variants = {}
    variants_locked = ProductVariant.objects.select_for_update(no_key=True).filter(pk__in=ids)
    for variant in variants_locked.order_by("pk"):
        variant.product = products[variant.product_id]
        variants[variant.pk] = variant
    return variants


# --- Checkout --------------------------------------------------------------------------


@metrics.counted_checkout
@transaction.atomic
def order_place(
    *,
    user: User | Guest,
    cart: Cart,
    shipping_address: dict[str, Any],
    billing_address: dict[str, Any] | None = None,
    shipping_methods: dict[int, int] | None = None,
    email: str = "",
) -> Order:
    """Turn the cart into a pending order: stock reserved, lines snapshotted with their
    tax, one shipment per shop with the method chosen (`shipping_methods`: {shop id:
    method id}; a shop left out gets its cheapest), cart emptied. Totals come from
    cart.pricing.basket_totals, the function the cart's estimate uses.

    Not enough stock for any line, a product no longer for sale, or a shop that does not
    ship to the address (409 `not_shippable`) writes nothing.

    `user` may be a guest (accounts.guests.Guest) with the `email` their mails go to:
    the order has no account, carries the guest's token digest, and waits for that
    address to be confirmed when its total is above GUEST_CONFIRM_ABOVE. An account
    needs a verified email address.
    """
    guest = is_guest(user)
    if guest:
        email = _guest_email(email)
    else:
        user_require_verified_email(user=user)
        email = user.email
    Cart.objects.select_for_update().filter(pk=cart.pk).first()
    items = list(CartItem.objects.filter(cart=cart).order_by("variant_id"))
    if not items:
        raise CartEmpty()
    variants = _lock_stock(item.variant_id for item in items)
    # Lines are charged at the running sales' prices (catalog.pricing): sale, then codes.
    apply_sale_prices(variants.values())
    _check_hoarding(user=user, email=email, items=items, variants=variants)

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

    # The cart's codes, locked and checked again: a use is taken below, in this
    # transaction, so that a code is never used more often than it may be.
    voucher_ids = list(CartVoucher.objects.filter(cart=cart).values_list("voucher_id", flat=True))
    offers = vouchers_hold(voucher_ids=voucher_ids, user=user)
    totals = basket_totals(
        lines=[
            LineInput.of_variant(variants[item.variant_id], item.quantity, ref=item.pk)
            for item in items
        ],
        country=shipping_address.get("country", ""),
        region=shipping_address.get("region", ""),
        chosen=shipping_methods,
        strict=True,
        offers=offers,
    )
    if max(totals.total, totals.subtotal + totals.shipping_total) > MAX_ORDER_TOTAL:
        message = _("This order's total is larger than an order can hold: split it in two.")
        raise DomainValidationError(message, fields={"cart": [message]})
    priced = {line.line.ref: line for line in totals.lines}

    # One guarded UPDATE takes every line's units (a cart holds a variant once).
    wanted = _per_variant({item.variant_id: item.quantity for item in items})
    taken = (
        ProductVariant.objects.filter(pk__in=[item.variant_id for item in items])
        .filter(stock_quantity__gte=wanted)
        .update(stock_quantity=F("stock_quantity") - wanted)
    )
    if taken != len(items):  # cannot happen under the row locks; refuse rather than oversell
        short = items[0]
        raise InsufficientStock(
            product_id=short.product_id,
            available=variants[short.variant_id].stock_quantity,
            variant_id=short.variant_id,
        )
    lines = []
    for item in items:
        variant = variants[item.variant_id]
        product = variant.product
        line = priced[item.pk]
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
                line_total=line.line_total,
                discount_amount=line.discount,
                platform_discount_amount=line.platform_discount,
                tax_rate=line.tax_rate,
                tax_amount=line.tax_amount,
            )
        )
    products_summary_refresh(product_ids={variant.product_id for variant in variants.values()})

    order = Order(
        user=None if guest else user,
        email=email,
        guest_key=user.key if guest else "",
        awaiting_email=guest and totals.total > guest_confirm_above(),
        currency=settings.DEFAULT_CURRENCY,
        language=translation.get_language() or "",
        subtotal=totals.subtotal,
        shipping_total=totals.shipping_total,
        tax_total=totals.tax_total,
        discount_total=totals.discount_total,
        prices_include_tax=totals.prices_include_tax,
        total=totals.total,
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
    shops = {variant.product.shop_id: variant.product.shop for variant in variants.values()}
    shipments = Shipment.objects.bulk_create(
        Shipment(
            order=order,
            shop_id=group.shop_id,
            shop_name=group.shop_name,
            method_id=group.method.method_id,
            method_name=group.method.name,
            method_kind=group.method.kind,
            price=group.price,
            discount_amount=group.discount,
            platform_discount_amount=group.platform_discount,
            tax_rate=group.tax_rate,
            tax_amount=group.tax_amount,
            min_days=group.method.min_days,
            max_days=group.method.max_days,
            commission_rate=commission_rate_of(shops[group.shop_id]),
        )
        for group in totals.groups
    )
    redemptions = redemptions_record(
        order_id=order.pk,
        user=user,
        applied=[(applied.offer, applied.amount) for applied in totals.discounts],
        order_total=order.total,
    )
    change = _record(order, from_status="", to_status=S.PENDING, by=user)
    CartItem.objects.filter(cart=cart).delete()
    if voucher_ids:
        CartVoucher.objects.filter(cart=cart).delete()
    user_cart_changed(user_id=cart.user_id)  # a person's cached cart (cart.caching)
    # Owners hear once when stock falls below their threshold (mail after commit); the
    # variants' rows are locked and known, their units taken above: no read.
    for item in items:
        variants[item.variant_id].stock_quantity -= item.quantity
    variants_low_stock_check_locked(variants=variants.values())
    # The order as `order_list_for` reads it back (its lines, its one status change), so
    # that the checkout answer needs no second round of queries.
    order.visible_lines = lines
    order.history = [change]
    order.discount_list = redemptions
    for shipment in shipments:
        shipment.fulfilment_list = []
    order.shipment_list = sorted(shipments, key=lambda shipment: (shipment.shop_name, shipment.pk))

    from orders.tasks import send_order_email

    order_id = order.pk
    transaction.on_commit(lambda: send_order_email.delay(str(order_id), "confirmation"))
    return order


# --- Status changes --------------------------------------------------------------------


def _lock(order: Order) -> Order:
    return order_lock(order_id=order.pk)


def _move(
    order: Order, to_status: str, *, by: User | None, note: Text = "", also: tuple[str, ...] = ()
) -> Order:
    """Move `order` to `to_status` and record it; `also`: other fields set on `order`
    by the caller, written in the same UPDATE."""
    if to_status not in TRANSITIONS[order.status]:
        raise InvalidStatusTransition(
            _("An order that is %(status)s cannot become %(target)s.")
            % {"status": order.get_status_display().lower(), "target": to_status}
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
        raise OrderPermissionDenied(_("You do not have permission to change orders."))
    if status not in STAFF_SETTABLE:
        raise InvalidStatusTransition(
            _("Staff cannot set %(status)s: paid and refunded come from payments.")
            % {"status": repr(status)}
        )
    if status == S.CANCELLED:
        return order_cancel(order=order, by=by)
    order = _move(_lock(order), status, by=by)
    if status == S.DELIVERED:
        Shipment.objects.filter(order=order).update(status=Shipment.Status.DELIVERED)
    elif status == S.SHIPPED:
        Shipment.objects.filter(order=order).exclude(status=Shipment.Status.DELIVERED).update(
            status=Shipment.Status.SHIPPED
        )
    if status in (S.SHIPPED, S.DELIVERED):
        from orders.tasks import send_order_email

        order_id = order.pk
        transaction.on_commit(lambda: send_order_email.delay(str(order_id), status))
        notices.tell_status(order, status)
    return order


def _per_variant(quantities: dict[int, int]) -> Case:
    """A quantity for each of these variants, as one SQL expression."""
    return Case(
        *(When(pk=variant_id, then=Value(quantity)) for variant_id, quantity in quantities.items()),
        output_field=IntegerField(),
    )


def _restock(order: Order) -> None:
    lines = list(order.lines.order_by("variant_id"))
    variants = _lock_stock(line.variant_id for line in lines)
    returned: dict[int, int] = {}
    for line in lines:
        returned[line.variant_id] = returned.get(line.variant_id, 0) + line.quantity
    if returned:
        ProductVariant.objects.filter(pk__in=list(returned)).update(
            stock_quantity=F("stock_quantity") + _per_variant(returned)
        )
    products_summary_refresh(product_ids={variant.product_id for variant in variants.values()})
    variants_low_stock_check(variant_ids=list(variants))


@transaction.atomic
def variants_restock(*, quantities: dict[int, int]) -> None:
    """Units come back to stock (a return received as resellable): the rows locked in
    the order every stock writer uses, one UPDATE."""
    quantities = {variant_id: qty for variant_id, qty in quantities.items() if qty > 0}
    if not quantities:
        return
    variants = _lock_stock(quantities)
    ProductVariant.objects.filter(pk__in=list(quantities)).update(
        stock_quantity=F("stock_quantity") + _per_variant(quantities)
    )
    products_summary_refresh(product_ids={variant.product_id for variant in variants.values()})
    variants_low_stock_check(variant_ids=list(variants))


@transaction.atomic
def order_require_unsent(*, order_id) -> None:
    """Refuse (409 `lines_fulfilled`) when any of the order's goods left; the order's row
    is locked for the check, so that a fulfilment committing meanwhile waits for it."""
    Order.objects.select_for_update().filter(pk=order_id).first()
    if order_has_fulfilments(order_id=order_id):
        raise OrderLinesFulfilled()


def order_may_cancel(*, order: Order, by: User | None) -> bool:
    """Whether `by` may cancel `order` now (orders.policies.may_cancel_order)."""
    return policies.may_cancel_order(by, order)


@transaction.atomic
def order_cancel(*, order: Order, by: User | None, note: Text = "") -> Order:
    """Cancel: the stock returns, and the payments app refunds what was paid."""
    order = _lock(order)
    if by is not None and not policies.is_buyer(by, order) and not policies.may_change_orders(by):
        raise OrderPermissionDenied()
    if order_has_fulfilments(order_id=order.pk):
        raise OrderLinesFulfilled()
    if not order_may_cancel(order=order, by=by):
        raise OrderNotCancellable()
    previous = order.status
    _restock(order)
    if previous == S.PENDING:  # unpaid: its discount codes' uses are given back
        redemptions_release(order_id=order.pk)
    order.cancelled_at = timezone.now()
    order.reserved_until = None
    _move(order, S.CANCELLED, by=by, note=note, also=("cancelled_at", "reserved_until"))
    # Payments refunds a paid order (it sits above orders: a signal, not a call).
    order_cancelled.send(sender=Order, order=order, previous_status=previous, by=by)
    from orders.tasks import send_order_email

    order_id = order.pk
    transaction.on_commit(lambda: send_order_email.delay(str(order_id), "cancelled"))
    notices.tell_status(order, S.CANCELLED)
    return order


def order_confirm_email(*, order: Order) -> bool:
    """The guest opened their order's signed link: its email address is theirs. An
    order that waited for it goes to the sellers. Answers whether this confirmed it."""
    confirmed = Order.objects.filter(pk=order.pk, email_confirmed_at__isnull=True).update(
        email_confirmed_at=timezone.now(), awaiting_email=False, updated_at=timezone.now()
    )
    if confirmed:
        was_held = order.awaiting_email
        order.email_confirmed_at = timezone.now()
        order.awaiting_email = False
        if was_held and order.status in SALE_STATUSES:  # paid meanwhile: now the shops hear
            notices.tell_sellers_new_order(order)
    return bool(confirmed)


@transaction.atomic
def orders_adopt(*, user: User, emails: list[str], confirmed_only: bool = False) -> int:
    """A person's account takes the guest orders placed with one of `emails` (addresses
    of theirs that are verified: the caller makes sure). `confirmed_only`: only those
    whose address was confirmed from their own mail too (at sign-in: an order someone
    else placed with the person's address is not pushed into their account unasked).
    The verified address confirms a held order's address. Answers how many it took;
    from then on only the account reaches them (not the guest's token or session)."""
    if not emails:
        return 0
    reach = Q()
    for email in emails:
        reach |= Q(email__iexact=email)
    if confirmed_only:
        reach &= Q(email_confirmed_at__isnull=False)
    ids = list(
        Order.objects.select_for_update()
        .filter(reach, user__isnull=True)
        .values_list("pk", flat=True)
    )
    if not ids:
        return 0
    now = timezone.now()
    Order.objects.filter(pk__in=ids).update(
        user=user,
        guest_key="",
        awaiting_email=False,
        email_confirmed_at=Coalesce(F("email_confirmed_at"), Value(now)),
        updated_at=now,
    )
    user_orders_changed(user_ids=[user.pk])
    # Their payments and returns follow (apps above orders: a signal).
    orders_adopted.send(sender=Order, user=user, order_ids=ids)
    return len(ids)


def order_lock(*, order_id) -> Order:
    """The order's row locked, with its buyer (not locked: the timeline's notes are
    written in their language). Also for a caller that must lock the order before rows
    of its own (payments), then hands it to order_mark_paid(locked=True)."""
    return Order.objects.select_for_update(of=("self",)).select_related("user").get(pk=order_id)


# No savepoint of its own inside the payment's transaction: nothing here is caught and
# retried, so an error undoes the caller's whole transaction anyway.
@transaction.atomic(savepoint=False)
def order_mark_paid(*, order: Order, note: Text = "", locked: bool = False) -> bool:
    """Payments report the order paid; answers False when it is no longer payable
    (cancelled meanwhile): the caller must then give the money back. `locked`: `order`
    is the row as order_lock answered it, in this transaction (not read again)."""
    if not locked:
        order = _lock(order)
    if order.status == S.PAID:
        return True
    if order.status != S.PENDING:
        return False
    order.paid_at = timezone.now()
    order.reserved_until = None
    _move(order, S.PAID, by=None, note=note, also=("paid_at", "reserved_until"))
    order_paid.send(sender=Order, order=order)  # invoices are issued (invoices.receivers)
    from orders.tasks import send_order_email

    order_id = order.pk
    transaction.on_commit(lambda: send_order_email.delay(str(order_id), "paid"))
    notices.tell_paid(order)
    return True


@transaction.atomic
def order_record_refund(
    *, order: Order, amount: Decimal, note: Text = "", ref: str = "", shop_id: int | None = None
) -> Order:
    """Payments report money given back (`ref`: the refund's id there); a paid (or
    later) order fully refunded becomes `refunded`. A cancelled order stays cancelled.
    Credit notes are issued for it (invoices.receivers)."""
    order = _lock(order)
    order_refund_recorded.send(sender=Order, order=order, amount=amount, ref=ref, shop_id=shop_id)
    order.refunded_total = min(order.total, order.refunded_total + amount)
    order.save(update_fields=["refunded_total", "updated_at"])
    if order.refunded_total >= order.total and S.REFUNDED in TRANSITIONS[order.status]:
        _move(order, S.REFUNDED, by=None, note=note)
    return order


def order_hold_stock(*, order_id, until: datetime, shorten: bool = False) -> bool:
    """Keep an unpaid order's stock until `until` (a payment that settles later: its
    reservation is extended; `shorten`: brought back when that payment failed)."""
    held = Order.objects.filter(pk=order_id, status=S.PENDING, reserved_until__isnull=False)
    if not shorten:
        held = held.filter(reserved_until__lt=until)
    if not held.update(reserved_until=until, updated_at=timezone.now()):
        return False
    # An update() sends no signal: the buyer's cached orders show the new hold.
    user_orders_changed(
        user_ids=Order.objects.filter(pk=order_id).values_list("user_id", flat=True)
    )
    return True


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
            order_cancel(
                order=order, by=None, note=gettext_lazy("Reservation expired before payment.")
            )
            cancelled += 1
    metrics.RESERVATIONS_EXPIRED.inc(cancelled)
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
        order.email = ""
        order.save(update_fields=["shipping_address", "billing_address", "email", "updated_at"])
        count += 1
    return count


# --- Fulfilment --------------------------------------------------------------------------


def _fulfilling_shop(order_lines: dict, lines, by: User | None) -> int:
    """The shop a fulfilment is for when none is named: that of its lines, else the one
    shop of `by` among the order's lines (a validation error when neither tells)."""
    if lines:
        unknown = [line_id for line_id, _quantity in lines if line_id not in order_lines]
        if unknown:
            raise FulfilmentInvalid(
                _("Line %(line)s is not one of this order's lines.") % {"line": unknown[0]}
            )
        shops = {order_lines[line_id].shop_id for line_id, _quantity in lines}
        if len(shops) > 1:
            raise FulfilmentInvalid(_("A fulfilment holds the lines of one shop."))
        return shops.pop()
    mine = {line.shop_id for line in order_lines.values()} & (
        user_shop_ids(user=by) if by is not None else set()
    )
    if len(mine) != 1:
        raise FulfilmentInvalid(_("Name the shop that sends (shop_id)."), field="shop_id")
    return mine.pop()


FULFILLABLE = frozenset({S.PAID, S.PROCESSING, S.PARTIALLY_SHIPPED})


def order_fulfilled_quantities(*, order: Order) -> dict[int, int]:
    """{order line id: units fulfilled so far}."""
    quantities: dict[int, int] = {}
    for line_id, quantity in FulfilmentLine.objects.filter(order_line__order=order).values_list(
        "order_line_id", "quantity"
    ):
        quantities[line_id] = quantities.get(line_id, 0) + quantity
    return quantities


@transaction.atomic
def order_fulfil(
    *,
    order: Order,
    shop_id: int | None = None,
    lines: list[tuple[int, int | None]] | None = None,
    carrier: str = "",
    tracking_number: str = "",
    tracking_url: str = "",
    by: User | None,
) -> Fulfilment:
    """A shop sends units of its lines of a paid order: `lines` as (order line id,
    quantity; None: every unit not sent yet), or all it has not sent when None. The shop
    is `shop_id`, else that of `lines`, else the one shop of `by` among the order's. The
    shop's shipment becomes partially shipped or shipped, and the order
    `partially_shipped` until every shop's lines are all sent, then `shipped`. The shopper
    gets a mail with the tracking link.

    `by`: the shop's members or staff who may change orders (orders.policies.may_fulfil);
    None is a trusted caller."""
    order = _lock(order)
    order_lines = {line.pk: line for line in OrderLine.objects.filter(order=order)}
    if shop_id is None:
        shop_id = _fulfilling_shop(order_lines, lines, by)
    if by is not None and not policies.may_fulfil(by, shop_id):
        raise OrderPermissionDenied(_("Only the shop's members (or staff) fulfil its lines."))
    if order.status not in FULFILLABLE:
        raise InvalidStatusTransition(
            _("An order that is %(status)s cannot be fulfilled.")
            % {"status": order.get_status_display().lower()}
        )
    if order.awaiting_email:
        raise OrderAwaitingEmail()
    shipment = Shipment.objects.filter(order=order, shop_id=shop_id).first()
    if shipment is None:
        raise FulfilmentInvalid(_("This order has no lines of that shop."), field="shop_id")
    shop_lines = {pk: line for pk, line in order_lines.items() if line.shop_id == shop_id}
    sent = order_fulfilled_quantities(order=order)
    left = {pk: line.quantity - sent.get(pk, 0) for pk, line in shop_lines.items()}
    if lines is None:
        wanted = {pk: quantity for pk, quantity in left.items() if quantity > 0}
    else:
        wanted = {}
        for line_id, quantity in lines:
            if line_id not in shop_lines:
                raise FulfilmentInvalid(
                    _("Line %(line)s is not one of this shop's lines of the order.")
                    % {"line": line_id},
                    field="lines",
                )
            if quantity is None:
                quantity = left[line_id] - wanted.get(line_id, 0)
                if quantity < 1:
                    continue
            if quantity < 1:
                raise FulfilmentInvalid(_("Each line sends at least one unit."), field="lines")
            wanted[line_id] = wanted.get(line_id, 0) + quantity
        for line_id, quantity in wanted.items():
            if quantity > left[line_id]:
                raise FulfilmentInvalid(
                    ngettext(
                        "Only %(left)d of “%(name)s” are left to send.",
                        "Only %(left)d of “%(name)s” are left to send.",
                        left[line_id],
                    )
                    % {"left": left[line_id], "name": shop_lines[line_id].product_name},
                    field="lines",
                )
    if not wanted:
        raise NothingToSend()
    fulfilment = Fulfilment.objects.create(
        shipment=shipment,
        carrier=carrier[:100],
        tracking_number=tracking_number[:100],
        tracking_url=tracking_url[:500],
        created_by=by,
    )
    FulfilmentLine.objects.bulk_create(
        FulfilmentLine(fulfilment=fulfilment, order_line_id=line_id, quantity=quantity)
        for line_id, quantity in sorted(wanted.items())
    )
    shop_done = all(left[pk] - wanted.get(pk, 0) == 0 for pk in shop_lines)
    shipment.status = Shipment.Status.SHIPPED if shop_done else Shipment.Status.PARTIALLY_SHIPPED
    shipment.save(update_fields=["status"])
    all_sent = shop_done and not (
        Shipment.objects.filter(order=order)
        .exclude(pk=shipment.pk)
        .exclude(status__in=[Shipment.Status.SHIPPED, Shipment.Status.DELIVERED])
        .exists()
    )
    target = S.SHIPPED if all_sent else S.PARTIALLY_SHIPPED
    if order.status != target:
        shop_name = shipment.shop_name
        _move(order, target, by=by, note=lambda: f"{shop_name}: {fulfilment}".strip())

    from orders.tasks import send_fulfilment_email

    fulfilment_id = fulfilment.pk
    transaction.on_commit(lambda: send_fulfilment_email.delay(fulfilment_id))
    notices.tell_sent(
        order, shop_name=shipment.shop_name, carrier=carrier, tracking_url=tracking_url
    )
    return fulfilment
