"""Calendar feeds: site (filtered like `/`), club, one event, and a member's private feed.

Conditional GETs are answered from a cheap probe query (ids, change stamps, sequences) before
anything is rendered; a full render happens only on a miss, and is then kept in Redis under
its ETag for a while, so many subscribers polling an unchanged feed cost one small query each.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from piccolo.columns import Column
from piccolo.query.functions.aggregate import Count, Max, Sum
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from events import timefmt
from events.auth import current_member, login_redirect
from events.parsing import path_id
from events.services import calendar as ics
from events.services import listings
from events.settings import get_settings
from events.tables import Club, Event, EventStatus, Member, Membership, Rsvp, RsvpStatus
from events.templating import render, wants_fragment
from events.tokens import feed_token, read_feed_token

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

WINDOW_BACK = timedelta(days=30)
WINDOW_AHEAD = timedelta(days=365)
# Bump when the rendering changes, so every ETag changes with it.
FORMAT = "steady-feed-1"
MAX_AGE = 300
RENDER_CACHE_TTL = 3600
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
CANCELLED = EventStatus.cancelled.value

_EVENT_FIELDS = (
    "id",
    "title",
    "starts_at",
    "ends_at",
    "location",
    "location_hint",
    "online_url",
    "details_for_attendees_only",
    "description",
    "status",
    "cancel_reason",
    "cancelled_at",
    "sequence",
    "created_at",
    "updated_at",
)
_PROBE_FIELDS = ("id", "starts_at", "ends_at", "status", "sequence", "updated_at")
_CLUB_FIELDS = ("slug", "name", "timezone", "kind", "updated_at")


def _columns(base: Any, fields: tuple[str, ...]) -> list[Column]:
    """`base` is Event or a foreign key to it (Rsvp.event): the same columns either way."""
    cols = [getattr(base, f).as_alias(f) for f in fields]
    cols += [getattr(base.club, f).as_alias(f"club_{f}") for f in _CLUB_FIELDS]
    return cols


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# --- what a feed holds ------------------------------------------------------------------


@dataclass
class Scope:
    """The rows of one feed: a where-clause on events (or on a member's RSVPs)."""

    key: str  # part of the ETag: what was asked for
    club_slug: str = ""
    filters: listings.EventFilters | None = None
    member_id: int | None = None

    def _base(self) -> Any:
        return Rsvp.event if self.member_id is not None else Event

    def _where(self, query: Any, now: datetime, *, kept: bool) -> Any:
        ev = self._base()
        cutoff = now - WINDOW_BACK
        if kept:
            # Window: 30 days back (cancelled ones 30 days after the cancellation) to a year on.
            query = query.where(
                (ev.ends_at >= cutoff) | ((ev.status == CANCELLED) & (ev.cancelled_at >= cutoff))
            ).where(ev.starts_at < now + WINDOW_AHEAD)
        if self.member_id is not None:
            query = query.where(Rsvp.member == self.member_id)
        if self.club_slug:
            query = query.where(ev.club.slug == self.club_slug)
        f = self.filters
        if f is not None:
            if f.activity:
                query = query.where(ev.activity == f.activity)
            if f.club:
                query = query.where(ev.club.slug == f.club)
            if f.q:
                pattern = "%" + f.q.replace("%", "").replace("_", "") + "%"
                query = query.where(
                    listings.contains(ev.title, pattern) | listings.contains(ev.club.name, pattern)
                )
            # Dates are in each club's zone: widen by a day here, cut exactly in _keep.
            if f.start:
                query = query.where(
                    ev.ends_at >= datetime.combine(f.start, time.min, UTC) - timedelta(days=1)
                )
            if f.end:
                query = query.where(
                    ev.starts_at < datetime.combine(f.end, time.max, UTC) + timedelta(days=1)
                )
        return query

    def _keep(self, row: dict[str, Any]) -> bool:
        f = self.filters
        if f is None or not (f.start or f.end):
            return True
        day = timefmt.to_local(row["starts_at"], row["club_timezone"]).date()
        return (not f.start or day >= f.start) and (not f.end or day <= f.end)

    async def fetch(self, fields: tuple[str, ...], now: datetime) -> list[dict[str, Any]]:
        """Rows in the window, before the exact local-date cut (see `keep`)."""
        cols = _columns(self._base(), fields)
        if self.member_id is not None:
            cols += [
                Rsvp.status.as_alias("rsvp_status"),
                Rsvp.updated_at.as_alias("rsvp_updated_at"),
            ]
        return await self._where(_select(self, cols), now, kept=True)

    def keep(self, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
        found = [r for r in found if self._keep(r)]
        found.sort(key=lambda r: (_utc(r["starts_at"]), r["id"]))
        return found

    async def rows(self, fields: tuple[str, ...], now: datetime) -> list[dict[str, Any]]:
        return self.keep(await self.fetch(fields, now))

    async def fingerprint(self, now: datetime) -> Fingerprint:
        """The same summary as `Fingerprint.of(fetch(...))`, computed by the database."""
        if self.member_id is not None:
            raise ValueError("aggregate fingerprints are for public feeds")
        query = Event.select(
            Count(Event.id, alias="count"),
            Sum(Event.id, alias="id_sum"),
            Sum(Event.sequence, alias="seq_sum"),
            Max(Event.updated_at, alias="max_updated"),
            Max(Event.club.updated_at, alias="max_club_updated"),
            Max(Event.starts_at, alias="max_start"),
        )
        row = await self._where(query, now, kept=True).first()
        return Fingerprint.normalise(row or {})

    async def dropped_since(self, now: datetime) -> datetime | None:
        """When the last row left the window (ended, or cancelled, 30 days ago): the feed
        changed then even though no row did."""
        ev = self._base()
        cutoff = now - WINDOW_BACK
        table = Rsvp if self.member_id is not None else Event
        latest: list[datetime] = []
        for column, condition in (
            (ev.ends_at, ev.ends_at < cutoff),
            (ev.cancelled_at, (ev.status == CANCELLED) & (ev.cancelled_at < cutoff)),
        ):
            query = self._where(table.select(Max(column, alias="latest")), now, kept=False)
            row = await query.where(condition).first()
            if row and row.get("latest"):
                latest.append(_utc(_as_datetime(row["latest"])) + WINDOW_BACK)
        return min(max(latest), now) if latest else None


def _select(scope: Scope, cols: list[Column]) -> Any:
    table = Rsvp if scope.member_id is not None else Event
    return table.select(*cols)


def _as_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


# --- validators -------------------------------------------------------------------------


@dataclass
class Validators:
    etag: str
    last_modified: datetime


@dataclass(frozen=True)
class Fingerprint:
    """What changes whenever a public feed's rows do: how many, which (sum of ids), their
    sequences, and the latest change of an event or its club."""

    count: int
    id_sum: int
    seq_sum: int
    max_updated: datetime | None
    max_club_updated: datetime | None
    max_start: datetime | None

    @classmethod
    def normalise(cls, row: dict[str, Any]) -> Fingerprint:
        def stamp(value: Any) -> datetime | None:
            return _utc(_as_datetime(value)).replace(microsecond=0) if value else None

        return cls(
            count=int(row.get("count") or 0),
            id_sum=int(row.get("id_sum") or 0),
            seq_sum=int(row.get("seq_sum") or 0),
            max_updated=stamp(row.get("max_updated")),
            max_club_updated=stamp(row.get("max_club_updated")),
            max_start=stamp(row.get("max_start")),
        )

    @classmethod
    def of(cls, rows: list[dict[str, Any]]) -> Fingerprint:
        def latest(key: str) -> datetime | None:
            return max((_utc(r[key]) for r in rows if r.get(key)), default=None)

        return cls.normalise(
            {
                "count": len(rows),
                "id_sum": sum(r["id"] for r in rows),
                "seq_sum": sum(r["sequence"] or 0 for r in rows),
                "max_updated": latest("updated_at"),
                "max_club_updated": latest("club_updated_at"),
                "max_start": latest("starts_at"),
            }
        )


def fingerprint_validators(
    scope: Scope, fp: Fingerprint, dropped: datetime | None, extra: str = ""
) -> Validators:
    settings = get_settings()
    text = f"{FORMAT}|{settings.base_url}|{scope.key}|{extra}|{fp}"
    stamps = [EPOCH, *(t for t in (fp.max_updated, fp.max_club_updated, dropped) if t)]
    if fp.max_start:
        # The feed also changes when an event enters the window a year ahead.
        stamps.append(min(fp.max_start - WINDOW_AHEAD, timefmt.utcnow()))
    etag = hashlib.sha256(text.encode()).hexdigest()[:32]
    return Validators(etag=f'"{etag}"', last_modified=max(stamps).replace(microsecond=0))


def validators(
    scope: Scope, rows: list[dict[str, Any]], dropped: datetime | None, extra: str = ""
) -> Validators:
    """ETag and Last-Modified from what decides the bytes: the rows' ids and change stamps,
    the clubs' change stamps, the request's scope and the code's format version."""
    settings = get_settings()
    digest = hashlib.sha256(f"{FORMAT}|{settings.base_url}|{scope.key}|{extra}".encode())
    stamps = [EPOCH]
    if dropped:
        stamps.append(dropped)
    for r in rows:
        updated = _utc(r["updated_at"]) or EPOCH
        club_updated = _utc(r.get("club_updated_at")) or EPOCH
        digest.update(
            f"|{r['id']}:{updated.isoformat()}:{r['sequence']}:{r['status']}:"
            f"{club_updated.isoformat()}:{r.get('rsvp_status', '')}".encode()
        )
        stamps += [updated, club_updated, _utc(r["starts_at"]) - WINDOW_AHEAD]
        if r.get("rsvp_updated_at"):
            stamps.append(_utc(r["rsvp_updated_at"]))
    last = max(stamps).replace(microsecond=0)
    return Validators(etag=f'"{digest.hexdigest()[:32]}"', last_modified=last)


def _not_modified(request: Request, v: Validators) -> bool:
    """RFC 9110 §13.2.2: If-None-Match wins; If-Modified-Since only when it is absent."""
    inm = request.headers.get("if-none-match")
    if inm is not None:
        tags = [t.strip() for t in inm.split(",")]
        return "*" in tags or any(t.removeprefix("W/") == v.etag for t in tags)
    ims = request.headers.get("if-modified-since")
    if ims:
        try:
            since = parsedate_to_datetime(ims)
        except (TypeError, ValueError):
            return False
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        return v.last_modified <= since
    return False


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
    scope: Scope,
    render_body: Any,
    *,
    private: bool = False,
    extra: str = "",
    filename: str = "",
) -> Response:
    now = timefmt.utcnow()
    # The ETag does not depend on when rows left the window; only Last-Modified does, and a
    # revalidation by ETag needs no Last-Modified: skip that query for it.
    by_etag = "if-none-match" in request.headers
    dropped = None if by_etag else await scope.dropped_since(now)
    # Public feeds: one aggregate row. Private feeds are small: their rows (with RSVP states).
    public = scope.member_id is None
    probe: Any = await scope.fingerprint(now) if public else await scope.rows(_PROBE_FIELDS, now)

    def check(dropped: datetime | None) -> Validators:
        if public:
            return fingerprint_validators(scope, probe, dropped, extra)
        return validators(scope, probe, dropped, extra)

    v = check(dropped)
    headers = _headers(v, private=private, filename=filename)
    if _not_modified(request, v):
        if by_etag:
            del headers["Last-Modified"]  # RFC 9110 §15.4.5: the ETag is the validator here
        return Response(status_code=304, headers=headers)
    if by_etag:
        dropped = await scope.dropped_since(now)
        v = check(dropped)
        headers = _headers(v, private=private, filename=filename)
    body = await _cached(request, v.etag)
    if body is None:
        fetched = await scope.fetch(_EVENT_FIELDS, now)
        rows = scope.keep(fetched)
        # Rows may have changed since the probe: the headers must describe these bytes.
        if public:
            v = fingerprint_validators(scope, Fingerprint.of(fetched), dropped, extra)
        else:
            v = validators(scope, rows, dropped, extra)
        headers = _headers(v, private=private, filename=filename)
        body = render_body(rows)
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


def _render(
    rows: list[dict[str, Any]],
    *,
    name: str,
    uid: str,
    url: str = "",
    fallback_zone: str = "UTC",
    private: bool = False,
    discreet: bool = False,
    barred: frozenset[str] = frozenset(),
) -> bytes:
    s = get_settings()
    cal = ics.new_feed(name, uid, url=url)
    vevents = []
    for row in rows:
        status = None
        audience = ics.Audience()
        if private:
            going = row.get("rsvp_status") == RsvpStatus.going.value
            # A club that removed and blocked the member shares no attendee-only details.
            details = going and row.get("club_slug") not in barred
            audience = ics.Audience(private_details=details, discreet=discreet)
            status = "CONFIRMED" if going else "TENTATIVE"
        vevent = ics.vevent_ics(
            row, base_url=s.base_url, hostname=s.hostname, audience=audience, status=status
        )
        vevents.append((row["club_timezone"], vevent))
    last = max((_utc(r["updated_at"]) for r in rows), default=None)
    return ics.assemble(cal, vevents, fallback_zone=fallback_zone, last_modified=last)


# --- views ------------------------------------------------------------------------------


async def site_feed(request: Request) -> Response:
    # The activity list only serves to check an `activity` filter: skip the query without one.
    wanted = request.query_params.get("activity")
    activities = await listings.activity_names() if wanted else []
    filters = listings.parse_filters(request.query_params, activities)
    if filters.club and not await Club.exists().where(Club.slug == filters.club):
        raise HTTPException(404, "We couldn't find that club.")
    query = filters.as_query()
    key = "site?" + urlencode(sorted(query.items()))
    s = get_settings()
    if query:
        label = ", ".join(query[k] for k in ("activity", "club", "q") if k in query)
        dates = " – ".join(query[k] for k in ("from", "to") if k in query)
        name = "Steady: " + " · ".join(p for p in (label, dates) if p)
        uid = f"steady-site-{hashlib.sha256(key.encode()).hexdigest()[:16]}@{s.hostname}"
    else:
        name, uid = "Steady: all events", f"steady-site@{s.hostname}"
    scope = Scope(key=key, filters=filters)
    url = f"{s.base_url}/?{urlencode(query)}" if query else f"{s.base_url}/"
    return await _respond(request, scope, lambda rows: _render(rows, name=name, uid=uid, url=url))


async def club_feed(request: Request) -> Response:
    club = (
        await Club.select(Club.id, Club.slug, Club.name, Club.timezone, Club.updated_at)
        .where(Club.slug == str(request.path_params["slug"]).lower())
        .first()
    )
    if club is None:
        raise HTTPException(404, "We couldn't find that club.")
    s = get_settings()
    scope = Scope(key=f"club:{club['id']}", club_slug=club["slug"])
    extra = f"{club['name']}|{club['timezone']}|{_utc(club['updated_at'])}"

    def render_club(rows: list[dict[str, Any]]) -> bytes:
        return _render(
            rows,
            name=f"{club['name']} (Steady)",
            uid=f"steady-club-{club['id']}@{s.hostname}",
            url=f"{s.base_url}/clubs/{club['slug']}",
            fallback_zone=club["timezone"],
        )

    return await _respond(request, scope, render_club, extra=extra)


async def event_feed(request: Request) -> Response:
    event_id = path_id(request)
    row = await Event.select(*_columns(Event, _EVENT_FIELDS)).where(Event.id == event_id).first()
    if row is None:
        raise HTTPException(404, "We couldn't find that event. It may have been removed.")
    s = get_settings()
    v = validators(Scope(key=f"event:{event_id}"), [row], None)
    headers = _headers(v, private=False, filename=f"event-{event_id}.ics")
    if _not_modified(request, v):
        return Response(status_code=304, headers=headers)
    body = ics.event_download(row, None, base_url=s.base_url, hostname=s.hostname)
    return Response(body, media_type="text/calendar", headers=headers)


async def member_feed(request: Request) -> Response:
    token = str(request.path_params["token"])
    ids = read_feed_token(token) if len(token) < 100 else None
    if ids is None:
        raise HTTPException(404, "There's no calendar at this address.")
    member_id, version = ids
    member = (
        await Member.select(
            Member.id, Member.feed_token_version, Member.discreet, Member.deleted_at
        )
        .where(Member.id == member_id)
        .first()
    )
    if member is None:
        raise HTTPException(404, "There's no calendar at this address.")
    if member["deleted_at"] is not None or version != member["feed_token_version"]:
        raise HTTPException(410, "This calendar link was reset. Get the new one on your account.")
    s = get_settings()
    discreet = bool(member["discreet"])
    scope = Scope(key=f"member:{member_id}:{version}", member_id=member_id)
    barred = frozenset(
        str(r["slug"])
        for r in await Membership.select(Membership.club.slug.as_alias("slug")).where(
            (Membership.member == member_id) & Membership.blocked.eq(True)
        )
    )
    # Part of the ETag: a block changes the bytes even when no event row changed.
    extra = f"discreet={discreet}|barred={','.join(sorted(barred))}"
    uid = f"steady-private-{hashlib.sha256(token.encode()).hexdigest()[:16]}@{s.hostname}"

    def render_private(rows: list[dict[str, Any]]) -> bytes:
        shown = [
            r
            for r in rows
            if r["rsvp_status"] in (RsvpStatus.going.value, RsvpStatus.waitlisted.value)
        ]
        return _render(
            shown,
            name="Steady: my events",
            uid=uid,
            private=True,
            discreet=discreet,
            barred=barred,
        )

    return await _respond(request, scope, render_private, private=True, extra=extra)


# --- the account page's calendar section ------------------------------------------------


def feed_links(url: str) -> dict[str, str]:
    """https://, webcal:// and Google "add by URL" forms of one feed URL."""
    parts = urlsplit(url)
    webcal = "webcal://" + parts.netloc + parts.path + (f"?{parts.query}" if parts.query else "")
    google = "https://calendar.google.com/calendar/render?cid=" + quote(webcal, safe="")
    return {"https": url, "webcal": webcal, "google": google}


async def account_feed_context(member_id: int) -> dict[str, Any]:
    """What `_account_feed.html` needs: the member's private feed links."""
    row = await Member.select(Member.feed_token_version).where(Member.id == member_id).first()
    version = int(row["feed_token_version"]) if row else 1
    url = f"{get_settings().base_url}/me/calendar/{feed_token(member_id, version)}.ics"
    return {"calendar_feed": feed_links(url)}


async def reset_feed(request: Request) -> Response:
    member = current_member(request)
    if member is None:
        return login_redirect(request, "/account")
    await Member.update({Member.feed_token_version: Member.feed_token_version + 1}).where(
        Member.id == member.id
    )
    if not wants_fragment(request):
        return RedirectResponse("/account?calendar=reset#calendar", status_code=303)
    context = {**(await account_feed_context(member.id)), "calendar_reset": True}
    return render(request, "_account_feed.html", context, headers={"Cache-Control": "no-store"})


routes = [
    Route("/calendar.ics", site_feed, methods=["GET"], name="site_feed"),
    Route("/clubs/{slug:str}/calendar.ics", club_feed, methods=["GET"], name="club_feed"),
    Route("/events/{id:int}.ics", event_feed, methods=["GET"], name="event_feed"),
    Route("/me/calendar/{token:str}.ics", member_feed, methods=["GET"], name="member_feed"),
    Route("/account/calendar/reset", reset_feed, methods=["POST"], name="calendar_reset"),
]
