"""Shop pages: the directory of shops and the members page of a shop's owners. A shop's
own storefront (/shops/<slug>/) lists products and is served by catalog/urls.py."""

from django.urls import path

from shops import views

app_name = "shops"

urlpatterns = [
    path("", views.shop_list, name="shop_list"),
    path("<slug:slug>/members/", views.members, name="members"),
    path("<slug:slug>/members/<int:pk>/remove/", views.member_remove, name="member_remove"),
]
