"""Bringing a cancelled event back (#16 item 2): this occurrence, or it and the following
ones cancelled with it, while it has not started. Cancelling keeps every RSVP row and the
event's counters (and RSVPs are refused while it is cancelled), so the people who were going
or waitlisted get their places back unchanged; each is sent one REQUEST with a higher
SEQUENCE through the outbox. The event row is locked first, like an RSVP locks it, so an RSVP
racing the restore either sees it cancelled (refused) or restored (capacity checked against
the kept places)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from events import changes
from events.db import lock_row, write_transaction
from events.services import outbox
from events.services.events_admin import _attendees
from events.tables import Event, EventStatus, MailKind
from events.timefmt import utcnow

CANCELLED = EventStatus.cancelled.value


def can_restore(event: dict[str, Any], now: datetime | None = None) -> bool:
    return event["status"] == CANCELLED and event["starts_at"] > (now or utcnow())


async def _targets(event: dict[str, Any], scope: str, now: datetime) -> list[int]:
    """This one, or with "following" the later occurrences of its series that were cancelled
    in the same action (one cancelled on its own before keeps its own reason)."""
    if scope != "following" or not event.get("series") or event["cancelled_at"] is None:
        return [int(event["id"])]
    rows = (
        await Event.select(Event.id)
        .where(
            (Event.series == event["series"])
            & (Event.starts_at >= event["starts_at"])
            & (Event.starts_at > now)
            & (Event.status == CANCELLED)
            & (Event.cancelled_at == event["cancelled_at"])
        )
        .order_by(Event.starts_at)
    )
    ids = [int(r["id"]) for r in rows]
    return ids if int(event["id"]) in ids else [int(event["id"]), *ids]


async def restore_events(
    event: dict[str, Any], scope: str = "one", now: datetime | None = None
) -> list[int]:
    """Restore and return the ids brought back now. Restoring again (a double submit) or an
    event that has started changes nothing and mails no one."""
    now = now or utcnow()
    restored: list[int] = []
    async with write_transaction():
        for event_id in await _targets(event, scope, now):
            current = await lock_row(Event.select().where(Event.id == event_id)).first()
            if current is None or not can_restore(current, now):
                continue
            sequence = int(current["sequence"]) + 1
            await Event.update(
                {
                    Event.status: EventStatus.scheduled.value,
                    Event.cancel_reason: "",
                    Event.cancelled_at: None,
                    Event.restored_at: now,
                    Event.sequence: sequence,
                    Event.updated_at: now,
                }
            ).where(Event.id == event_id)
            for member_id in await _attendees(event_id):
                await outbox.add(
                    MailKind.update,
                    f"update:event:{event_id}:{member_id}:{sequence}",
                    recipient=member_id,
                    event=event_id,
                    club=current["club"],
                    payload={"sequence": sequence, "restored": True},
                )
            restored.append(event_id)
    for event_id in restored:
        changes.changed(event_id=event_id, club_id=event["club"])
    return restored
