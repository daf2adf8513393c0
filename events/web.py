"""Request and response pieces every page family uses: the posted form, the 303 after a
POST, and loading the club or event a URL names (a 404 when there is none)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse


async def form_data(request: Request) -> dict[str, str]:
    """The posted text fields (files and repeated names aside: the last value counts)."""
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


def see_other(url: str) -> RedirectResponse:
    """Where a successful plain POST goes next."""
    return RedirectResponse(url, status_code=303)
