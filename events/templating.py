"""Jinja2 environment and the one helper that picks a whole page or a named block (htmx)."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2_fragments.starlette import Jinja2Blocks
from starlette.requests import Request
from starlette.responses import Response

from events import timefmt
from events.auth import current_member
from events.settings import settings_of
from events.tables import CLUB_KIND_LABELS, ClubKind

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = ROOT / "templates"
STATIC_DIR = ROOT / "static"


@lru_cache(maxsize=64)
def static_url(name: str) -> str:
    """Content-hashed URL: served with immutable caching, changes whenever the file does."""
    digest = hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:10]
    return f"/static/{name}?v={digest}"


def kind_label(kind: str) -> str:
    try:
        return CLUB_KIND_LABELS[ClubKind(kind)]
    except ValueError:
        return kind


templates = Jinja2Blocks(directory=str(TEMPLATES_DIR))
templates.env.globals.update(
    static_url=static_url,
    kind_label=kind_label,
    club_kinds=CLUB_KIND_LABELS,
    format_when=timefmt.format_when,
    format_day=timefmt.format_day,
    format_time=timefmt.format_time,
    iso_local=timefmt.iso_local,
)
templates.env.trim_blocks = True
templates.env.lstrip_blocks = True


def wants_fragment(request: Request) -> bool:
    headers = request.headers
    return (
        headers.get("hx-request") == "true"
        and headers.get("hx-boosted") != "true"
        and headers.get("hx-history-restore-request") != "true"
    )


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    block: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """The whole page, or only `block` for an htmx request. Always `Vary: HX-Request`."""
    settings = settings_of(request)
    # Only what pages show: never the whole settings (the secret key is among them).
    ctx = {
        "user": current_member(request),
        "base_url": settings.base_url,
        "dev": not settings.is_prod,
        **(context or {}),
    }
    kwargs: dict[str, Any] = {"status_code": status_code, "headers": headers}
    if block and wants_fragment(request):
        kwargs["block_name"] = block
    response = templates.TemplateResponse(request, name, ctx, **kwargs)
    response.headers["Vary"] = "HX-Request, Cookie"
    return response
