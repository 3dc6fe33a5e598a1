"""Storefront pages of the cart app (see cart/views.py)."""

from django.urls import path

from cart import views

app_name = "cart"

urlpatterns = [
    path("", views.cart_detail, name="detail"),
    path("add/", views.cart_add, name="add"),
    path("clear/", views.cart_clear, name="clear"),
    path("voucher/", views.cart_voucher_add, name="voucher_add"),
    path("voucher/remove/", views.cart_voucher_remove, name="voucher_remove"),
    path("items/<int:item_id>/", views.cart_update, name="update"),
    path("items/<int:item_id>/remove/", views.cart_remove, name="remove"),
]
