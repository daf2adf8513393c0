"""Oracles for the feed tests: three parsers and a VTIMEZONE evaluator.

icalendar and the `ical` package resolve TZID names through the system's zone data; vobject
(through dateutil's tzical) evaluates the VTIMEZONE embedded in the file, and so does the small
evaluator below. Both are used so a wrong VTIMEZONE cannot hide behind correct system data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import icalendar
import vobject
from dateutil.rrule import rrulestr
from ical.calendar_stream import IcsCalendarStream


@dataclass
class Parsed:
    uid: str
    start: datetime
    end: datetime
    summary: str
    status: str
    sequence: int


def lint(body: bytes) -> None:
    """The text-level rules every client needs: CRLF only, ≤ 75 octets, no BOM, no floats."""
    assert not body.startswith(b"\xef\xbb\xbf")
    assert body.endswith(b"\r\n")
    lines = body.split(b"\r\n")[:-1]
    assert all(b"\n" not in line and b"\r" not in line for line in lines)
    assert all(len(line) <= 75 for line in lines), max(lines, key=len)
    cal = icalendar.Calendar.from_ical(body)
    assert cal["VERSION"] == "2.0" and cal.get("PRODID")
    assert cal.subcomponents, "RFC 5545 needs at least one component"
    declared = {str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")}
    for tz in cal.walk("VTIMEZONE"):
        assert "COMMENT" not in tz and len(tz.walk("STANDARD")) == 1
        assert len(tz.walk("DAYLIGHT")) <= 1
        for rule in tz.subcomponents:
            assert "RDATE" not in rule
    for event in cal.walk("VEVENT"):
        for key in ("DTSTART", "DTEND"):
            prop = event[key]
            tzid = prop.params.get("TZID")
            if tzid:
                assert tzid in declared, f"undeclared TZID {tzid}"
            else:
                assert prop.to_ical().endswith(b"Z"), "floating time"
        assert event.decoded("DTSTAMP").tzinfo is not None


def with_icalendar(body: bytes) -> dict[str, Parsed]:
    cal = icalendar.Calendar.from_ical(body)
    return {
        str(e["UID"]): Parsed(
            uid=str(e["UID"]),
            start=e.decoded("DTSTART").astimezone(UTC),
            end=e.decoded("DTEND").astimezone(UTC),
            summary=str(e["SUMMARY"]),
            status=str(e["STATUS"]),
            sequence=int(e["SEQUENCE"]),
        )
        for e in cal.walk("VEVENT")
    }


def with_vobject(body: bytes) -> dict[str, Parsed]:
    cal = vobject.readOne(body.decode())
    found = {}
    for e in getattr(cal, "vevent_list", []):
        start, end = e.dtstart.value, e.dtend.value
        # Times with a TZID must come out with the file's own VTIMEZONE, not system data.
        if "TZID" in e.dtstart.params:
            assert type(start.tzinfo).__name__ == "tzicalvtz", start.tzinfo
        found[e.uid.value] = Parsed(
            uid=e.uid.value,
            start=start.astimezone(UTC),
            end=end.astimezone(UTC),
            summary=e.summary.value,
            status=e.status.value,
            sequence=int(e.sequence.value),
        )
    return found


def with_ical(body: bytes) -> dict[str, Parsed]:
    cal = IcsCalendarStream.calendar_from_ics(body.decode())
    return {
        e.uid: Parsed(
            uid=e.uid,
            start=e.dtstart.astimezone(UTC),
            end=e.dtend.astimezone(UTC),
            summary=e.summary or "",
            status=str(e.status.value if e.status else ""),
            sequence=int(e.sequence or 0),
        )
        for e in cal.events
    }


def embedded_utc(body: bytes) -> dict[str, tuple[datetime, datetime]]:
    """Start and end of each VEVENT in UTC, using only the file's VTIMEZONE rules."""
    cal = icalendar.Calendar.from_ical(body)
    zones = {str(tz["TZID"]): tz for tz in cal.walk("VTIMEZONE")}

    def offset(tzid: str, local: datetime) -> timedelta:
        best: tuple[datetime, timedelta] | None = None
        for rule in zones[tzid].subcomponents:
            first = rule.decoded("DTSTART")
            if "RRULE" in rule:
                text = rule["RRULE"].to_ical().decode()
                onsets = rrulestr(text, dtstart=first)
                onset = onsets.before(local, inc=True)
            else:
                onset = first if first <= local else None
            if onset is not None and (best is None or onset > best[0]):
                best = (onset, rule["TZOFFSETTO"].td)
        assert best is not None, f"{tzid} has no rule in force at {local}"
        return best[1]

    def to_utc(prop: icalendar.prop.vDDDTypes) -> datetime:
        tzid = prop.params.get("TZID")
        if not tzid:
            return prop.dt.astimezone(UTC)
        local = prop.dt.replace(tzinfo=None)
        return (local - offset(tzid, local)).replace(tzinfo=UTC)

    return {str(e["UID"]): (to_utc(e["DTSTART"]), to_utc(e["DTEND"])) for e in cal.walk("VEVENT")}


def all_parsers_agree(body: bytes) -> dict[str, Parsed]:
    """Parse with every oracle, check they agree on every instant, return icalendar's view."""
    lint(body)
    first = with_icalendar(body)
    embedded = embedded_utc(body)
    for other in (with_vobject(body), with_ical(body)):
        assert set(other) == set(first)
        for uid, parsed in first.items():
            assert (other[uid].start, other[uid].end) == (parsed.start, parsed.end), uid
            assert other[uid].sequence == parsed.sequence
    for uid, parsed in first.items():
        assert embedded[uid] == (parsed.start, parsed.end), uid
    return first
