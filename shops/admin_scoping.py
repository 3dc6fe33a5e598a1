"""The admin scoped to a seller's shops: shop members who are not platform staff see
only their shops' rows. The admin site lets them in through the registry of core.admin
(shops/apps.py registers `is_seller`)."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _

from shops.selectors import user_shop_ids


def seller_shop_ids(request) -> set[int]:
    """The shops the signed-in person is a member of, if their address is verified (asked
    once per request): sellers are who they say they are."""
    if not hasattr(request, "_seller_shop_ids"):
        request._seller_shop_ids = user_shop_ids(user=request.user)
    return request._seller_shop_ids


def is_seller(request) -> bool:
    """A shop member (with a verified address) who is not platform staff: sees the admin
    scoped to their shops."""
    user = request.user
    return user.is_active and not user.is_staff and bool(seller_shop_ids(request))


class SellerScopedAdminMixin:
    """Platform staff keep Django's permissions. Shop members who are not staff see only
    rows of their shops (through `seller_shop_field`) and may do only what the
    `seller_can_*` flags allow; rows of other shops answer 404."""

    seller_shop_field = "shop"
    seller_can_view = True
    seller_can_add = False
    seller_can_change = False
    seller_can_delete = False

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_staff:
            return queryset
        return queryset.filter(**{f"{self.seller_shop_field}__in": seller_shop_ids(request)})

    def get_object(self, request, object_id, from_field=None):
        # Django answers a missing row with a redirect to the index; a seller asking for
        # another shop's row (or none) gets a plain 404, the same either way.
        obj = super().get_object(request, object_id, from_field)
        if obj is None and is_seller(request):
            raise Http404(
                _("No %(thing)s with this ID among your shops.") % {"thing": self.opts.verbose_name}
            )
        return obj

    def has_module_permission(self, request) -> bool:
        if is_seller(request):
            return self.seller_can_view
        return super().has_module_permission(request)

    def has_view_permission(self, request, obj=None) -> bool:
        if is_seller(request):
            return self.seller_can_view or self.seller_can_change
        return super().has_view_permission(request, obj)

    def has_add_permission(self, request, *args) -> bool:
        if is_seller(request):
            return self.seller_can_add
        return super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None) -> bool:
        if is_seller(request):
            return self.seller_can_change
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        if is_seller(request):
            return self.seller_can_delete
        return super().has_delete_permission(request, obj)
