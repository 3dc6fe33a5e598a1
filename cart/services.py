"""Writes and business rules of the cart (see docs/architecture.md).

A line holds one variant of a product. Quantities are checked against the variant's
stock on the line's total; prices are always the variant's current price (the cart
remembers the price when a quantity was chosen, to say when it changed). Stock is only
taken at checkout (orders).
"""

from __future__ import annotations

import secrets
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts.guests import guest_key_of
from cart.caching import user_cart_changed
from cart.exceptions import (
    CartTokenUnknown,
    InsufficientStock,
    ProductUnavailable,
    VariantRequired,
    quoted_product,
)
from cart.models import Cart, CartItem, CartVoucher
from cart.selectors import variant_purchasable
from catalog.models import Product, ProductVariant
from catalog.selectors import variant_for_sale
from core.errors import DomainValidationError
from promotions.exceptions import VoucherNotApplicable
from promotions.services import voucher_check

GUEST_CART_SESSION_KEY = "guest_cart_id"
MAX_LINE_QUANTITY = 999


def cart_get_for_user(*, user) -> Cart:
    cart, _created = Cart.objects.get_or_create(user=user)
    return cart


def cart_get_for_session(*, session, create: bool = False) -> Cart | None:
    """The guest cart whose id the session holds (made on first use when `create`)."""
    cart_id = session.get(GUEST_CART_SESSION_KEY)
    cart = Cart.objects.filter(pk=cart_id, user__isnull=True).first() if cart_id else None
    if cart is None and create:
        cart = Cart.objects.create()
        session[GUEST_CART_SESSION_KEY] = cart.pk
    return cart


def cart_token_issue() -> tuple[Cart, str]:
    """A new guest cart for the API and its token (answered once; only its digest is
    kept: cart.auth)."""
    token = secrets.token_urlsafe(32)
    return Cart.objects.create(token_hash=guest_key_of(token)), token


def cart_get_for_token(*, key: str) -> Cart:
    """The guest cart of a token's digest (accounts.guests.Guest.key); CartTokenUnknown
    when there is none."""
    cart = Cart.objects.filter(token_hash=key, user__isnull=True).first() if key else None
    if cart is None:
        raise CartTokenUnknown()
    return cart


def _lock(cart: Cart) -> Cart:
    """The cart's row locked: every write to a cart, its lines or its codes starts here,
    so here its person's cached cart is forgotten (now and at commit: cart.caching)."""
    locked = Cart.objects.select_for_update().get(pk=cart.pk)
    user_cart_changed(user_id=locked.user_id)
    return locked


def _purchasable(variant: ProductVariant) -> ProductVariant:
    """The variant, fresh (with its product and shop), if it is for sale;
    ProductUnavailable otherwise."""
    current = variant_purchasable(variant_id=variant.pk)
    if current is None:
        raise ProductUnavailable(
            product_id=variant.product_id,
            name=variant.product.name,
            variant_id=variant.pk,
            options=variant.options_text,
        )
    return current


def cart_variant_of(*, product: Product) -> ProductVariant:
    """The variant meant when a product is named alone: its one variant on sale; a
    product with several answers VariantRequired (400 `variant_required`)."""
    variants = list(
        ProductVariant.objects.filter(product=product, deleted_at__isnull=True, is_active=True)
        .select_related("product")
        .order_by("position", "pk")[:2]
    )
    if len(variants) != 1:
        if not variants:
            raise ProductUnavailable(product_id=product.pk, name=product.name)
        raise VariantRequired(product_id=product.pk, name=product.name)
    return variants[0]


def _check_stock(variant: ProductVariant, quantity: int) -> None:
    if quantity > variant.stock_quantity:
        raise InsufficientStock(
            product_id=variant.product_id,
            available=variant.stock_quantity,
            name=variant.product.name,
            variant_id=variant.pk,
            options=variant.options_text,
        )


def _check_quantity(quantity: int, *, allow_zero: bool) -> None:
    low = 0 if allow_zero else 1
    if (
        not isinstance(quantity, int)
        or isinstance(quantity, bool)
        or not low <= quantity <= MAX_LINE_QUANTITY
    ):
        message = _("Choose a quantity from %(low)d to %(high)d.") % {
            "low": low,
            "high": MAX_LINE_QUANTITY,
        }
        raise DomainValidationError(message, fields={"quantity": [message]})


def money_limit(field) -> Decimal:
    """The largest amount a money column (`max_digits`, `decimal_places`) can hold."""
    return Decimal(10) ** (field.max_digits - field.decimal_places) - Decimal(10) ** (
        -field.decimal_places
    )


# A line's total is stored in a money column of an order line: a price times a
# quantity past what it holds is refused here, before an order cannot be written.
MAX_LINE_TOTAL = money_limit(ProductVariant._meta.get_field("price"))


def _check_line(variant: ProductVariant, quantity: int) -> None:
    """The whole line (not only what is added now) stays within the line maximum and
    its total within what an amount can hold."""
    if quantity > MAX_LINE_QUANTITY:
        message = _("At most %(count)d of one product fit in a cart.") % {
            "count": MAX_LINE_QUANTITY
        }
        raise DomainValidationError(message, fields={"quantity": [message]})
    if variant.price * quantity > MAX_LINE_TOTAL:
        message = _("This line's total is larger than an order can hold: choose fewer.")
        raise DomainValidationError(message, fields={"quantity": [message]})


@transaction.atomic
def cart_add_item(
    *,
    cart: Cart,
    quantity: int,
    variant: ProductVariant | None = None,
    product: Product | None = None,
    fresh: bool = False,
) -> CartItem:
    """Add `quantity` of `variant` (or of `product`, when it has one variant: see
    cart_variant_of); a variant already in the cart adds to its line. `fresh`: the
    variant is as `variant_purchasable` read it in this request (not read again)."""
    _check_quantity(quantity, allow_zero=False)
    if variant is None:
        variant = cart_variant_of(product=product)
    _lock(cart)
    if not fresh:
        variant = _purchasable(variant)
    item = CartItem.objects.filter(cart=cart, variant=variant).first()
    total = quantity + (item.quantity if item else 0)
    _check_line(variant, total)
    _check_stock(variant, total)
    if item is None:
        item = CartItem(cart=cart, product_id=variant.product_id, variant=variant)
    item.quantity = total
    item.price_when_added = variant.price
    item.save()
    Cart.objects.filter(pk=cart.pk).update(updated_at=item.updated_at)
    return item


@transaction.atomic
def cart_set_quantity(*, cart: Cart, item: CartItem, quantity: int) -> CartItem | None:
    """Set a line's quantity; 0 removes the line."""
    _check_quantity(quantity, allow_zero=True)
    _lock(cart)
    if quantity == 0:
        item.delete()
        return None
    variant = _purchasable(item.variant)
    _check_line(variant, quantity)
    _check_stock(variant, quantity)
    item.quantity = quantity
    item.price_when_added = variant.price
    item.save(update_fields=["quantity", "price_when_added", "updated_at"])
    return item


@transaction.atomic
def cart_remove_item(*, cart: Cart, item: CartItem) -> None:
    _lock(cart)
    item.delete()


@transaction.atomic
def cart_clear(*, cart: Cart) -> None:
    _lock(cart)
    cart.items.all().delete()


@transaction.atomic
def cart_merge(*, source: Cart, target: Cart) -> list[str]:
    """Move a guest cart into a signed-in person's cart at login.

    Quantities of the same variant add up, capped at what is in stock; variants no
    longer for sale are dropped. Answers what the shopper should be told.
    """
    if source.pk == target.pk:
        return []
    notices: list[str] = []
    # Lock both carts in id order so that two merges cannot deadlock.
    for locked in sorted((source, target), key=lambda cart: cart.pk):
        _lock(locked)
    existing = {item.variant_id: item for item in target.items.all()}
    for item in source.items.select_related("variant__product"):
        variant = item.variant
        current = (
            ProductVariant.objects.filter(variant_for_sale(), pk=item.variant_id)
            .select_related("product")
            .priced()
            .first()
        )
        label = quoted_product(variant.product.name, variant.options_text)
        if current is None:
            notices.append(
                _("%(product)s is no longer for sale and was left out.") % {"product": label}
            )
            continue
        line = existing.get(item.variant_id)
        wanted = item.quantity + (line.quantity if line else 0)
        quantity = min(wanted, current.stock_quantity, MAX_LINE_QUANTITY)
        if quantity < wanted:
            notices.append(
                ngettext(
                    "Only %(available)d of %(product)s left: quantity reduced.",
                    "Only %(available)d of %(product)s left: quantity reduced.",
                    current.stock_quantity,
                )
                % {"available": current.stock_quantity, "product": label}
            )
        if quantity <= 0:
            if line:
                line.delete()
            continue
        if line is None:
            line = CartItem(cart=target, product_id=current.product_id, variant=current)
        line.quantity = quantity
        line.price_when_added = current.price
        line.save()
    held = {
        cv.voucher.promotion.shop_id for cv in target.vouchers.select_related("voucher__promotion")
    }
    for entry in source.vouchers.select_related("voucher__promotion"):
        if entry.voucher.promotion.shop_id not in held:
            CartVoucher.objects.get_or_create(cart=target, voucher=entry.voucher)
            held.add(entry.voucher.promotion.shop_id)
    source.delete()
    return notices


# --- Discount codes -------------------------------------------------------------------


@transaction.atomic
def cart_voucher_add(*, cart: Cart, code: str, user) -> CartVoucher:
    """Put a discount code on the cart if `user` may use it now and it gives something
    to the cart's lines (else its VoucherError, with the precise code). A cart holds one
    code of the platform and one of each shop: a new one replaces the one of its kind."""
    from cart.selectors import cart_summary, cart_totals
    from promotions.selectors import offer_of

    _lock(cart)
    voucher = voucher_check(code=code, user=user)
    summary = cart_summary(cart=cart)
    offers = [o for o in summary.offers if o.shop_id != voucher.promotion.shop_id]
    offer = offer_of(voucher)
    totals = cart_totals(summary=summary, country="", offers=[*offers, offer])
    applied = next(d for d in totals.discounts if d.offer.voucher_id == voucher.pk)
    if applied.problem:
        raise VoucherNotApplicable(applied.detail, voucher=voucher.code, reason=applied.problem)
    replaced = CartVoucher.objects.filter(cart=cart).exclude(voucher=voucher)
    if voucher.promotion.shop_id is None:
        replaced = replaced.filter(voucher__promotion__shop__isnull=True)
    else:
        replaced = replaced.filter(voucher__promotion__shop_id=voucher.promotion.shop_id)
    replaced.delete()
    entry, _created = CartVoucher.objects.get_or_create(cart=cart, voucher=voucher)
    return entry


@transaction.atomic
def cart_voucher_remove(*, cart: Cart, code: str | None = None) -> int:
    """Take a code off the cart (every code when `code` is None); answers how many."""
    from promotions.selectors import normalize_code

    _lock(cart)
    entries = CartVoucher.objects.filter(cart=cart)
    if code is not None:
        entries = entries.filter(voucher__code=normalize_code(code))
    removed, _detail = entries.delete()
    return removed


# --- Wishlists ----------------------------------------------------------------------

WISHLIST_SESSION_KEY = "wishlist"
MAX_WISHLIST = 500


def _wishlist_target(*, product: Product, variant: ProductVariant | None):
    if variant is not None and variant.product_id != product.pk:
        raise DomainValidationError(
            _("That variant is not one of this product's."),
            fields={"variant_id": [_("Not a variant of this product.")]},
        )
    return product.pk, (variant.pk if variant is not None else None)


def wishlist_add(
    *, user=None, session=None, product: Product, variant: ProductVariant | None = None
) -> bool:
    """Save a product (or one of its variants) for a signed-in `user`, or in a guest's
    `session`; answers whether it is new there. At most MAX_WISHLIST entries."""
    from cart.models import WishlistItem

    product_id, variant_id = _wishlist_target(product=product, variant=variant)
    full = DomainValidationError(
        _("A wishlist holds at most %(count)d items.") % {"count": MAX_WISHLIST}
    )
    if user is not None and user.is_authenticated:
        if WishlistItem.objects.filter(user=user).count() >= MAX_WISHLIST:
            raise full
        _item, created = WishlistItem.objects.get_or_create(
            user=user, product_id=product_id, variant_id=variant_id
        )
        return created
    saved = [tuple(entry) for entry in session.get(WISHLIST_SESSION_KEY, [])]
    if (product_id, variant_id) in saved:
        return False
    if len(saved) >= MAX_WISHLIST:
        raise full
    session[WISHLIST_SESSION_KEY] = [*saved, (product_id, variant_id)]
    return True


def wishlist_remove(
    *, user=None, session=None, product_id: int, variant_id: int | None = None
) -> bool:
    from cart.models import WishlistItem

    if user is not None and user.is_authenticated:
        removed, _detail = WishlistItem.objects.filter(
            user=user, product_id=product_id, variant_id=variant_id
        ).delete()
        return bool(removed)
    saved = [tuple(entry) for entry in session.get(WISHLIST_SESSION_KEY, [])]
    kept = [entry for entry in saved if entry != (product_id, variant_id)]
    session[WISHLIST_SESSION_KEY] = kept
    return len(kept) != len(saved)


def wishlist_merge(*, session, user) -> int:
    """A guest's saved items join the person's wishlist at sign-in; answers how many."""
    from cart.models import WishlistItem

    saved = [tuple(entry) for entry in session.pop(WISHLIST_SESSION_KEY, [])]
    live = set(
        Product.objects.filter(pk__in={p for p, _v in saved}, deleted_at__isnull=True).values_list(
            "pk", flat=True
        )
    )
    added = 0
    for product_id, variant_id in saved:
        if product_id not in live:
            continue
        _item, created = WishlistItem.objects.get_or_create(
            user=user, product_id=product_id, variant_id=variant_id
        )
        added += created
    return added


@transaction.atomic
def wishlist_move_to_cart(
    *, cart: Cart, product: Product, variant=None, user=None, session=None
) -> CartItem:
    """Put a saved item in the cart (one unit; its variant, or the product's one variant)
    and take it off the wishlist (a signed-in `user`'s, or a guest's `session`)."""
    chosen = variant if variant is not None else cart_variant_of(product=product)
    item = cart_add_item(cart=cart, variant=chosen, quantity=1)
    wishlist_remove(
        user=user,
        session=session,
        product_id=product.pk,
        variant_id=variant.pk if variant is not None else None,
    )
    return item


def carts_purge_guests(*, older_than_days: int | None = None, now=None) -> int:
    """Delete guest carts nobody touched for GUEST_CART_DAYS (their sessions are long
    gone); answers how many. Signed-in people's carts stay. In batches, on the index of
    guest carts by last change."""
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone

    days = older_than_days if older_than_days is not None else settings.GUEST_CART_DAYS
    before = (now or timezone.now()) - timedelta(days=days)
    purged = 0
    while True:
        ids = list(
            Cart.objects.filter(user__isnull=True, updated_at__lt=before)
            .order_by("updated_at")
            .values_list("pk", flat=True)[:1000]
        )
        if not ids:
            return purged
        Cart.objects.filter(pk__in=ids, user__isnull=True).delete()
        purged += len(ids)


def wishlist_price_drops_tell(*, variant_ids) -> int:
    """Tell the people who saved these variants (or their products) that the price went
    down: one notification per person and product. Answers how many were told."""
    from django.conf import settings
    from django.db.models import Q
    from django.urls import reverse

    from cart.models import WishlistItem
    from notifications.models import Kind
    from notifications.services import notify

    variants = {
        variant.pk: variant
        for variant in ProductVariant.objects.filter(pk__in=list(variant_ids)).select_related(
            "product"
        )
    }
    if not variants:
        return 0
    product_ids = {variant.product_id for variant in variants.values()}
    saved = WishlistItem.objects.filter(
        Q(variant_id__in=list(variants)) | Q(variant__isnull=True, product_id__in=product_ids)
    ).values_list("user_id", "product_id", "variant_id")
    told: dict[tuple[int, int], ProductVariant] = {}
    for user_id, product_id, variant_id in saved:
        if user_id is None:
            continue
        variant = variants.get(variant_id) or min(
            (v for v in variants.values() if v.product_id == product_id), key=lambda v: v.price
        )
        told.setdefault((user_id, product_id), variant)
    for (user_id, _product_id), variant in told.items():
        product = variant.product
        notify(
            user_ids=[user_id],
            kind=Kind.PRICE_DROP,
            # Written in the person's language (notifications.services.notify).
            title=lambda name=product.name, price=variant.price: (
                _("Price drop: %(product)s now %(price)s %(currency)s")
                % {"product": name, "price": price, "currency": settings.DEFAULT_CURRENCY}
            ),
            body=gettext_lazy("An item on your wishlist costs less now."),
            link=reverse("catalog:product_detail", args=[product.slug]),
        )
    return len(told)
