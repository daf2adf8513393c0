"""Real pieces for the worker tests: an aiosmtpd SMTP server in a thread, an arq worker in
burst mode on the test Redis, and helpers to read what arrived."""

from __future__ import annotations

import asyncio
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import icalendar
from aiosmtpd.controller import Controller
from arq.worker import Worker, func

from events.mail_transport import SmtpTransport, parse_smtp_url
from events.redis_conn import arq_settings
from events.settings import get_settings
from tests.servers import free_port
from workers.tasks import send_outbox


class SmtpSink:
    """Accepts mail and keeps it; `answers` queues replies to the next DATA commands (e.g.
    "451 4.3.0 try later") before it goes back to accepting."""

    def __init__(self) -> None:
        self.received: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.answers: list[str] = []
        self.lock = threading.Lock()
        # With `hold` on, DATA waits for `released` (a send in flight); `holding` says one
        # arrived. `drop_held` answers a held message 421 unrecorded, as if never accepted.
        self.hold = False
        self.released = threading.Event()
        self.holding = threading.Event()
        self.drop_held = False

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.hold:
            drop = self.drop_held
            self.holding.set()
            await asyncio.to_thread(self.released.wait, 30)
            if drop:
                return "421 4.3.2 Closing"
        with self.lock:
            answer = self.answers.pop(0) if self.answers else None
            if answer:
                return answer
            parsed = message_from_bytes(envelope.original_content, policy=policy.default)
            assert isinstance(parsed, EmailMessage)
            self.received.append(parsed)
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 2.0.0 Accepted"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.received if m["To"] == address]


@contextmanager
def smtp_server() -> Iterator[tuple[SmtpSink, str]]:
    sink = SmtpSink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink, f"smtp://127.0.0.1:{port}"
    finally:
        controller.stop()


def transport(url: str) -> SmtpTransport:
    return SmtpTransport(parse_smtp_url(url))


async def drain(
    ctx: dict[str, Any], redis_url: str | None = None, functions: list[Any] | None = None
) -> Worker:
    """Run an arq worker until the queue holds nothing runnable now."""
    worker = Worker(
        functions=functions or [func(send_outbox, max_tries=50)],
        redis_settings=arq_settings(redis_url or get_settings().redis_url or ""),
        burst=True,
        poll_delay=0,
        handle_signals=False,
        keep_result=0,
        ctx=dict(ctx),
    )
    try:
        await worker.main()
    finally:
        with warnings.catch_warnings():
            # arq 0.28 closes its pool with redis-py's deprecated close(); nothing of ours.
            warnings.simplefilter("ignore", DeprecationWarning)
            await worker.close()
    return worker


def calendar_part(message: EmailMessage) -> tuple[str, icalendar.Calendar]:
    """(the MIME method parameter, the parsed calendar) of an iMIP mail."""
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            return str(part.get_param("method")), icalendar.Calendar.from_ical(part.get_content())
    raise AssertionError("no text/calendar part")


def vevent(message: EmailMessage) -> icalendar.Event:
    _, cal = calendar_part(message)
    events = cal.walk("VEVENT")
    assert len(events) == 1
    return events[0]


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def fixed_clock(moment: datetime) -> Callable[[], datetime]:
    return lambda: moment


async def send_queued_mail(until: Callable[[SmtpSink], bool], within: float = 30.0) -> SmtpSink:
    """Run the worker against a fresh SMTP server until `until(sink)` holds or `within` seconds
    pass. A live server enqueues a request's mail just after sending its response, so a single
    run right after the page shows can come before the job is there (seen under load)."""
    deadline = time.monotonic() + within
    with smtp_server() as (sink, url):
        smtp = transport(url)
        try:
            while True:
                await drain({"mailer": smtp})
                if until(sink) or time.monotonic() > deadline:
                    return sink
                await asyncio.sleep(0.1)
        finally:
            await smtp.close()
