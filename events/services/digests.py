"""Digests: the weekly "This week at your clubs" mail members opt in to, and what organizers
hear about RSVPs (each one as it happens, or a day's counts).

Cron jobs write the rows (workers/tasks.py); every row goes through the outbox under a key
per member and week, per organizer and day, or per organizer and RSVP, so a cron job that
runs twice, or a worker that restarts mid-run, writes each mail once. The loaders registered
here read the current state as the row is sent: a member who opted out since gets nothing.

RSVP links in a digest are signed link tokens (purpose `digest-rsvp`) for one member and one
event, bound to that member's RSVP as it was when the mail was composed: once the RSVP
changes (the link was used, or the member answered on the site) the link is spent. They
expire after DIGEST_LINK_MAX_AGE and only open a confirm page; the POST from that page RSVPs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from events.services import outbox
from events.services.calendar import zone_name
from events.services.delivery import Found, Mail, Skip, loader
from events.tables import (
    Club,
    Event,
    EventStatus,
    MailKind,
    Member,
    Membership,
    OrganizerMail,
    Outbox,
    Role,
    Rsvp,
)
from events.timefmt import as_utc
from events.tokens import Tokens

RSVP_PURPOSE = "digest-rsvp"
DIGEST_LINK_MAX_AGE = 8 * 86400  # a week's links, and a day's grace
DIGEST_SPAN = timedelta(days=7)
DIGEST_MAX_EVENTS = 30
# A cron run missed (worker restarting) is made up for within this long after the hour.
CATCH_UP = timedelta(hours=2)
# Instant notices are written for RSVP mail rows this recent (the cron runs every minute).
NOTICE_LOOKBACK = timedelta(hours=2)


# --- zones and hours ------------------------------------------------------------------------


def member_zone(own: str, club_zones: Iterable[str], default: str) -> str:
    """The member's own zone, else the zone most of their clubs keep, else the instance's."""
    if own:
        return zone_name(own)
    counted = Counter(zone_name(z) for z in club_zones if z)
    if counted:
        return sorted(counted.items(), key=lambda item: (-item[1], item[0]))[0][0]
    return zone_name(default)


def due_local(now: datetime, zone: str, hour: int) -> datetime | None:
    """The local moment of today's `hour` in `zone` if `now` is within CATCH_UP after it."""
    local_now = as_utc(now).astimezone(ZoneInfo(zone))
    # Made through UTC, so a DST change that day still gives the wall-clock hour.
    at = datetime.combine(local_now.date(), time(hour), tzinfo=ZoneInfo(zone))
    if at <= local_now < at + CATCH_UP:
        return at
    return None


async def _zones(member_ids: list[int], default: str) -> dict[int, str]:
    if not member_ids:
        return {}
    own = await Member.select(Member.id, Member.timezone).where(Member.id.is_in(member_ids))
    clubs = await Membership.select(Membership.member, Membership.club.timezone).where(
        Membership.member.is_in(member_ids) & Membership.blocked.eq(False)
    )
    club_zones: dict[int, list[str]] = {}
    for row in clubs:
        club_zones.setdefault(int(row["member"]), []).append(row["club.timezone"])
    return {
        int(r["id"]): member_zone(r["timezone"] or "", club_zones.get(int(r["id"]), []), default)
        for r in own
    }


# --- the weekly digest ----------------------------------------------------------------------


async def write_digests(now: datetime, day: int, hour: int, default_zone: str) -> list[int]:
    """Outbox rows for members whose local digest hour (on digest day) has come this week."""
    rows = await Member.select(Member.id).where(
        Member.digest.eq(True) & Member.deleted_at.is_null() & Member.suspended_at.is_null()
    )
    zones = await _zones([int(r["id"]) for r in rows], default_zone)
    written: list[int] = []
    for member_id, zone in zones.items():
        at = due_local(now, zone, hour)
        if at is None or at.weekday() != day:
            continue
        year, week, _ = at.isocalendar()
        outbox_id = await outbox.add(
            MailKind.digest,
            f"digest:{member_id}:{year}-W{week:02d}",
            recipient=member_id,
            payload={"from": as_utc(at).isoformat(), "zone": zone},
        )
        if outbox_id is not None:
            written.append(outbox_id)
    return written


def rsvp_bind(rsvp: dict[str, Any] | None) -> str:
    """What a digest link is bound to: the member's RSVP as it is; any change spends it."""
    if rsvp is None:
        return "none"
    return f"{rsvp['status']}@{as_utc(rsvp['updated_at']).isoformat()}"


def rsvp_link_token(tokens: Tokens, member_id: int, event_id: int, bind: str, now: float) -> str:
    return tokens.make_link_token(RSVP_PURPOSE, f"{member_id}-{event_id}", bind, now=now)


@dataclass(frozen=True)
class RsvpLink:
    member_id: int
    event_id: int


def _link_subject(token: str) -> tuple[int, int] | None:
    subject = token.rsplit(".", 2)[0]
    member, _, event = subject.partition("-")
    if not (member.isdigit() and event.isdigit() and len(subject) < 40):
        return None
    return int(member), int(event)


async def current_rsvp(member_id: int, event_id: int) -> dict[str, Any] | None:
    row: dict[str, Any] | None = (
        await Rsvp.select(Rsvp.status, Rsvp.updated_at)
        .where((Rsvp.member == member_id) & (Rsvp.event == event_id))
        .first()
    )
    return row


async def read_rsvp_link(tokens: Tokens, token: str) -> RsvpLink | None:
    """The member and event of a genuine, unexpired, unspent digest RSVP link, else None."""
    ids = _link_subject(token[:300])
    if ids is None:
        return None
    member_id, event_id = ids
    bind = rsvp_bind(await current_rsvp(member_id, event_id))
    subject = tokens.read_link_token(
        RSVP_PURPOSE, token[:300], {f"{member_id}-{event_id}": bind}, max_age=DIGEST_LINK_MAX_AGE
    )
    if subject is None:
        return None
    return RsvpLink(member_id, event_id)


@loader(MailKind.digest, needs_member=True)
async def _digest(mail: Mail, found: Found) -> Skip | None:
    assert found.member is not None
    wants = await Member.exists().where((Member.id == found.member.id) & Member.digest.eq(True))
    if not wants:
        return Skip("the member turned the weekly digest off")
    start = max(as_utc(found.now), as_utc(datetime.fromisoformat(str(mail.payload["from"]))))
    clubs = await Membership.select(Membership.club).where(
        (Membership.member == found.member.id) & Membership.blocked.eq(False)
    )
    club_ids = [int(r["club"]) for r in clubs]
    if not club_ids:
        return Skip("the member is in no club")
    events = (
        await Event.select(
            Event.id,
            Event.title,
            Event.starts_at,
            Event.ends_at,
            Event.club.name.as_alias("club_name"),
            Event.club.timezone.as_alias("club_timezone"),
        )
        .where(
            Event.club.is_in(club_ids)
            & Event.club.suspended_at.is_null()
            & (Event.status == EventStatus.scheduled.value)
            & (Event.starts_at >= start)
            & (Event.starts_at < start + DIGEST_SPAN)
        )
        .order_by(Event.starts_at)
        .order_by(Event.id)
        .limit(DIGEST_MAX_EVENTS)
    )
    if not events:
        return Skip("nothing on at the member's clubs this week")
    answers = await Rsvp.select(Rsvp.event, Rsvp.status, Rsvp.updated_at).where(
        (Rsvp.member == found.member.id) & Rsvp.event.is_in([int(e["id"]) for e in events])
    )
    by_event = {int(a["event"]): a for a in answers}
    for event in events:
        rsvp = by_event.get(int(event["id"]))
        event["status"] = rsvp["status"] if rsvp else None
        event["bind"] = rsvp_bind(rsvp)
    mail.items = events
    return None


# --- organizers: each RSVP, or a day's counts -------------------------------------------------


def activity(kind: str, payload: dict[str, Any]) -> str | None:
    """What an outbox row written by an RSVP tells an organizer, if anything."""
    if kind == MailKind.invite.value and payload.get("promoted"):
        return "promoted"
    if kind == MailKind.invite.value and payload.get("via") == "rsvp":
        return "going" if payload.get("partstat") == "ACCEPTED" else "waitlisted"
    if kind == MailKind.cancel.value and payload.get("by") == "member":
        return "cancelled"
    return None


async def _organizers(pref: OrganizerMail) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = await Membership.select(Membership.member, Membership.club).where(
        (Membership.role == Role.organizer.value)
        & (Membership.organizer_mail == pref.value)
        & Membership.blocked.eq(False)
        & Membership.club.suspended_at.is_null()
        & Membership.member.deleted_at.is_null()
        & Membership.member.suspended_at.is_null()
    )
    return rows


async def _activity_rows(
    club_ids: list[int], since: datetime, until: datetime | None = None
) -> list[dict[str, Any]]:
    from events.services.delivery import _payload

    where = (
        Outbox.kind.is_in([MailKind.invite.value, MailKind.cancel.value])
        & Outbox.club.is_in(club_ids)
        & (Outbox.created_at >= since)
    )
    if until is not None:
        where &= Outbox.created_at < until
    rows = await Outbox.select(
        Outbox.id, Outbox.kind, Outbox.payload, Outbox.club, Outbox.event, Outbox.recipient
    ).where(where)
    found = []
    for row in rows:
        what = activity(row["kind"], _payload(row["payload"]))
        if what:
            found.append({**row, "what": what})
    return found


async def write_notices(now: datetime) -> list[int]:
    """An rsvp_notice row per recent RSVP change, for each organizer of its club on instant."""
    organizers = await _organizers(OrganizerMail.instant)
    if not organizers:
        return []
    by_club: dict[int, list[int]] = {}
    for row in organizers:
        by_club.setdefault(int(row["club"]), []).append(int(row["member"]))
    written: list[int] = []
    for row in await _activity_rows(list(by_club), as_utc(now) - NOTICE_LOOKBACK):
        for organizer in by_club[int(row["club"])]:
            if organizer == row["recipient"]:
                continue  # their own RSVP
            outbox_id = await outbox.add(
                MailKind.rsvp_notice,
                f"rsvp_notice:{organizer}:{row['id']}",
                recipient=organizer,
                event=row["event"],
                club=row["club"],
                payload={"what": row["what"], "who": row["recipient"]},
            )
            if outbox_id is not None:
                written.append(outbox_id)
    return written


async def write_summaries(now: datetime, hour: int, default_zone: str) -> list[int]:
    """At an organizer's local hour, one rsvp_summary row with yesterday's counts per club."""
    organizers = await _organizers(OrganizerMail.daily)
    clubs_of: dict[int, list[int]] = {}
    for row in organizers:
        clubs_of.setdefault(int(row["member"]), []).append(int(row["club"]))
    zones = await _zones(list(clubs_of), default_zone)
    written: list[int] = []
    for member_id, club_ids in clubs_of.items():
        at = due_local(now, zones[member_id], hour)
        if at is None:
            continue
        today = at.date()
        zone = ZoneInfo(zones[member_id])
        since = datetime.combine(today - timedelta(days=1), time(0), tzinfo=zone)
        until = datetime.combine(today, time(0), tzinfo=zone)
        counts: dict[int, Counter[str]] = {club: Counter() for club in club_ids}
        for row in await _activity_rows(club_ids, as_utc(since), as_utc(until)):
            if row["recipient"] != member_id:
                counts[int(row["club"])][row["what"]] += 1
        clubs = [{"club": club, **counted} for club, counted in counts.items() if counted]
        if not clubs:
            continue  # a quiet day: no mail
        outbox_id = await outbox.add(
            MailKind.rsvp_summary,
            f"rsvp_summary:{member_id}:{today.isoformat()}",
            recipient=member_id,
            payload={"day": (today - timedelta(days=1)).isoformat(), "clubs": clubs},
        )
        if outbox_id is not None:
            written.append(outbox_id)
    return written


async def _still_organizer(member_id: int, club_id: int, pref: OrganizerMail) -> bool:
    return bool(
        await Membership.exists().where(
            (Membership.member == member_id)
            & (Membership.club == club_id)
            & (Membership.role == Role.organizer.value)
            & (Membership.organizer_mail == pref.value)
            & Membership.blocked.eq(False)
        )
    )


@loader(MailKind.rsvp_notice, needs_event=True, needs_member=True)
async def _rsvp_notice(mail: Mail, found: Found) -> Skip | None:
    assert found.member is not None and mail.club is not None
    if mail.club["suspended_at"] is not None:
        return Skip("the club is suspended")
    if not await _still_organizer(found.member.id, int(mail.club["id"]), OrganizerMail.instant):
        return Skip("no longer an organizer who wants each RSVP by mail")
    who = (
        await Member.select(Member.display_name)
        .where(Member.id == int(mail.payload.get("who") or 0))
        .first()
    )
    mail.items = [{"what": mail.payload.get("what"), "who": who["display_name"] if who else ""}]
    return None


@loader(MailKind.rsvp_summary, needs_member=True)
async def _rsvp_summary(mail: Mail, found: Found) -> Skip | None:
    assert found.member is not None
    items = []
    for entry in mail.payload.get("clubs", []):
        club_id = int(entry.get("club") or 0)
        if not await _still_organizer(found.member.id, club_id, OrganizerMail.daily):
            continue
        club = await Club.select(Club.name, Club.slug).where(Club.id == club_id).first()
        if club is None:
            continue
        items.append({**entry, "club_name": club["name"], "slug": club["slug"]})
    if not items:
        return Skip("no longer an organizer who wants a daily summary")
    mail.items = items
    return None


def summary_day(payload: dict[str, Any]) -> date:
    return date.fromisoformat(str(payload["day"]))
