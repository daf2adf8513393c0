"""The sign-up a browser is waiting on: the address it gave and where it was going (`next`),
in a signed, HttpOnly cookie scoped to /signup. "Check your email" shows the address and
offers to send the link again without putting the address in a URL. A page read with it is
personal: the page cache neither serves nor keeps it (events/pagecache.py)."""

from __future__ import annotations

import base64
import binascii
import json

from starlette.requests import HTTPConnection
from starlette.responses import Response

from events.auth import safe_next
from events.settings import settings_of
from events.signed_cookies import set_signed
from events.tokens import tokens_of

SIGNUP_COOKIE = "steady_signup"
MAX_AGE = 2 * 86400  # as long as the mailed link works
PURPOSE = "signup-pending"


def remember(request: HTTPConnection, response: Response, email: str, next_path: str) -> None:
    body = json.dumps({"e": email, "n": next_path}, separators=(",", ":"))
    set_signed(
        request, response, SIGNUP_COOKIE, body, purpose=PURPOSE, max_age=MAX_AGE, path="/signup"
    )


def read(request: HTTPConnection) -> tuple[str, str] | None:
    """(email, next) of a genuine cookie, else None."""
    raw = request.cookies.get(SIGNUP_COOKIE, "")
    if not raw or len(raw) > 1500:
        return None
    value = tokens_of(request).read_link_token(PURPOSE, raw, max_age=MAX_AGE)
    if value is None:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
        return str(data["e"]), safe_next(str(data.get("n") or ""), "")
    except (binascii.Error, ValueError, KeyError, TypeError):
        return None


def forget(request: HTTPConnection, response: Response) -> None:
    response.delete_cookie(
        SIGNUP_COOKIE,
        path="/signup",
        httponly=True,
        samesite="lax",
        secure=settings_of(request).secure_cookies,
    )
