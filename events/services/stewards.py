"""Instance stewards: granted on the command line, they see every club (counts only), the
reports organizers escalated or that concern an organizer, and may suspend a club or a member.
Every action is logged with who, when and why, and the log is shown to every steward.

Stewards see no attendee lists: nothing here reads who answered an event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from piccolo_api.session_auth.tables import SessionsBase

from events.db import write_transaction
from events.services import outbox, rsvps
from events.services.accounts import normalize_email
from events.tables import (
    Club,
    EventStatus,
    MailKind,
    Member,
    Membership,
    Outbox,
    OutboxState,
    Report,
    Role,
    Rsvp,
    RsvpStatus,
    StewardAction,
)
from events.timefmt import utcnow

REASON_MAX = 1000
CLUB_LIMIT = 200
LOG_LIMIT = 100


class StewardError(Exception):
    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


async def _log(
    steward_id: int | None,
    action: str,
    reason: str,
    *,
    club_id: int | None = None,
    member_id: int | None = None,
    now: datetime | None = None,
) -> None:
    await StewardAction.insert(
        StewardAction(
            steward=steward_id,
            action=action,
            club=club_id,
            member=member_id,
            reason=reason,
            created_at=now or utcnow(),
        )
    )


# --- granting (command line only) -------------------------------------------------------------


async def set_steward(email: str, grant: bool) -> bool:
    """`steady admin grant|revoke EMAIL`; False when no account has that address."""
    async with write_transaction():
        rows = (
            await Member.update({Member.steward: grant})
            .where((Member.email == normalize_email(email)) & Member.deleted_at.is_null())
            .returning(Member.id)
        )
        if not rows:
            return False
        await _log(
            None, "grant" if grant else "revoke", "command line", member_id=int(rows[0]["id"])
        )
    return True


async def is_steward(member_id: int | None) -> bool:
    if member_id is None:
        return False
    return await Member.exists().where(
        (Member.id == member_id) & Member.steward.eq(True) & Member.suspended_at.is_null()
    )


# --- the /admin page --------------------------------------------------------------------------

CLUBS_SQL = (
    "SELECT club.id, club.slug, club.name, club.kind, club.created_at, club.suspended_at, "
    "club.suspended_reason, "
    "(SELECT COUNT(*) FROM membership WHERE membership.club = club.id "
    "AND membership.blocked = {}) AS members, "
    "(SELECT COUNT(*) FROM event WHERE event.club = club.id) AS events "
    "FROM club ORDER BY club.created_at DESC, club.id DESC LIMIT {}"
)

# Open reports an organizer escalated, and open reports about a member who organizes the
# club (they would otherwise be read by the person reported).
REPORTS_SQL = (
    "SELECT report.id, report.subject_kind, report.subject_id, report.reason, "
    "report.created_at, report.escalated_at, club.name AS club_name, club.slug AS club_slug, "
    "subject.display_name AS member_name, event.title AS event_title, "
    "CASE WHEN organizer.id IS NULL THEN 0 ELSE 1 END AS about_organizer "
    "FROM report JOIN club ON club.id = report.club "
    "LEFT JOIN member subject ON report.subject_kind = 'member' "
    "AND subject.id = report.subject_id "
    "LEFT JOIN event ON report.subject_kind = 'event' AND event.id = report.subject_id "
    "AND event.club = report.club "
    "LEFT JOIN membership organizer ON report.subject_kind = 'member' "
    "AND organizer.member = report.subject_id AND organizer.club = report.club "
    "AND organizer.role = 'organizer' "
    "WHERE report.resolved = {} AND (report.escalated_at IS NOT NULL OR organizer.id IS NOT NULL) "
    "ORDER BY report.created_at, report.id LIMIT 200"
)


@dataclass(frozen=True)
class Overview:
    clubs: list[dict[str, Any]]
    reports: list[dict[str, Any]]
    log: list[dict[str, Any]]


async def overview() -> Overview:
    clubs = await Club.raw(CLUBS_SQL, False, CLUB_LIMIT)
    reports = await Report.raw(REPORTS_SQL, False)
    log = (
        await StewardAction.select(
            StewardAction.id,
            StewardAction.action,
            StewardAction.reason,
            StewardAction.created_at,
            StewardAction.steward.display_name.as_alias("steward_name"),
            StewardAction.club.name.as_alias("club_name"),
            StewardAction.member.display_name.as_alias("member_name"),
        )
        .order_by(StewardAction.created_at, ascending=False)
        .order_by(StewardAction.id, ascending=False)
        .limit(LOG_LIMIT)
    )
    return Overview(clubs=clubs, reports=reports, log=log)


def check_reason(text: str | None) -> str:
    reason = (text or "").replace("\r\n", "\n").strip()
    if not reason:
        raise StewardError("Say why: the people affected and the other stewards will read it.")
    if len(reason) > REASON_MAX:
        raise StewardError(
            f"Keep the reason to {REASON_MAX:,} characters (it has {len(reason):,})."
        )
    return reason


# --- suspending a club ------------------------------------------------------------------------


async def suspend_club(
    steward_id: int, club_id: int, reason_text: str | None, now: datetime | None = None
) -> bool:
    """Hide the club from listings and feeds, hold its mail, tell its organizers why. False
    when it was already suspended (nothing written)."""
    reason = check_reason(reason_text)
    now = now or utcnow()
    async with write_transaction():
        rows = (
            await Club.update({Club.suspended_at: now, Club.suspended_reason: reason})
            .where((Club.id == club_id) & Club.suspended_at.is_null())
            .returning(Club.id)
        )
        if not rows:
            if not await Club.exists().where(Club.id == club_id):
                raise StewardError("We couldn't find that club.", 404)
            return False
        # Mail not yet claimed by a worker is dropped here; a claimed one is checked again
        # when the worker loads it (events.services.delivery).
        await Outbox.raw(
            "UPDATE outbox SET state = {}, last_error = {} WHERE state = {} AND kind IN "
            "('invite', 'update', 'reminder', 'message', 'welcome') AND (club = {} OR event IN "
            "(SELECT event.id FROM event WHERE event.club = {}))",
            OutboxState.skipped.value,
            "the club was suspended",
            OutboxState.pending.value,
            club_id,
            club_id,
        )
        organizers = await Membership.select(Membership.member).where(
            (Membership.club == club_id)
            & (Membership.role == Role.organizer.value)
            & Membership.blocked.eq(False)
        )
        stamp = now.strftime("%Y%m%dT%H%M%S")
        for row in organizers:
            await outbox.add(
                MailKind.club_suspended,
                f"club_suspended:{club_id}:{row['member']}:{stamp}",
                recipient=int(row["member"]),
                club=club_id,
                payload={"reason": reason},
            )
        await _log(steward_id, "suspend_club", reason, club_id=club_id, now=now)
    return True


async def restore_club(
    steward_id: int, club_id: int, reason_text: str | None, now: datetime | None = None
) -> bool:
    lift = (
        Club.update({Club.suspended_at: None, Club.suspended_reason: ""})
        .where((Club.id == club_id) & Club.suspended_at.is_not_null())
        .returning(Club.id)
    )
    return await _restore(lift, steward_id, "restore_club", reason_text, club_id=club_id, now=now)


async def _restore(
    lift: Any, steward_id: int, action: str, reason_text: str | None, **target: Any
) -> bool:
    """Run a steward's restore (`lift`, an update returning the rows it changed) and log it;
    False when nothing was suspended, so there was nothing to restore."""
    reason = check_reason(reason_text)
    async with write_transaction():
        if not await lift:
            return False
        await _log(steward_id, action, reason, **target)
    return True


# --- suspending a member ----------------------------------------------------------------------


async def member_for(email: str | None, report_id: int | None) -> int:
    """The member a steward names: by address, or as the subject of a report they see."""
    if report_id is not None:
        row = (
            await Report.select(Report.subject_id)
            .where((Report.id == report_id) & (Report.subject_kind == "member"))
            .first()
        )
        if row is None:
            raise StewardError("That report is not about a member.", 404)
        return int(row["subject_id"])
    address = normalize_email(email or "")
    row = (
        await Member.select(Member.id)
        .where((Member.email == address) & Member.deleted_at.is_null())
        .first()
        if address
        else None
    )
    if row is None:
        raise StewardError("No account has that email address.")
    return int(row["id"])


async def suspend_member(
    steward_id: int, member_id: int, reason_text: str | None, now: datetime | None = None
) -> bool:
    """Sign the member out everywhere, stop them signing in, cancel their RSVPs to upcoming
    events (places freed, waitlists moved up). False when already suspended."""
    reason = check_reason(reason_text)
    if member_id == steward_id:
        raise StewardError("You can't suspend yourself.")
    now = now or utcnow()
    async with write_transaction():
        rows = (
            await Member.update({Member.suspended_at: now, Member.steward: False})
            .where((Member.id == member_id) & Member.suspended_at.is_null())
            .returning(Member.id)
        )
        if not rows:
            return False
        await SessionsBase.delete().where(SessionsBase.user_id == member_id)
        clubs = (
            await Rsvp.select(Rsvp.event.club.as_alias("club"))
            .where(
                (Rsvp.member == member_id)
                & Rsvp.status.is_in([RsvpStatus.going.value, RsvpStatus.waitlisted.value])
                & (Rsvp.event.starts_at > now)
                & (Rsvp.event.status == EventStatus.scheduled.value)
            )
            .distinct()
        )
        for club_id in sorted({int(r["club"]) for r in clubs}):
            await rsvps.cancel_for_club(club_id, member_id, now)
        await _log(steward_id, "suspend_member", reason, member_id=member_id, now=now)
    return True


async def restore_member(
    steward_id: int, member_id: int, reason_text: str | None, now: datetime | None = None
) -> bool:
    lift = (
        Member.update({Member.suspended_at: None})
        .where((Member.id == member_id) & Member.suspended_at.is_not_null())
        .returning(Member.id)
    )
    return await _restore(
        lift, steward_id, "restore_member", reason_text, member_id=member_id, now=now
    )


async def suspended_members() -> list[dict[str, Any]]:
    return await Member.select(Member.id, Member.display_name, Member.suspended_at).where(
        Member.suspended_at.is_not_null()
    )


# --- organizers escalate a report -------------------------------------------------------------


async def escalate(club_id: int, report_id: int, now: datetime | None = None) -> bool:
    rows = (
        await Report.update({Report.escalated_at: now or utcnow()})
        .where((Report.id == report_id) & (Report.club == club_id) & Report.escalated_at.is_null())
        .returning(Report.id)
    )
    return bool(rows) or await Report.exists().where(
        (Report.id == report_id) & (Report.club == club_id)
    )
