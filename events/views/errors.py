"""Error pages that look like the site."""

from __future__ import annotations

from http import HTTPStatus

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from events.templating import render

MESSAGES = {
    400: ("Something was off", "We couldn't read that request."),
    403: ("Not allowed", "You don't have access to this."),
    404: ("Not found", "We couldn't find that page. It may have moved or been removed."),
    405: ("Not allowed", "That isn't something this page can do."),
    410: ("Gone", "This link no longer works."),
    413: ("Too large", "That was more than we can accept in one go."),
    429: ("Slow down", "Too many tries in a short time. Please wait a minute and try again."),
    500: ("Something went wrong", "Sorry — that's on us. Please try again in a moment."),
    503: ("Busy", "Steady is very busy right now. Please try again in a moment."),
}


def error_page(request: Request, status_code: int, message: str | None = None) -> Response:
    heading, default = MESSAGES.get(status_code, ("Something was off", "Please try again."))
    if request.url.path.endswith((".ics", ".csv", ".json")):
        return PlainTextResponse(message or default, status_code=status_code)
    return render(
        request,
        "error.html",
        {"heading": heading, "message": message or default},
        status_code=status_code,
    )


async def http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    detail: str | None = exc.detail if isinstance(exc.detail, str) else None
    if detail == HTTPStatus(exc.status_code).phrase or exc.status_code >= 500:
        detail = None
    response = error_page(request, exc.status_code, detail)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def server_error(request: Request, exc: Exception) -> Response:
    return error_page(request, 500)
