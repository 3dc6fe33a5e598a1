"""Returns, from the request to the refund.

A shopper asks to return units of a delivered order's lines, all of one shop, within the
shop's return window (days after delivery). The shop's members (or staff who change
orders) approve it (the shop's instructions go to the shopper) or refuse it; they mark
the goods received, back in stock when resellable, and what was paid for them is
refunded through the payment provider: each unit's share of its line's price after
discounts, with its tax when prices exclude it, and the shipment's charge when the
shop's whole part has come back. The shop's credit note follows the refund (invoices).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.guests import Guest
from accounts.models import User
from core.emails import render_email
from core.errors import DomainValidationError
from core.i18n import by_language, language_of
from notifications.models import Kind
from notifications.services import notify
from orders.links import order_path, order_url
from orders.models import Order, OrderLine, OrderStatus, OrderStatusChange, Shipment
from orders.policies import is_buyer, may_fulfil
from orders.selectors import order_recipient
from orders.services import variants_restock
from payments.models import Payment, PaymentStatus
from payments.services import payment_refund
from returns.exceptions import InvalidReturnTransition, ReturnNotAllowed, ReturnPermissionDenied
from returns.models import ReturnEvent, ReturnLine, ReturnRequest, ReturnStatus
from shops.selectors import shop_member_user_ids

S = ReturnStatus
TRANSITIONS = {
    S.REQUESTED: {S.APPROVED, S.REFUSED},
    S.APPROVED: {S.RECEIVED},
    S.RECEIVED: {S.REFUNDED},
    S.REFUSED: set(),
    S.REFUNDED: set(),
}
CENT = Decimal("0.01")


def _invalid(field: str, message: str) -> DomainValidationError:
    return DomainValidationError(message, fields={field: [message]})


def delivered_at(order: Order):
    change = (
        OrderStatusChange.objects.filter(order=order, to_status=OrderStatus.DELIVERED)
        .order_by("-at")
        .first()
    )
    return change.at if change else None


def _returned(order_id) -> dict[int, int]:
    """Units of each line already asked back (refused requests give them back)."""
    lines = ReturnLine.objects.filter(request__order_id=order_id).exclude(request__status=S.REFUSED)
    rows = lines.values("order_line_id").annotate(units=Sum("quantity"))
    return {row["order_line_id"]: row["units"] for row in rows}


def returnable_lines(order: Order, lines) -> list[tuple[OrderLine, int]]:
    """The order's `lines` that may still be asked back, each with how many units: none
    before the order is delivered."""
    if order.status != OrderStatus.DELIVERED:
        return []
    returned = _returned(order.pk)
    left = [(line, line.quantity - returned.get(line.pk, 0)) for line in lines]
    return [(line, units) for line, units in left if units > 0]


def _record(request: ReturnRequest, to_status: str, *, by, note: str = "") -> None:
    previous = request.status
    if to_status not in TRANSITIONS[previous] and previous != to_status:
        raise InvalidReturnTransition(
            _("A return that is %(status)s cannot become %(target)s.")
            % {"status": request.get_status_display().lower(), "target": to_status}
        )
    request.status = to_status
    ReturnEvent.objects.create(
        request=request,
        from_status=previous if previous != to_status else "",
        to_status=to_status,
        by=by if getattr(by, "is_authenticated", False) else None,
        note=note[:500],
    )


def _mail(request: ReturnRequest) -> None:
    """Each step is mailed (after commit) and told in the notification centre: the
    shop's members hear of a request, the buyer of every answer."""
    request_id = request.pk
    transaction.on_commit(lambda: return_send_email(request_id=request_id))
    order = request.order
    number, status = order.number, request.status
    if request.status == S.REQUESTED:
        notify(
            user_ids=shop_member_user_ids(shop_ids=[request.shop_id]),
            kind=Kind.RETURN_REQUESTED,
            # Each in the reader's language (notifications.services.notify).
            title=lambda: _("Return requested for order %(number)s") % {"number": number},
            body=request.reason[:300],
            link=reverse("admin:returns_returnrequest_change", args=[request.pk]),
        )
    else:
        notify(
            user_ids=[order.user_id],
            kind=Kind.RETURN_UPDATE,
            title=lambda: (
                _("Your return for order %(number)s: %(status)s")
                % {"number": number, "status": str(ReturnStatus(status).label).lower()}
            ),
            body=(request.instructions or "")[:300] if request.status == S.APPROVED else "",
            link=order_path(order),
        )


def return_send_email(*, request_id: int) -> None:
    request = (
        ReturnRequest.objects.select_related("order__user", "shop")
        .prefetch_related("lines__order_line")
        .filter(pk=request_id)
        .first()
    )
    if request is None:
        return
    context = {
        "request": request,
        "order": request.order,
        "shop": request.shop,
        "order_url": order_url(request.order),
    }
    recipient = order_recipient(request.order)
    if recipient:
        render_email(
            "returns/email/status",
            to=[recipient],
            context=context,
            language=language_of(request.order.user, fallback=request.order.language),
        ).send()
    if request.status == S.REQUESTED:
        members = request.shop.memberships.filter(user__is_active=True).values_list(
            "user__email", "user__language"
        )
        # One mail per language the shop's members read.
        for language, addresses in by_language(members).items():
            render_email(
                "returns/email/shop_request", to=addresses, context=context, language=language
            ).send()


@transaction.atomic
def return_request(
    *, order: Order, user: User | Guest, lines: list[dict[str, Any]], reason: str
) -> ReturnRequest:
    """Ask to return `lines` ([{line_id, quantity}]) of `user`'s delivered order
    (`user` a guest holding the order's link or cart token, for a guest's order)."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    if not is_buyer(user, order):
        raise ReturnPermissionDenied(_("Only the order's buyer asks for a return."))
    if order.status != OrderStatus.DELIVERED:
        raise ReturnNotAllowed(_("Only a delivered order can be returned."))
    reason = (reason or "").strip()
    if not reason:
        raise _invalid("reason", _("Say why you are returning these items."))
    if not lines:
        raise _invalid("lines", _("Choose at least one item to return."))
    by_id = {line.pk: line for line in OrderLine.objects.filter(order=order)}
    returned = _returned(order.pk)
    wanted: dict[int, int] = {}
    for index, entry in enumerate(lines):
        line = by_id.get(int(entry.get("line_id", 0) or 0))
        if line is None:
            raise _invalid(f"lines.{index}.line_id", _("Not a line of this order."))
        quantity = int(entry.get("quantity", 0) or 0)
        left = line.quantity - returned.get(line.pk, 0) - wanted.get(line.pk, 0)
        if not 1 <= quantity <= left:
            raise _invalid(
                f"lines.{index}.quantity", _("From 1 to %(left)d of this item.") % {"left": left}
            )
        wanted[line.pk] = wanted.get(line.pk, 0) + quantity
    shops = {by_id[line_id].shop_id for line_id in wanted}
    if len(shops) != 1:
        raise _invalid("lines", _("One return per shop: ask for each shop's items apart."))
    shop = by_id[next(iter(wanted))].shop
    since = delivered_at(order)
    if since is not None and timezone.now() > since + timedelta(days=shop.return_window_days):
        raise ReturnNotAllowed(
            ngettext(
                "%(shop)s takes returns within %(days)d days of delivery.",
                "%(shop)s takes returns within %(days)d days of delivery.",
                shop.return_window_days,
            )
            % {"shop": shop.name, "days": shop.return_window_days}
        )
    account = order.user  # the order's owner (None: a guest's), whoever asks
    request = ReturnRequest.objects.create(
        order=order, shop=shop, user=account, reason=reason[:2000]
    )
    ReturnLine.objects.bulk_create(
        ReturnLine(request=request, order_line_id=line_id, quantity=quantity)
        for line_id, quantity in wanted.items()
    )
    ReturnEvent.objects.create(request=request, to_status=S.REQUESTED, by=account)
    _mail(request)
    return request


def _lock(request: ReturnRequest, by: User | None) -> ReturnRequest:
    request = ReturnRequest.objects.select_for_update().select_related("shop").get(pk=request.pk)
    if by is not None and not may_fulfil(by, request.shop_id):
        raise ReturnPermissionDenied()
    return request


@transaction.atomic
def return_approve(
    *, request: ReturnRequest, by: User | None, instructions: str | None = None
) -> ReturnRequest:
    """Approved: the shop's return instructions (or these) go to the shopper."""
    request = _lock(request, by)
    _record(request, S.APPROVED, by=by)
    request.instructions = (instructions or request.shop.return_instructions or "").strip()
    request.save(update_fields=["status", "instructions", "updated_at"])
    _mail(request)
    return request


@transaction.atomic
def return_refuse(*, request: ReturnRequest, by: User | None, note: str = "") -> ReturnRequest:
    request = _lock(request, by)
    _record(request, S.REFUSED, by=by, note=note)
    request.instructions = (note or "").strip()
    request.save(update_fields=["status", "instructions", "updated_at"])
    _mail(request)
    return request


def _share(amount: Decimal, part: int, whole: int) -> Decimal:
    return (amount * part / whole).quantize(CENT, rounding=ROUND_HALF_UP)


def return_refund_amount(request: ReturnRequest) -> Decimal:
    """What the returned units were paid: per line, its paid amount (after its discount
    share, with its tax when prices exclude it) in proportion to the units, the last
    units of a line taking what is left of it; plus the shipment's charge when the
    shop's whole part of the order has come back."""
    order = request.order
    lines = list(request.lines.select_related("order_line"))
    earlier = (
        ReturnLine.objects.filter(request__order_id=order.pk, request__status__in=[S.REFUNDED])
        .exclude(request=request)
        .values("order_line_id")
        .annotate(units=Sum("quantity"))
    )
    earlier_units = {row["order_line_id"]: row["units"] for row in earlier}
    total = Decimal("0.00")
    for entry in lines:
        line = entry.order_line
        line.order = order
        paid = line.paid_amount
        before = earlier_units.get(line.pk, 0)
        if before + entry.quantity >= line.quantity:  # the last units: what is left
            amount = paid - _share(paid, before, line.quantity)
        else:
            amount = _share(paid, entry.quantity, line.quantity)
        total += amount
    shop_lines = OrderLine.objects.filter(order=order, shop_id=request.shop_id)
    units = sum(line.quantity for line in shop_lines)
    back = _returned(order.pk)
    if sum(back.get(line.pk, 0) for line in shop_lines) >= units:
        shipment = Shipment.objects.filter(order=order, shop_id=request.shop_id).first()
        if shipment is not None:
            charge = shipment.price - shipment.discount_amount
            total += charge if order.prices_include_tax else charge + shipment.tax_amount
    return total


@transaction.atomic
def return_mark_refunded(*, refund_id) -> ReturnRequest | None:
    """The provider confirmed the refund of a received return (once; any other refund
    changes nothing)."""
    request = (
        ReturnRequest.objects.select_for_update()
        .filter(refund_id=refund_id, status=S.RECEIVED)
        .first()
    )
    if request is None:
        return None
    _record(
        request,
        S.REFUNDED,
        by=None,
        note=_("Refunded %(amount)s.") % {"amount": f"{request.refund_amount:.2f}"},
    )
    request.save(update_fields=["status", "updated_at"])
    _mail(request)
    return request


@transaction.atomic
def return_receive(*, request: ReturnRequest, by: User | None, resellable: bool) -> ReturnRequest:
    """The goods are back: into stock when resellable, and the money back to the
    shopper through the payment provider (refunded once the provider says so)."""
    request = _lock(request, by)
    _record(request, S.RECEIVED, by=by, note=_("Back in stock.") if resellable else "")
    request.resellable = bool(resellable)
    lines = list(request.lines.select_related("order_line"))
    if resellable:
        quantities: dict[int, int] = {}
        for entry in lines:
            variant_id = entry.order_line.variant_id
            quantities[variant_id] = quantities.get(variant_id, 0) + entry.quantity
        variants_restock(quantities=quantities)
    amount = return_refund_amount(request)
    request.refund_amount = amount
    payment = (
        Payment.objects.filter(order_id=request.order_id, status=PaymentStatus.SUCCEEDED)
        .order_by("created_at")
        .first()
    )
    if payment is not None and amount > 0:
        refund = payment_refund(payment=payment, amount=amount, by=None, shop_id=request.shop_id)
        request.refund_id = refund.pk
        if refund.status == "succeeded":
            _record(
                request,
                S.REFUNDED,
                by=None,
                note=_("Refunded %(amount)s.") % {"amount": f"{amount:.2f}"},
            )
    request.save()
    _mail(request)
    return request
