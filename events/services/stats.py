"""Per-event attendance counts, computed by the database: who came (check-ins, else going),
first-timers, and first-timers who came back to the club within 30 and 90 days. Events whose
attendance was forgotten (events.services.retention) contribute their kept counts instead.

One statement for a whole club; only counts leave the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine

from events.tables import Event


def _within(days: int) -> str:
    """`back.starts_at` is at most `days` after `v.starts_at`, in each dialect."""
    if isinstance(engine_finder(), PostgresEngine):
        return f"back.starts_at <= v.starts_at + INTERVAL '{int(days)} days'"
    return f"julianday(back.starts_at) <= julianday(v.starts_at) + {int(days)}"


def _returned(days: int) -> str:
    return (
        "SUM(CASE WHEN v.first_time AND EXISTS (SELECT 1 FROM came back "
        "WHERE back.member = v.member AND back.starts_at > v.starts_at "
        f"AND {_within(days)}) THEN 1 ELSE 0 END)"
    )


# `came`: one row per person who came to a held event of the club: checked in, or going
# when nobody at that event was checked in.
EVENT_STATS_SQL = (
    "WITH held AS (SELECT event.id, event.starts_at FROM event WHERE event.club = {} "
    "AND event.status = 'scheduled' AND event.starts_at < {}), "
    "came AS (SELECT rsvp.event, rsvp.member, rsvp.first_time, held.starts_at FROM rsvp "
    "JOIN held ON held.id = rsvp.event WHERE rsvp.checked_in_at IS NOT NULL "
    "OR (rsvp.status = 'going' AND NOT EXISTS (SELECT 1 FROM rsvp k "
    "WHERE k.event = rsvp.event AND k.checked_in_at IS NOT NULL))) "
    "SELECT event.id, event.starts_at, event.series, event.title, "
    "COUNT(v.member) + COALESCE(MAX(event_tally.came), 0) AS came, "
    "SUM(CASE WHEN v.first_time THEN 1 ELSE 0 END) "
    "+ COALESCE(MAX(event_tally.first_timers), 0) AS first_timers, "
    "{back_30} + COALESCE(MAX(event_tally.back_30), 0) AS back_30, "
    "{back_90} + COALESCE(MAX(event_tally.back_90), 0) AS back_90 "
    "FROM event LEFT JOIN came v ON v.event = event.id "
    "LEFT JOIN event_tally ON event_tally.event = event.id "
    "WHERE event.club = {} AND event.status = 'scheduled' AND event.starts_at < {} {only} "
    "GROUP BY event.id, event.starts_at, event.series, event.title ORDER BY event.starts_at"
)


@dataclass(frozen=True)
class EventRow:
    event_id: int
    starts_at: datetime
    series_id: int | None
    title: str
    came: int
    first_timers: int
    back_30: int
    back_90: int


def _as_datetime(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


async def event_rows(club_id: int, now: datetime, only: list[int] | None = None) -> list[EventRow]:
    """Counts for each held event of the club (or only the given ones), oldest first."""
    only_sql = ""
    if only is not None:
        only_sql = "AND event.id IN (" + ",".join(str(int(i)) for i in only or [0]) + ")"
    sql = EVENT_STATS_SQL.replace("{back_30}", _returned(30)).replace("{back_90}", _returned(90))
    sql = sql.replace("{only}", only_sql)
    rows = await Event.raw(sql, club_id, now, club_id, now)
    return [
        EventRow(
            event_id=int(r["id"]),
            starts_at=_as_datetime(r["starts_at"]),
            series_id=int(r["series"]) if r["series"] is not None else None,
            title=str(r["title"]),
            came=int(r["came"] or 0),
            first_timers=int(r["first_timers"] or 0),
            back_30=int(r["back_30"] or 0),
            back_90=int(r["back_90"] or 0),
        )
        for r in rows
    ]
