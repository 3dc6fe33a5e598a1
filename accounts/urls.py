"""Account pages. allauth's own pages (login, sign-up, verification, password change and
reset request, social login) are included after the shop's."""

from django.urls import include, path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("profile/", views.profile, name="profile"),
    path("addresses/", views.address_list, name="addresses"),
    path("addresses/add/", views.address_add, name="address_add"),
    path("addresses/<int:pk>/edit/", views.address_edit, name="address_edit"),
    path("addresses/<int:pk>/delete/", views.address_delete, name="address_delete"),
    path("addresses/<int:pk>/default/", views.address_default, name="address_default"),
    path("delete/", views.account_delete, name="delete"),
    # The reset mail's link (accounts.tasks). It comes before allauth's pages and so also
    # answers allauth's own `password/reset/key/...` addresses: the shop has one reset flow.
    path(
        "password/reset/<str:uidb64>/<str:token>/",
        views.password_reset_confirm,
        name="password_reset_confirm",
    ),
]

allauth_urlpatterns = [path("", include("allauth.urls"))]
