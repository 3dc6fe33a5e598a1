from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts.urls import allauth_urlpatterns
from catalog.views import home
from config import health
from core import i18n, metrics
from core.errors import page_not_found
from payments.api import paypal_webhook, stripe_webhook

urlpatterns = [
    path("", home, name="home"),
    re_path(r"^healthz/?$", health.healthz, name="healthz"),
    re_path(r"^readyz/?$", health.readyz, name="readyz"),
    re_path(r"^metrics/?$", metrics.metrics_view, name="metrics"),
    # The API early: its addresses are resolved on every call, past fewer patterns.
    path("api/v1/", include("config.api_router")),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include(allauth_urlpatterns)),
    path("", include("catalog.urls")),
    path("shops/", include("shops.urls")),
    path("cart/", include("cart.urls")),
    path("wishlist/", include("cart.wishlist_urls")),
    path("", include("orders.urls")),
    path("", include("payments.urls")),
    path("invoices/", include("invoices.urls")),
    path("returns/", include("returns.urls")),
    path("", include("notifications.urls")),
    # Languages: the footer's switcher and the scripts' translations (core.i18n).
    path("i18n/language/", i18n.set_language, name="set_language"),
    path("i18n/js/<str:language>/", i18n.javascript_catalog, name="javascript-catalog"),
    # The OpenAPI schema and its interactive docs (Swagger UI from local static files; its
    # start-up script is a file of its own, as the Content Security Policy wants).
    re_path(r"^api/schema/?$", SpectacularAPIView.as_view(), name="api-schema"),
    re_path(
        r"^api/docs/?$", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"
    ),
    re_path(r"^webhooks/stripe/?$", stripe_webhook, name="webhook-stripe"),
    re_path(r"^webhooks/paypal/?$", paypal_webhook, name="webhook-paypal"),
    # Anything else under /api/ is an unknown API address: JSON 404, never an HTML page.
    re_path(r"^api/", page_not_found),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

handler400 = "core.errors.bad_request"
handler403 = "core.errors.permission_denied"
handler404 = "core.errors.page_not_found"
handler500 = "core.errors.server_error"
