"""CSRF protection without tokens: cross-origin requests refused by Fetch Metadata, as Go 1.25's
`net/http.CrossOriginProtection` does, plus SameSite=Lax session cookies (events/auth.py).

A state-changing request is refused when the browser says it came from another site
(`Sec-Fetch-Site` other than `same-origin` or `none`), or, from a browser too old to send that
header, when its `Origin` is not this site (scheme, host and port; the scheme is the one
uvicorn believed from a trusted proxy's `X-Forwarded-Proto`). A request with neither header
is not from a browser (curl, a calendar app, a test client) and cannot carry a victim's
cookies by an attacker's doing, so it is allowed. Pages carry no per-visitor token, so every
signed-out visitor gets the same bytes; a `csrftoken` field or `X-CSRFToken` header that an
old form or client still sends is ignored.

`asgi-cross-origin-protection` (PyPI, 0.1.1) does the same, but compares the Origin without
its scheme and ships no tests in its distribution; this is small enough to keep here.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# POSTs that prove themselves with a signed token in the URL and come from mail providers,
# cross-site and without cookies: RFC 8058 one-click unsubscribe (events/views/unsubscribe.py).
CSRF_EXEMPT_PREFIXES = ("/unsubscribe/",)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FIRST_PARTY_SITES = frozenset({"same-origin", "none"})
DEFAULT_PORTS = {"http": 80, "https": 443}
NUL_MESSAGE = "That request contained a character Steady can't store. Please go back and try again."
CROSS_ORIGIN_MESSAGE = (
    "This form was sent from another website, so Steady did not act on it. "
    "If you meant to do this, open Steady itself and try again."
)

Origin = tuple[str, str, int]


def has_nul(data: bytes) -> bool:
    """A NUL byte, raw or percent-encoded: no form a person fills in has one, and PostgreSQL
    text refuses it (a 500 deep in a query, found by fuzzing), so it never gets that far."""
    return b"\x00" in data or b"%00" in data


def _origin(scheme: str, authority: str) -> Origin | None:
    """(scheme, host, port) with the scheme's default port filled in, or None if unusable."""
    try:
        parts = urlsplit(f"{scheme}://{authority}")
        port = parts.port
    except ValueError:
        return None
    if not parts.hostname or parts.username is not None or parts.password is not None:
        return None
    if port is None:
        if scheme not in DEFAULT_PORTS:
            return None
        port = DEFAULT_PORTS[scheme]
    return scheme, parts.hostname.lower(), port


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def is_cross_origin(scope: Scope) -> bool:
    """Go's CrossOriginProtection.Check, but comparing the Origin's scheme too."""
    if scope["method"] in SAFE_METHODS:
        return False
    site = _header(scope, b"sec-fetch-site")
    if site:
        return site not in FIRST_PARTY_SITES
    origin_header = _header(scope, b"origin")
    if not origin_header:
        return False
    scheme, _, authority = origin_header.partition("://")
    if not authority or "/" in authority or "?" in authority or "#" in authority:
        return True  # "null" (sandboxed frames, privacy redirects) or malformed
    origin = _origin(scheme.lower(), authority)
    host = _header(scope, b"host")
    if host is None and scope.get("server"):
        server_host, server_port = scope["server"]
        host = f"{server_host}:{server_port}"
    own = _origin(scope.get("scheme", "http"), host or "")
    return origin is None or own is None or origin != own


class CrossOriginProtection:
    """Refuse cross-origin state-changing requests (403) and NUL bytes anywhere (400)."""

    def __init__(
        self, app: ASGIApp, exempt_prefixes: tuple[str, ...] = CSRF_EXEMPT_PREFIXES
    ) -> None:
        self.app = app
        self.exempt_prefixes = exempt_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if has_nul(scope.get("query_string", b"")):
            await PlainTextResponse(NUL_MESSAGE, status_code=400)(scope, receive, send)
            return
        if scope["method"] in SAFE_METHODS or scope["path"].startswith(self.exempt_prefixes):
            await self.app(scope, receive, send)
            return
        if is_cross_origin(scope):
            await PlainTextResponse(CROSS_ORIGIN_MESSAGE, status_code=403)(scope, receive, send)
            return
        body, disconnected = await _read_body(receive)
        if has_nul(body):
            await PlainTextResponse(NUL_MESSAGE, status_code=400)(scope, receive, send)
            return
        await self.app(scope, _replay(body, disconnected, receive), send)


async def _read_body(receive: Receive) -> tuple[bytes, bool]:
    """The whole body (the app's body limit, outside this layer, bounds it), and whether the
    client went away before sending it all."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), True
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks), False


def _replay(body: bytes, disconnected: bool, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        if disconnected:
            return {"type": "http.disconnect"}
        return await receive()

    return replay
