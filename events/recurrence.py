"""Repeating events: the local start times of each occurrence of a weekly, biweekly or monthly
series. Wall-clock time stays the same across DST changes (18:30 stays 18:30 local)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from events.tables import Repeat

MAX_SERIES_DAYS = 366
MAX_OCCURRENCES = 60


def nth_weekday(year: int, month: int, weekday: int, nth: int) -> date | None:
    """The nth (1-4) weekday of a month, or the last one when nth is 5 or more."""
    first = date(year, month, 1)
    day = first + timedelta(days=(weekday - first.weekday()) % 7)
    if nth >= 5:
        while (day + timedelta(days=7)).month == month:
            day += timedelta(days=7)
        return day
    day += timedelta(days=7 * (nth - 1))
    return day if day.month == month else None


def local_starts(first: datetime, repeat: Repeat, until: date) -> list[datetime]:
    """Naive local start times from `first` up to and including the day `until`."""
    if repeat == Repeat.none:
        return [first]
    starts: list[datetime] = []
    if repeat in (Repeat.weekly, Repeat.biweekly):
        step = timedelta(days=7 if repeat == Repeat.weekly else 14)
        current = first
        while current.date() <= until and len(starts) < MAX_OCCURRENCES:
            starts.append(current)
            current += step
        return starts
    nth = (first.day - 1) // 7 + 1
    year, month = first.year, first.month
    while len(starts) < MAX_OCCURRENCES:
        day = nth_weekday(year, month, first.weekday(), nth)
        if day is not None:
            if day > until:
                break
            starts.append(datetime.combine(day, first.time()))
        month += 1
        if month > 12:
            year, month = year + 1, 1
    return starts


def shifted_starts(
    starts: list[datetime], old_first: datetime, new_first: datetime
) -> list[datetime]:
    """Move every local start by the day change of the first, at the first's new wall-clock time."""
    day_delta = new_first.date() - old_first.date()
    return [datetime.combine(s.date() + day_delta, new_first.time()) for s in starts]
