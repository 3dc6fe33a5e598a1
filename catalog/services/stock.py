"""Low-stock alerts: owners hear once when a sale takes a variant below their threshold."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy, ngettext

from catalog.caching import shops_changed
from catalog.models import ProductVariant
from notifications.models import Kind
from notifications.services import notify
from shops.selectors import shop_member_user_ids

# --- Low stock -------------------------------------------------------------------------
# Each fall of a variant's stock below its shop's `low_stock_threshold` emails the shop's
# owners once: `low_stock_notified_at` remembers the alert until stock is back at or above
# the threshold (a restock, a cancelled order), when it is cleared for the next fall.


@transaction.atomic
def variants_low_stock_reset(*, variant_ids: Iterable[int]) -> int:
    """Clear the alert of those variants whose stock is back at or above their shop's
    threshold; answers how many were cleared."""
    ids = sorted(set(variant_ids))
    if not ids:
        return 0
    restocked = ProductVariant.objects.filter(
        pk__in=ids,
        low_stock_notified_at__isnull=False,
        stock_quantity__gte=F("shop__low_stock_threshold"),
    ).values("pk")
    return ProductVariant.objects.filter(pk__in=restocked).update(low_stock_notified_at=None)


# No savepoint inside a sale's or a cancellation's transaction (two round trips each
# checkout): nothing here is caught, an error undoes the caller's transaction anyway.
@transaction.atomic(savepoint=False)
def variants_low_stock_check(*, variant_ids: Iterable[int]) -> dict[int, list[int]]:
    """Call after the stock of these variants changed (sales, cancellations), in the same
    transaction or after it. Variants back at or above their shop's
    threshold are reset; live variants now below it whose owners were not told yet are
    marked, and each shop's owners get one email listing them, sent by a worker after
    commit. Answers {shop id: [variant ids]} of the alerts queued."""
    ids = sorted(set(variant_ids))
    if not ids:
        return {}
    # Locked in primary-key order (the order every stock writer uses; checkout holds the
    # locks already): two checks that finish together agree on which sends the alert.
    rows = (
        ProductVariant.objects.select_for_update(of=("self",))
        .filter(pk__in=ids)
        .order_by("pk")
        .values_list(
            "pk",
            "shop_id",
            "stock_quantity",
            "shop__low_stock_threshold",
            "low_stock_notified_at",
            "deleted_at",
            "is_active",
        )
    )
    return _low_stock_alerts(list(rows))


def variants_low_stock_check_locked(*, variants: Iterable[ProductVariant]) -> dict[int, list[int]]:
    """variants_low_stock_check for variants whose rows the caller holds locked in this
    transaction and holds as they are now (their stock after the change, their product
    with its shop loaded): checkout, which has just taken their units. No read."""
    rows = [
        (
            variant.pk,
            variant.shop_id,
            variant.stock_quantity,
            variant.product.shop.low_stock_threshold,
            variant.low_stock_notified_at,
            variant.deleted_at,
            variant.is_active,
        )
        for variant in sorted(variants, key=lambda variant: variant.pk)
    ]
    return _low_stock_alerts(rows)


def _low_stock_alerts(rows: list[tuple]) -> dict[int, list[int]]:
    restocked: list[int] = []
    falling: dict[int, list[int]] = {}
    # The stock shown on product pages and lists changed (sales update() the rows).
    shops_changed(shop_ids={row[1] for row in rows})
    for pk, shop_id, stock, threshold, notified_at, deleted_at, is_active in rows:
        if stock >= threshold:
            if notified_at is not None:
                restocked.append(pk)
        elif notified_at is None and deleted_at is None and is_active:
            falling.setdefault(shop_id, []).append(pk)
    if restocked:
        ProductVariant.objects.filter(pk__in=restocked).update(low_stock_notified_at=None)
    if falling:
        ProductVariant.objects.filter(
            pk__in=[pk for shop_ids in falling.values() for pk in shop_ids]
        ).update(low_stock_notified_at=timezone.now())
        from catalog.tasks import send_low_stock_email

        for shop_id, shop_variant_ids in falling.items():
            count = len(shop_variant_ids)
            notify(
                user_ids=shop_member_user_ids(shop_ids=[shop_id]),
                kind=Kind.LOW_STOCK,
                # Each member reads it in their language (notifications.services.notify).
                title=lambda count=count: (
                    ngettext(
                        "%(count)d item of your shop running low",
                        "%(count)d items of your shop running low",
                        count,
                    )
                    % {"count": count}
                ),
                body=gettext_lazy("Restock them before they sell out."),
                link=f"/admin/catalog/product/?shop__id__exact={shop_id}",
            )
            transaction.on_commit(
                lambda shop_id=shop_id, shop_variant_ids=shop_variant_ids: (
                    send_low_stock_email.delay(shop_id, shop_variant_ids)
                )
            )
    return falling
