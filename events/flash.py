"""Flash messages: one line of feedback shown once on the page a POST redirects to.

The text rides in a short-lived signed cookie (no server state, works without JavaScript);
`render` shows it in base.html (role="status") and deletes the cookie in the same answer.
A request carrying the cookie is never served from, nor kept in, the page cache
(events/pagecache.py), so one visitor's message is never shown to another.
"""

from __future__ import annotations

import base64
import binascii

from starlette.requests import HTTPConnection
from starlette.responses import RedirectResponse, Response

from events.settings import settings_of
from events.signed_cookies import set_signed
from events.tokens import tokens_of

FLASH_COOKIE = "steady_flash"
MAX_AGE = 120  # seconds: long enough for a slow redirect, short enough to never linger
MAX_TEXT = 300
PURPOSE = "flash"


def flash(request: HTTPConnection, response: Response, text: str) -> Response:
    """Show `text` once on the next page this browser loads."""
    raw = " ".join(text.split())[:MAX_TEXT]
    set_signed(request, response, FLASH_COOKIE, raw, purpose=PURPOSE, max_age=MAX_AGE)
    return response


def redirect(request: HTTPConnection, url: str, text: str) -> RedirectResponse:
    """303 to `url`, where `text` shows once."""
    response = RedirectResponse(url, status_code=303)
    flash(request, response, text)
    return response


def carried(request: HTTPConnection) -> bool:
    return FLASH_COOKIE in request.cookies


def peek(request: HTTPConnection) -> str:
    """The message waiting for this request, or ''. A forged or stale cookie reads as ''."""
    value = request.cookies.get(FLASH_COOKIE, "")
    if not value or len(value) > 1000:
        return ""
    body = tokens_of(request).read_link_token(PURPOSE, value, max_age=MAX_AGE)
    if body is None:
        return ""
    try:
        return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError):
        return ""


def clear(request: HTTPConnection, response: Response) -> None:
    response.delete_cookie(
        FLASH_COOKIE,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings_of(request).secure_cookies,
    )
