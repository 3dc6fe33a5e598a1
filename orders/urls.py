"""Storefront pages of the orders app (see orders/views.py)."""

from django.urls import path

from orders import views

app_name = "orders"

urlpatterns = [
    path("checkout/", views.checkout, name="checkout"),
    path("orders/", views.order_list, name="list"),
    path("orders/<uuid:order_id>/", views.order_detail, name="detail"),
    path("orders/<uuid:order_id>/cancel/", views.order_cancel, name="cancel"),
    # A guest's order from the signed link in its mails (orders.links).
    path("orders/link/<str:token>/", views.order_link, name="link"),
]
