"""The shared plumbing made cheaper for every request (issue 10): the Content Security
Policy header built once per settings, and static URLs made once per process. Each must
answer exactly what the library it speeds up answers."""

import pytest
from csp.constants import NONCE
from csp.middleware import CSPMiddleware as LibraryCSPMiddleware
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.files.storage import storages
from django.http import HttpResponse
from django.test import RequestFactory

from config.storage import StaticFilesStorage
from core.security.middleware import CSPMiddleware

pytestmark = pytest.mark.django_db


def headers_of(middleware_class, response_setup=lambda response: None, path="/products/"):
    request = RequestFactory().get(path)

    def view(request):
        response = HttpResponse("ok")
        response_setup(response)
        return response

    response = middleware_class(view)(request)
    return {
        name: response.get(name)
        for name in ("Content-Security-Policy", "Content-Security-Policy-Report-Only")
    }


def policy(header: str) -> dict[str, list[str]]:
    """A policy header as directives (their order in the header carries no meaning)."""
    return {name: sources for name, *sources in (part.split() for part in header.split(";"))}


def test_the_policy_is_django_csps(settings):
    ours, theirs = headers_of(CSPMiddleware), headers_of(LibraryCSPMiddleware)
    assert policy(ours["Content-Security-Policy"]) == policy(theirs["Content-Security-Policy"])
    assert ours["Content-Security-Policy-Report-Only"] is None
    assert policy(ours["Content-Security-Policy"])["frame-ancestors"] == ["'none'"]


def test_the_policy_follows_changed_settings(settings):
    middleware = CSPMiddleware(lambda request: HttpResponse("ok"))
    first = middleware(RequestFactory().get("/"))["Content-Security-Policy"]
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'none'"]}}
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {
        "DIRECTIVES": {"img-src": ["'self'"]},
        "EXCLUDE_URL_PREFIXES": ["/admin/"],
    }
    response = middleware(RequestFactory().get("/"))
    assert first != response["Content-Security-Policy"]
    assert policy(response["Content-Security-Policy"]) == {"default-src": ["'none'"]}
    report_only = policy(response["Content-Security-Policy-Report-Only"])
    assert report_only["img-src"] == ["'self'"]
    admin = middleware(RequestFactory().get("/admin/"))
    assert "Content-Security-Policy-Report-Only" not in admin


@pytest.mark.parametrize(
    "setup",
    [
        lambda response: setattr(response, "_csp_update", {"img-src": ["https://cdn.example"]}),
        lambda response: setattr(response, "_csp_replace", {"img-src": ["https://cdn.example"]}),
        lambda response: setattr(response, "_csp_exempt", True),
        lambda response: response.__setitem__("Content-Security-Policy", "default-src 'none'"),
    ],
    ids=["update", "replace", "exempt", "set-by-the-view"],
)
def test_a_response_that_changes_its_policy_gets_django_csps_answer(setup):
    ours, theirs = headers_of(CSPMiddleware, setup), headers_of(LibraryCSPMiddleware, setup)
    mine, library = ours["Content-Security-Policy"], theirs["Content-Security-Policy"]
    assert (mine and policy(mine)) == (library and policy(library))


def test_a_nonce_asked_for_by_the_page_is_in_the_header(settings):
    settings.CONTENT_SECURITY_POLICY = {
        "DIRECTIVES": {"default-src": ["'self'"], "script-src": ["'self'", NONCE]}
    }

    def view(request):
        return HttpResponse(f"<script nonce='{request.csp_nonce}'></script>")

    request = RequestFactory().get("/")
    response = CSPMiddleware(view)(request)
    script_src = policy(response["Content-Security-Policy"])["script-src"]
    assert script_src == ["'self'", f"'nonce-{request._csp_nonce}'"]
    plain = CSPMiddleware(lambda request: HttpResponse("ok"))(RequestFactory().get("/"))
    assert policy(plain["Content-Security-Policy"])["script-src"] == ["'self'"]


def test_a_nonce_asked_for_after_the_header_is_written_is_an_error():
    from csp.exceptions import CSPNonceError

    request = RequestFactory().get("/")
    CSPMiddleware(lambda request: HttpResponse("ok"))(request)
    with pytest.raises(CSPNonceError):
        str(request.csp_nonce)


def test_static_urls_are_the_manifest_storages_and_made_once(settings):
    """(The tests' static files are collected: tests/conftest.py.)"""
    assert isinstance(storages["staticfiles"], StaticFilesStorage)
    url = staticfiles_storage.url("css/site.css")
    assert (
        url.startswith("/static/css/site.")
        and url.endswith(".css")
        and url != ("/static/css/site.css")
    )
    assert staticfiles_storage._urls[("css/site.css", False)] == url
    assert staticfiles_storage.url("css/site.css") == url
    with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
        staticfiles_storage.url("css/no-such-file.css")
    assert ("css/no-such-file.css", False) not in staticfiles_storage._urls
