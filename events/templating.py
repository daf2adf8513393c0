"""Jinja2 environment and the one helper that picks a whole page or a named block (htmx)."""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2_fragments.starlette import Jinja2Blocks
from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import Response

from events import attributes, eventlinks, flash, timefmt
from events.auth import current_member
from events.services import attribute_filters, places
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


# Activities → a symbol of templates/_icons.svg; anything else gets a plain dot.
ACTIVITY_ICONS = {
    "hiking": "hiking",
    "walking": "hiking",
    "running": "running",
    "fitness": "fitness",
    "yoga": "fitness",
    "climbing": "fitness",
    "cycling": "fitness",
    "softball": "ball",
    "baseball": "ball",
    "meeting": "meeting",
    "coaching": "coaching",
    "therapy": "coaching",
    "online": "online",
    "calendar": "calendar",
    "pin": "pin",
}


def activity_icon(activity: str, online_url: str = "") -> str:
    if activity in ACTIVITY_ICONS:
        return ACTIVITY_ICONS[activity]
    return "online" if online_url else "event"


def initials(name: str) -> str:
    """'Alex Rivera' → 'AR', 'sam' → 'S': for an avatar beside a name the person chose to show."""
    letters = [w[0] for w in re.findall(r"[^\W\d_]+", name)][:2]
    return "".join(letters).upper() or "?"


def sentence(text: str) -> str:
    """Text ending in exactly one stop: "next week!" stays, "next week" gets a full stop."""
    stripped = (text or "").strip()
    if not stripped:
        return ""
    return stripped if stripped[-1] in ".!?…" else stripped + "."


def paragraphs(text: str) -> Markup:
    """Plain text as HTML paragraphs (blank lines) and line breaks, escaped: no CSS
    `white-space` games, so no blank gaps from the template's own newlines."""
    blocks = [b.strip() for b in (text or "").replace("\r\n", "\n").split("\n\n")]
    html = [
        "<p>" + "<br>".join(str(escape(line)) for line in block.split("\n")) + "</p>"
        for block in blocks
        if block
    ]
    return Markup("".join(html))  # noqa: S704 - every piece of text was escaped above


# How cards and event pages name the attendance mode.
ATTENDANCE_SHOWN = {
    "in_person": "In person",
    "online": "Online",
    "hybrid": "Hybrid: in person and online",
    "inactive": "Paused",
}


def attribute_summary(codes: str | None) -> list[tuple[str, list[str]]]:
    """Stored codes as (group label, readable labels), in catalogue order; never raw codes."""
    grouped: dict[str, list[str]] = {}
    for code in attributes.split(codes):
        entry = attributes.BY_CODE[code]
        grouped.setdefault(attributes.GROUP_LABELS[entry.group], []).append(entry.label)
    return list(grouped.items())


templates = Jinja2Blocks(directory=str(TEMPLATES_DIR))
templates.env.filters.update(sentence=sentence, paragraphs=paragraphs)
templates.env.globals.update(
    static_url=static_url,
    kind_label=kind_label,
    club_kinds=CLUB_KIND_LABELS,
    format_when=timefmt.format_when,
    format_day=timefmt.format_day,
    format_time=timefmt.format_time,
    iso_local=timefmt.iso_local,
    rhythm=timefmt.rhythm,
    activity_icon=activity_icon,
    initials=initials,
    place_label=places.label,
    google_calendar_url=eventlinks.google_calendar_url,
    map_url=eventlinks.map_url,
    attribute_groups=attributes.groups_for,
    attribute_labels=attributes.labels,
    attendance_label=lambda mode: ATTENDANCE_SHOWN.get(mode, ATTENDANCE_SHOWN["in_person"]),
    attribute_summary=lambda codes: attribute_summary(codes),
    attribute_filter_choices=attribute_filters.choices,
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
    fragment = bool(block and wants_fragment(request))
    # A waiting flash message is shown by a whole page only, then forgotten.
    message = "" if fragment or not flash.carried(request) else flash.peek(request)
    # Only what pages show: never the whole settings (the secret key is among them).
    ctx = {
        "user": current_member(request),
        "base_url": settings.base_url,
        "dev": not settings.is_prod,
        "flash": message,
        **(context or {}),
    }
    kwargs: dict[str, Any] = {"status_code": status_code, "headers": headers}
    if fragment:
        kwargs["block_name"] = block
    response = templates.TemplateResponse(request, name, ctx, **kwargs)
    response.headers["Vary"] = "HX-Request, Cookie"
    if not fragment and flash.carried(request):
        flash.clear(request, response)
        response.headers["Cache-Control"] = "no-store"
    return response
