"""RSVP load benchmark: throughput and p50/p99 latency of POST /events/{id}/rsvp.

Starts `steady web` on a fresh temporary SQLite database (or on DATABASE_URL, e.g. a
dedicated PostgreSQL database: the script migrates it and adds its own club, event and
members), seeds members with sessions and one popular event, then drives htmx RSVP taps
(yes, then no, then yes, ... per member: every request is a real change) from many concurrent
connections. Ends with a consistency check: places taken equal the going RSVPs and never
pass capacity.

    .venv/bin/python bench/rsvp_load.py                       # SQLite
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/steady_bench .venv/bin/python bench/rsvp_load.py
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def configure_environment(tmp: Path) -> None:
    """Before anything imports piccolo_conf: the database and the app's settings."""
    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(48))
    os.environ["STEADY_STATE_DIR"] = str(tmp / "state")
    os.environ.setdefault("STEADY_ENV", "dev")
    sys.path.insert(0, str(ROOT))


async def seed(members: int, capacity: int | None) -> tuple[int, list[str]]:
    """One club, one event starting in three days, `members` members with sessions."""
    from piccolo_api.session_auth.tables import SessionsBase

    from events.tables import Club, Event, Member

    run = secrets.token_hex(4)
    club = await Club.insert(Club(slug=f"bench-{run}", name=f"Bench {run}")).returning(Club.id)
    start = datetime.now(UTC) + timedelta(days=3)
    event = await Event.insert(
        Event(
            club=club[0]["id"],
            title="Popular Saturday hike",
            starts_at=start,
            ends_at=start + timedelta(hours=3),
            capacity=capacity,
        )
    ).returning(Event.id)
    rows = await Member.insert(
        *[
            Member(
                email=f"bench-{run}-{i}@example.org",
                display_name=f"Bench {i}",
                password_hash="!",  # noqa: S106 - no password: sessions are made directly
                email_confirmed=True,
            )
            for i in range(members)
        ]
    ).returning(Member.id)
    expiry = datetime.now() + timedelta(days=1)
    sessions = [
        SessionsBase(
            token=secrets.token_urlsafe(32),
            user_id=r["id"],
            expiry_date=expiry + timedelta(days=13),
            max_expiry_date=expiry + timedelta(days=30),
        )
        for r in rows
    ]
    await SessionsBase.insert(*sessions)
    return int(event[0]["id"]), [s.token for s in sessions]


async def check(event_id: int) -> tuple[int, int, int | None]:
    from events.tables import Event, Rsvp

    event = await Event.select(Event.taken, Event.capacity).where(Event.id == event_id).first()
    going = await Rsvp.select(Rsvp.guests).where(
        (Rsvp.event == event_id) & (Rsvp.status == "going")
    )
    return event["taken"], sum(1 + r["guests"] for r in going), event["capacity"]


def start_server(port: int) -> subprocess.Popen[bytes]:
    import httpx

    proc = subprocess.Popen(
        [sys.executable, "-m", "events.cli", "web", "--port", str(port), "--quiet"],
        cwd=ROOT,
        env=dict(os.environ),
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("steady web did not start")


async def drive(
    base_url: str, event_id: int, tokens: list[str], total: int, concurrency: int
) -> tuple[list[float], dict[int, int], float]:
    import httpx

    latencies: list[float] = []
    statuses: dict[int, int] = {}
    counter = iter(range(total))
    csrf = secrets.token_urlsafe(24)  # double-submit: the cookie and the header must match

    async def worker(slot: int) -> None:
        mine = tokens[slot::concurrency]
        answers = dict.fromkeys(mine, "no")
        async with httpx.AsyncClient(base_url=base_url, timeout=120) as client:
            for turn, _ in enumerate(counter):
                token = mine[turn % len(mine)]
                answers[token] = "yes" if answers[token] == "no" else "no"
                began = time.perf_counter()
                response = await client.post(
                    f"/events/{event_id}/rsvp",
                    data={"response": answers[token]},
                    headers={
                        "HX-Request": "true",
                        "X-CSRFToken": csrf,
                        "Cookie": f"steady_session={token}; csrftoken={csrf}",
                    },
                )
                latencies.append(time.perf_counter() - began)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    began = time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    return latencies, statuses, time.perf_counter() - began


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--members", type=int, default=320)
    parser.add_argument("--capacity", type=int, default=100, help="0 = unlimited")
    args = parser.parse_args()
    if args.members < args.concurrency:
        raise SystemExit("--members must be at least --concurrency")

    tmp = Path(tempfile.mkdtemp(prefix="steady-bench-"))
    configure_environment(tmp)
    from piccolo.engine import engine_finder

    from events.cli import _migrate

    await _migrate()
    event_id, tokens = await seed(args.members, args.capacity or None)
    engine = engine_finder()
    port = free_port()
    server = start_server(port)
    try:
        latencies, statuses, elapsed = await drive(
            f"http://127.0.0.1:{port}", event_id, tokens, args.requests, args.concurrency
        )
    finally:
        server.terminate()
        server.wait(timeout=10)
    taken, going, capacity = await check(event_id)
    print(f"database      {type(engine).__name__} ({os.environ['DATABASE_URL'].split(':')[0]})")
    print(
        f"requests      {len(latencies)} RSVP POSTs, {args.concurrency} connections, "
        f"{args.members} members, capacity {capacity or 'unlimited'}"
    )
    print(f"statuses      {dict(sorted(statuses.items()))}")
    print(f"throughput    {len(latencies) / elapsed:.0f} requests/s ({elapsed:.1f} s)")
    print(
        f"latency       p50 {percentile(latencies, 0.5) * 1000:.0f} ms · "
        f"p99 {percentile(latencies, 0.99) * 1000:.0f} ms · "
        f"max {max(latencies) * 1000:.0f} ms · mean {statistics.fmean(latencies) * 1000:.0f} ms"
    )
    ok = taken == going and (capacity is None or taken <= capacity)
    print(f"consistency   taken {taken}, going places {going}: {'ok' if ok else 'BROKEN'}")
    if not ok or set(statuses) != {200}:
        raise SystemExit(1)


if __name__ == "__main__":
    asyncio.run(main())
