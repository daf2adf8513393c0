"""Event cards for a club page: a repeating event is one card (its rhythm, its next date and
every date behind "All dates"), a one-off event a card of its own, in order of the next date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from events import timefmt
from events.services.listings import EVENT_COLUMNS, LIST_LIMIT
from events.tables import Event


@dataclass(frozen=True)
class SeriesCard:
    next: dict[str, Any]  # the next occurrence (a cancelled one only when all are)
    dates: tuple[dict[str, Any], ...]  # every upcoming occurrence, in date order
    rhythm: str


Card = dict[str, Any] | SeriesCard


async def club_events(club_id: int, now: datetime) -> list[dict[str, Any]]:
    """The club's upcoming events (and those under way), with their series' rhythm."""
    return (
        await Event.select(*EVENT_COLUMNS, Event.series.repeat.as_alias("series_repeat"))
        .where((Event.club == club_id) & (Event.ends_at >= now))
        .order_by(Event.starts_at, Event.id)
        .limit(LIST_LIMIT)
    )


def group(events: list[dict[str, Any]]) -> list[Card]:
    """One card per one-off event and one per series, in the order of their next date."""
    cards: list[Card] = []
    by_series: dict[int, list[dict[str, Any]]] = {}
    order: list[tuple[int, int | None, dict[str, Any] | None]] = []
    for e in events:
        series = e.get("series")
        if series is None:
            order.append((len(order), None, e))
        elif series not in by_series:
            by_series[series] = [e]
            order.append((len(order), series, None))
        else:
            by_series[series].append(e)
    for _, series, single in order:
        if series is None:
            assert single is not None
            cards.append(single)
            continue
        dates = by_series[series]
        if len(dates) == 1:
            cards.append(dates[0])
            continue
        scheduled = [d for d in dates if d["status"] != "cancelled"]
        first = scheduled[0] if scheduled else dates[0]
        rhythm = timefmt.rhythm(
            str(first.get("series_repeat") or ""), first["starts_at"], first["club_timezone"]
        )
        cards.append(SeriesCard(next=first, dates=tuple(dates), rhythm=rhythm))
    cards.sort(key=lambda c: c.next["starts_at"] if isinstance(c, SeriesCard) else c["starts_at"])
    return cards
