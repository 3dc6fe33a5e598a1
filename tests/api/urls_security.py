"""The site's URLs, plus uploaded media served as in development (what `static()` adds
with DEBUG on) and a page that crashes, for tests/api/test_security.py."""

from django.conf import settings
from django.urls import include, path, re_path
from django.views.static import serve


def crashing_page(request):
    raise RuntimeError(f"a bug that names the secret {settings.SECRET_KEY}")


def media(request, path):
    # MEDIA_ROOT is read per request: each test has its own (tests/conftest.py).
    return serve(request, path, document_root=settings.MEDIA_ROOT)


urlpatterns = [
    path("test/crash/", crashing_page),
    re_path(r"^media/(?P<path>.*)$", media),
    path("", include("config.urls")),
]

handler400 = "core.errors.bad_request"
handler403 = "core.errors.permission_denied"
handler404 = "core.errors.page_not_found"
handler500 = "core.errors.server_error"
