"""Delivery of outbox rows: claim, mark sent/failed/retry, what is due again, and reminders.

The worker's job for one row reads: claim (a conditional UPDATE with a lease, so two workers
never hold the same row) → load the CURRENT state of what the mail is about (a mail written
for an RSVP that has since been cancelled is skipped) → compose and send → mark sent in its
own statement right after the server's 250. Temporary SMTP failures put the row back to
pending with a backoff; permanent ones, or too many tries, mark it failed for organizers to see.
"""

from __future__ import annotations

import json
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from events.db import write_transaction
from events.services import outbox
from events.services.mailerrors import redact
from events.tables import (
    Club,
    Event,
    EventMessage,
    EventStatus,
    MailKind,
    Member,
    Membership,
    Outbox,
    OutboxState,
    Rsvp,
    RsvpStatus,
    WelcomeNote,
)
from events.timefmt import as_utc

# A worker holds a claimed row this long; past it, the row is free for another try.
# Longer than the send job's timeout, so a live worker never loses its claim mid-send.
LEASE = timedelta(minutes=2)
# Rows younger than this are left to the enqueue that follows their request.
REQUEUE_GRACE = timedelta(seconds=30)
MAX_ATTEMPTS = 8
BACKOFF_BASE = 30  # seconds: 30 s, 1 min, 2 min, … capped at one hour
BACKOFF_CAP = 3600
ACTIVE = (RsvpStatus.going.value, RsvpStatus.waitlisted.value)
# Held once a steward suspends the club (cancellations still go out).
HELD_BY_SUSPENSION = (
    MailKind.invite,
    MailKind.update,
    MailKind.reminder,
    MailKind.message,
    MailKind.welcome,
    MailKind.welcome_note,
)
# The only mail a suspended member still gets.
TO_SUSPENDED_MEMBERS = (MailKind.cancel, MailKind.account_deleted)
DONE_STATES = (OutboxState.sent.value, OutboxState.failed.value, OutboxState.skipped.value)


def iso_minute(moment: datetime) -> str:
    """The stable text of a start time inside dedupe keys and reminder payloads."""
    return as_utc(moment).strftime("%Y-%m-%dT%H:%MZ")


def backoff(attempts: int) -> timedelta:
    """Delay before try `attempts + 1`: exponential with a little jitter, capped."""
    seconds = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(0, attempts - 1))
    return timedelta(seconds=seconds + random.uniform(0, seconds / 10))


# --- claiming and marking ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """A claimed outbox row, as the worker's job and the loaders read it."""

    id: int
    kind: str  # as stored: may name a kind this code no longer knows
    recipient: int | None
    to_address: str
    event: int | None
    club: int | None
    payload: dict[str, Any]
    attempts: int

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> OutboxRow:
        return cls(
            id=int(row["id"]),
            kind=str(row["kind"]),
            recipient=row.get("recipient"),
            to_address=row.get("to_address") or "",
            event=row.get("event"),
            club=row.get("club"),
            payload=_payload(row.get("payload")),
            attempts=int(row.get("attempts") or 0),
        )


@dataclass(frozen=True)
class Claimed:
    row: OutboxRow


@dataclass(frozen=True)
class Done:
    state: str  # sent, failed, skipped — or "missing" when the row is gone


@dataclass(frozen=True)
class Busy:
    """Not ours now: another worker holds the lease, or the next try is not due yet."""

    wait: timedelta


async def claim(outbox_id: int, now: datetime) -> Claimed | Done | Busy:
    """pending (and due) → sending, or re-claim a `sending` row whose lease has expired (its
    worker died). One conditional UPDATE, so only one claimer wins."""
    now = as_utc(now)
    rows = (
        await Outbox.update(
            {
                Outbox.state: OutboxState.sending.value,
                Outbox.claimed_until: now + LEASE,
                Outbox.attempts: Outbox.attempts + 1,
            }
        )
        .where(
            (Outbox.id == outbox_id)
            & (
                ((Outbox.state == OutboxState.pending.value) & (Outbox.next_attempt_at <= now))
                | ((Outbox.state == OutboxState.sending.value) & (Outbox.claimed_until < now))
            )
        )
        .returning(*Outbox.all_columns())
    )
    if rows:
        return Claimed(OutboxRow.of(rows[0]))
    row = (
        await Outbox.select(Outbox.state, Outbox.claimed_until, Outbox.next_attempt_at)
        .where(Outbox.id == outbox_id)
        .first()
    )
    if row is None:
        return Done("missing")
    if row["state"] in DONE_STATES:
        return Done(row["state"])
    if row["state"] == OutboxState.sending.value and row["claimed_until"] is not None:
        until = as_utc(row["claimed_until"])
    else:
        until = as_utc(row["next_attempt_at"])
    return Busy(max(until - now, timedelta(seconds=1)))


async def mark_sent(outbox_id: int, now: datetime) -> None:
    await Outbox.update(
        {
            Outbox.state: OutboxState.sent.value,
            Outbox.sent_at: as_utc(now),
            Outbox.claimed_until: None,
            Outbox.last_error: "",
            # A bare address (the erased account's goodbye mail) is not kept once sent.
            Outbox.to_address: "",
        }
    ).where(Outbox.id == outbox_id)


async def mark_failed(outbox_id: int, error: str) -> None:
    await Outbox.update(
        {
            Outbox.state: OutboxState.failed.value,
            Outbox.claimed_until: None,
            Outbox.last_error: redact(error)[:1000],
        }
    ).where(Outbox.id == outbox_id)


async def mark_skipped(outbox_id: int, reason: str) -> None:
    await Outbox.update(
        {
            Outbox.state: OutboxState.skipped.value,
            Outbox.claimed_until: None,
            Outbox.last_error: redact(reason)[:1000],
        }
    ).where(Outbox.id == outbox_id)


async def mark_retry(outbox_id: int, attempts: int, error: str, now: datetime) -> timedelta | None:
    """Back to pending after a temporary failure; the delay before the next try, or None when
    the row has had its tries and is now failed."""
    if attempts >= MAX_ATTEMPTS:
        await mark_failed(outbox_id, f"gave up after {attempts} tries: {error}")
        return None
    delay = backoff(attempts)
    await Outbox.update(
        {
            Outbox.state: OutboxState.pending.value,
            Outbox.next_attempt_at: as_utc(now) + delay,
            Outbox.claimed_until: None,
            Outbox.last_error: redact(error)[:1000],
        }
    ).where((Outbox.id == outbox_id) & (Outbox.state == OutboxState.sending.value))
    return delay


async def release(outbox_id: int) -> None:
    """Give a claim back without counting it (the worker is shutting down mid-job)."""
    await Outbox.update(
        {
            Outbox.state: OutboxState.pending.value,
            Outbox.claimed_until: None,
            Outbox.attempts: Outbox.attempts - 1,
        }
    ).where((Outbox.id == outbox_id) & (Outbox.state == OutboxState.sending.value))


async def retry_failed(outbox_id: int, now: datetime) -> bool:
    """An organizer's "try again" on a failed row: a fresh set of tries."""
    rows = (
        await Outbox.update(
            {
                Outbox.state: OutboxState.pending.value,
                Outbox.attempts: 0,
                Outbox.next_attempt_at: as_utc(now),
            }
        )
        .where((Outbox.id == outbox_id) & (Outbox.state == OutboxState.failed.value))
        .returning(Outbox.id)
    )
    if rows:
        collected = outbox.written_ids.get()
        if collected is not None:
            collected.append(outbox_id)
    return bool(rows)


async def due_for_requeue(now: datetime, limit: int = 1000) -> list[int]:
    """Rows a job should exist for but may not: pending and due (Redis was down at request
    time, or the job was lost) once past the grace period, and claims whose lease expired."""
    now = as_utc(now)
    rows = (
        await Outbox.select(Outbox.id)
        .where(
            (
                (Outbox.state == OutboxState.pending.value)
                & (Outbox.next_attempt_at <= now)
                & (Outbox.created_at <= now - REQUEUE_GRACE)
            )
            | ((Outbox.state == OutboxState.sending.value) & (Outbox.claimed_until < now))
        )
        .order_by(Outbox.id)
        .limit(limit)
    )
    return [int(r["id"]) for r in rows]


# --- what a row is about, read now ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Message:
    """An organizer's message, as its mail shows it."""

    subject: str
    body: str


@dataclass(frozen=True, slots=True)
class Note:
    """A welcome note, as its mail shows it."""

    author: str  # the writer's display name
    message: str


@dataclass
class Mail:
    """Everything needed to compose one message, read from the current database state."""

    outbox_id: int
    kind: MailKind
    to: str
    name: str
    member_id: int | None
    discreet: bool = False
    event: dict[str, Any] | None = None
    club: dict[str, Any] | None = None
    method: str | None = None  # iTIP METHOD when the mail carries a calendar part
    partstat: str = "ACCEPTED"
    sequence: int | None = None
    going: bool = False
    event_cancelled: bool = False
    message: Message | None = None
    lead_minutes: int | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    note: Note | None = None
    # Hybrid events: how the member is coming ("in_person" or "online"); "" otherwise.
    attendance: str = ""
    # Digests and organizers' summaries: the events or clubs the mail lists.
    items: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Skip:
    reason: str


def _payload(value: Any) -> dict[str, Any]:
    value = value or {}
    if isinstance(value, str):
        try:
            value = json.loads(value or "{}")
        except ValueError:
            return {}
    return value if isinstance(value, dict) else {}


@dataclass(frozen=True, slots=True)
class Recipient:
    """What the kinds' checks need to know of the member a row is for."""

    id: int
    reminders: bool
    allow_greetings: bool


@dataclass(frozen=True, slots=True)
class Found:
    """What `_load` read before a kind's own checks run."""

    row: OutboxRow
    member: Recipient | None
    status: str | None  # the member's RSVP to the row's event, if any
    now: datetime


Check = Callable[[Mail, Found], Awaitable[Skip | None]]


@dataclass(frozen=True, slots=True)
class Loader:
    check: Check
    needs_event: bool
    needs_member: bool
    # Not for a member the organizers removed and blocked (cancellations still go).
    not_when_blocked: bool


LOADERS: dict[MailKind, Loader] = {}


def loader(
    *kinds: MailKind,
    needs_event: bool = False,
    needs_member: bool = False,
    not_when_blocked: bool = False,
) -> Callable[[Check], Check]:
    """Register `check` as the loader of `kinds`: it finishes the Mail or says why not."""

    def register(check: Check) -> Check:
        for kind in kinds:
            if kind in LOADERS:
                raise RuntimeError(f"two loaders for the {kind.value} mail")
            LOADERS[kind] = Loader(check, needs_event, needs_member, not_when_blocked)
        return check

    return register


async def _cancels_before(row: OutboxRow) -> int:
    """Cancel mails to this member for this event written before this row. Each own-cancel
    and re-RSVP must carry a higher SEQUENCE than the message before it, or calendars keep the
    older state; the event's own sequence only moves on organizer changes."""
    return await Outbox.count().where(
        (Outbox.kind == MailKind.cancel.value)
        & (Outbox.recipient == row.recipient)
        & (Outbox.event == row.event)
        & (Outbox.id < row.id)
    )


async def load(row: OutboxRow, now: datetime) -> Mail | Skip:
    """The mail a claimed row stands for, as things are now, or why it must not go out."""
    # One connection for the handful of reads (SQLite opens one per statement otherwise).
    async with Outbox._meta.db.transaction():
        return await _load(row, now)


async def _load(row: OutboxRow, now: datetime) -> Mail | Skip:
    try:
        kind = MailKind(row.kind)
    except ValueError:
        return Skip(f"unknown mail kind {row.kind!r}")
    rules = LOADERS[kind]
    member = None
    if row.recipient:
        member = (
            await Member.select(
                Member.id,
                Member.email,
                Member.display_name,
                Member.discreet,
                Member.reminders,
                Member.allow_greetings,
                Member.deleted_at,
                Member.suspended_at,
            )
            .where(Member.id == row.recipient)
            .first()
        )
        if member is None or member["deleted_at"] is not None:
            return Skip("the member's account is gone")
    to = row.to_address or (member["email"] if member else "")
    if not to:
        return Skip("no address to send to")
    mail = Mail(
        outbox_id=row.id,
        kind=kind,
        to=to,
        name=member["display_name"] if member else "",
        member_id=member["id"] if member else None,
        discreet=bool(member and member["discreet"]),
        payload=row.payload,
    )
    if row.event:
        mail.event = await Event.select().where(Event.id == row.event).first()
        if mail.event is None:
            return Skip("the event is gone")
        mail.event_cancelled = mail.event["status"] == EventStatus.cancelled.value
    club_id = row.club or (mail.event["club"] if mail.event else None)
    if club_id:
        mail.club = await Club.select().where(Club.id == club_id).first()
    # Checked again as the worker loads the row: nothing but cancellations after a steward's
    # suspension commits (of the club, or of the member).
    if kind in HELD_BY_SUSPENSION and mail.club and mail.club["suspended_at"] is not None:
        return Skip("the club is suspended")
    if member and member["suspended_at"] is not None and kind not in TO_SUSPENDED_MEMBERS:
        return Skip("the member is suspended")
    rsvp = None
    if mail.event and member:
        rsvp = (
            await Rsvp.select(Rsvp.status, Rsvp.attendance)
            .where((Rsvp.event == mail.event["id"]) & (Rsvp.member == member["id"]))
            .first()
        )
    status = rsvp["status"] if rsvp else None
    blocked = bool(
        member
        and mail.club
        and await Membership.exists().where(
            (Membership.member == member["id"])
            & (Membership.club == mail.club["id"])
            & Membership.blocked.eq(True)
        )
    )
    # Removed and blocked: no attendee-only details, and nothing but cancellations.
    mail.going = status == RsvpStatus.going.value and not blocked
    if mail.event and mail.event.get("attendance") == "hybrid" and rsvp:
        mail.attendance = str(rsvp["attendance"] or "in_person")
        if (
            mail.attendance != "online"
            and mail.event["details_for_attendees_only"]
            and not mail.event["link_for_in_person"]
        ):
            # The attendee-only online link goes to people going online (text and calendar).
            mail.event["online_url"] = ""
    if blocked and rules.not_when_blocked:
        return Skip("the organizers removed the member from the club")
    if rules.needs_event and not mail.event:
        return Skip(f"a {kind.value} mail needs an event")
    if rules.needs_member and not member:
        return Skip(f"a {kind.value} mail needs a member")
    recipient = (
        Recipient(int(member["id"]), bool(member["reminders"]), bool(member["allow_greetings"]))
        if member
        else None
    )
    skip = await rules.check(mail, Found(row, recipient, status, now))
    return skip or mail


def _event(mail: Mail) -> dict[str, Any]:
    """The event of a kind registered with needs_event (checked before its loader runs)."""
    assert mail.event is not None
    return mail.event


@loader(
    MailKind.invite, MailKind.update, needs_event=True, needs_member=True, not_when_blocked=True
)
async def _invite_or_update(mail: Mail, found: Found) -> Skip | None:
    if mail.event_cancelled:
        return Skip("the event was cancelled since; the cancellation says so")
    if found.status not in ACTIVE:
        return Skip("the RSVP was cancelled since; the cancellation says so")
    mail.method = "REQUEST"
    mail.partstat = "ACCEPTED" if mail.going else "TENTATIVE"
    mail.sequence = int(_event(mail)["sequence"] or 0) + 2 * await _cancels_before(found.row)
    return None


@loader(MailKind.cancel, needs_event=True, needs_member=True)
async def _cancel(mail: Mail, found: Found) -> Skip | None:
    if not mail.event_cancelled and found.status in ACTIVE:
        return Skip("the member is going again; a newer invite says so")
    mail.method = "CANCEL"
    mail.partstat = "NEEDS-ACTION" if mail.event_cancelled else "DECLINED"
    mail.sequence = int(_event(mail)["sequence"] or 0) + 2 * await _cancels_before(found.row) + 1
    return None


@loader(MailKind.reminder, needs_event=True, needs_member=True, not_when_blocked=True)
async def _reminder(mail: Mail, found: Found) -> Skip | None:
    event = _event(mail)
    if mail.event_cancelled or not mail.going:
        return Skip("no longer going")
    if found.member and not found.member.reminders:
        return Skip("the member turned reminders off")
    starts_at = mail.payload.get("starts_at")
    if starts_at and starts_at != iso_minute(event["starts_at"]):
        return Skip("the event moved; a reminder for the new time follows")
    if as_utc(event["starts_at"]) <= as_utc(found.now):
        return Skip("the event has started")
    mail.lead_minutes = int(mail.payload.get("lead_minutes") or 0) or None
    return None


@loader(MailKind.message, needs_event=True, needs_member=True, not_when_blocked=True)
async def _message(mail: Mail, found: Found) -> Skip | None:
    message = (
        await EventMessage.select(
            EventMessage.subject, EventMessage.body, EventMessage.include_waitlist
        )
        .where(EventMessage.id == int(mail.payload.get("message_id") or 0))
        .first()
    )
    if message is None:
        return Skip("the message is gone")
    if found.member and not found.member.reminders:
        return Skip("the member turned reminder and message mail off")
    allowed = ACTIVE if message["include_waitlist"] else (RsvpStatus.going.value,)
    if found.status not in allowed:
        return Skip("no longer going")
    mail.message = Message(subject=message["subject"], body=message["body"])
    return None


@loader(MailKind.welcome, needs_member=True, not_when_blocked=True)
async def _welcome(mail: Mail, found: Found) -> Skip | None:
    if not mail.club or not found.member:
        return Skip("the club is gone")
    joined = await Membership.exists().where(
        (Membership.member == found.member.id)
        & (Membership.club == mail.club["id"])
        & Membership.blocked.eq(False)
    )
    return None if joined else Skip("the member left the club since")


@loader(MailKind.welcome_note, not_when_blocked=True)
async def _welcome_note(mail: Mail, found: Found) -> Skip | None:
    if not found.member or not mail.club:
        return Skip("a welcome note mail needs a member and a club")
    if not found.member.allow_greetings:
        return Skip("the newcomer turned welcome notes off")
    note = (
        await WelcomeNote.select(
            WelcomeNote.message,
            WelcomeNote.hidden,
            WelcomeNote.author.display_name.as_alias("author"),
        )
        .where(
            (WelcomeNote.id == int(mail.payload.get("note_id") or 0))
            & (WelcomeNote.newcomer == found.member.id)
        )
        .first()
    )
    if note is None or note["hidden"]:
        return Skip("the note is gone or hidden")
    mail.note = Note(author=note["author"], message=note["message"])
    return None


@loader(MailKind.signup_confirm)
async def _signup_confirm(mail: Mail, found: Found) -> Skip | None:
    return None if mail.payload.get("token") else Skip("no link token")


@loader(MailKind.password_reset)
async def _password_reset(mail: Mail, found: Found) -> Skip | None:
    if not mail.payload.get("token"):
        return Skip("no link token")
    return None if found.member else Skip("a password reset mail needs a member")


@loader(MailKind.password_reset_none)
async def _password_reset_none(mail: Mail, found: Found) -> Skip | None:
    return Skip("a password reset for an address with no account: nothing to send")


@loader(MailKind.signup_resend_none)
async def _signup_resend_none(mail: Mail, found: Found) -> Skip | None:
    return Skip("a sign-up link asked again for an address with no account: nothing to send")


@loader(MailKind.club_suspended)
async def _club_suspended(mail: Mail, found: Found) -> Skip | None:
    if not found.member or not mail.club or mail.club["suspended_at"] is None:
        return Skip("the club is no longer suspended")
    return None


@loader(MailKind.signup_existing, MailKind.account_deleted)
async def _as_written(mail: Mail, found: Found) -> Skip | None:
    return None


# --- reminders -------------------------------------------------------------------------------


def reminder_key(rsvp_id: int, lead: timedelta, starts_at: datetime) -> str:
    return f"reminder:{rsvp_id}:{int(lead.total_seconds() // 60)}:{iso_minute(starts_at)}"


async def schedule_reminders(now: datetime, leads: tuple[timedelta, ...]) -> list[int]:
    """Write the reminder rows that are due at `now`; the ids written.

    For each going RSVP of a scheduled event starting within the longest lead, the shortest
    lead whose time has come is the one due (a worker that was down does not send a 24 h and a
    2 h reminder at once). A lead that had already passed when the member said yes is never
    sent. The key carries the start time, so moving the event makes new keys.
    """
    if not leads:
        return []
    now = as_utc(now)
    rows = await Rsvp.select(
        Rsvp.id,
        Rsvp.member,
        Rsvp.event,
        Rsvp.queued_at,
        Rsvp.created_at,
        Rsvp.event.starts_at.as_alias("starts_at"),
        Rsvp.event.club.as_alias("club"),
    ).where(
        (Rsvp.status == RsvpStatus.going.value)
        & (Rsvp.event.status == EventStatus.scheduled.value)
        & (Rsvp.event.starts_at > now)
        & (Rsvp.event.starts_at <= now + max(leads))
        & (Rsvp.member.reminders == True)  # noqa: E712 - a Piccolo expression
        & Rsvp.member.deleted_at.is_null()
        & Rsvp.event.club.suspended_at.is_null()  # type: ignore[union-attr]
    )
    wanted: dict[str, dict[str, Any]] = {}
    for r in rows:
        starts = as_utc(r["starts_at"])
        due = [lead for lead in leads if starts - lead <= now]
        if not due:
            continue
        lead = min(due)
        said_yes = as_utc(r["queued_at"] or r["created_at"])
        if said_yes > starts - lead:
            continue
        key = reminder_key(r["id"], lead, starts)
        wanted[key] = {
            "recipient": r["member"],
            "event": r["event"],
            "club": r["club"],
            "payload": {
                "lead_minutes": int(lead.total_seconds() // 60),
                "starts_at": iso_minute(starts),
            },
        }
    keys = list(wanted)
    existing: set[str] = set()
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        found = await Outbox.select(Outbox.dedupe_key).where(Outbox.dedupe_key.is_in(chunk))
        existing.update(f["dedupe_key"] for f in found)
    missing = [key for key in keys if key not in existing]
    written: list[int] = []
    for start in range(0, len(missing), 500):
        async with write_transaction():  # one commit per batch, not per row
            for key in missing[start : start + 500]:
                spec = wanted[key]
                new_id = await outbox.add(
                    MailKind.reminder,
                    key,
                    recipient=spec["recipient"],
                    event=spec["event"],
                    club=spec["club"],
                    payload=spec["payload"],
                )
                if new_id is not None:
                    written.append(new_id)
    return written


# The digest kinds' loaders live with the rest of the digests; importing registers them.
from events.services import digests  # noqa: E402,F401
