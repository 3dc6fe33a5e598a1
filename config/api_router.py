"""The API's routes, mounted at /api/v1/.

Every address answers with and without its trailing slash, with no redirect.
"""

from django.urls import re_path
from rest_framework.routers import DefaultRouter

from accounts import api as accounts_api


class OptionalSlashRouter(DefaultRouter):
    include_root_view = False
    include_format_suffixes = False

    def __init__(self) -> None:
        super().__init__()
        self.trailing_slash = "/?"


def optional_slash(route: str, view, name: str):
    """A route that answers with and without its trailing slash."""
    return re_path(rf"^{route.strip('/')}/?$", view, name=name)


router = OptionalSlashRouter()
router.register("users", accounts_api.UserViewSet, basename="user")
router.register("addresses", accounts_api.AddressViewSet, basename="address")

app_name = "api"

urlpatterns = [
    optional_slash("auth/register", accounts_api.RegisterView.as_view(), "auth-register"),
    optional_slash("auth/login", accounts_api.LoginView.as_view(), "auth-login"),
    optional_slash("auth/refresh", accounts_api.RefreshView.as_view(), "auth-refresh"),
    optional_slash("auth/logout", accounts_api.LogoutView.as_view(), "auth-logout"),
    optional_slash(
        "auth/forgot-password", accounts_api.ForgotPasswordView.as_view(), "auth-forgot-password"
    ),
    optional_slash(
        "auth/reset-password", accounts_api.ResetPasswordView.as_view(), "auth-reset-password"
    ),
    optional_slash(
        "auth/change-password", accounts_api.ChangePasswordView.as_view(), "auth-change-password"
    ),
    optional_slash(
        "auth/verify-email", accounts_api.VerifyEmailView.as_view(), "auth-verify-email"
    ),
    optional_slash("auth/me", accounts_api.MeView.as_view(), "auth-me"),
    *router.urls,
]
