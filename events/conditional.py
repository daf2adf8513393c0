"""Conditional GET (RFC 9110 §13): does a request's validator match what we would send?

One reading of `If-None-Match` and `If-Modified-Since` for the page cache and the feeds, and
the validators and caching headers every feed (calendar and Meeting Guide) sends.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from starlette.requests import Request

# How long a client or proxy may reuse a feed without asking again.
FEED_MAX_AGE = 300
# The oldest Last-Modified a feed says: an empty feed still has one.
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def http_date(text: str) -> datetime | None:
    """An HTTP date as an aware datetime (a date without a zone is UTC), else None."""
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def etag_matches(if_none_match: str, etags: Iterable[str]) -> bool:
    """Weak comparison (§13.1.2): `W/"x"` matches `"x"`; `*` matches any representation."""
    current = tuple(etags)
    if if_none_match in current:
        return True
    wanted = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in wanted or any(etag in wanted for etag in current)


def not_modified(
    if_none_match: str | None,
    if_modified_since: str | None,
    etags: Iterable[str],
    last_modified: datetime | None,
) -> bool:
    """True when a 304 answers the request (§13.2.2): If-None-Match decides when it is sent;
    If-Modified-Since counts only without it, and an unreadable date means "send it"."""
    if if_none_match is not None:
        return etag_matches(if_none_match, etags)
    if if_modified_since and last_modified is not None:
        since = http_date(if_modified_since)
        return since is not None and last_modified <= since
    return False


@dataclass
class Validators:
    etag: str
    last_modified: datetime


def request_not_modified(request: Request, v: Validators) -> bool:
    """`not_modified` for a request's own conditional headers."""
    headers = request.headers
    return not_modified(
        headers.get("if-none-match"), headers.get("if-modified-since"), [v.etag], v.last_modified
    )


def feed_headers(v: Validators, *, private: bool, filename: str = "") -> dict[str, str]:
    """A feed's validators and caching headers; a private one never leaks its URL onwards."""
    headers = {
        "ETag": v.etag,
        "Last-Modified": format_datetime(v.last_modified, usegmt=True),
        "Cache-Control": f"{'private' if private else 'public'}, max-age={FEED_MAX_AGE}",
        "Content-Disposition": f'attachment; filename="{filename}"' if filename else "inline",
    }
    if private:
        headers["Referrer-Policy"] = "no-referrer"
    return headers
