"""How long a club remembers who came, and forgetting it: after each event's retention period
its RSVP rows (with check-ins and first-timer flags), volunteer sign-ups and mail rows are
replaced by one row of counts (EventTally), so club insights keep working from the counts.

Support groups forget after 90 days unless their organizers shorten it; activity clubs after
365 days, or never if their organizers choose so. Members may also clear their own history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from events.db import write_transaction
from events.services import stats
from events.tables import (
    Club,
    ClubKind,
    DevMail,
    Event,
    EventTally,
    Outbox,
    OutboxState,
    RoleSignup,
    Rsvp,
    VolunteerRole,
)
from events.timefmt import utcnow

SUPPORT_DAYS = 90
ACTIVITY_DAYS = 365
MIN_DAYS = 7
BATCH = 200  # events forgotten per transaction


def default_days(kind: str) -> int:
    return ACTIVITY_DAYS if kind == ClubKind.activity.value else SUPPORT_DAYS


def may_keep_forever(kind: str) -> bool:
    return kind == ClubKind.activity.value


def effective_days(club: dict[str, Any]) -> int | None:
    """Days after each event at which its attendance is forgotten; None = never."""
    chosen = club.get("retention_days")
    if chosen is None:
        return default_days(str(club["kind"]))
    if int(chosen) == 0:
        return None if may_keep_forever(str(club["kind"])) else default_days(str(club["kind"]))
    return min(int(chosen), default_days(str(club["kind"])))


@dataclass
class RetentionChoice:
    days: int | None  # stored value: None = the default, 0 = never
    text: str


def parse_choice(kind: str, text: str | None) -> tuple[RetentionChoice, str]:
    """The form's `forget_after_days` ('' = the default, a number of days, or 'never' for
    activity clubs) → (choice, error message or '')."""
    raw = (text or "").strip().lower()[:20]
    longest = default_days(kind)
    if raw in ("", "default"):
        return RetentionChoice(None, ""), ""
    if raw == "never":
        if not may_keep_forever(kind):
            return RetentionChoice(None, raw), (
                "Support groups always forget who came: choose a number of days "
                f"from {MIN_DAYS} to {longest}."
            )
        return RetentionChoice(0, raw), ""
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 5:
        return RetentionChoice(None, raw), f"Enter a number of days from {MIN_DAYS} to {longest}."
    days = int(raw)
    if days < MIN_DAYS or days > longest:
        return RetentionChoice(None, raw), (
            f"Choose from {MIN_DAYS} to {longest} days (it can be shortened, not lengthened)."
        )
    return RetentionChoice(days, raw), ""


async def set_retention(club_id: int, choice: RetentionChoice) -> None:
    await Club.update({Club.retention_days: choice.days}).where(Club.id == club_id)


async def _clubs() -> list[dict[str, Any]]:
    return await Club.select(Club.id, Club.kind, Club.retention_days)


async def _due_events(club_id: int, cutoff: datetime, limit: int) -> list[int]:
    rows = await Event.raw(
        "SELECT event.id FROM event WHERE event.club = {} AND event.ends_at < {} "
        "AND NOT EXISTS (SELECT 1 FROM event_tally WHERE event_tally.event = event.id) "
        "ORDER BY event.id LIMIT {}",
        club_id,
        cutoff,
        limit,
    )
    return [int(r["id"]) for r in rows]


async def erase_attendance(event_ids: list[int], member_id: int | None = None) -> None:
    """Delete who answered these events (all members, or one): RSVPs with their check-ins and
    first-timer flags, volunteer sign-ups, and the mail rows that name them. Call inside a
    write transaction."""
    if not event_ids:
        return
    mails = Outbox.select(Outbox.id).where(
        Outbox.event.is_in(event_ids) & (Outbox.state != OutboxState.sending.value)
    )
    rsvps = Rsvp.delete().where(Rsvp.event.is_in(event_ids))
    roles = VolunteerRole.select(VolunteerRole.id).where(VolunteerRole.event.is_in(event_ids))
    if member_id is not None:
        mails = mails.where(Outbox.recipient == member_id)
        rsvps = rsvps.where(Rsvp.member == member_id)
    mail_ids = [int(r["id"]) for r in await mails]
    if mail_ids:
        await DevMail.delete().where(DevMail.outbox.is_in(mail_ids))
        await Outbox.delete().where(Outbox.id.is_in(mail_ids))
    role_ids = [int(r["id"]) for r in await roles]
    if role_ids:
        signups = RoleSignup.delete().where(RoleSignup.role.is_in(role_ids))
        if member_id is not None:
            signups = signups.where(RoleSignup.member == member_id)
        await signups
    await rsvps


async def forget_club(club: dict[str, Any], now: datetime) -> int:
    """Forget the club's events whose retention period is over; the number forgotten."""
    days = effective_days(club)
    if days is None:
        return 0
    cutoff = now - timedelta(days=days)
    done = 0
    while True:
        async with write_transaction():
            ids = await _due_events(int(club["id"]), cutoff, BATCH)
            if not ids:
                return done
            counts = {r.event_id: r for r in await stats.event_rows(int(club["id"]), now, ids)}
            await EventTally.insert(
                *[
                    EventTally(
                        event=event_id,
                        came=counts[event_id].came if event_id in counts else 0,
                        first_timers=counts[event_id].first_timers if event_id in counts else 0,
                        back_30=counts[event_id].back_30 if event_id in counts else 0,
                        back_90=counts[event_id].back_90 if event_id in counts else 0,
                        forgotten_at=now,
                    )
                    for event_id in ids
                ]
            )
            await erase_attendance(ids)
        done += len(ids)


async def forget_due(now: datetime | None = None) -> int:
    """Cron: forget every club's events past their retention period; the number forgotten."""
    now = now or utcnow()
    total = 0
    for club in await _clubs():
        total += await forget_club(club, now)
    return total


async def past_events(
    member_id: int, now: datetime | None = None, limit: int = 200
) -> list[dict[str, Any]]:
    """The member's own answers to events that have ended, newest first ("my past events")."""
    now = now or utcnow()
    return (
        await Rsvp.select(
            Rsvp.status,
            Rsvp.checked_in_at,
            Rsvp.event.id.as_alias("event_id"),
            Rsvp.event.title.as_alias("title"),
            Rsvp.event.starts_at.as_alias("starts_at"),
            Rsvp.event.club.timezone.as_alias("timezone"),  # type: ignore[union-attr]
        )
        .where((Rsvp.member == member_id) & (Rsvp.event.ends_at < now))
        .order_by(Rsvp.event.starts_at, ascending=False)
        .limit(limit)
    )


async def clear_history(member_id: int, now: datetime | None = None) -> int:
    """A member clears their own answers to events that have ended (never upcoming ones:
    those hold places). The number of events cleared."""
    now = now or utcnow()
    async with write_transaction():
        rows = await Rsvp.select(Rsvp.event).where(
            (Rsvp.member == member_id) & (Rsvp.event.ends_at < now)
        )
        ids = [int(r["event"]) for r in rows]
        await erase_attendance(ids, member_id)
    return len(ids)
