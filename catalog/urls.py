"""Storefront pages of the catalog (catalog/views/)."""

from django.urls import path

from catalog import views

app_name = "catalog"

urlpatterns = [
    path("products/", views.product_list, name="product_list"),
    path("products/<slug:slug>/", views.product_detail, name="product_detail"),
    path("products/<slug:slug>/review/", views.review_create, name="review_create"),
    path("categories/<slug:slug>/", views.category_detail, name="category_detail"),
    # A shop's storefront lists its products, so the catalog serves it (catalog/views/listings.py).
    path("shops/<slug:slug>/", views.shop_detail, name="shop_detail"),
]
