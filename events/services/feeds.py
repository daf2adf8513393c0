"""What a calendar feed holds: the window, the bounds, and the rows (`feed_rows`).

A feed covers events from 30 days back (a cancelled one stays 30 days after its cancellation)
to a year ahead, and never more than `UPCOMING_LIMIT` events from now on plus `RECENT_LIMIT`
recent ones: when a site-wide feed would hold more, the events nearest to today are kept.
The rows come in a fixed number of statements whatever the data: one aggregate to answer
conditional GETs, two selects to render.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from urllib.parse import quote, urlsplit

from piccolo.columns import Column
from piccolo.query.functions.aggregate import Max

from events import timefmt
from events.services import calendar, listings
from events.tables import Event, EventStatus, Member, Membership, Rsvp, RsvpStatus
from events.timefmt import as_utc

WINDOW_BACK = timedelta(days=30)
WINDOW_AHEAD = timedelta(days=365)
# At most this many events from now on (nearest first) and this many that already ended.
UPCOMING_LIMIT = 250
RECENT_LIMIT = 50
# The event form allows at most a week per event: a bound on the start that the start index
# can use (an event still running, or that ended in the window, started at most this long
# before).
LONGEST_EVENT = timedelta(days=8)
# Calendar apps refetch a feed on every refresh and some refuse large ones.
MAX_BYTES = 1_000_000
CANCELLED = EventStatus.cancelled.value

# What a feed renders (calendar.VEVENT_FIELDS), when a cancelled event leaves the window, and
# a hybrid event's attendance and link choice (#15).
EVENT_FIELDS = (*calendar.VEVENT_FIELDS, "cancelled_at", "attendance", "link_for_in_person")
PROBE_FIELDS = ("id", "starts_at", "ends_at", "status", "sequence", "updated_at")
CLUB_FIELDS = ("slug", "name", "timezone", "kind", "updated_at")


def columns(base: Any, fields: tuple[str, ...]) -> list[Column]:
    """`base` is Event or a foreign key to it (Rsvp.event): the same columns either way."""
    cols = [getattr(base, f).as_alias(f) for f in fields]
    cols += [getattr(base.club, f).as_alias(f"club_{f}") for f in CLUB_FIELDS]
    return cols


def as_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


@dataclass(frozen=True)
class FeedRow:
    """One event of a feed, with its club (and, in a member's feed, their RSVP)."""

    id: int
    title: str
    starts_at: datetime
    ends_at: datetime
    location: str
    location_hint: str
    online_url: str
    details_for_attendees_only: bool
    description: str
    status: str
    cancel_reason: str
    cancelled_at: datetime | None
    sequence: int
    created_at: datetime | None
    updated_at: datetime | None
    club_slug: str
    club_name: str
    club_timezone: str
    club_kind: str
    club_updated_at: datetime | None
    rsvp_status: str | None = None
    rsvp_updated_at: datetime | None = None
    attendance: str = "in_person"
    link_for_in_person: bool = False
    rsvp_attendance: str | None = None
    # Brought back after a cancellation (#16): "Back on" in the DESCRIPTION.
    restored_at: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        """The mapping the iCalendar builders read."""
        return dict(vars(self))


@dataclass(frozen=True)
class Fingerprint:
    """What changes whenever a public feed's rows do: how many, which (sum of ids), their
    sequences, the latest change of an event or its club, and when the latest event of the
    window ended (the split between ended and upcoming events, which the bounds follow)."""

    count: int
    id_sum: int
    seq_sum: int
    max_updated: datetime | None
    max_club_updated: datetime | None
    max_start: datetime | None
    last_ended: datetime | None = None

    @classmethod
    def normalise(cls, row: dict[str, Any]) -> Fingerprint:
        def stamp(value: Any) -> datetime | None:
            moment = as_utc(as_datetime(value)) if value else None
            return moment.replace(microsecond=0) if moment else None

        return cls(
            count=int(row.get("count") or 0),
            id_sum=int(row.get("id_sum") or 0),
            seq_sum=int(row.get("seq_sum") or 0),
            max_updated=stamp(row.get("max_updated")),
            max_club_updated=stamp(row.get("max_club_updated")),
            max_start=stamp(row.get("max_start")),
            last_ended=stamp(row.get("last_ended")),
        )

    @classmethod
    def of(cls, rows: list[dict[str, Any]], now: datetime) -> Fingerprint:
        def latest(key: str, keep: Any = lambda moment: True) -> datetime | None:
            found = (as_utc(r[key]) for r in rows if r.get(key))
            return max((m for m in found if m is not None and keep(m)), default=None)

        return cls.normalise(
            {
                "count": len(rows),
                "id_sum": sum(r["id"] for r in rows),
                "seq_sum": sum(r["sequence"] or 0 for r in rows),
                "max_updated": latest("updated_at"),
                "max_club_updated": latest("club_updated_at"),
                "max_start": latest("starts_at"),
                "last_ended": latest("ends_at", lambda moment: moment < now),
            }
        )


@dataclass
class FeedSelection:
    """The rows of one feed: a where-clause on events (or on a member's RSVPs)."""

    key: str  # part of the ETag: what was asked for
    club_slug: str = ""
    filters: listings.EventFilters | None = None
    member_id: int | None = None

    def _base(self) -> Any:
        return Rsvp.event if self.member_id is not None else Event

    def _table(self) -> Any:
        return Rsvp if self.member_id is not None else Event

    def _where(self, query: Any, now: datetime, *, kept: bool) -> Any:
        ev = self._base()
        cutoff = now - WINDOW_BACK
        if kept:
            query = query.where(
                (ev.ends_at >= cutoff) | ((ev.status == CANCELLED) & (ev.cancelled_at >= cutoff))
            ).where(ev.starts_at < now + WINDOW_AHEAD)
        if self.member_id is not None:
            query = query.where(Rsvp.member == self.member_id)
        if self.club_slug:
            query = query.where(ev.club.slug == self.club_slug)
        f = self.filters
        if f is None:  # listings.filtered leaves suspended clubs out otherwise (#16)
            query = query.where(ev.club.suspended_at.is_null())
        if f is not None:
            query = listings.filtered(query, f, ev)
            # Dates are in each club's zone: widen by a day here, cut exactly in _keep.
            if f.start:
                query = query.where(
                    ev.ends_at >= datetime.combine(f.start, time.min, UTC) - timedelta(days=1)
                )
        return query

    def _parts(self, cols: list[Column], now: datetime) -> tuple[Any, Any]:
        """The bounded halves of the window: the next events, and the latest that ended."""
        ev = self._base()
        upcoming = (
            self._where(self._table().select(*cols), now, kept=True)
            .where(ev.ends_at >= now, ev.starts_at >= now - LONGEST_EVENT)
            .order_by(ev.starts_at, ev.id)
            .limit(UPCOMING_LIMIT)
        )
        recent = (
            self._where(self._table().select(*cols), now, kept=True)
            .where(ev.ends_at < now, ev.starts_at >= now - WINDOW_BACK - LONGEST_EVENT)
            .where(ev.starts_at < now)
            .order_by(ev.ends_at, ev.id, ascending=False)
            .limit(RECENT_LIMIT)
        )
        return upcoming, recent

    def _keep(self, row: dict[str, Any]) -> bool:
        f = self.filters
        if f is None or not (f.start or f.end):
            return True
        day = timefmt.to_local(row["starts_at"], row["club_timezone"]).date()
        return (not f.start or day >= f.start) and (not f.end or day <= f.end)

    async def fetch(self, fields: tuple[str, ...], now: datetime) -> list[dict[str, Any]]:
        """Rows in the bounded window, before the exact local-date cut (see `keep`)."""
        cols = columns(self._base(), fields)
        if self.member_id is not None:
            cols += [
                Rsvp.status.as_alias("rsvp_status"),
                Rsvp.updated_at.as_alias("rsvp_updated_at"),
                Rsvp.attendance.as_alias("rsvp_attendance"),
            ]
        upcoming, recent = self._parts(cols, now)
        return [*await upcoming, *await recent]

    def keep(self, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
        found = [r for r in found if self._keep(r)]
        found.sort(key=lambda r: (as_utc(r["starts_at"]), r["id"]))
        return found

    async def rows(self, fields: tuple[str, ...], now: datetime) -> list[dict[str, Any]]:
        return self.keep(await self.fetch(fields, now))

    async def fingerprint(self, now: datetime) -> Fingerprint:
        """The same summary as `Fingerprint.of(fetch(...))`, computed by the database in one
        statement over the same two bounded selects."""
        if self.member_id is not None:
            raise ValueError("aggregate fingerprints are for public feeds")
        upcoming, recent = self._parts(columns(Event, PROBE_FIELDS), now)
        query = Event.raw(
            "SELECT COUNT(*) AS count, SUM(w.id) AS id_sum, SUM(w.sequence) AS seq_sum, "
            "MAX(w.updated_at) AS max_updated, MAX(w.club_updated_at) AS max_club_updated, "
            "MAX(w.starts_at) AS max_start, "
            "MAX(CASE WHEN w.ends_at < {} THEN w.ends_at END) AS last_ended "
            "FROM (SELECT * FROM ({}) AS u UNION ALL SELECT * FROM ({}) AS r) AS w",
            now,
            upcoming.querystrings[0],
            recent.querystrings[0],
        )
        rows = await query
        return Fingerprint.normalise(rows[0] if rows else {})

    async def dropped_since(self, now: datetime) -> datetime | None:
        """When the last row left the window (ended, or cancelled, 30 days ago): the feed
        changed then even though no row did."""
        ev = self._base()
        cutoff = now - WINDOW_BACK
        latest: list[datetime] = []
        for column, condition in (
            # (An event ends after it starts: the start bound lets the start index help.)
            (ev.ends_at, (ev.ends_at < cutoff) & (ev.starts_at < cutoff)),
            (ev.cancelled_at, (ev.status == CANCELLED) & (ev.cancelled_at < cutoff)),
        ):
            query = self._where(self._table().select(Max(column, alias="latest")), now, kept=False)
            row = await query.where(condition).first()
            moment = as_utc(as_datetime(row["latest"])) if row and row.get("latest") else None
            if moment is not None:
                latest.append(moment + WINDOW_BACK)
        return min(max(latest), now) if latest else None


@dataclass(frozen=True)
class FeedRows:
    """A feed's rows in start order, and the fingerprint of what was read."""

    rows: tuple[FeedRow, ...]
    fingerprint: Fingerprint


async def feed_rows(selection: FeedSelection, now: datetime | None = None) -> FeedRows:
    """Everything a feed renders, in two statements whatever the number of events."""
    now = now or timefmt.utcnow()
    fetched = await selection.fetch(EVENT_FIELDS, now)
    public = selection.member_id is None
    fingerprint = Fingerprint.of(fetched, now) if public else Fingerprint.normalise({})
    rows = tuple(FeedRow(**row) for row in selection.keep(fetched))
    return FeedRows(rows=rows, fingerprint=fingerprint)


# --- what the feed views look up besides the rows ----------------------------------------

GOING = RsvpStatus.going.value
# A private feed shows the events its member is going to or waiting for.
ATTENDING = (RsvpStatus.going.value, RsvpStatus.waitlisted.value)


async def event_row(event_id: int) -> dict[str, Any] | None:
    """One event as a feed renders it (the single-event download)."""
    return (
        await Event.select(*columns(Event, EVENT_FIELDS))
        .where((Event.id == event_id) & Event.club.suspended_at.is_null())
        .first()
    )


async def feed_owner(member_id: int) -> dict[str, Any] | None:
    """The member a private feed token names: the token's current version, discreet mode,
    and whether the account was deleted."""
    return (
        await Member.select(
            Member.id, Member.feed_token_version, Member.discreet, Member.deleted_at
        )
        .where(Member.id == member_id)
        .first()
    )


async def barred_club_slugs(member_id: int) -> frozenset[str]:
    """The clubs that removed and blocked this member: they share no attendee-only details."""
    rows = await Membership.select(Membership.club.slug.as_alias("slug")).where(
        (Membership.member == member_id) & Membership.blocked.eq(True)
    )
    return frozenset(str(r["slug"]) for r in rows)


async def feed_token_version(member_id: int) -> int:
    row = await Member.select(Member.feed_token_version).where(Member.id == member_id).first()
    return int(row["feed_token_version"]) if row else 1


async def reset_feed_token(member_id: int) -> None:
    """A new private feed address; the old one answers 410 from now on."""
    await Member.update({Member.feed_token_version: Member.feed_token_version + 1}).where(
        Member.id == member_id
    )


def feed_links(url: str) -> dict[str, str]:
    """https://, webcal://, Outlook's webcal:https:// and Google "add by URL" forms of a feed."""
    parts = urlsplit(url)
    webcal = "webcal://" + parts.netloc + parts.path + (f"?{parts.query}" if parts.query else "")
    google = "https://calendar.google.com/calendar/render?cid=" + quote(webcal, safe="")
    return {"https": url, "webcal": webcal, "outlook": f"webcal:{url}", "google": google}
