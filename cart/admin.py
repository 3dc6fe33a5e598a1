"""Carts in the admin, for platform staff to look into (a shopper's complaint, abandoned
carts). Read-only: a cart changes only through cart.services, as its owner shops."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from cart.models import Cart, CartItem
from core.admin import ReadOnlyAdminMixin, StaffOnlyAdminMixin


class CartItemInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = CartItem
    fields = ["product", "shop", "quantity", "price_when_added", "current_price", "added_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("product__shop")

    @admin.display(description="shop")
    def shop(self, item: CartItem) -> str:
        return item.product.shop.name

    @admin.display(description="price now")
    def current_price(self, item: CartItem):
        return item.product.price


class OwnerFilter(admin.SimpleListFilter):
    title = "owner"
    parameter_name = "owner"

    def lookups(self, request, model_admin):
        return [("user", "Signed-in person"), ("guest", "Guest")]

    def queryset(self, request, queryset):
        if self.value() == "user":
            return queryset.filter(user__isnull=False)
        if self.value() == "guest":
            return queryset.filter(user__isnull=True)
        return queryset


@admin.register(Cart)
class CartAdmin(StaffOnlyAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "owner", "item_count", "created_at", "updated_at"]
    list_select_related = ["user"]
    list_filter = [OwnerFilter, ("updated_at", admin.DateFieldListFilter)]
    search_fields = ["user__email"]
    search_help_text = "The owner's email."
    date_hierarchy = "updated_at"
    ordering = ["-updated_at", "-id"]
    fields = ["owner", "created_at", "updated_at"]
    readonly_fields = fields
    inlines = [CartItemInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Cart]:
        return (
            super().get_queryset(request).select_related("user").annotate(item_count=Count("items"))
        )

    @admin.display(description="owner", ordering="user__email")
    def owner(self, cart: Cart) -> str:
        return cart.user.email if cart.user else "a guest"

    @admin.display(description="lines", ordering="item_count")
    def item_count(self, cart: Cart) -> int:
        return cart.item_count


@admin.register(CartItem)
class CartItemAdmin(StaffOnlyAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "cart_id",
        "owner",
        "product",
        "shop",
        "quantity",
        "price_when_added",
        "current_price",
        "added_at",
    ]
    list_select_related = ["cart__user", "product__shop"]
    list_filter = [("added_at", admin.DateFieldListFilter)]
    search_fields = ["cart__user__email", "product__name", "product__sku"]
    date_hierarchy = "added_at"
    ordering = ["-added_at", "-id"]
    fields = [
        "cart",
        "owner",
        "product",
        "shop",
        "quantity",
        "price_when_added",
        "current_price",
        "added_at",
        "updated_at",
    ]
    readonly_fields = fields

    @admin.display(description="cart", ordering="cart_id")
    def cart_id(self, item: CartItem) -> int:
        return item.cart_id

    @admin.display(description="owner", ordering="cart__user__email")
    def owner(self, item: CartItem) -> str:
        return item.cart.user.email if item.cart.user else "a guest"

    @admin.display(description="shop", ordering="product__shop__name")
    def shop(self, item: CartItem) -> str:
        return item.product.shop.name

    @admin.display(description="price now", ordering="product__price")
    def current_price(self, item: CartItem):
        return item.product.price
