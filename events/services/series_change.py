"""Changing a series "this and following": a new frequency, weekday/time or end date.

The plan matches each scheduled occurrence from the chosen one on to a date of the new pattern
by its local date (shifted by however many days the chosen occurrence moves): a match keeps its
RSVPs (moved ones get a higher SEQUENCE and an update mail), occurrences with no match are
cancelled (CANCEL mails), and new dates with no occurrence are added. The plan is shown first
and made again under the event rows' locks when it is saved, in the transaction that writes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from events import recurrence
from events.db import lock_row, write_transaction
from events.services.events_admin import ATTENDING, _notify
from events.tables import Event, EventStatus, MailKind, Repeat, Rsvp, Series
from events.timefmt import dst_problem, to_utc, utcnow
from events.timefmt import wall_clock as local_of

CHOICES = (Repeat.weekly, Repeat.biweekly, Repeat.monthly)
CANCEL_REASON = "The series changed; this date is no longer part of it."
# Columns a new occurrence does not copy from the one the change was made from.
NOT_COPIED = (
    "id",
    "starts_at",
    "ends_at",
    "rsvp_deadline",
    "taken",
    "waitlisted",
    "online_taken",
    "status",
    "cancel_reason",
    "cancelled_at",
    "sequence",
    "created_at",
    "updated_at",
    "series",
)


@dataclass(frozen=True, slots=True)
class SeriesChange:
    """What the organizer asked for: the new pattern from the chosen occurrence on."""

    repeat: Repeat
    first_day: date
    start: time
    until: date

    @property
    def first(self) -> datetime:
        return datetime.combine(self.first_day, self.start)


@dataclass(frozen=True, slots=True)
class Item:
    event_id: int | None
    old: datetime | None  # local start now (None for added dates)
    new: datetime | None  # local start after the change (None for cancelled dates)
    people: int  # members going or waitlisted


@dataclass(slots=True)
class Plan:
    added: list[Item] = field(default_factory=list)
    moved: list[Item] = field(default_factory=list)
    cancelled: list[Item] = field(default_factory=list)
    kept: list[Item] = field(default_factory=list)

    @property
    def changes_anything(self) -> bool:
        return bool(self.added or self.moved or self.cancelled)


def form_of(event: dict[str, Any], series_row: dict[str, Any], tz: str) -> dict[str, str]:
    """The change form as it starts: the series as it is, from this occurrence."""
    local = local_of(event["starts_at"], tz)
    return {
        "repeat": str(series_row["repeat"]),
        "first_day": local.date().isoformat(),
        "start_time": local.strftime("%H:%M"),
        "repeat_until": series_row["repeat_until"].isoformat(),
    }


def parse(
    data: dict[str, str], event: dict[str, Any], tz: str, now: datetime | None = None
) -> tuple[SeriesChange | None, dict[str, str]]:
    """The change, or the problems with each field (keyed by field name)."""
    errors: dict[str, str] = {}
    repeat = next((r for r in CHOICES if r.value == data.get("repeat", "")), None)
    if repeat is None:
        errors["repeat"] = "Choose weekly, every two weeks or monthly."
    first_day = _date(data.get("first_day", ""))
    if first_day is None:
        errors["first_day"] = "Enter the date of this occurrence as YYYY-MM-DD."
    start = _time(data.get("start_time", ""))
    if start is None:
        errors["start_time"] = "Enter the start time as HH:MM, e.g. 18:30."
    until = _date(data.get("repeat_until", ""))
    if until is None:
        errors["repeat_until"] = "Enter the last date of the series as YYYY-MM-DD."
    if first_day and start:
        first = datetime.combine(first_day, start)
        if to_utc(first, tz) <= (now or utcnow()):
            errors["first_day"] = "Choose a date and time that are still to come."
        elif problem := dst_problem(first, tz):
            errors["start_time"] = (
                "That time doesn't exist on that day (the clocks go forward)."
                if problem == "gap"
                else "That time happens twice on that day (the clocks go back); pick another."
            )
    if first_day and until:
        if until < first_day:
            errors["repeat_until"] = "The last date can't be before this occurrence."
        elif until > first_day + timedelta(days=recurrence.MAX_SERIES_DAYS):
            errors["repeat_until"] = "A series can run for a year at most."
    if errors or repeat is None or first_day is None or start is None or until is None:
        return None, errors
    change = SeriesChange(repeat, first_day, start, until)
    duration = event["ends_at"] - event["starts_at"]
    for moment in recurrence.local_starts(change.first, repeat, until):
        for edge in (moment, moment + duration):
            if dst_problem(edge, tz):
                day = edge.date().isoformat()
                return None, {"start_time": f"That time doesn't work on {day} (clock change)."}
    return change, {}


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def _time(text: str) -> time | None:
    try:
        parsed = time.fromisoformat(text.strip())
    except ValueError:
        return None
    return parsed.replace(second=0, microsecond=0, tzinfo=None)


async def _series_rows(event: dict[str, Any]) -> list[dict[str, Any]]:
    """Every occurrence of the series from this one on, any status, in order."""
    return (
        await Event.select()
        .where((Event.series == event["series"]) & (Event.starts_at >= event["starts_at"]))
        .order_by(Event.starts_at)
    )


async def _people(event_ids: list[int]) -> dict[int, int]:
    if not event_ids:
        return {}
    rows = await Rsvp.select(Rsvp.event).where(
        Rsvp.event.is_in(event_ids)
        & Rsvp.status.is_in(list(ATTENDING))
        & Rsvp.member.deleted_at.is_null()
    )
    counts: dict[int, int] = {}
    for row in rows:
        counts[int(row["event"])] = counts.get(int(row["event"]), 0) + 1
    return counts


def plan_for(
    event: dict[str, Any],
    rows: list[dict[str, Any]],
    change: SeriesChange,
    tz: str,
    people: dict[int, int],
) -> Plan:
    """Match the occurrences in `rows` (this one and later, any status) to the new dates."""
    shift = change.first_day - local_of(event["starts_at"], tz).date()
    starts = recurrence.local_starts(change.first, change.repeat, change.until)
    wanted = {s.date(): s for s in starts}
    plan = Plan()
    scheduled = [r for r in rows if r["status"] == EventStatus.scheduled.value]
    for row in scheduled:
        old = local_of(row["starts_at"], tz)
        new = wanted.pop(old.date() + shift, None)
        item = Item(row["id"], old, new, people.get(row["id"], 0))
        if new is None:
            plan.cancelled.append(item)
        elif new == old:
            plan.kept.append(item)
        else:
            plan.moved.append(item)
    # A date the organizer cancelled on its own (a holiday) is not brought back.
    for row in rows:
        if row["status"] == EventStatus.cancelled.value:
            wanted.pop(local_of(row["starts_at"], tz).date() + shift, None)
    plan.added = [Item(None, None, new, 0) for new in sorted(wanted.values())]
    return plan


async def preview(event: dict[str, Any], change: SeriesChange, tz: str) -> Plan:
    rows = await _series_rows(event)
    return plan_for(event, rows, change, tz, await _people([r["id"] for r in rows]))


async def apply(event: dict[str, Any], change: SeriesChange, tz: str) -> Plan:
    """Save the change: the plan is made again under the event rows' locks (an RSVP to any of
    them waits, or is seen), then cancels, moves and adds, with their outbox rows, in one
    transaction."""
    now = utcnow()
    async with write_transaction():
        ids = [r["id"] for r in await _series_rows(event)]
        rows = (
            await lock_row(Event.select().where(Event.id.is_in(ids)).order_by(Event.id))
            if ids
            else []
        )
        rows.sort(key=lambda r: r["starts_at"])
        current = next((r for r in rows if r["id"] == event["id"]), None)
        if current is None or current["status"] != EventStatus.scheduled.value:
            return Plan()
        plan = plan_for(current, rows, change, tz, await _people(ids))
        series_id = await _series_for(current, change, tz)
        by_id = {r["id"]: r for r in rows}
        for item in plan.cancelled:
            row = by_id[item.event_id]
            sequence = row["sequence"] + 1
            await Event.update(
                {
                    Event.status: EventStatus.cancelled.value,
                    Event.cancel_reason: CANCEL_REASON,
                    Event.cancelled_at: now,
                    Event.sequence: sequence,
                    Event.updated_at: now,
                }
            ).where(Event.id == row["id"])
            await _notify(MailKind.cancel, row["id"], row["club"], sequence)
        for item in plan.moved:
            row = by_id[item.event_id]
            assert item.new is not None
            sequence = row["sequence"] + 1
            await Event.update(
                {
                    **_times(row, item.new, tz),
                    Event.sequence: sequence,
                    Event.updated_at: now,
                    Event.series: series_id,
                }
            ).where(Event.id == row["id"])
            await _notify(MailKind.update, row["id"], row["club"], sequence)
        for item in plan.kept:
            await Event.update({Event.series: series_id}).where(Event.id == item.event_id)
        template = {k: v for k, v in current.items() if k not in NOT_COPIED}
        for item in plan.added:
            assert item.new is not None
            times = {col._meta.name: value for col, value in _times(current, item.new, tz).items()}
            await Event.insert(Event(**template, **times, series=series_id))
    return plan


def _times(row: dict[str, Any], local_start: datetime, tz: str) -> dict[Any, Any]:
    """New start, end and RSVP deadline: the occurrence keeps its length and deadline lead."""
    starts_at = to_utc(local_start, tz)
    length = row["ends_at"] - row["starts_at"]
    values: dict[Any, Any] = {
        Event.starts_at: starts_at,
        Event.ends_at: to_utc(local_start + length, tz),
    }
    if row["rsvp_deadline"] is not None:
        values[Event.rsvp_deadline] = starts_at - (row["starts_at"] - row["rsvp_deadline"])
    return values


async def _series_for(current: dict[str, Any], change: SeriesChange, tz: str) -> int:
    """The series the changed occurrences belong to: the same one when the change starts at its
    first occurrence, else a new one, and the old one now ends the day before."""
    old_id = int(current["series"])
    earlier = await Event.exists().where(
        (Event.series == old_id) & (Event.starts_at < current["starts_at"])
    )
    values: dict[Any, Any] = {Series.repeat: change.repeat.value, Series.repeat_until: change.until}
    if not earlier:
        await Series.update(values).where(Series.id == old_id)
        return old_id
    last_old = local_of(current["starts_at"], tz).date() - timedelta(days=1)
    await Series.update({Series.repeat_until: last_old}).where(Series.id == old_id)
    rows = await Series.insert(
        Series(
            club=current["club"],
            repeat=change.repeat.value,
            repeat_until=change.until,
        )
    ).returning(Series.id)
    return int(rows[0]["id"])
