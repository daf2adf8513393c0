"""An organizer's club insights: per month and per series, events held, how many came,
first-timers, and first-timers who came back within 30 and 90 days. Counts only."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from events.services import stats
from events.timefmt import utcnow

CSV_COLUMNS = ("group", "period", "events", "came", "first_timers", "back_30", "back_90")


@dataclass
class Line:
    key: str
    label: str
    events: int = 0
    came: int = 0
    first_timers: int = 0
    back_30: int = 0
    back_90: int = 0

    def add(self, row: stats.EventRow) -> None:
        self.events += 1
        self.came += row.came
        self.first_timers += row.first_timers
        self.back_30 += row.back_30
        self.back_90 += row.back_90


@dataclass
class Insights:
    months: list[Line] = field(default_factory=list)
    series: list[Line] = field(default_factory=list)

    @property
    def peak(self) -> int:
        return max([m.came for m in self.months] + [1])

    def csv_rows(self) -> list[list[str]]:
        rows = []
        for group, lines in (("month", self.months), ("series", self.series)):
            for line in lines:
                rows.append(
                    [
                        group,
                        line.label,
                        *(
                            str(n)
                            for n in (
                                line.events,
                                line.came,
                                line.first_timers,
                                line.back_30,
                                line.back_90,
                            )
                        ),
                    ]
                )
        return rows


def month_label(key: str) -> str:
    return datetime.strptime(key, "%Y-%m").strftime("%b %Y")


async def club_insights(club_id: int, tz: str, now: datetime | None = None) -> Insights:
    rows = await stats.event_rows(club_id, now or utcnow())
    zone = ZoneInfo(tz)
    months: dict[str, Line] = {}
    series: dict[str, Line] = {}
    for row in rows:
        key = row.starts_at.astimezone(zone).strftime("%Y-%m")
        months.setdefault(key, Line(key, month_label(key))).add(row)
        skey = f"series:{row.series_id}" if row.series_id else "one-off"
        line = series.setdefault(skey, Line(skey, "One-off events"))
        if row.series_id:
            line.label = row.title  # rows come oldest first: the latest title wins
        line.add(row)
    ordered = sorted(series.values(), key=lambda s: (s.key == "one-off", s.label.lower()))
    return Insights(months=[months[k] for k in sorted(months)], series=ordered)
