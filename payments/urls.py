"""Storefront pages of the payments app (see payments/views.py)."""

from django.urls import path

from payments import views

app_name = "payments"

urlpatterns = [
    path("orders/<uuid:order_id>/pay/", views.pay, name="pay"),
    path("orders/<uuid:order_id>/paid/", views.paid, name="paid"),
    # PayPal: off to PayPal's window, and back from it (payments.views).
    path("orders/<uuid:order_id>/pay/paypal/", views.paypal_start, name="paypal-start"),
    path("orders/<uuid:order_id>/pay/paypal/return/", views.paypal_return, name="paypal-return"),
    path("orders/<uuid:order_id>/payment-failed/", views.payment_failed, name="failed"),
    path("orders/payment-methods/", views.payment_methods, name="methods"),
    path(
        "orders/payment-methods/<uuid:method_id>/remove/",
        views.payment_method_remove,
        name="method_remove",
    ),
]
