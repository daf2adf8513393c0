"""CSRF protection: piccolo_api's double-submit-cookie middleware (form field `csrftoken` or
header `X-CSRFToken`), with the request body read up front.

Why the subclass: the parent parses the form from the body stream, which Starlette 1.x's
BaseHTTPMiddleware does not replay to the endpoint, so `await request.form()` there came back
empty. Reading `request.body()` first caches the body, and the cached body is replayed.
"""

from __future__ import annotations

from piccolo_api.csrf.middleware import SAFE_HTTP_METHODS, CSRFMiddleware
from starlette.middleware.base import RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

# POSTs that prove themselves with a signed token in the URL and come from mail clients
# without cookies: RFC 8058 one-click unsubscribe (events/views/mail.py).
CSRF_EXEMPT_PREFIXES = ("/unsubscribe/",)
NUL_MESSAGE = "That request contained a character Steady can't store. Please go back and try again."


def has_nul(data: bytes) -> bool:
    """A NUL byte, raw or percent-encoded: no form a person fills in has one, and PostgreSQL
    text refuses it (a 500 deep in a query, found by fuzzing), so it never gets that far."""
    return b"\x00" in data or b"%00" in data


class BodyKeepingCSRFMiddleware(CSRFMiddleware):
    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        if has_nul(request.scope.get("query_string", b"")):
            return PlainTextResponse(NUL_MESSAGE, status_code=400)
        if request.method == "POST" and request.url.path.startswith(CSRF_EXEMPT_PREFIXES):
            return await call_next(request)
        if request.method not in SAFE_HTTP_METHODS and has_nul(await request.body()):
            return PlainTextResponse(NUL_MESSAGE, status_code=400)
        return await super().dispatch(request, call_next)
