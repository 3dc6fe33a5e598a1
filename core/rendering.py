"""API answers cached as rendered JSON.

Rendering a cached list of 24 products with DRF's JSONRenderer costs more than reading it
from the cache; a cached answer is therefore stored as the bytes the renderer made
(`json_bytes`), and `json_response` sends them as they are when the caller negotiated
plain JSON, the same bytes and Content-Type DRF would have sent. Any other negotiated
format (the browsable API, `application/json; indent=4`) gets a DRF Response of the
decoded data, rendered as usual.
"""

from __future__ import annotations

import json

from django.http import HttpResponse
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

_RENDERER = JSONRenderer()


def json_bytes(data) -> bytes:
    """`data` rendered as DRF's JSONRenderer renders it for `Accept: application/json`."""
    return _RENDERER.render(data, JSONRenderer.media_type, {})


def json_response(request: Request, content: bytes, status: int = 200) -> HttpResponse:
    """An answer whose body is `content` (made by `json_bytes`), in the format the
    request negotiated (DRF's `initial()` has run: `accepted_renderer` is set)."""
    renderer = getattr(request, "accepted_renderer", None)
    if (
        isinstance(renderer, JSONRenderer)
        and renderer.get_indent(request.accepted_media_type, {}) is None
    ):
        content_type = renderer.media_type
        if renderer.charset:
            content_type = f"{content_type}; charset={renderer.charset}"
        return HttpResponse(content, status=status, content_type=content_type)
    return Response(json.loads(content), status=status)
