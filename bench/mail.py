"""Benchmark mail delivery through the outbox, end to end.

    .venv/bin/python bench/mail.py [--rsvps 200] [--reminders 10000] [--workers 1]

1. RSVP-to-mailbox latency: a member's POST /events/{id}/rsvp through the real app (in
   process), the outbox row enqueued by the request middleware, `steady worker` (its own
   process, the real WorkerSettings) sending over SMTP to a local aiosmtpd server. Time from
   the start of the request to the message's arrival at the server; p50, p99, max.
2. Reminders: N members going to events starting in under two hours. Time for the cron job to
   write the reminder rows and enqueue them, then until the SMTP server has every message;
   also checks that none arrived twice.

Uses a temporary SQLite database and an embedded Redis unless DATABASE_URL / REDIS_URL are set
(a PostgreSQL database given by DATABASE_URL must be empty).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TMP = Path(tempfile.mkdtemp(prefix="steady-bench-mail-"))
os.environ.setdefault("DATABASE_URL", f"sqlite:///{TMP / 'bench.sqlite3'}")
os.environ.setdefault("SECRET_KEY", "bench-secret-key-0123456789-0123456789-0123456789")
os.environ["STEADY_STATE_DIR"] = str(TMP / "state")
os.environ.pop("SMTP_URL", None)
sys.path.insert(0, str(ROOT))


class Sink:
    """aiosmtpd handler: arrival time per recipient, and a count per Message-ID."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self.message_ids: Counter[str] = Counter()
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        now = time.time()
        head = envelope.original_content.split(b"\r\n\r\n", 1)[0].decode("ascii", "replace")
        message_id = next(
            (
                line.split(":", 1)[1].strip()
                for line in head.split("\r\n")
                if line.lower().startswith("message-id:")
            ),
            "",
        )
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.arrived.setdefault(rcpt, now)
            self.message_ids[message_id] += 1
        return "250 2.0.0 Accepted"

    def count(self) -> int:
        with self.lock:
            return sum(self.message_ids.values())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def prepare() -> None:
    from events.cli import _migrate

    await _migrate()


async def make_members(prefix: str, count: int) -> list[int]:
    from events.tables import Member

    ids: list[int] = []
    for start in range(0, count, 500):
        rows = await Member.insert(
            *[
                Member(
                    email=f"{prefix}{n}@bench.example",
                    display_name=f"Member {n}",
                    password_hash="-",  # noqa: S106 - never used to log in
                    email_confirmed=True,
                )
                for n in range(start, min(count, start + 500))
            ]
        ).returning(Member.id)
        ids += [r["id"] for r in rows]
    return ids


async def make_club(slug: str) -> int:
    from events.tables import Club

    rows = await Club.insert(
        Club(slug=slug, name=f"Bench {slug}", timezone="America/Denver", activities="hiking")
    ).returning(Club.id)
    return int(rows[0]["id"])


async def make_events(club: int, count: int, starts: datetime) -> list[int]:
    from events.tables import Event

    rows = await Event.insert(
        *[
            Event(
                club=club,
                title=f"Bench hike {n}",
                activity="hiking",
                starts_at=starts,
                ends_at=starts + timedelta(hours=2),
                location="Trailhead lot",
            )
            for n in range(count)
        ]
    ).returning(Event.id)
    return [r["id"] for r in rows]


def start_workers(count: int, smtp_url: str) -> list[subprocess.Popen]:
    env = {**os.environ, "SMTP_URL": smtp_url}
    return [
        subprocess.Popen(
            [sys.executable, "-m", "events.cli", "worker"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(count)
    ]


async def wait_until(predicate: Any, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        await asyncio.sleep(0.002)
    return predicate()


async def rsvp_latency(count: int, sink: Sink) -> dict[str, float]:
    import httpx
    from piccolo_api.session_auth.tables import SessionsBase

    from events.app import create_app
    from events.auth import SESSION_COOKIE
    from events.settings import get_settings

    club = await make_club("rsvp")
    starts = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=3)
    events = await make_events(club, count + 1, starts)
    members = await make_members("rsvp", count + 1)
    app = create_app(get_settings())
    latencies: list[float] = []
    request_ms: list[float] = []
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        for n, (event, member) in enumerate(zip(events, members, strict=True)):
            session = await SessionsBase.create_session(
                user_id=member, expiry_date=datetime.now() + timedelta(days=1)
            )
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                client.cookies.set(SESSION_COOKIE, session.token)
                await client.get("/help")
                token = client.cookies.get("csrftoken") or ""
                address = f"rsvp{n}@bench.example"
                began = time.time()
                response = await client.post(
                    f"/events/{event}/rsvp", data={"response": "yes", "csrftoken": token}
                )
                request_ms.append((time.time() - began) * 1000)
                assert response.status_code in (200, 303), response.status_code
            if not await wait_until(lambda a=address: a in sink.arrived, 60):
                raise SystemExit(f"no mail for {address} within 60 s")
            if n:  # the first one warms up the worker
                latencies.append((sink.arrived[address] - began) * 1000)
    return {
        "p50": statistics.median(latencies),
        "p99": percentile(latencies, 0.99),
        "max": max(latencies),
        "request_p50": statistics.median(request_ms[1:]),
    }


async def reminders(count: int, sink: Sink) -> dict[str, float]:
    from events.redis_conn import arq_pool
    from events.settings import get_settings
    from events.tables import Event, Outbox, Rsvp
    from workers.tasks import schedule_reminders

    per_event = 100
    club = await make_club("reminders")
    # Seeded far ahead, then moved to start in 110 minutes in one statement: the worker's own
    # cron job (every minute) must not see half of them while they are being written.
    far = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=30)
    events = await make_events(club, (count + per_event - 1) // per_event, far)
    members = await make_members("remind", count)
    said_yes = datetime.now(UTC) - timedelta(days=1)
    for start in range(0, count, 500):
        await Rsvp.insert(
            *[
                Rsvp(
                    event=events[n // per_event],
                    member=members[n],
                    status="going",
                    queued_at=said_yes,
                    created_at=said_yes,
                    updated_at=said_yes,
                )
                for n in range(start, min(count, start + 500))
            ]
        )
    before = sink.count()
    pool = await arq_pool(get_settings().redis_url or "")
    starts = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=110)
    began = time.monotonic()
    await Event.update({Event.starts_at: starts, Event.ends_at: starts + timedelta(hours=2)}).where(
        Event.id.is_in(events)
    )
    await schedule_reminders({"redis": pool, "now": lambda: datetime.now(UTC)})
    scheduled = time.monotonic() - began
    await pool.aclose()
    written = await Outbox.count().where(Outbox.kind == "reminder")
    if written != count:  # whether this call or the worker's cron wrote them
        raise SystemExit(f"{written} reminder rows, expected {count}")
    if not await wait_until(lambda: sink.count() - before >= count, 1800):
        raise SystemExit(f"only {sink.count() - before} of {count} reminders arrived")
    total = time.monotonic() - began
    duplicates = sum(n - 1 for n in sink.message_ids.values() if n > 1)
    return {
        "schedule_s": scheduled,
        "total_s": total,
        "per_s": count / total,
        "duplicates": duplicates,
    }


async def main(args: argparse.Namespace) -> None:
    from aiosmtpd.controller import Controller

    from events.redis_conn import EmbeddedRedis

    embedded = None
    if not os.environ.get("REDIS_URL"):
        embedded = EmbeddedRedis(TMP / "redis")
        os.environ["REDIS_URL"] = embedded.start()
    await prepare()
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    workers = start_workers(args.workers, f"smtp://127.0.0.1:{port}")
    try:
        db = "PostgreSQL" if os.environ["DATABASE_URL"].startswith("postgres") else "SQLite"
        print(f"database {db}, {args.workers} worker process(es), SMTP aiosmtpd on loopback")
        latency = await rsvp_latency(args.rsvps, sink)
        print(
            f"RSVP → mailbox ({args.rsvps} RSVPs, one at a time): "
            f"p50 {latency['p50']:.0f} ms, p99 {latency['p99']:.0f} ms, "
            f"max {latency['max']:.0f} ms (the RSVP request itself: p50 "
            f"{latency['request_p50']:.1f} ms)"
        )
        result = await reminders(args.reminders, sink)
        print(
            f"{args.reminders} reminders: rows written and enqueued in "
            f"{result['schedule_s']:.1f} s; all delivered after {result['total_s']:.1f} s "
            f"({result['per_s']:.0f} mails/s); duplicates {result['duplicates']}"
        )
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
        controller.stop()
        if embedded is not None:
            embedded.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rsvps", type=int, default=200)
    parser.add_argument("--reminders", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=1)
    asyncio.run(main(parser.parse_args()))
