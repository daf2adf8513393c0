"""Calendar feeds: site (filtered like `/`), club, one event, and a member's private feed.

Conditional GETs are answered from a cheap probe query (ids, change stamps, sequences) before
anything is rendered; a full render happens only on a miss, and is then kept in Redis under
its ETag for a while, so many subscribers polling an unchanged feed cost one small query each.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from events import conditional, timefmt
from events.access import require_member
from events.attributes import labels as attribute_labels
from events.parsing import path_id
from events.services import calendar as ics
from events.services import clubs, listings
from events.services import feeds as feed_svc
from events.services.feeds import WINDOW_AHEAD, FeedRow, FeedSelection, Fingerprint
from events.settings import Settings, settings_of
from events.templating import render, wants_fragment
from events.timefmt import as_utc
from events.tokens import tokens_of

log = logging.getLogger(__name__)
_TOKEN_PATH = re.compile(r"/me/calendar/[^/?\s]+\.ics")


class RedactFeedTokens(logging.Filter):
    """Private feed URLs are credentials: keep them out of the access log."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _TOKEN_PATH.sub("/me/calendar/[token].ics", a) if isinstance(a, str) else a
                for a in record.args
            )
        return True


logging.getLogger("uvicorn.access").addFilter(RedactFeedTokens())

# Bump when the rendering changes, so every ETag changes with it.
FORMAT = "steady-feed-2"
MAX_AGE = 300
RENDER_CACHE_TTL = 3600
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
# Room kept under the size bound for the calendar's own lines (name, URL, refresh...).
HEAD_ROOM = 4_096
_PROBE_FIELDS = feed_svc.PROBE_FIELDS


@dataclass
class Validators:
    etag: str
    last_modified: datetime


def fingerprint_validators(
    selection: FeedSelection,
    fp: Fingerprint,
    dropped: datetime | None,
    extra: str = "",
    *,
    base_url: str,
) -> Validators:
    text = f"{FORMAT}|{base_url}|{selection.key}|{extra}|{fp}"
    # `last_ended`: the split between ended and upcoming events moved then (see `_render`).
    moments = (fp.max_updated, fp.max_club_updated, fp.last_ended, dropped)
    stamps = [EPOCH, *(t for t in moments if t)]
    if fp.max_start:
        # The feed also changes when an event enters the window a year ahead.
        stamps.append(min(fp.max_start - WINDOW_AHEAD, timefmt.utcnow()))
    etag = hashlib.sha256(text.encode()).hexdigest()[:32]
    return Validators(etag=f'"{etag}"', last_modified=max(stamps).replace(microsecond=0))


def validators(
    selection: FeedSelection,
    rows: Sequence[Mapping[str, Any]],
    dropped: datetime | None,
    extra: str = "",
    now: datetime | None = None,
    *,
    base_url: str,
) -> Validators:
    """ETag and Last-Modified from what decides the bytes: the rows' ids and change stamps,
    the clubs' change stamps, the request's selection and the code's format version (and, for a
    feed, which rows already ended: the size bound keeps upcoming ones first)."""
    digest = hashlib.sha256(f"{FORMAT}|{base_url}|{selection.key}|{extra}".encode())
    stamps = [EPOCH]
    if dropped:
        stamps.append(dropped)
    for r in rows:
        updated = as_utc(r["updated_at"]) or EPOCH
        club_updated = as_utc(r.get("club_updated_at")) or EPOCH
        ended = now is not None and as_utc(r["ends_at"]) < now
        digest.update(
            f"|{r['id']}:{updated.isoformat()}:{r['sequence']}:{r['status']}:"
            f"{club_updated.isoformat()}:{r.get('rsvp_status', '')}:{ended}:"
            f"{r.get('rsvp_attendance', '')}".encode()
        )
        stamps += [updated, club_updated, as_utc(r["starts_at"]) - WINDOW_AHEAD]
        if ended:
            stamps.append(as_utc(r["ends_at"]))
        if r.get("rsvp_updated_at"):
            stamps.append(as_utc(r["rsvp_updated_at"]))
    last = max(stamps).replace(microsecond=0)
    return Validators(etag=f'"{digest.hexdigest()[:32]}"', last_modified=last)


def _not_modified(request: Request, v: Validators) -> bool:
    headers = request.headers
    return conditional.not_modified(
        headers.get("if-none-match"), headers.get("if-modified-since"), [v.etag], v.last_modified
    )


def _headers(v: Validators, *, private: bool, filename: str = "") -> dict[str, str]:
    headers = {
        "ETag": v.etag,
        "Last-Modified": format_datetime(v.last_modified, usegmt=True),
        "Cache-Control": f"{'private' if private else 'public'}, max-age={MAX_AGE}",
        "Content-Disposition": f'attachment; filename="{filename}"' if filename else "inline",
    }
    if private:
        headers["Referrer-Policy"] = "no-referrer"
    return headers


async def _respond(
    request: Request,
    selection: FeedSelection,
    render_body: Any,
    *,
    private: bool = False,
    extra: str = "",
    filename: str = "",
) -> Response:
    now = timefmt.utcnow()
    base_url = settings_of(request).base_url
    # The ETag does not depend on when rows left the window; only Last-Modified does, and a
    # revalidation by ETag needs no Last-Modified: skip that query for it.
    by_etag = "if-none-match" in request.headers
    dropped = None if by_etag else await selection.dropped_since(now)
    # Public feeds: one aggregate row. Private feeds are small: their rows (with RSVP states).
    public = selection.member_id is None
    probe: Any = (
        await selection.fingerprint(now) if public else await selection.rows(_PROBE_FIELDS, now)
    )

    def check(dropped: datetime | None) -> Validators:
        if public:
            return fingerprint_validators(selection, probe, dropped, extra, base_url=base_url)
        return validators(selection, probe, dropped, extra, now, base_url=base_url)

    v = check(dropped)
    headers = _headers(v, private=private, filename=filename)
    if _not_modified(request, v):
        if by_etag:
            del headers["Last-Modified"]  # RFC 9110 §15.4.5: the ETag is the validator here
        return Response(status_code=304, headers=headers)
    if by_etag:
        dropped = await selection.dropped_since(now)
        v = check(dropped)
        headers = _headers(v, private=private, filename=filename)
    body = await _cached(request, v.etag)
    if body is None:
        found = await feed_svc.feed_rows(selection, now)
        # Rows may have changed since the probe: the headers must describe these bytes.
        if public:
            v = fingerprint_validators(
                selection, found.fingerprint, dropped, extra, base_url=base_url
            )
        else:
            rows = [r.as_dict() for r in found.rows]
            v = validators(selection, rows, dropped, extra, now, base_url=base_url)
        headers = _headers(v, private=private, filename=filename)
        body = render_body(found.rows, now)
        await _store(request, v.etag, body)
    return Response(body, media_type="text/calendar", headers=headers)


def _cache_key(etag: str) -> str:
    return f"steady:feed:{etag.strip(chr(34))}"


async def _cached(request: Request, etag: str) -> bytes | None:
    redis = getattr(request.app.state, "redis", None)
    if redis is None:
        return None
    try:
        return await redis.get(_cache_key(etag))
    except Exception as exc:  # noqa: BLE001 - the cache is optional: render instead
        log.debug("feed cache read failed: %s", exc)
        return None


async def _store(request: Request, etag: str, body: bytes) -> None:
    redis = getattr(request.app.state, "redis", None)
    if redis is None:
        return
    try:
        await redis.set(_cache_key(etag), body, ex=RENDER_CACHE_TTL)
    except Exception as exc:  # noqa: BLE001 - the cache is optional
        log.debug("feed cache write failed: %s", exc)


# --- rendering --------------------------------------------------------------------------


def _bounded(
    vevents: list[tuple[Mapping[str, Any], str, bytes]], now: datetime
) -> list[tuple[Mapping[str, Any], str, bytes]]:
    """The VEVENTs that fit in MAX_BYTES with their VTIMEZONEs: upcoming events first
    (nearest first), then those that already ended (latest first); back in start order."""
    upcoming = [v for v in vevents if as_utc(v[0]["ends_at"]) >= now]
    ended = [v for v in vevents if as_utc(v[0]["ends_at"]) < now]
    ended.reverse()
    budget = feed_svc.MAX_BYTES - HEAD_ROOM
    zones: set[str] = set()
    kept = []
    for v in [*upcoming, *ended]:
        zone = ics.zone_name(v[1])
        cost = len(v[2]) + (0 if zone in zones else len(ics.vtimezone(zone).to_ical()))
        if cost > budget:
            break
        budget -= cost
        zones.add(zone)
        kept.append(v)
    kept.sort(key=lambda v: (as_utc(v[0]["starts_at"]), v[0]["id"]))
    return kept


def _render(
    rows: Sequence[FeedRow | Mapping[str, Any]],
    *,
    settings: Settings,
    name: str,
    uid: str,
    url: str = "",
    fallback_zone: str = "UTC",
    private: bool = False,
    discreet: bool = False,
    barred: frozenset[str] = frozenset(),
    now: datetime | None = None,
) -> bytes:
    s = settings
    cal = ics.new_feed(name, uid, url=url)
    rendered = []
    for item in rows:
        row = item.as_dict() if isinstance(item, FeedRow) else item
        status = None
        audience = ics.Audience()
        if private:
            going = row.get("rsvp_status") == feed_svc.GOING
            # A club that removed and blocked the member shares no attendee-only details.
            details = going and row.get("club_slug") not in barred
            if (
                row.get("attendance") == "hybrid"
                and row.get("details_for_attendees_only")
                and row.get("rsvp_attendance") != "online"
                and not row.get("link_for_in_person")
            ):
                # A hybrid event's attendee-only link goes to the people going online (#15).
                row = {**row, "online_url": ""}
            audience = ics.Audience(private_details=details, discreet=discreet)
            status = "CONFIRMED" if going else "TENTATIVE"
        vevent = ics.vevent_ics(
            row, base_url=s.base_url, hostname=s.hostname, audience=audience, status=status
        )
        rendered.append((row, row["club_timezone"], vevent))
    kept = _bounded(rendered, now or timefmt.utcnow())
    last = max((as_utc(r["updated_at"]) for r, _, _ in kept), default=None)
    vevents = [(zone, vevent) for _, zone, vevent in kept]
    return ics.assemble(cal, vevents, fallback_zone=fallback_zone, last_modified=last)


# --- views ------------------------------------------------------------------------------


async def site_feed(request: Request) -> Response:
    # The activity list only serves to check an `activity` filter: skip the query without one.
    wanted = request.query_params.get("activity")
    activities = await listings.activity_names() if wanted else []
    filters = listings.parse_filters(request.query_params, activities)
    if filters.club and await clubs.get_club(filters.club) is None:
        raise HTTPException(404, "We couldn't find that club.")
    query = filters.as_query()
    key = "site?" + urlencode(sorted(query.items()))
    s = settings_of(request)
    if query:
        words = [query[k] for k in ("activity", "club", "q") if k in query]
        words += [*attribute_labels(query.get("attr", "")), query.get("attendance", "")]
        label = ", ".join(w.replace("_", " ") for w in words if w)
        dates = " – ".join(query[k] for k in ("from", "to") if k in query)
        name = "Steady: " + " · ".join(p for p in (label, dates) if p)
        uid = f"steady-site-{hashlib.sha256(key.encode()).hexdigest()[:16]}@{s.hostname}"
    else:
        name, uid = "Steady: all events", f"steady-site@{s.hostname}"
    selection = FeedSelection(key=key, filters=filters)
    url = f"{s.base_url}/?{urlencode(query)}" if query else f"{s.base_url}/"
    return await _respond(
        request,
        selection,
        lambda rows, now: _render(rows, settings=s, name=name, uid=uid, url=url, now=now),
    )


async def club_feed(request: Request) -> Response:
    club = await clubs.get_club(str(request.path_params["slug"]).lower())
    if club is not None and club["suspended_at"] is not None:
        club = None  # suspended by a steward (#16)
    if club is None:
        raise HTTPException(404, "We couldn't find that club.")
    s = settings_of(request)
    selection = FeedSelection(key=f"club:{club['id']}", club_slug=club["slug"])
    extra = f"{club['name']}|{club['timezone']}|{as_utc(club['updated_at'])}"

    def render_club(rows: Sequence[FeedRow], now: datetime) -> bytes:
        return _render(
            rows,
            settings=s,
            now=now,
            name=f"{club['name']} (Steady)",
            uid=f"steady-club-{club['id']}@{s.hostname}",
            url=f"{s.base_url}/clubs/{club['slug']}",
            fallback_zone=club["timezone"],
        )

    return await _respond(request, selection, render_club, extra=extra)


async def event_feed(request: Request) -> Response:
    event_id = path_id(request)
    row = await feed_svc.event_row(event_id)
    if row is None:
        raise HTTPException(404, "We couldn't find that event. It may have been removed.")
    s = settings_of(request)
    v = validators(FeedSelection(key=f"event:{event_id}"), [row], None, base_url=s.base_url)
    headers = _headers(v, private=False, filename=f"event-{event_id}.ics")
    if _not_modified(request, v):
        return Response(status_code=304, headers=headers)
    body = ics.event_download(row, None, base_url=s.base_url, hostname=s.hostname)
    return Response(body, media_type="text/calendar", headers=headers)


async def member_feed(request: Request) -> Response:
    token = str(request.path_params["token"])
    ids = tokens_of(request).read_feed_token(token) if len(token) < 100 else None
    if ids is None:
        raise HTTPException(404, "There's no calendar at this address.")
    member_id, version = ids
    member = await feed_svc.feed_owner(member_id)
    if member is None:
        raise HTTPException(404, "There's no calendar at this address.")
    if member["deleted_at"] is not None or version != member["feed_token_version"]:
        raise HTTPException(410, "This calendar link was reset. Get the new one on your account.")
    s = settings_of(request)
    discreet = bool(member["discreet"])
    selection = FeedSelection(key=f"member:{member_id}:{version}", member_id=member_id)
    barred = await feed_svc.barred_club_slugs(member_id)
    # Part of the ETag: a block changes the bytes even when no event row changed.
    extra = f"discreet={discreet}|barred={','.join(sorted(barred))}"
    uid = f"steady-private-{hashlib.sha256(token.encode()).hexdigest()[:16]}@{s.hostname}"

    def render_private(rows: Sequence[FeedRow], now: datetime) -> bytes:
        shown = [r for r in rows if r.rsvp_status in feed_svc.ATTENDING]
        return _render(
            shown,
            settings=s,
            now=now,
            name="Steady: my events",
            uid=uid,
            private=True,
            discreet=discreet,
            barred=barred,
        )

    return await _respond(request, selection, render_private, private=True, extra=extra)


# --- the account page's calendar section ------------------------------------------------


async def account_feed_context(request: Request, member_id: int) -> dict[str, Any]:
    """What `_account_feed.html` needs: the member's private feed links."""
    version = await feed_svc.feed_token_version(member_id)
    token = tokens_of(request).feed_token(member_id, version)
    url = f"{settings_of(request).base_url}/me/calendar/{token}.ics"
    return {"calendar_feed": feed_svc.feed_links(url)}


async def reset_feed(request: Request) -> Response:
    member = require_member(request, "/account")
    await feed_svc.reset_feed_token(member.id)
    if not wants_fragment(request):
        return RedirectResponse("/account?calendar=reset#calendar", status_code=303)
    context = {**(await account_feed_context(request, member.id)), "calendar_reset": True}
    return render(request, "_account_feed.html", context, headers={"Cache-Control": "no-store"})


routes = [
    Route("/calendar.ics", site_feed, methods=["GET"], name="site_feed"),
    Route("/clubs/{slug:str}/calendar.ics", club_feed, methods=["GET"], name="club_feed"),
    Route("/events/{id:int}.ics", event_feed, methods=["GET"], name="event_feed"),
    Route("/me/calendar/{token:str}.ics", member_feed, methods=["GET"], name="member_feed"),
    Route("/account/calendar/reset", reset_feed, methods=["POST"], name="calendar_reset"),
]
