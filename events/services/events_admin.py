"""Organizer actions: create, edit and cancel events and series; check-in; messages to
attendees; volunteer roles. Each change and the outbox rows it causes share one transaction.

Views check `access.require_organizer` for the event's own club before calling these.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from events.db import is_unique_violation, lock_row, write_transaction
from events.forms.event import EventValues
from events.recurrence import shifted_starts
from events.services import outbox, rsvps
from events.services.permissions import is_blocked
from events.tables import (
    Event,
    EventMessage,
    EventStatus,
    MailKind,
    Outbox,
    Repeat,
    RoleSignup,
    Rsvp,
    RsvpStatus,
    Series,
    VolunteerRole,
)
from events.timefmt import to_utc, utcnow, wall_clock

# Changes to these reach attendees' calendars: a new SEQUENCE and an update mail each.
VISIBLE_FIELDS = ("title", "starts_at", "ends_at", "location", "online_url")
ATTENDING = (RsvpStatus.going.value, RsvpStatus.waitlisted.value)
GREETER_WORDS = ("greet", "welcom", "host")
# A second identical message within this window is taken as a double submit, not resent.
MESSAGE_REPEAT_WINDOW = timedelta(minutes=10)


async def _attendees(event_id: int, statuses: tuple[str, ...] = ATTENDING) -> list[int]:
    rows = await Rsvp.select(Rsvp.member).where(
        (Rsvp.event == event_id)
        & Rsvp.status.is_in(list(statuses))
        & Rsvp.member.deleted_at.is_null()
    )
    return [int(r["member"]) for r in rows]


async def _notify(kind: MailKind, event_id: int, club_id: int, sequence: int) -> int:
    """One outbox row per going/waitlisted member; the sequence makes each change its own mail."""
    payload: dict[str, Any] = {"sequence": sequence}
    if kind == MailKind.cancel:
        payload["event_cancelled"] = True
    written = 0
    for member_id in await _attendees(event_id):
        key = f"{kind.value}:event:{event_id}:{member_id}:{sequence}"
        if await outbox.add(
            kind, key, recipient=member_id, event=event_id, club=club_id, payload=payload
        ):
            written += 1
    return written


# --- create ---------------------------------------------------------------------------------


def _columns(values: EventValues, local_start: datetime, tz: str) -> dict[str, Any]:
    starts_at = to_utc(local_start, tz)
    return {
        "title": values.title,
        "activity": values.activity,
        "starts_at": starts_at,
        "ends_at": to_utc(local_start + values.duration, tz),
        "location": values.location,
        "location_hint": values.location_hint,
        "online_url": values.online_url,
        "details_for_attendees_only": values.details_for_attendees_only,
        "capacity": values.capacity,
        "guests_allowed": values.guests_allowed,
        "rsvp_deadline": (
            starts_at - values.deadline_before if values.deadline_before is not None else None
        ),
        "description": values.description,
        "attestation": values.attestation,
        # None: the form had no attendance fields (an older client): keep the event's.
        **(
            {"link_for_in_person": values.link_for_in_person}
            if values.link_for_in_person is not None
            else {}
        ),
    }


def _defaults(values: EventValues, club: dict[str, Any]) -> dict[str, Any]:
    """Attributes and attendance of a new event: the form's, else the club's defaults."""
    return {
        "attributes": (
            values.attributes if values.attributes is not None else club.get("attributes", "")
        ),
        "attendance": values.attendance or club.get("attendance") or "in_person",
    }


async def create_events(
    club: dict[str, Any],
    values: EventValues,
    created_by: int,
    extra: dict[str, Any] | None = None,
) -> list[int]:
    """One event, or a series of them (one Event row per occurrence). Returns the new ids.
    `extra`: more column values from the form's other parts (events.expect_fields)."""
    tz = club["timezone"]
    ids: list[int] = []
    async with write_transaction():
        series_id = None
        if values.repeat != Repeat.none and values.repeat_until is not None:
            rows = await Series.insert(
                Series(
                    club=club["id"],
                    repeat=values.repeat.value,
                    repeat_until=values.repeat_until,
                )
            ).returning(Series.id)
            series_id = int(rows[0]["id"])
        for local_start in values.local_starts or [values.local_start]:
            rows = await Event.insert(
                Event(
                    club=club["id"],
                    series=series_id,
                    created_by=created_by,
                    **_columns(values, local_start, tz),
                    **{**_defaults(values, club), **(extra or {})},
                )
            ).returning(Event.id)
            ids.append(int(rows[0]["id"]))
    return ids


# --- edit -----------------------------------------------------------------------------------


async def following(event: dict[str, Any]) -> list[dict[str, Any]]:
    """This occurrence and every later scheduled one of its series (just this one if none)."""
    if not event.get("series"):
        return [event]
    rows = (
        await Event.select()
        .where(
            (Event.series == event["series"])
            & (Event.starts_at >= event["starts_at"])
            & (Event.status == EventStatus.scheduled.value)
        )
        .order_by(Event.starts_at)
    )
    return rows if any(r["id"] == event["id"] for r in rows) else [event, *rows]


def plan_edit(
    event: dict[str, Any], targets: list[dict[str, Any]], values: EventValues, tz: str
) -> list[tuple[int, datetime]]:
    """(event id, new local start) for each target. Later occurrences move with this one only
    when its time changed: otherwise each keeps its own (possibly individually moved) time."""
    old_local = wall_clock(event["starts_at"], tz)
    old_end = wall_clock(event["ends_at"], tz)
    time_changed = old_local != values.local_start or old_end != values.local_end
    plan: list[tuple[int, datetime]] = []
    for target in targets:
        current = wall_clock(target["starts_at"], tz)
        if target["id"] == event["id"]:
            plan.append((target["id"], values.local_start))
        elif time_changed:
            plan.append((target["id"], shifted_starts([current], old_local, values.local_start)[0]))
        else:
            plan.append((target["id"], current))
    return plan


async def update_events(
    event: dict[str, Any],
    values: EventValues,
    plan: list[tuple[int, datetime]],
    tz: str,
    extra: dict[str, Any] | None = None,
) -> list[int]:
    """Apply the form to each planned occurrence. Returns the ids whose attendees were told."""
    told: list[int] = []
    now = utcnow()
    async with write_transaction():
        for event_id, local_start in plan:
            current = await lock_row(Event.select().where(Event.id == event_id)).first()
            if current is None or current["status"] != EventStatus.scheduled.value:
                continue
            changes = {**_columns(values, local_start, tz), **(extra or {})}
            # None = the form had no such fields: keep what the event has.
            if values.attributes is not None:
                changes["attributes"] = values.attributes
            if values.attendance is not None:
                changes["attendance"] = values.attendance
            if event_id != event["id"] and local_start == wall_clock(current["starts_at"], tz):
                # Time not moved for this occurrence: keep its own length too.
                changes["ends_at"] = current["ends_at"]
            visible = any(changes[name] != current[name] for name in VISIBLE_FIELDS)
            changes["updated_at"] = now
            sequence = current["sequence"] + (1 if visible else 0)
            changes["sequence"] = sequence
            await Event.update({getattr(Event, k): v for k, v in changes.items()}).where(
                Event.id == event_id
            )
            if visible:
                await _notify(MailKind.update, event_id, current["club"], sequence)
                told.append(event_id)
            modes = {current["attendance"], changes.get("attendance", current["attendance"])}
            if len(modes) == 2 and rsvps.HYBRID in modes:
                # Online answers count apart only while the event is hybrid.
                await rsvps.recount(event_id)
                await rsvps.fill_from_waitlist(event_id)
                continue
            old_cap, new_cap = current["capacity"], values.capacity
            if old_cap is not None and (new_cap is None or new_cap > old_cap):
                # The RSVP service owns the promotion rules (and its mails).
                await rsvps.fill_from_waitlist(event_id)
    return told


# --- cancel ---------------------------------------------------------------------------------


async def cancel_events(event: dict[str, Any], reason: str, dates: str) -> list[int]:
    """Cancel this occurrence (or it and all following ones). Returns the ids cancelled now;
    cancelling again changes nothing and writes no second mail."""
    targets = await following(event) if dates == "following" else [event]
    cancelled: list[int] = []
    now = utcnow()
    async with write_transaction():
        for target in targets:
            current = await lock_row(Event.select().where(Event.id == target["id"])).first()
            if current is None or current["status"] == EventStatus.cancelled.value:
                continue
            sequence = current["sequence"] + 1
            await Event.update(
                {
                    Event.status: EventStatus.cancelled.value,
                    Event.cancel_reason: reason,
                    Event.cancelled_at: now,
                    Event.restored_at: None,
                    Event.sequence: sequence,
                    Event.updated_at: now,
                }
            ).where(Event.id == current["id"])
            await _notify(MailKind.cancel, current["id"], current["club"], sequence)
            cancelled.append(current["id"])
    return cancelled


# --- attendees and check-in -----------------------------------------------------------------


# One attendee row, as the attendee page lists it and as a check-in swaps it.
ATTENDEE_COLUMNS = (
    Rsvp.id,
    Rsvp.member,
    Rsvp.status,
    Rsvp.guests,
    Rsvp.first_time,
    Rsvp.attested,
    Rsvp.checked_in_at,
    Rsvp.queued_at,
    Rsvp.updated_at,
    Rsvp.member.display_name.as_alias("name"),
    Rsvp.attendance,
    Rsvp.visibility,
)


@dataclass(frozen=True, slots=True)
class Attendee:
    """One RSVP, as the attendee page lists it and as a check-in swaps it."""

    id: int
    member: int
    status: str
    guests: int
    first_time: bool
    attested: bool
    checked_in_at: datetime | None
    queued_at: datetime
    updated_at: datetime
    name: str
    attendance: str  # hybrid events: "in_person" or "online"
    visibility: str  # what fellow attendees see: "name" gets an avatar on the attendee page

    @classmethod
    def of(cls, row: dict[str, Any]) -> Attendee:
        return cls(**row)


@dataclass(frozen=True, slots=True)
class AttendeeLists:
    going: list[Attendee]
    waitlist: list[Attendee]
    not_going: list[Attendee]
    going_people: int  # members going and their guests
    # Hybrid events: how many of them are coming online (the rest in person).
    online_people: int
    came: int


async def attendee_lists(event_id: int) -> AttendeeLists:
    rows = [
        Attendee.of(r)
        for r in await Rsvp.select(*ATTENDEE_COLUMNS)
        .where(Rsvp.event == event_id)
        .order_by(Rsvp.queued_at)
        .order_by(Rsvp.id)
    ]
    going = sorted(
        (r for r in rows if r.status == RsvpStatus.going.value),
        key=lambda r: r.name.casefold(),
    )
    return AttendeeLists(
        going=going,
        waitlist=[r for r in rows if r.status == RsvpStatus.waitlisted.value],
        not_going=[r for r in rows if r.status == RsvpStatus.not_going.value],
        going_people=sum(1 + r.guests for r in going),
        online_people=sum(1 + r.guests for r in going if r.attendance == "online"),
        came=await came_count(event_id),
    )


async def going_count(event_id: int) -> int:
    return await Rsvp.count().where(
        (Rsvp.event == event_id) & (Rsvp.status == RsvpStatus.going.value)
    )


async def came_count(event_id: int) -> int:
    return await Rsvp.count().where((Rsvp.event == event_id) & Rsvp.checked_in_at.is_not_null())


async def set_checked_in(event_id: int, rsvp_id: int, checked_in: bool) -> Attendee | None:
    """Mark (or unmark) one RSVP of this event as attended; None if it isn't this event's."""
    query = Rsvp.update({Rsvp.checked_in_at: utcnow() if checked_in else None}).where(
        (Rsvp.id == rsvp_id) & (Rsvp.event == event_id)
    )
    if checked_in:
        # Tapping twice keeps the first time.
        query = query.where(Rsvp.checked_in_at.is_null())
    await query
    row = (
        await Rsvp.select(*ATTENDEE_COLUMNS)
        .where((Rsvp.id == rsvp_id) & (Rsvp.event == event_id))
        .first()
    )
    return None if row is None else Attendee.of(row)


# --- messages -------------------------------------------------------------------------------


@dataclass
class MessageResult:
    message_id: int
    recipients: int
    repeated: bool


async def send_message(
    event: dict[str, Any], author: int, subject: str, body: str, include_waitlist: bool
) -> MessageResult:
    """Keep the message and write one outbox row per recipient, in one transaction."""
    statuses = ATTENDING if include_waitlist else (RsvpStatus.going.value,)
    async with write_transaction():
        same = (
            await EventMessage.select(EventMessage.id)
            .where(
                (EventMessage.event == event["id"])
                & (EventMessage.subject == subject)
                & (EventMessage.body == body)
                & (EventMessage.created_at > utcnow() - MESSAGE_REPEAT_WINDOW)
            )
            .first()
        )
        if same:
            return MessageResult(int(same["id"]), 0, repeated=True)
        rows = await EventMessage.insert(
            EventMessage(
                event=event["id"],
                author=author,
                subject=subject,
                body=body,
                include_waitlist=include_waitlist,
            )
        ).returning(EventMessage.id)
        message_id = int(rows[0]["id"])
        count = 0
        for member_id in await _attendees(event["id"], statuses):
            if await outbox.add(
                MailKind.message,
                f"message:{message_id}:{member_id}",
                recipient=member_id,
                event=event["id"],
                club=event["club"],
                payload={"message_id": message_id},
            ):
                count += 1
    return MessageResult(message_id, count, repeated=False)


@dataclass(frozen=True, slots=True)
class SentMessage:
    """An organizer's message, as the attendee page lists what was sent."""

    id: int
    subject: str
    body: str
    include_waitlist: bool
    created_at: datetime
    author_name: str | None
    recipients: int


async def sent_messages(event_id: int) -> list[SentMessage]:
    rows = (
        await EventMessage.select(
            EventMessage.id,
            EventMessage.subject,
            EventMessage.body,
            EventMessage.include_waitlist,
            EventMessage.created_at,
            EventMessage.author.display_name.as_alias("author_name"),
        )
        .where(EventMessage.event == event_id)
        .order_by(EventMessage.created_at, ascending=False)
    )
    sent = []
    for row in rows:
        recipients = await Outbox.count().where(
            (Outbox.kind == MailKind.message.value)
            & Outbox.dedupe_key.like(f"message:{row['id']}:%")
        )
        sent.append(SentMessage(**row, recipients=recipients))
    return sent


# --- volunteer roles ------------------------------------------------------------------------


class TakeResult(str, Enum):
    taken = "taken"
    already = "already"
    full = "full"
    not_going = "not_going"
    missing = "missing"


async def add_role(event_id: int, name: str, spots: int) -> int:
    rows = await VolunteerRole.insert(
        VolunteerRole(event=event_id, name=name, spots=spots)
    ).returning(VolunteerRole.id)
    return int(rows[0]["id"])


async def remove_role(event_id: int, role_id: int) -> bool:
    async with write_transaction():
        role = (
            await VolunteerRole.select(VolunteerRole.id)
            .where((VolunteerRole.id == role_id) & (VolunteerRole.event == event_id))
            .first()
        )
        if role is None:
            return False
        await RoleSignup.delete().where(RoleSignup.role == role_id)
        await VolunteerRole.delete().where(VolunteerRole.id == role_id)
    return True


async def take_role(event_id: int, role_id: int, member_id: int) -> TakeResult:
    """Take a spot if one is free. The role row is locked so two takers can't overfill it."""
    async with write_transaction():
        role = await lock_row(
            VolunteerRole.select().where(
                (VolunteerRole.id == role_id) & (VolunteerRole.event == event_id)
            )
        ).first()
        if role is None:
            return TakeResult.missing
        going = await Rsvp.exists().where(
            (Rsvp.event == event_id)
            & (Rsvp.member == member_id)
            & (Rsvp.status == RsvpStatus.going.value)
        )
        if not going or await _blocked_at(event_id, member_id):
            return TakeResult.not_going
        holders = await RoleSignup.select(RoleSignup.member).where(RoleSignup.role == role_id)
        if any(h["member"] == member_id for h in holders):
            return TakeResult.already
        if len(holders) >= role["spots"]:
            return TakeResult.full
        try:
            await RoleSignup.insert(RoleSignup(role=role_id, member=member_id))
        except Exception as exc:
            if is_unique_violation(exc):
                return TakeResult.already
            raise
    return TakeResult.taken


async def leave_role(event_id: int, role_id: int, member_id: int) -> bool:
    role = await VolunteerRole.exists().where(
        (VolunteerRole.id == role_id) & (VolunteerRole.event == event_id)
    )
    if not role:
        return False
    await RoleSignup.delete().where((RoleSignup.role == role_id) & (RoleSignup.member == member_id))
    return True


async def _blocked_at(event_id: int, member_id: int) -> bool:
    event = await Event.select(Event.club).where(Event.id == event_id).first()
    return event is not None and await is_blocked(member_id, event["club"])


def is_greeter_role(name: str) -> bool:
    lowered = name.casefold()
    return any(word in lowered for word in GREETER_WORDS)


@dataclass(frozen=True, slots=True)
class RoleSlot:
    """A volunteer role as the event and attendee pages show it to one viewer."""

    id: int
    event: int
    name: str
    spots: int
    taken: int
    free: int
    mine: bool
    holders: list[str]  # names, for organizers only
    greeter: bool


async def roles_for(event_id: int, member_id: int | None, organizer: bool) -> list[RoleSlot]:
    roles = (
        await VolunteerRole.select()
        .where(VolunteerRole.event == event_id)
        .order_by(VolunteerRole.id)
    )
    if not roles:
        return []
    signups = (
        await RoleSignup.select(
            RoleSignup.role,
            RoleSignup.member,
            RoleSignup.member.display_name.as_alias("name"),
        )
        .where(RoleSignup.role.is_in([r["id"] for r in roles]))
        .order_by(RoleSignup.created_at)
    )
    slots = []
    for role in roles:
        held = [s for s in signups if s["role"] == role["id"]]
        slots.append(
            RoleSlot(
                id=role["id"],
                event=role["event"],
                name=role["name"],
                spots=role["spots"],
                taken=len(held),
                free=max(role["spots"] - len(held), 0),
                mine=member_id is not None and any(s["member"] == member_id for s in held),
                holders=[s["name"] for s in held] if organizer else [],
                greeter=is_greeter_role(role["name"]),
            )
        )
    return slots
