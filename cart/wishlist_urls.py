"""The wishlist's pages (cart/views.py)."""

from django.urls import path

from cart import views

app_name = "wishlist"

urlpatterns = [
    path("", views.wishlist_detail, name="detail"),
    path("add/", views.wishlist_add, name="add"),
    path("remove/", views.wishlist_remove, name="remove"),
    path("move-to-cart/", views.wishlist_move, name="move"),
]
