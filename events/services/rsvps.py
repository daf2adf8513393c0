"""RSVPs: capacity, a first-come waitlist with automatic promotion, guests, cancellation.

Every change runs inside `events.db.write_transaction()` and starts by locking the event row
(BEGIN IMMEDIATE already holds the write lock on SQLite; `FOR UPDATE` on PostgreSQL), so the
changes to one event are serial. Places are taken with one conditional UPDATE, so `event.taken`
can never pass `capacity` even if a caller forgets the lock. `taken` always equals the sum of
(1 + guests) over going RSVPs. Each change a member must hear about writes an outbox row in
the same transaction; its dedupe key carries the change's time stamp, so a retried request
(which finds nothing to change) writes nothing, while a later real change writes a new row.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine

from events import changes
from events.db import write_transaction
from events.services import outbox
from events.services.greetings import release_event_roles
from events.tables import (
    Event,
    EventStatus,
    Member,
    Membership,
    RoleSignup,
    Rsvp,
    RsvpStatus,
    Visibility,
    VolunteerRole,
)
from events.timefmt import utcnow

GOING = RsvpStatus.going.value
WAITLISTED = RsvpStatus.waitlisted.value
NOT_GOING = RsvpStatus.not_going.value
STATUS_LABELS = {GOING: "going", WAITLISTED: "waitlisted", NOT_GOING: "not going"}

EVENT_FIELDS = (
    Event.id,
    Event.club,
    Event.capacity,
    Event.taken,
    Event.guests_allowed,
    Event.rsvp_deadline,
    Event.starts_at,
    Event.status,
    Event.attestation,
    Event.sequence,
)


class RsvpRefused(Exception):
    """A rule says no (cancelled, past, closed, bad guests): the message is for the member."""

    def __init__(self, message: str, status_code: int = 422) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code


@dataclass
class Outcome:
    status: str | None
    changed: bool
    message: str
    promoted: list[int] = field(default_factory=list)
    # The event and the panel as they are right after the change (read in its transaction).
    event: dict[str, Any] | None = None
    panel: PanelState | None = None


@dataclass
class PanelState:
    """What the RSVP panel shows: counts for everyone, and the viewer's own answer."""

    going: int
    waitlisted: int
    places_left: int | None
    full: bool
    open: bool
    closed_reason: str
    guests_allowed: int
    attestation: str
    status: str | None = None
    guests: int = 0
    position: int | None = None
    visibility: str = Visibility.initials.value

    @property
    def can_cancel(self) -> bool:
        closed_for_good = self.closed_reason in ("past", "cancelled")
        return self.status in (GOING, WAITLISTED) and not closed_for_good


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%S%f")


def _is_postgres() -> bool:
    return isinstance(engine_finder(), PostgresEngine)


_sqlite_gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)


@contextlib.asynccontextmanager
async def _rsvp_transaction() -> AsyncIterator[None]:
    """A write transaction; on SQLite, RSVPs of this process first queue on an asyncio lock.

    SQLite takes one writer at a time anyway. Without the lock, every waiting request polls
    the file lock with growing sleeps (Python's busy handler), which starves some for the
    whole 30 s timeout under a burst; with it they wait in arrival order and only one
    connection per process asks SQLite for the write lock."""
    if _is_postgres():
        async with write_transaction():
            yield
        return
    loop = asyncio.get_running_loop()
    gate = _sqlite_gates.setdefault(loop, asyncio.Lock())
    async with gate, write_transaction():
        yield


async def _lock_event(event_id: int) -> dict[str, Any] | None:
    query = Event.select(*EVENT_FIELDS).where(Event.id == event_id)
    if _is_postgres():
        query = query.lock_rows("NO KEY UPDATE")
    return await query.first()


async def _take(event_id: int, places: int) -> bool:
    """Take `places` if they fit; the capacity check and the increment are one statement."""
    rows = await Event.raw(
        "UPDATE event SET taken = taken + {} WHERE id = {} "
        "AND (capacity IS NULL OR taken + {} <= capacity) RETURNING id",
        places,
        event_id,
        places,
    )
    return bool(rows)


async def _release(event_id: int, places: int) -> None:
    await Event.raw("UPDATE event SET taken = taken - {} WHERE id = {}", places, event_id)


async def _invite(event: dict[str, Any], member_id: int, partstat: str, now: datetime) -> None:
    await outbox.add(
        "invite",
        f"invite:{event['id']}:{member_id}:{partstat.lower()}:{_stamp(now)}",
        recipient=member_id,
        event=event["id"],
        club=event["club"],
        payload={"partstat": partstat},
    )


async def _cancel_notice(
    event: dict[str, Any], member_id: int, now: datetime, by: str = "member"
) -> None:
    await outbox.add(
        "cancel",
        f"cancel:{event['id']}:{member_id}:{_stamp(now)}",
        recipient=member_id,
        event=event["id"],
        club=event["club"],
        payload={"by": by},
    )


async def fill_from_waitlist(event_id: int, now: datetime | None = None) -> list[int]:
    """Promote waitlisted members in line order while places are free: the first in line who
    fits goes (a party too big for the free places keeps its turn and waits). Writes an
    ACCEPTED invite for each and returns their member ids. Call inside a write transaction."""
    event = await _lock_event(event_id)
    if event is None or event["status"] == EventStatus.cancelled.value:
        return []
    now = now or utcnow()
    if event["starts_at"] <= now:
        return []
    waiting = (
        await Rsvp.select(Rsvp.id, Rsvp.member, Rsvp.guests)
        .where((Rsvp.event == event_id) & (Rsvp.status == WAITLISTED))
        .order_by(Rsvp.queued_at)
        .order_by(Rsvp.id)
    )
    capacity = event["capacity"]
    free = None if capacity is None else capacity - event["taken"]
    promoted: list[int] = []
    for row in waiting:
        need = 1 + row["guests"]
        if free is not None and need > free:
            if free <= 0:
                break
            continue
        if not await _take(event_id, need):
            continue
        if free is not None:
            free -= need
        await Rsvp.update({Rsvp.status: GOING, Rsvp.updated_at: now}).where(Rsvp.id == row["id"])
        await _invite(event, row["member"], "ACCEPTED", now)
        promoted.append(int(row["member"]))
    return promoted


def check_open(event: dict[str, Any], now: datetime, response: str) -> None:
    """Raise RsvpRefused when this answer is not accepted any more.

    A "no" is still taken after the RSVP deadline (until the start): freeing a place late is
    better than not showing up."""
    if event["status"] == EventStatus.cancelled.value:
        raise RsvpRefused("This event was cancelled, so RSVPs are closed.")
    if event["starts_at"] <= now:
        raise RsvpRefused("This event has already started, so RSVPs are closed.")
    deadline = event["rsvp_deadline"] or event["starts_at"]
    if response == "yes" and deadline <= now:
        raise RsvpRefused("RSVPs for this event closed at the organizer's deadline.")


async def _visibility_default(member_id: int) -> str:
    row = await Member.select(Member.default_visibility).where(Member.id == member_id).first()
    return str(row["default_visibility"]) if row else Visibility.initials.value


async def _first_time(member_id: int, club_id: int, event_id: int) -> bool:
    earlier = await Rsvp.count().where(
        (Rsvp.member == member_id)
        & (Rsvp.event.club == club_id)
        & (Rsvp.event != event_id)
        & (Rsvp.status != NOT_GOING)
    )
    return earlier == 0


async def _blocked(member_id: int, club_id: int) -> bool:
    return await Membership.exists().where(
        (Membership.member == member_id)
        & (Membership.club == club_id)
        & Membership.blocked.eq(True)
    )


async def respond(
    event_id: int,
    member_id: int,
    response: str,
    guests: int = 0,
    *,
    attested: bool = False,
    visibility: str | None = None,
    now: datetime | None = None,
) -> Outcome:
    """Record a member's yes/no. Raises RsvpRefused when a rule says no, LookupError when the
    event does not exist. A yes goes to the waitlist when the places do not fit."""
    if response not in ("yes", "no"):
        raise RsvpRefused("Choose whether you're going or not.")
    if visibility is not None and visibility not in {v.value for v in Visibility}:
        visibility = None
    async with _rsvp_transaction():
        event = await _lock_event(event_id)
        if event is None:
            raise LookupError(event_id)
        # Taken after the lock: the stamp orders the waitlist in the order the changes happen.
        now = now or utcnow()
        check_open(event, now, response)
        if await _blocked(member_id, event["club"]):
            # Neutral on purpose: the answer does not say why.
            raise RsvpRefused("Sorry, we can't take your RSVP for this event.")
        mine = (
            await Rsvp.select(Rsvp.id, Rsvp.status, Rsvp.guests, Rsvp.visibility)
            .where((Rsvp.event == event_id) & (Rsvp.member == member_id))
            .first()
        )
        if response == "no":
            outcome = await _say_no(event, member_id, mine, now)
        else:
            outcome = await _say_yes_checked(
                event, member_id, mine, guests, attested, visibility, now
            )
            if (
                visibility
                and mine is not None
                and mine["status"] in (GOING, WAITLISTED)
                and mine["visibility"] != visibility
            ):
                # Who sees me is mine to change at any time; it does not move me in line.
                await Rsvp.update({Rsvp.visibility: visibility}).where(Rsvp.id == mine["id"])
                if not outcome.changed:
                    outcome.message = "Saved: that's how other people going see you now."
        # Read back in the same transaction: one connection, and exactly the state just made.
        outcome.event = await _lock_event(event_id)
        outcome.panel = await panel_state(outcome.event or event, member_id, now)
    # Committed: the event's page, its club's page and the lists that show counts change.
    changes.changed(event_id=event_id, club_id=event["club"])
    return outcome


async def _say_yes_checked(
    event: dict[str, Any],
    member_id: int,
    mine: dict[str, Any] | None,
    guests: int,
    attested: bool,
    visibility: str | None,
    now: datetime,
) -> Outcome:
    if not 0 <= guests <= event["guests_allowed"]:
        allowed = event["guests_allowed"]
        raise RsvpRefused(
            f"You can bring up to {allowed} guest{'s' if allowed != 1 else ''}."
            if allowed
            else "This event doesn't take guests."
        )
    if event["attestation"] and not attested and (mine is None or mine["status"] == NOT_GOING):
        raise RsvpRefused(f"Please confirm: {event['attestation']}")
    return await _say_yes(event, member_id, mine, guests, attested, visibility, now)


async def _say_no(
    event: dict[str, Any], member_id: int, mine: dict[str, Any] | None, now: datetime
) -> Outcome:
    if mine is None:
        await Rsvp.insert(
            Rsvp(
                event=event["id"],
                member=member_id,
                status=NOT_GOING,
                queued_at=now,
                visibility=await _visibility_default(member_id),
                created_at=now,
                updated_at=now,
            )
        )
        return Outcome(NOT_GOING, True, "Thanks for letting us know.")
    if mine["status"] == NOT_GOING:
        return Outcome(NOT_GOING, False, "You've already said you can't go.")
    await Rsvp.update({Rsvp.status: NOT_GOING, Rsvp.guests: 0, Rsvp.updated_at: now}).where(
        Rsvp.id == mine["id"]
    )
    await _cancel_notice(event, member_id, now)
    # Volunteer roles (and what a greeter's role shows) go with the place.
    await release_event_roles(member_id, [event["id"]])
    promoted: list[int] = []
    if mine["status"] == GOING:
        await _release(event["id"], 1 + mine["guests"])
        promoted = await fill_from_waitlist(event["id"], now)
        message = "Your RSVP is cancelled. Thanks for freeing the place."
    else:
        message = "You've left the waitlist."
    return Outcome(NOT_GOING, True, message, promoted)


async def _say_yes(
    event: dict[str, Any],
    member_id: int,
    mine: dict[str, Any] | None,
    guests: int,
    attested: bool,
    visibility: str | None,
    now: datetime,
) -> Outcome:
    event_id = event["id"]
    if mine is not None and mine["status"] == GOING:
        return await _change_guests(event, mine, guests, now)
    if mine is not None and mine["status"] == WAITLISTED:
        if mine["guests"] == guests:
            return Outcome(WAITLISTED, False, "You're already on the waitlist.")
        # Keeps the place in line; fewer guests may now fit, so try the line again.
        await Rsvp.update({Rsvp.guests: guests, Rsvp.updated_at: now}).where(Rsvp.id == mine["id"])
        promoted = await fill_from_waitlist(event_id, now)
        status = GOING if member_id in promoted else WAITLISTED
        message = "You're going!" if status == GOING else "Your guests are updated."
        return Outcome(status, True, message, promoted)

    # A new yes (first answer, or after a no): joins at the back of the line.
    status = GOING if await _take(event_id, 1 + guests) else WAITLISTED
    values: dict[Any, Any] = {
        Rsvp.status: status,
        Rsvp.guests: guests,
        Rsvp.queued_at: now,
        Rsvp.updated_at: now,
        Rsvp.attested: attested and bool(event["attestation"]),
        Rsvp.first_time: await _first_time(member_id, event["club"], event_id),
    }
    if visibility:
        values[Rsvp.visibility] = visibility
    if mine is None:
        values.setdefault(Rsvp.visibility, await _visibility_default(member_id))
        await Rsvp.insert(
            Rsvp(
                event=event_id,
                member=member_id,
                created_at=now,
                **{column._meta.name: value for column, value in values.items()},
            )
        )
    else:
        await Rsvp.update(values).where(Rsvp.id == mine["id"])
    await _invite(event, member_id, "ACCEPTED" if status == GOING else "TENTATIVE", now)
    if status == GOING:
        return Outcome(GOING, True, "You're going! We've emailed you a calendar invite.")
    return Outcome(WAITLISTED, True, "It's full right now, so you're on the waitlist.")


async def _change_guests(
    event: dict[str, Any], mine: dict[str, Any], guests: int, now: datetime
) -> Outcome:
    before = mine["guests"]
    if guests == before:
        return Outcome(GOING, False, "You're already going.")
    if guests > before:
        if not await _take(event["id"], guests - before):
            free = max((event["capacity"] or 0) - event["taken"], 0)
            raise RsvpRefused(
                f"Only {free} more place{'s' if free != 1 else ''} free, so your guests don't "
                f"fit. You're still going with {before} guest{'s' if before != 1 else ''}."
            )
        await Rsvp.update({Rsvp.guests: guests, Rsvp.updated_at: now}).where(Rsvp.id == mine["id"])
        return Outcome(GOING, True, "Your guests are updated.")
    await Rsvp.update({Rsvp.guests: guests, Rsvp.updated_at: now}).where(Rsvp.id == mine["id"])
    await _release(event["id"], before - guests)
    promoted = await fill_from_waitlist(event["id"], now)
    return Outcome(GOING, True, "Your guests are updated.", promoted)


async def cancel_for_club(club_id: int, member_id: int, now: datetime | None = None) -> int:
    """Cancel the member's RSVPs to the club's upcoming events, as their own "no" would: places
    freed, the waitlist moved up in line order, one cancellation mail each (which does not say
    why). The number cancelled. Call inside a write transaction.

    Every upcoming event of the club is locked first, so an RSVP racing with this either
    commits before (and is cancelled here) or runs after (and sees the block)."""
    now = now or utcnow()
    query = (
        Event.select(*EVENT_FIELDS)
        .where(
            (Event.club == club_id)
            & (Event.status == EventStatus.scheduled.value)
            & (Event.starts_at > now)
        )
        .order_by(Event.id)
    )
    if _is_postgres():
        query = query.lock_rows("NO KEY UPDATE")
    events = {int(e["id"]): e for e in await query}
    if not events:
        return 0
    mine = (
        await Rsvp.select(Rsvp.id, Rsvp.event, Rsvp.status, Rsvp.guests)
        .where(
            (Rsvp.member == member_id)
            & Rsvp.event.is_in(list(events))
            & Rsvp.status.is_in([GOING, WAITLISTED])
        )
        .order_by(Rsvp.event)
    )
    for row in mine:
        event = events[int(row["event"])]
        await Rsvp.update({Rsvp.status: NOT_GOING, Rsvp.guests: 0, Rsvp.updated_at: now}).where(
            Rsvp.id == row["id"]
        )
        await _cancel_notice(event, member_id, now, by="club")
        if row["status"] == GOING:
            await _release(event["id"], 1 + row["guests"])
            await fill_from_waitlist(event["id"], now)
    # Volunteer roles (a greeter sees the newcomers) go with the places.
    roles = await VolunteerRole.select(VolunteerRole.id).where(
        VolunteerRole.event.is_in(list(events))
    )
    if roles:
        await RoleSignup.delete().where(
            (RoleSignup.member == member_id) & RoleSignup.role.is_in([int(r["id"]) for r in roles])
        )
    return len(mine)


async def waitlist_position(event_id: int, member_id: int) -> int | None:
    """1 for the first in line; None when the member is not waitlisted."""
    mine = (
        await Rsvp.select(Rsvp.id, Rsvp.queued_at)
        .where((Rsvp.event == event_id) & (Rsvp.member == member_id) & (Rsvp.status == WAITLISTED))
        .first()
    )
    if mine is None:
        return None
    ahead = await Rsvp.count().where(
        (Rsvp.event == event_id)
        & (Rsvp.status == WAITLISTED)
        & (
            (Rsvp.queued_at < mine["queued_at"])
            | ((Rsvp.queued_at == mine["queued_at"]) & (Rsvp.id < mine["id"]))
        )
    )
    return ahead + 1


async def panel_state(
    event: dict[str, Any], member_id: int | None, now: datetime | None = None
) -> PanelState:
    """Counts only (never names) plus the viewer's own status and place in line."""
    now = now or utcnow()
    waitlisted = await Rsvp.count().where((Rsvp.event == event["id"]) & (Rsvp.status == WAITLISTED))
    capacity = event["capacity"]
    places_left = None if capacity is None else max(capacity - event["taken"], 0)
    reason = ""
    if event["status"] == EventStatus.cancelled.value:
        reason = "cancelled"
    elif event["starts_at"] <= now:
        reason = "past"
    elif (event["rsvp_deadline"] or event["starts_at"]) <= now:
        reason = "deadline"
    state = PanelState(
        going=int(event["taken"]),
        waitlisted=waitlisted,
        places_left=places_left,
        full=places_left == 0,
        open=not reason,
        closed_reason=reason,
        guests_allowed=int(event["guests_allowed"]),
        attestation=str(event.get("attestation") or ""),
    )
    if member_id is not None:
        mine = (
            await Rsvp.select(Rsvp.status, Rsvp.guests, Rsvp.visibility)
            .where((Rsvp.event == event["id"]) & (Rsvp.member == member_id))
            .first()
        )
        if mine is not None:
            state.status = str(mine["status"])
            state.guests = int(mine["guests"])
            state.visibility = str(mine["visibility"])
            if state.status == WAITLISTED:
                state.position = await waitlist_position(event["id"], member_id)
    return state


async def attendee_rows(event_id: int) -> list[dict[str, Any]]:
    """One row per RSVP for organizers: going, then the waitlist in line order, then no."""
    rows = await Rsvp.select(
        Rsvp.member.display_name.as_alias("name"),
        Rsvp.status,
        Rsvp.guests,
        Rsvp.queued_at,
        Rsvp.updated_at,
        Rsvp.id,
    ).where(Rsvp.event == event_id)
    order = {GOING: 0, WAITLISTED: 1, NOT_GOING: 2}
    rows.sort(key=lambda r: (order.get(r["status"], 3), r["queued_at"], r["id"]))
    return rows
