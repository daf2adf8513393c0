"""Short-lived cookies that carry a little text, signed so a visitor can't forge them, HttpOnly,
SameSite=Lax, Secure in prod (the flash message, the sign-up in progress)."""

from __future__ import annotations

import base64

from starlette.requests import HTTPConnection
from starlette.responses import Response

from events.settings import settings_of
from events.tokens import tokens_of


def set_signed(
    request: HTTPConnection,
    response: Response,
    name: str,
    text: str,
    *,
    purpose: str,
    max_age: int,
    path: str = "/",
) -> None:
    """`text` (base64url inside a signed token for `purpose`) in cookie `name`."""
    body = base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")
    signed = tokens_of(request).make_link_token(purpose, body)
    response.set_cookie(
        name,
        signed,
        max_age=max_age,
        path=path,
        httponly=True,
        samesite="lax",
        secure=settings_of(request).secure_cookies,
    )
