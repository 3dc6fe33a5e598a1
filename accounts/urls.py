"""Account pages. allauth's own pages (login, sign-up, verification, password change and
reset request, social login) are included after the shop's."""

from django.urls import include, path

app_name = "accounts"

urlpatterns: list = []

allauth_urlpatterns = [path("", include("allauth.urls"))]
