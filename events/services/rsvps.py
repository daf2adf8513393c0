"""RSVPs: capacity, a first-come waitlist with automatic promotion, guests, cancellation.

Every change runs inside `events.db.write_transaction()` and starts by locking the event row
(BEGIN IMMEDIATE already holds the write lock on SQLite; `FOR UPDATE` on PostgreSQL), so the
changes to one event are serial. Places are taken with one conditional UPDATE, so `event.taken`
can never pass `capacity` even if a caller forgets the lock. `taken` always equals the sum of
(1 + guests) over going RSVPs, and `waitlisted` the number of waitlisted RSVPs: both are
updated in the transaction that changes the RSVP rows they count, so the RSVP panel reads them
instead of counting rows. Each change a member must hear about writes an outbox row in
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

from events import changes
from events.db import is_postgres, lock_row, write_transaction
from events.services import outbox
from events.services.permissions import is_organizer
from events.tables import (
    Event,
    EventStatus,
    MailKind,
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
IN_PERSON = "in_person"
ONLINE = "online"
HYBRID = "hybrid"

EVENT_FIELDS = (
    Event.id,
    Event.club,
    Event.capacity,
    Event.taken,
    Event.waitlisted,
    Event.guests_allowed,
    Event.rsvp_deadline,
    Event.starts_at,
    Event.status,
    Event.attestation,
    Event.sequence,
    # What the success card's "Add to calendar" links need (#14).
    Event.title,
    Event.ends_at,
    Event.location,
    Event.online_url,
    Event.location_hint,
    Event.attendance,
    Event.online_taken,
)
EVENT_COLUMNS = ", ".join(f"event.{c._meta.db_column_name}" for c in EVENT_FIELDS)

# Everything one answer needs, in one statement: the event (with its counters) and the
# member's standing in it. Run after the event is locked (see `_locked_facts`).
FACTS_SQL = (
    f"SELECT {EVENT_COLUMNS}, "
    "(SELECT blocked FROM membership WHERE membership.member = {} "
    "AND membership.club = event.club) AS blocked, "
    "mine.id AS mine_id, mine.status AS mine_status, mine.guests AS mine_guests, "
    "mine.visibility AS mine_visibility, mine.attendance AS mine_attendance, "
    "(SELECT default_visibility FROM member WHERE member.id = {}) AS default_visibility, "
    "(SELECT suspended_at FROM club WHERE club.id = event.club) AS club_suspended_at, "
    "EXISTS (SELECT 1 FROM rsvp earlier JOIN event other ON other.id = earlier.event "
    "WHERE earlier.member = {} AND other.club = event.club AND earlier.event != event.id "
    "AND earlier.status != 'not_going') AS been_before, "
    "EXISTS (SELECT 1 FROM role_signup JOIN volunteer_role ON volunteer_role.id = role_signup.role "
    "WHERE volunteer_role.event = event.id AND role_signup.member = {}) AS holds_role, "
    "NOT EXISTS (SELECT 1 FROM rsvp later WHERE later.event = event.id "
    "AND later.status = 'waitlisted' AND later.queued_at >= {}) AS line_ends_before "
    "FROM event LEFT JOIN rsvp mine ON mine.event = event.id AND mine.member = {} "
    "WHERE event.id = {}"
)
COUNTERS = "RETURNING taken, waitlisted, online_taken"


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
    guests: int = 0
    # Place in line when it is known without counting (the back of the line).
    position: int | None = None
    # The visibility chosen with this answer, if any.
    visibility: str | None = None
    # In person or online (what a hybrid event's answer chose; the event's mode otherwise).
    attendance: str = IN_PERSON
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
    # Hybrid events: `going` counts the in-person places, `online` the people going online.
    hybrid: bool = False
    online: int = 0
    attendance: str = IN_PERSON

    @property
    def can_cancel(self) -> bool:
        closed_for_good = self.closed_reason in ("past", "cancelled")
        return self.status in (GOING, WAITLISTED) and not closed_for_good


def is_hybrid(event: dict[str, Any]) -> bool:
    return event.get("attendance") == HYBRID


def counted_online(event: dict[str, Any], attendance: str | None) -> bool:
    """Whether a going RSVP's places are in `online_taken` (not `taken`, which the capacity
    caps): online answers to hybrid events only."""
    return is_hybrid(event) and attendance == ONLINE


def default_attendance(event: dict[str, Any]) -> str:
    """What an answer to an event that is not hybrid records: the event's own mode."""
    return ONLINE if event.get("attendance") == ONLINE else IN_PERSON


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%S%f")


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
    if is_postgres():
        async with write_transaction():
            yield
        return
    loop = asyncio.get_running_loop()
    gate = _sqlite_gates.setdefault(loop, asyncio.Lock())
    async with gate, write_transaction():
        yield


async def _lock_event(event_id: int) -> dict[str, Any] | None:
    return await lock_row(Event.select(*EVENT_FIELDS).where(Event.id == event_id)).first()


async def _locked_facts(
    event_id: int, member_id: int, now: datetime | None
) -> tuple[dict[str, Any] | None, datetime]:
    """The event row and the member's standing in it, read under the event's lock.

    SQLite: BEGIN IMMEDIATE already holds the write lock, so one statement reads it all.
    PostgreSQL: the row lock comes first, in its own statement, because a statement's rows come
    from its snapshot, taken before it waited for the lock; the next statement sees everything
    the change that held the lock committed (READ COMMITTED).

    Also returns the time of the change, taken once the lock is held: the stamps order the
    waitlist in the order the changes happen."""
    if is_postgres():
        locked = await lock_row(Event.select(Event.id).where(Event.id == event_id))
        if not locked:
            return None, now or utcnow()
    now = now or utcnow()
    rows = await Event.raw(
        FACTS_SQL, member_id, member_id, member_id, member_id, now, member_id, event_id
    )
    if not rows:
        return None, now
    facts = dict(rows[0])
    for name in ("blocked", "been_before", "holds_role", "line_ends_before"):
        facts[name] = bool(facts[name])
    return facts, now


def _event_of(facts: dict[str, Any]) -> dict[str, Any]:
    return {c._meta.name: facts[c._meta.db_column_name] for c in EVENT_FIELDS}


def _mine_of(facts: dict[str, Any]) -> dict[str, Any] | None:
    if facts["mine_id"] is None:
        return None
    return {
        "id": facts["mine_id"],
        "status": facts["mine_status"],
        "guests": facts["mine_guests"],
        "visibility": facts["mine_visibility"],
        "attendance": facts["mine_attendance"] or IN_PERSON,
    }


def _counted(event: dict[str, Any], rows: list[dict[str, Any]]) -> bool:
    """Copy the counters a `... RETURNING taken, waitlisted` gave back; False if no row."""
    if not rows:
        return False
    event["taken"] = int(rows[0]["taken"])
    event["waitlisted"] = int(rows[0]["waitlisted"])
    event["online_taken"] = int(rows[0]["online_taken"])
    return True


async def _take(event: dict[str, Any], places: int, from_waitlist: bool = False) -> bool:
    """Take `places` if they fit; the capacity check and the increment are one statement.
    `from_waitlist`: the party leaves the waitlist in the same statement."""
    leaving = 1 if from_waitlist else 0
    rows = await Event.raw(
        "UPDATE event SET taken = taken + {}, waitlisted = waitlisted - {} WHERE id = {} "
        "AND (capacity IS NULL OR taken + {} <= capacity) " + COUNTERS,
        places,
        leaving,
        event["id"],
        places,
    )
    return _counted(event, rows)


async def _count(
    event: dict[str, Any], taken: int = 0, waitlisted: int = 0, online: int = 0
) -> None:
    """Change the counters by these amounts (places freed, the waitlist joined or left, people
    going online)."""
    rows = await Event.raw(
        "UPDATE event SET taken = taken + {}, waitlisted = waitlisted + {}, "
        "online_taken = online_taken + {} WHERE id = {} " + COUNTERS,
        taken,
        waitlisted,
        online,
        event["id"],
    )
    _counted(event, rows)


async def _invite(
    event: dict[str, Any],
    member_id: int,
    partstat: str,
    now: datetime,
    promoted: bool = False,
    via: str = "rsvp",
) -> None:
    """`promoted`: off the waitlist, so the mail says a place opened up. `via` marks the mail
    as a new RSVP's (or a hybrid "switch" of how to attend, which they do not count)."""
    payload: dict[str, Any] = {"partstat": partstat, "via": via}
    if promoted:
        payload["promoted"] = True
    await outbox.add(
        MailKind.invite,
        f"invite:{event['id']}:{member_id}:{partstat.lower()}:{_stamp(now)}",
        recipient=member_id,
        event=event["id"],
        club=event["club"],
        payload=payload,
    )


async def _cancel_notice(
    event: dict[str, Any], member_id: int, now: datetime, by: str = "member"
) -> None:
    await outbox.add(
        MailKind.cancel,
        f"cancel:{event['id']}:{member_id}:{_stamp(now)}",
        recipient=member_id,
        event=event["id"],
        club=event["club"],
        payload={"by": by},
    )


async def _release_roles(event_id: int, member_id: int) -> None:
    """Volunteer roles (and what a greeter's role shows) go with the place: one statement."""
    await RoleSignup.raw(
        "DELETE FROM role_signup WHERE member = {} AND role IN "
        "(SELECT id FROM volunteer_role WHERE event = {})",
        member_id,
        event_id,
    )


async def fill_from_waitlist(event_id: int, now: datetime | None = None) -> list[int]:
    """Promote waitlisted members in line order while places are free: the first in line who
    fits goes (a party too big for the free places keeps its turn and waits). Writes an
    ACCEPTED invite for each and returns their member ids. Call inside a write transaction."""
    event = await _lock_event(event_id)
    if event is None:
        return []
    return await _fill(event, now or utcnow())


async def _fill(event: dict[str, Any], now: datetime) -> list[int]:
    """fill_from_waitlist for an event already locked; `event` has its current counters."""
    if event["status"] == EventStatus.cancelled.value or event["starts_at"] <= now:
        return []
    capacity = event["capacity"]
    if capacity is not None and event["taken"] >= capacity:
        return []
    waiting = (
        await Rsvp.select(Rsvp.id, Rsvp.member, Rsvp.guests)
        .where((Rsvp.event == event["id"]) & (Rsvp.status == WAITLISTED))
        .order_by(Rsvp.queued_at)
        .order_by(Rsvp.id)
    )
    free = None if capacity is None else capacity - event["taken"]
    promoted: list[int] = []
    for row in waiting:
        need = 1 + row["guests"]
        if free is not None and need > free:
            if free <= 0:
                break
            continue
        if not await _take(event, need, from_waitlist=True):
            continue
        if free is not None:
            free -= need
        await Rsvp.update({Rsvp.status: GOING, Rsvp.updated_at: now}).where(Rsvp.id == row["id"])
        await _invite(event, row["member"], "ACCEPTED", now, promoted=True)
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


async def respond(
    event_id: int,
    member_id: int,
    response: str,
    guests: int = 0,
    *,
    attested: bool = False,
    visibility: str | None = None,
    attendance: str | None = None,
    now: datetime | None = None,
) -> Outcome:
    """Record a member's yes/no. Raises RsvpRefused when a rule says no, LookupError when the
    event does not exist. A yes goes to the waitlist when the places do not fit.

    `attendance` (`in_person` or `online`) is asked for a yes to a hybrid event and ignored
    otherwise: in-person places have the capacity and the waitlist, online has no cap;
    switching from in person to online frees the place for the line.

    A plain yes or no is BEGIN, one read, the counters, the RSVP row, the mail row and COMMIT
    (PostgreSQL adds the row lock); the panel is made from what those statements returned."""
    if response not in ("yes", "no"):
        raise RsvpRefused("Choose whether you're going or not.")
    if visibility is not None and visibility not in {v.value for v in Visibility}:
        visibility = None
    if attendance not in (None, IN_PERSON, ONLINE):
        raise RsvpRefused("Choose whether you'll be there in person or online.")
    async with _rsvp_transaction():
        facts, now = await _locked_facts(event_id, member_id, now)
        if facts is None:
            raise LookupError(event_id)
        event = _event_of(facts)
        if facts["club_suspended_at"] is not None:
            # Suspended by a steward (#16): its pages answer 404, so this does too.
            raise RsvpRefused("We couldn't find that event. It may have been removed.", 404)
        check_open(event, now, response)
        if facts["blocked"]:
            # Neutral on purpose: the answer does not say why.
            raise RsvpRefused("Sorry, we can't take your RSVP for this event.")
        mine = _mine_of(facts)
        if response == "no":
            outcome = await _say_no(event, member_id, mine, facts, now)
        else:
            chosen = _attendance_for(event, mine, attendance)
            _check_yes(event, mine, guests, attested)
            if mine is not None and _switches(event, mine, chosen):
                outcome = await _switch(event, member_id, mine, guests, chosen, facts, now)
            else:
                outcome = await _say_yes(
                    event, member_id, mine, guests, attested, visibility, facts, now, chosen
                )
                outcome.attendance = chosen
            if (
                visibility
                and mine is not None
                and mine["status"] in (GOING, WAITLISTED)
                and mine["visibility"] != visibility
            ):
                # Who sees me is mine to change at any time; it does not move me in line.
                await Rsvp.update({Rsvp.visibility: visibility}).where(Rsvp.id == mine["id"])
                outcome.visibility = visibility
                if not outcome.changed:
                    outcome.message = "Saved: that's how other people going see you now."
        # The panel as it is now, from the counters the statements above returned.
        outcome.event = event
        position = None
        if outcome.status == WAITLISTED:
            position = outcome.position or await waitlist_position(event_id, member_id)
        mine_now = None
        if outcome.status is not None:
            kept = mine["visibility"] if mine is not None else facts["default_visibility"]
            mine_now = {
                "status": outcome.status,
                "guests": outcome.guests,
                "visibility": outcome.visibility or kept or Visibility.initials.value,
                "attendance": outcome.attendance,
            }
        outcome.panel = panel_from(event, mine_now, position, now)
    # Committed: the event's page, its club's page and the lists that show counts change.
    changes.changed(event_id=event_id, club_id=event["club"])
    return outcome


def _attendance_for(event: dict[str, Any], mine: dict[str, Any] | None, asked: str | None) -> str:
    """In person or online for a yes: a hybrid event's answer must say (a member already going
    keeps their choice when the form leaves it out); other events record their own mode."""
    if not is_hybrid(event):
        return default_attendance(event)
    if asked:
        return asked
    if mine is not None and mine["status"] in (GOING, WAITLISTED):
        return str(mine["attendance"])
    raise RsvpRefused("Choose whether you'll be there in person or online.")


def _check_yes(
    event: dict[str, Any], mine: dict[str, Any] | None, guests: int, attested: bool
) -> None:
    """Raises RsvpRefused for more guests than the event takes, or a missing attestation."""
    if not 0 <= guests <= event["guests_allowed"]:
        allowed = event["guests_allowed"]
        raise RsvpRefused(
            f"You can bring up to {allowed} guest{'s' if allowed != 1 else ''}."
            if allowed
            else "This event doesn't take guests."
        )
    if event["attestation"] and not attested and (mine is None or mine["status"] == NOT_GOING):
        raise RsvpRefused(f"Please confirm: {event['attestation']}")


def _switches(event: dict[str, Any], mine: dict[str, Any] | None, attendance: str) -> bool:
    """A member going (or waiting) to a hybrid event changes between in person and online."""
    return (
        mine is not None
        and is_hybrid(event)
        and mine["status"] in (GOING, WAITLISTED)
        and mine["attendance"] != attendance
    )


async def _say_no(
    event: dict[str, Any],
    member_id: int,
    mine: dict[str, Any] | None,
    facts: dict[str, Any],
    now: datetime,
) -> Outcome:
    if mine is None:
        await Rsvp.insert(
            Rsvp(
                event=event["id"],
                member=member_id,
                status=NOT_GOING,
                queued_at=now,
                visibility=facts["default_visibility"] or Visibility.initials.value,
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
    if facts["holds_role"]:
        await _release_roles(event["id"], member_id)
    promoted: list[int] = []
    if mine["status"] == GOING and counted_online(event, mine["attendance"]):
        await _count(event, online=-(1 + mine["guests"]))
        message = "Your RSVP is cancelled. Thanks for letting us know."
    elif mine["status"] == GOING:
        await _count(event, taken=-(1 + mine["guests"]))
        if event["waitlisted"] > 0:
            promoted = await _fill(event, now)
        message = "Your RSVP is cancelled. Thanks for freeing the place."
    else:
        await _count(event, waitlisted=-1)
        message = "You've left the waitlist."
    return Outcome(NOT_GOING, True, message, promoted)


async def _say_yes(
    event: dict[str, Any],
    member_id: int,
    mine: dict[str, Any] | None,
    guests: int,
    attested: bool,
    visibility: str | None,
    facts: dict[str, Any],
    now: datetime,
    attendance: str = IN_PERSON,
) -> Outcome:
    online = counted_online(event, attendance)
    if mine is not None and mine["status"] == GOING:
        return await _change_guests(event, mine, guests, now, online=online)
    if mine is not None and mine["status"] == WAITLISTED:
        if mine["guests"] == guests:
            return Outcome(WAITLISTED, False, "You're already on the waitlist.", guests=guests)
        # Keeps the place in line; fewer guests may now fit, so try the line again.
        await Rsvp.update({Rsvp.guests: guests, Rsvp.updated_at: now}).where(Rsvp.id == mine["id"])
        promoted = await _fill(event, now)
        status = GOING if member_id in promoted else WAITLISTED
        message = "You're going!" if status == GOING else "Your guests are updated."
        return Outcome(status, True, message, promoted, guests=guests)

    # A new yes (first answer, or after a no): joins at the back of the line.
    places = 1 + guests
    capacity = event["capacity"]
    if online:
        await _count(event, online=places)
        fits = True
    else:
        fits = capacity is None or event["taken"] + places <= capacity
        if not (fits and await _take(event, places)):
            await _count(event, waitlisted=1)
            fits = False
    status = GOING if fits else WAITLISTED
    values: dict[Any, Any] = {
        Rsvp.attendance: attendance,
        Rsvp.status: status,
        Rsvp.guests: guests,
        Rsvp.queued_at: now,
        Rsvp.updated_at: now,
        Rsvp.attested: attested and bool(event["attestation"]),
        Rsvp.first_time: not facts["been_before"],
    }
    if visibility:
        values[Rsvp.visibility] = visibility
    if mine is None:
        values.setdefault(Rsvp.visibility, facts["default_visibility"] or Visibility.initials.value)
        await Rsvp.insert(
            Rsvp(
                event=event["id"],
                member=member_id,
                created_at=now,
                **{column._meta.name: value for column, value in values.items()},
            )
        )
    else:
        await Rsvp.update(values).where(Rsvp.id == mine["id"])
    await _invite(event, member_id, "ACCEPTED" if status == GOING else "TENTATIVE", now)
    if status == GOING:
        message = "You're going! We've emailed you a calendar invite."
        if online:
            message = "You're joining online! We've emailed you a calendar invite."
        return Outcome(GOING, True, message, guests=guests, visibility=visibility)
    # At the back of the line when nobody waiting joined it at this moment or later.
    position = event["waitlisted"] if facts["line_ends_before"] else None
    return Outcome(
        WAITLISTED,
        True,
        "It's full right now, so you're on the waitlist.",
        guests=guests,
        position=position,
        visibility=visibility,
    )


async def _change_guests(
    event: dict[str, Any], mine: dict[str, Any], guests: int, now: datetime, online: bool = False
) -> Outcome:
    before = mine["guests"]
    if guests == before:
        return Outcome(GOING, False, "You're already going.", guests=guests)
    if online:
        # Online has no cap: the count follows the guests.
        await Rsvp.update({Rsvp.guests: guests, Rsvp.updated_at: now}).where(Rsvp.id == mine["id"])
        await _count(event, online=guests - before)
        return Outcome(GOING, True, "Your guests are updated.", guests=guests)
    if guests > before:
        if not await _take(event, guests - before):
            free = max((event["capacity"] or 0) - event["taken"], 0)
            raise RsvpRefused(
                f"Only {free} more place{'s' if free != 1 else ''} free, so your guests don't "
                f"fit. You're still going with {before} guest{'s' if before != 1 else ''}."
            )
        await Rsvp.update({Rsvp.guests: guests, Rsvp.updated_at: now}).where(Rsvp.id == mine["id"])
        return Outcome(GOING, True, "Your guests are updated.", guests=guests)
    await Rsvp.update({Rsvp.guests: guests, Rsvp.updated_at: now}).where(Rsvp.id == mine["id"])
    await _count(event, taken=-(before - guests))
    promoted = await _fill(event, now) if event["waitlisted"] > 0 else []
    return Outcome(GOING, True, "Your guests are updated.", promoted, guests=guests)


async def _switch(
    event: dict[str, Any],
    member_id: int,
    mine: dict[str, Any],
    guests: int,
    attendance: str,
    facts: dict[str, Any],
    now: datetime,
) -> Outcome:
    """A member going (or waitlisted) to a hybrid event changes between in person and online.

    To online: their in-person place (or their place in line) is freed at once and the line
    moves up, in this transaction. To in person: like a new yes, a place if one fits, else the
    back of the line (then they are not going online any more)."""
    places = 1 + guests
    promoted: list[int] = []
    if attendance == ONLINE:
        if mine["status"] == GOING:
            await _count(event, taken=-(1 + mine["guests"]), online=places)
        else:
            await _count(event, waitlisted=-1, online=places)
        status = GOING
    else:
        await _count(event, online=-(1 + mine["guests"]))
        capacity = event["capacity"]
        fits = capacity is None or event["taken"] + places <= capacity
        if not (fits and await _take(event, places)):
            await _count(event, waitlisted=1)
            fits = False
        status = GOING if fits else WAITLISTED
    await Rsvp.update(
        {
            Rsvp.status: status,
            Rsvp.attendance: attendance,
            Rsvp.guests: guests,
            Rsvp.queued_at: now,
            Rsvp.updated_at: now,
        }
    ).where(Rsvp.id == mine["id"])
    if facts["holds_role"] and attendance == ONLINE:
        # Volunteer roles (greeter, driver...) are done in person.
        await _release_roles(event["id"], member_id)
    partstat = "ACCEPTED" if status == GOING else "TENTATIVE"
    await _invite(event, member_id, partstat, now, via="switch")
    if attendance == ONLINE:
        if event["waitlisted"] > 0:
            promoted = await _fill(event, now)
        message = "You're joining online now. Your in-person place went back to the pool."
    elif status == GOING:
        message = "You're going in person now. We've emailed you an updated invite."
    else:
        message = "No in-person places are free, so you're on the waitlist for one."
    position = event["waitlisted"] if status == WAITLISTED and facts["line_ends_before"] else None
    return Outcome(
        status, True, message, promoted, guests=guests, position=position, attendance=attendance
    )


async def cancel_for_club(club_id: int, member_id: int, now: datetime | None = None) -> int:
    """Cancel the member's RSVPs to the club's upcoming events, as their own "no" would: places
    freed, the waitlist moved up in line order, one cancellation mail each (which does not say
    why). The number cancelled. Call inside a write transaction.

    Every upcoming event of the club is locked first, so an RSVP racing with this either
    commits before (and is cancelled here) or runs after (and sees the block)."""
    now = now or utcnow()
    query = lock_row(
        Event.select(*EVENT_FIELDS)
        .where(
            (Event.club == club_id)
            & (Event.status == EventStatus.scheduled.value)
            & (Event.starts_at > now)
        )
        .order_by(Event.id)
    )
    events = {int(e["id"]): e for e in await query}
    if not events:
        return 0
    mine = (
        await Rsvp.select(Rsvp.id, Rsvp.event, Rsvp.status, Rsvp.guests, Rsvp.attendance)
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
        if row["status"] == GOING and counted_online(event, row["attendance"]):
            await _count(event, online=-(1 + row["guests"]))
        elif row["status"] == GOING:
            await _count(event, taken=-(1 + row["guests"]))
            await _fill(event, now)
        else:
            await _count(event, waitlisted=-1)
    # Volunteer roles (a greeter sees the newcomers) go with the places.
    roles = await VolunteerRole.select(VolunteerRole.id).where(
        VolunteerRole.event.is_in(list(events))
    )
    if roles:
        await RoleSignup.delete().where(
            (RoleSignup.member == member_id) & RoleSignup.role.is_in([int(r["id"]) for r in roles])
        )
    return len(mine)


async def recount(event_id: int) -> None:
    """Count the event's going places again, in `taken` or (online answers to a hybrid event)
    `online_taken`: after the event became hybrid or stopped being so. Call inside a write
    transaction that holds the event's lock."""
    going = "FROM rsvp WHERE rsvp.event = event.id AND rsvp.status = 'going' AND "
    online = "event.attendance = 'hybrid' AND rsvp.attendance = 'online'"
    await Event.raw(
        f"UPDATE event SET taken = (SELECT COALESCE(SUM(1 + rsvp.guests), 0) {going} "
        f"NOT ({online})), online_taken = (SELECT COALESCE(SUM(1 + rsvp.guests), 0) {going} "
        f"{online}) WHERE id = {{}}",
        event_id,
    )


async def waitlist_position(event_id: int, member_id: int) -> int | None:
    """1 for the first in line; None when the member is not waitlisted. One statement."""
    rows = await Rsvp.raw(
        "SELECT COUNT(ahead.id) AS ahead FROM rsvp mine JOIN rsvp ahead "
        "ON ahead.event = mine.event AND ahead.status = 'waitlisted' "
        "AND (ahead.queued_at < mine.queued_at "
        "OR (ahead.queued_at = mine.queued_at AND ahead.id <= mine.id)) "
        "WHERE mine.event = {} AND mine.member = {} AND mine.status = 'waitlisted' "
        "GROUP BY mine.id",
        event_id,
        member_id,
    )
    return int(rows[0]["ahead"]) if rows else None


def panel_from(
    event: dict[str, Any],
    mine: dict[str, Any] | None,
    position: int | None,
    now: datetime | None = None,
) -> PanelState:
    """Counts only (never names), from the event's counters, plus the viewer's own answer
    (`mine`: status, guests, visibility) and place in line."""
    now = now or utcnow()
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
        waitlisted=max(int(event["waitlisted"]), 0),
        places_left=places_left,
        full=places_left == 0,
        open=not reason,
        closed_reason=reason,
        guests_allowed=int(event["guests_allowed"]),
        attestation=str(event.get("attestation") or ""),
        hybrid=is_hybrid(event),
        online=int(event.get("online_taken") or 0),
    )
    if mine is not None:
        state.status = str(mine["status"])
        state.guests = int(mine["guests"])
        state.visibility = str(mine["visibility"])
        state.attendance = str(mine.get("attendance") or IN_PERSON)
        if state.status == WAITLISTED:
            state.position = position
    return state


async def attendee_export(event_id: int, member_id: int) -> list[dict[str, Any]] | None:
    """The organizers' export: one row per RSVP (name, status label, guests, and when they
    answered); None when there is no such event. Raises PermissionError for anyone but the
    event's own club's organizers."""
    event = await Event.select(Event.id, Event.club).where(Event.id == event_id).first()
    if event is None:
        return None
    if not await is_organizer(member_id, event["club"]):
        raise PermissionError(event_id)
    rows = []
    for row in await attendee_rows(event_id):
        answered = row["updated_at"] if row["status"] == NOT_GOING else None
        rows.append(
            {
                "name": row["name"],
                "status": STATUS_LABELS.get(row["status"], row["status"]),
                "guests": row["guests"],
                "rsvp_at": answered or row["queued_at"],
                "attendance": row["attendance"] or IN_PERSON,
            }
        )
    return rows


async def attendee_rows(event_id: int) -> list[dict[str, Any]]:
    """One row per RSVP for organizers: going, then the waitlist in line order, then no."""
    rows = await Rsvp.select(
        Rsvp.member.display_name.as_alias("name"),
        Rsvp.status,
        Rsvp.guests,
        Rsvp.queued_at,
        Rsvp.updated_at,
        Rsvp.id,
        Rsvp.attendance,
    ).where(Rsvp.event == event_id)
    order = {GOING: 0, WAITLISTED: 1, NOT_GOING: 2}
    rows.sort(key=lambda r: (order.get(r["status"], 3), r["queued_at"], r["id"]))
    return rows
