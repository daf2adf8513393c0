"""Reports to a club's organizers: a member reports an event or a member (the clubs code files
note reports itself), organizers read the open ones and resolve them.

Every read and write names the club, so a report id from another club is simply not found.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from events.db import write_transaction
from events.forms.report import ReportForm
from events.parsing import parse_id
from events.services.greetings import REPORT_REF
from events.tables import Event, Member, Report, ReportSubject, WelcomeNote
from events.tokens import Tokens

KIND_LABELS = {
    ReportSubject.event.value: "Event",
    ReportSubject.member.value: "Member",
    ReportSubject.note.value: "Welcome note",
}


class ReportError(Exception):
    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


async def _event_in_club(subject_id: int, club_id: int) -> bool:
    return await Event.exists().where((Event.id == subject_id) & (Event.club == club_id))


def _subject(
    tokens: Tokens, kind: str, subject_text: str | None, club_id: int, reporter_id: int
) -> int | None:
    """An event by its (public) id; a member only by the opaque reference a page showed this
    reporter in this club, so a report can't be used to ask "is N linked to this club?"."""
    if kind == ReportSubject.event:
        return parse_id(subject_text)
    text = (subject_text or "").strip()[:64]
    return tokens.read_member_ref(REPORT_REF, text, club_id, reporter_id)


async def file_report(tokens: Tokens, reporter_id: int, club_id: int, form: ReportForm) -> bool:
    """File a report (a form `forms.report` found valid); False when the same reporter already
    has an open one on that subject (nothing new written). Raises ReportError when the subject
    is not this club's."""
    kind, text = form.subject_kind, form.reason
    subject_id = _subject(tokens, kind, form.subject_text, club_id, reporter_id)
    if kind == ReportSubject.event and (
        subject_id is None or not await _event_in_club(subject_id, club_id)
    ):
        raise ReportError("We couldn't find what you are reporting in this club.", 404)
    if kind == ReportSubject.member and subject_id == reporter_id:
        raise ReportError("You can't report yourself.")
    async with write_transaction():
        # A reference that isn't genuine gets the same answer and the same queries as a
        # genuine one (nothing is written): the answer never depends on who is in the club.
        repeat = await Report.exists().where(
            (Report.club == club_id)
            & (Report.reporter == reporter_id)
            & (Report.subject_kind == kind)
            & (Report.subject_id == (subject_id or 0))
            & Report.resolved.eq(False)
        )
        if repeat or subject_id is None:
            return False
        await Report.insert(
            Report(
                club=club_id,
                reporter=reporter_id,
                subject_kind=ReportSubject(kind).value,
                subject_id=subject_id,
                reason=text,
            )
        )
    return True


@dataclass(frozen=True, slots=True)
class ReportedEvent:
    id: int
    title: str


@dataclass(frozen=True, slots=True)
class ReportedMember:
    id: int
    display_name: str


@dataclass(frozen=True, slots=True)
class ReportedNote:
    id: int
    message: str
    author_id: int
    author_name: str


@dataclass(frozen=True, slots=True)
class OpenReport:
    """One unresolved report as the organizers' list shows it: what it is about is None when
    that is gone. A note's report names the note's author as the member."""

    id: int
    kind: str
    kind_label: str
    reason: str
    created_at: datetime
    reporter_name: str | None
    escalated_at: datetime | None  # passed to the site's stewards
    event: ReportedEvent | None
    member: ReportedMember | None
    note: ReportedNote | None


async def open_reports(club_id: int) -> list[OpenReport]:
    """The club's unresolved reports, oldest first, each with what it is about."""
    rows = (
        await Report.select(
            *Report.all_columns(exclude=[Report.club, Report.reporter, Report.resolved]),
            Report.reporter.display_name.as_alias("reporter_name"),
            Report.escalated_at,
        )
        .where((Report.club == club_id) & Report.resolved.eq(False))
        .order_by(Report.created_at)
        .order_by(Report.id)
    )
    ids: dict[str, set[int]] = {kind.value: set() for kind in ReportSubject}
    for row in rows:
        ids.setdefault(row["subject_kind"], set()).add(int(row["subject_id"]))
    event_ids, member_ids, note_ids = (
        list(ids[kind.value])
        for kind in (ReportSubject.event, ReportSubject.member, ReportSubject.note)
    )
    events = {
        r["id"]: ReportedEvent(r["id"], r["title"])
        for r in (
            await Event.select(Event.id, Event.title).where(
                Event.id.is_in(event_ids) & (Event.club == club_id)
            )
            if event_ids
            else []
        )
    }
    members = {
        r["id"]: ReportedMember(r["id"], r["display_name"])
        for r in (
            await Member.select(Member.id, Member.display_name).where(Member.id.is_in(member_ids))
            if member_ids
            else []
        )
    }
    notes = {
        r["id"]: ReportedNote(r["id"], r["message"], r["author_id"], r["author_name"])
        for r in (
            await WelcomeNote.select(
                WelcomeNote.id,
                WelcomeNote.message,
                WelcomeNote.author.id.as_alias("author_id"),
                WelcomeNote.author.display_name.as_alias("author_name"),
            ).where(WelcomeNote.id.is_in(note_ids) & (WelcomeNote.club == club_id))
            if note_ids
            else []
        )
    }
    found: list[OpenReport] = []
    for row in rows:
        kind, subject_id = row["subject_kind"], int(row["subject_id"])
        event = events.get(subject_id) if kind == ReportSubject.event else None
        member = members.get(subject_id) if kind == ReportSubject.member else None
        note = notes.get(subject_id) if kind == ReportSubject.note else None
        if note:
            member = ReportedMember(note.author_id, note.author_name)
        found.append(
            OpenReport(
                id=row["id"],
                kind=kind,
                kind_label=KIND_LABELS.get(kind, kind),
                reason=row["reason"],
                created_at=row["created_at"],
                reporter_name=row["reporter_name"],
                escalated_at=row["escalated_at"],
                event=event,
                member=member,
                note=note,
            )
        )
    return found


async def resolve(club_id: int, report_id: int) -> bool:
    """Mark one of this club's reports resolved; False when the club has no such report."""
    rows = (
        await Report.update({Report.resolved: True})
        .where((Report.id == report_id) & (Report.club == club_id))
        .returning(Report.id)
    )
    return bool(rows)
