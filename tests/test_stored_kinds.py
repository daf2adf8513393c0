"""Kinds stored as text (#17): every mail kind has one loader and its templates, and a kind
this code does not know, in the outbox or in a report, is handled without an error page or a
crashed job."""

from __future__ import annotations

from pathlib import Path

import pytest

from events.services import delivery
from events.tables import MailKind, Outbox, OutboxState, Report, ReportSubject
from events.timefmt import utcnow
from tests import helpers
from tests.workers_support import SmtpSink, fixed_clock
from workers.tasks import send_outbox

MAIL_TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "mail"
NEVER_SENT = {MailKind.password_reset_none, MailKind.signup_resend_none}


def test_every_mail_kind_has_one_loader() -> None:
    assert set(delivery.LOADERS) == set(MailKind)


def test_a_second_loader_for_a_kind_is_refused() -> None:
    async def again(mail: delivery.Mail, found: delivery.Found) -> delivery.Skip | None:
        return None

    with pytest.raises(RuntimeError, match="two loaders for the welcome mail"):
        delivery.loader(MailKind.welcome)(again)
    assert delivery.LOADERS[MailKind.welcome].check is not again


def test_every_mail_kind_that_is_sent_has_text_and_html_templates() -> None:
    missing = [
        f"{kind.value}.{ext}"
        for kind in MailKind
        if kind not in NEVER_SENT
        for ext in ("txt", "html")
        if not (MAIL_TEMPLATES / f"{kind.value}.{ext}").is_file()
    ]
    assert missing == []


def test_stored_values_are_the_strings_rows_already_hold() -> None:
    assert sorted(kind.value for kind in MailKind) == [
        "account_deleted",
        "cancel",
        "club_suspended",
        "invite",
        "message",
        "password_reset",
        "password_reset_none",
        "reminder",
        "signup_confirm",
        "signup_existing",
        "signup_resend_none",
        "update",
        "welcome",
        "welcome_note",
    ]
    assert sorted(subject.value for subject in ReportSubject) == ["event", "member", "note"]


async def test_an_unknown_kind_in_the_outbox_is_skipped_and_the_next_mail_still_goes(
    smtp: tuple[SmtpSink, str], mailer: object
) -> None:
    sink, _ = smtp
    member = await helpers.make_member("riley@example.org", "Riley")
    ids = []
    for kind, key in (("carrier_pigeon", "pigeon:1"), (MailKind.signup_existing.value, "x:1")):
        rows = await Outbox.insert(Outbox(kind=kind, dedupe_key=key, recipient=member)).returning(
            Outbox.id
        )
        ids.append(int(rows[0]["id"]))
    ctx = {"now": fixed_clock(utcnow()), "mailer": mailer}

    assert await send_outbox(ctx, ids[0]) == "skipped"
    assert await send_outbox(ctx, ids[1]) == "sent"

    rows = await Outbox.select(Outbox.id, Outbox.state, Outbox.last_error).order_by(Outbox.id)
    assert rows[0]["state"] == OutboxState.skipped.value
    assert rows[0]["last_error"] == "unknown mail kind 'carrier_pigeon'"
    assert rows[1]["state"] == OutboxState.sent.value
    assert [m["Subject"] for m in sink.to("riley@example.org")] == ["Your Steady account"]


async def test_reports_about_unknown_or_vanished_subjects_still_list(client):
    organizer = await helpers.make_member("org@example.org", "Olive")
    club = await helpers.make_club(organizer=organizer)
    await Report.insert(
        Report(club=club, subject_kind="photo", subject_id=7, reason="Blurry"),
        Report(club=club, subject_kind=ReportSubject.event.value, subject_id=999, reason="Gone"),
    )
    await helpers.login(client, organizer)

    page = await client.get("/clubs/trail-club/reports")

    assert page.status_code == 200
    assert "photo:" in page.text and "Event:" in page.text
    assert page.text.count("no longer here") == 2
