"""Links out from an event page: add one event to Google Calendar, find its place on a map.

No third-party embed and nothing loaded from elsewhere: plain links the member chooses to
follow. Google's event template link adds a single event (unlike its `cid=` link, which
subscribes to a whole feed); times go in UTC (`...Z`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

GOOGLE_TEMPLATE = "https://calendar.google.com/calendar/render"
OSM_SEARCH = "https://www.openstreetmap.org/search"


def _utc_stamp(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def google_calendar_url(event: dict[str, Any], page_url: str, show_details: bool) -> str:
    """Google Calendar's "add this event" link. The place goes in only for people allowed to
    see it; the details point back to the event page."""
    where = ""
    if show_details:
        where = event.get("location") or event.get("online_url") or ""
    elif event.get("location_hint"):
        where = event["location_hint"]
    params = {
        "action": "TEMPLATE",
        "text": event["title"],
        "dates": f"{_utc_stamp(event['starts_at'])}/{_utc_stamp(event['ends_at'])}",
        "details": f"Details and changes: {page_url}",
        "location": where,
    }
    query = urlencode({k: v for k, v in params.items() if v}, safe="/", quote_via=quote)
    return f"{GOOGLE_TEMPLATE}?{query}"


def map_url(event: dict[str, Any]) -> str:
    """A map for the place: `geo:` when coordinates are known, else an OpenStreetMap search.
    '' when there is no place to look up (online only)."""
    lat, lon = event.get("latitude"), event.get("longitude")
    if lat is not None and lon is not None:
        return f"geo:{float(lat):.6f},{float(lon):.6f}"
    place = (event.get("location") or "").strip()
    if not place:
        return ""
    return f"{OSM_SEARCH}?{urlencode({'query': place}, quote_via=quote)}"
