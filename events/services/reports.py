"""Reports to a club's organizers: a member reports an event or a member (the clubs code files
note reports itself), organizers read the open ones and resolve them.

Every read and write names the club, so a report id from another club is simply not found.
"""

from __future__ import annotations

from typing import Any

from events.db import write_transaction
from events.forms.report import ReportForm
from events.parsing import parse_id
from events.services.greetings import REPORT_REF
from events.tables import Event, Member, Report, WelcomeNote
from events.tokens import Tokens

KIND_LABELS = {"event": "Event", "member": "Member", "note": "Welcome note"}


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
    if kind == "event":
        return parse_id(subject_text)
    text = (subject_text or "").strip()[:64]
    return tokens.read_member_ref(REPORT_REF, text, club_id, reporter_id)


async def file_report(tokens: Tokens, reporter_id: int, club_id: int, form: ReportForm) -> bool:
    """File a report (a form `forms.report` found valid); False when the same reporter already
    has an open one on that subject (nothing new written). Raises ReportError when the subject
    is not this club's."""
    kind, text = form.subject_kind, form.reason
    subject_id = _subject(tokens, kind, form.subject_text, club_id, reporter_id)
    if kind == "event" and (subject_id is None or not await _event_in_club(subject_id, club_id)):
        raise ReportError("We couldn't find what you are reporting in this club.", 404)
    if kind == "member" and subject_id == reporter_id:
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
                subject_kind=kind,
                subject_id=subject_id,
                reason=text,
            )
        )
    return True


async def open_reports(club_id: int) -> list[dict[str, Any]]:
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
    ids: dict[str, set[int]] = {"event": set(), "member": set(), "note": set()}
    for row in rows:
        ids.setdefault(row["subject_kind"], set()).add(int(row["subject_id"]))
    events = {
        r["id"]: r
        for r in (
            await Event.select(Event.id, Event.title).where(
                Event.id.is_in(list(ids["event"])) & (Event.club == club_id)
            )
            if ids["event"]
            else []
        )
    }
    members = {
        r["id"]: r
        for r in (
            await Member.select(Member.id, Member.display_name).where(
                Member.id.is_in(list(ids["member"]))
            )
            if ids["member"]
            else []
        )
    }
    notes = {
        r["id"]: r
        for r in (
            await WelcomeNote.select(
                WelcomeNote.id,
                WelcomeNote.message,
                WelcomeNote.author.id.as_alias("author_id"),
                WelcomeNote.author.display_name.as_alias("author_name"),
            ).where(WelcomeNote.id.is_in(list(ids["note"])) & (WelcomeNote.club == club_id))
            if ids["note"]
            else []
        )
    }
    for row in rows:
        kind, subject_id = row["subject_kind"], int(row["subject_id"])
        row["kind_label"] = KIND_LABELS.get(kind, kind)
        row["event"] = events.get(subject_id) if kind == "event" else None
        row["member"] = members.get(subject_id) if kind == "member" else None
        row["note"] = notes.get(subject_id) if kind == "note" else None
        if row["note"]:
            row["member"] = {
                "id": row["note"]["author_id"],
                "display_name": row["note"]["author_name"],
            }
    return rows


async def resolve(club_id: int, report_id: int) -> bool:
    """Mark one of this club's reports resolved; False when the club has no such report."""
    rows = (
        await Report.update({Report.resolved: True})
        .where((Report.id == report_id) & (Report.club == club_id))
        .returning(Report.id)
    )
    return bool(rows)
