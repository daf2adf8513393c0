"""The failed-mail page and what is kept of a refusal (issue 12, finding 8): mail servers name
the recipient's address in their answers; it is never stored, logged or shown. Organizers see
the member's display name and a generic reason."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from arq import Retry

from events.services import delivery, mailerrors, rsvps
from events.tables import Outbox
from events.timefmt import utcnow
from tests import helpers
from tests.workers_support import fixed_clock
from workers.tasks import send_outbox

ADDRESS = "riley.q@example.org"


async def invite_row() -> tuple[int, int]:
    """(outbox id, organizer id) of Riley's invite."""
    organizer = await helpers.make_member("org@example.org", "Organizer")
    club = await helpers.make_club(organizer=organizer)
    event = await helpers.make_event(club, title="Sunrise hike")
    member = await helpers.make_member(ADDRESS, "Riley")
    await rsvps.respond(event, member, "yes")
    row = await Outbox.select(Outbox.id).where(Outbox.kind == "invite").first()
    return int(row["id"]), organizer


async def last_error(outbox_id: int) -> str:
    row = await Outbox.select(Outbox.last_error).where(Outbox.id == outbox_id).first()
    return str(row["last_error"])


def logged(caplog: pytest.LogCaptureFixture) -> str:
    """Our own log lines (the test SMTP server logs the envelope, as a real one would)."""
    ours = [r for r in caplog.records if r.name.split(".")[0] in ("events", "workers")]
    assert ours
    return "\n".join(r.getMessage() for r in ours)


async def test_a_refused_address_is_shown_as_a_reason_never_as_the_address(
    smtp, mailer, client, caplog
):
    sink, _ = smtp
    outbox_id, organizer = await invite_row()
    sink.answers = [f"550 5.1.1 <{ADDRESS}>: Recipient address rejected: User unknown"]
    caplog.set_level(logging.INFO)

    assert await send_outbox({"mailer": mailer, "now": fixed_clock(utcnow())}, outbox_id) == (
        "failed"
    )
    stored = await last_error(outbox_id)
    assert stored.startswith("550") and ADDRESS not in stored and "@" not in stored
    assert ADDRESS not in logged(caplog)

    await helpers.login(client, organizer)
    page = await client.get("/outbox/failed")
    assert page.status_code == 200
    assert "Riley" in page.text and "Sunrise hike" in page.text
    assert "The address was refused by their mail provider" in page.text
    assert ADDRESS not in page.text and "Recipient address rejected" not in page.text


async def test_temporary_failures_are_redacted_while_retrying_and_when_given_up(
    smtp, mailer, client, caplog
):
    sink, _ = smtp
    outbox_id, organizer = await invite_row()
    sink.answers = [f"451 4.2.0 <{ADDRESS}> mailbox busy"] * delivery.MAX_ATTEMPTS
    caplog.set_level(logging.INFO)
    moment = utcnow()
    for _ in range(delivery.MAX_ATTEMPTS - 1):
        with pytest.raises(Retry):
            await send_outbox({"mailer": mailer, "now": fixed_clock(moment)}, outbox_id)
        assert ADDRESS not in await last_error(outbox_id)
        moment += timedelta(hours=2)
    assert await send_outbox({"mailer": mailer, "now": fixed_clock(moment)}, outbox_id) == (
        "failed"
    )
    assert "@" not in await last_error(outbox_id)
    assert ADDRESS not in logged(caplog)

    await helpers.login(client, organizer)
    page = await client.get("/outbox/failed")
    assert f"Temporary failure, gave up after {delivery.MAX_ATTEMPTS} tries" in page.text
    assert ADDRESS not in page.text and "mailbox busy" not in page.text


async def test_rows_stored_before_the_fix_are_not_shown_raw(client):
    """Error text already in the database (written by an older worker) stays off the page."""
    outbox_id, organizer = await invite_row()
    await Outbox.update(
        {
            Outbox.state: "failed",
            Outbox.attempts: 1,
            Outbox.last_error: f"554 5.7.1 <{ADDRESS}>: Relay access denied",
        }
    ).where(Outbox.id == outbox_id)
    await helpers.login(client, organizer)
    page = await client.get("/outbox/failed")
    assert "Their mail provider refused this mail" in page.text and "554 5.7.1" in page.text
    assert ADDRESS not in page.text and "Relay access denied" not in page.text


def test_redact_takes_out_every_address_shape():
    for raw in (
        f"550 5.1.1 <{ADDRESS}>: Recipient address rejected",
        f"{{'{ADDRESS}': (550, b'no such user')}}",
        f"mailto:{ADDRESS} refused",
        'RCPT TO:<"odd.name"+tag@sub.example.co.uk> refused',
    ):
        assert "@" not in mailerrors.redact(raw), raw
    assert mailerrors.redact("451 4.3.0 try later") == "451 4.3.0 try later"
    assert mailerrors.reply_code("550 5.1.1 <[address]>: rejected") == "550 5.1.1"
    assert mailerrors.reply_code("ConnectionRefusedError: [Errno 111]") == ""


def test_worker_log_lines_and_tracebacks_carry_no_address(caplog):
    from workers import tasks

    caplog.set_level(logging.INFO, logger="workers.tasks")
    try:
        raise ValueError(f"bad header for <{ADDRESS}>")
    except ValueError:
        tasks.log.exception("outbox %s: could not compose the mail for %s", 7, ADDRESS)
    assert "could not compose" in caplog.text
    assert ADDRESS not in caplog.text and "ValueError" in caplog.text
