"""Page cost as the data grows: size, statements and cold/warm render time per page.

    .venv/bin/python bench/grow.py --factor 100

Builds the demo database (`steady migrate`, `steady seed --demo`) in a temporary SQLite file,
copies it, and grows the copy to `factor` copies of the demo's clubs, series and events (copy 0
is the demo itself, with its accounts), each copy with 200 members who join two of its clubs
and RSVP to five of its events (1,000 RSVPs; going while there is room, waitlisted after).
At --factor 100 that is 700 clubs, about 12,300 events, 20,000 members and 100,000 RSVPs.

Then it serves single requests in-process (the real app through httpx's ASGI transport, its
page cache on an embedded Redis of its own), anonymous and signed in as the demo member, to
/, /clubs, a club page, an event page, /calendar.ics and a club feed, and prints per page:
the identity body size, the statements it ran (events.db.record_statements), the time of a
"cold" request (page and feed caches emptied just before; templates already compiled and the
database file in the OS cache) and the median of five later ("warm") requests. Absolute
times depend on the machine and on what else runs on it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MEMBERS_PER_COPY = 200
RSVPS_PER_MEMBER = 5
CLUBS_PER_MEMBER = 2
DEMO_CLUB = "trailheads-sober-hiking"
DEMO_MEMBER = "member@example.com"
WARM_RUNS = 5


def columns(db: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in db.execute(f'PRAGMA table_info("{table}")')]


def copy_table(
    db: sqlite3.Connection, table: str, overrides: dict[str, str], where: str = "1 = 1"
) -> None:
    """INSERT ... SELECT every column of `table`, some replaced by SQL expressions."""
    names = columns(db, table)
    select = ", ".join(overrides.get(name, f'"{name}"') for name in names)
    quoted = ", ".join(f'"{name}"' for name in names)
    db.execute(f'INSERT INTO "{table}" ({quoted}) SELECT {select} FROM "{table}" WHERE {where}')


def max_id(db: sqlite3.Connection, table: str) -> int:
    return int(db.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"').fetchone()[0])


def grow(path: Path, factor: int) -> dict[str, int]:
    db = sqlite3.connect(path)
    db.row_factory = sqlite3.Row
    clubs, series, events = max_id(db, "club"), max_id(db, "series"), max_id(db, "event")
    for k in range(1, factor):
        copy_table(
            db,
            "club",
            {"id": f"id + {k * clubs}", "slug": f"slug || '-{k}'", "name": f"name || ' {k}'"},
            f"id <= {clubs}",
        )
        copy_table(
            db,
            "series",
            {"id": f"id + {k * series}", "club": f"club + {k * clubs}"},
            f"id <= {series}",
        )
        copy_table(
            db,
            "event",
            {
                "id": f"id + {k * events}",
                "club": f"club + {k * clubs}",
                "series": f"series + {k * series}",
                "taken": "0",
            },
            f"id <= {events}",
        )
    now = datetime.now(UTC)
    member_cols = columns(db, "member")
    template = dict(db.execute("SELECT * FROM member WHERE email = ?", (DEMO_MEMBER,)).fetchone())
    rsvp_cols = columns(db, "rsvp")
    rsvp_template = dict(db.execute("SELECT * FROM rsvp LIMIT 1").fetchone())
    capacity = {
        row["id"]: (row["capacity"], row["club"])
        for row in db.execute("SELECT id, capacity, club FROM event")
    }
    going: dict[int, int] = {
        row["event"]: row["n"]
        for row in db.execute(
            "SELECT event, COUNT(*) AS n FROM rsvp WHERE status = 'going' GROUP BY event"
        )
    }
    next_member = max_id(db, "member") + 1
    for k in range(factor):
        copy_events = [e for e in range(k * events + 1, (k + 1) * events + 1) if e in capacity]
        copy_clubs = list(range(k * clubs + 1, (k + 1) * clubs + 1))
        members, memberships, rsvps = [], [], []
        for i in range(MEMBERS_PER_COPY):
            member_id = next_member
            next_member += 1
            row = {
                **template,
                "id": member_id,
                "email": f"grow-{k}-{i}@example.org",
                "display_name": f"Member {k}-{i}",
                "password_hash": "!",
            }
            members.append([row[c] for c in member_cols])
            for j in range(CLUBS_PER_MEMBER):
                club = copy_clubs[(i + j * 3) % len(copy_clubs)]
                role = "organizer" if i < len(copy_clubs) and j == 0 else "member"
                memberships.append((member_id, club, role))
            for j in range(RSVPS_PER_MEMBER):
                event = copy_events[(i * 7 + j * 13) % len(copy_events)]
                limit = capacity[event][0]
                status = "going" if limit is None or going.get(event, 0) < limit else "waitlisted"
                if status == "going":
                    going[event] = going.get(event, 0) + 1
                queued = (now - timedelta(minutes=len(rsvps))).isoformat()
                row = {
                    **rsvp_template,
                    "id": None,
                    "event": event,
                    "member": member_id,
                    "status": status,
                    "guests": 0,
                    "queued_at": queued,
                    "created_at": queued,
                    "updated_at": queued,
                    "first_time": 0,
                }
                rsvps.append([row[c] for c in rsvp_cols])
        marks = ", ".join("?" for _ in member_cols)
        db.executemany(f"INSERT INTO member VALUES ({marks})", members)
        db.executemany(
            "INSERT OR IGNORE INTO membership (member, club, role, joined_at, blocked) "
            "VALUES (?, ?, ?, CURRENT_TIMESTAMP, 0)",
            memberships,
        )
        marks = ", ".join("?" for _ in rsvp_cols)
        db.executemany(f"INSERT INTO rsvp VALUES ({marks})", rsvps)
    db.execute(
        "UPDATE event SET taken = (SELECT COALESCE(SUM(1 + guests), 0) FROM rsvp "
        "WHERE rsvp.event = event.id AND rsvp.status = 'going')"
    )
    db.commit()
    sizes = {
        table: int(db.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0])
        for table in ("club", "event", "member", "membership", "rsvp")
    }
    db.execute("ANALYZE")
    db.close()
    return sizes


async def measure() -> list[tuple[str, str, int, int, int, float, float]]:
    import httpx
    from piccolo_api.session_auth.tables import SessionsBase

    from events.app import create_app
    from events.auth import SESSION_COOKIE
    from events.db import record_statements
    from events.redis_conn import redis_client
    from events.settings import get_settings
    from events.tables import Club, Event, Member, Rsvp

    member = await Member.select(Member.id).where(Member.email == DEMO_MEMBER).first()
    club = await Club.select(Club.id).where(Club.slug == DEMO_CLUB).first()
    event = (
        await Rsvp.select(Rsvp.event)
        .where((Rsvp.member == member["id"]) & (Rsvp.event._.club == club["id"]))
        .first()
    )
    if event is None:
        event = (
            await Event.select(Event.id.as_alias("event")).where(Event.club == club["id"]).first()
        )
    now = datetime.now()
    session = await SessionsBase.create_session(
        user_id=member["id"],
        expiry_date=now + timedelta(days=14),
        max_expiry_date=now + timedelta(days=60),
    )
    paths = [
        "/",
        "/clubs",
        f"/clubs/{DEMO_CLUB}",
        f"/events/{event['event']}",
        "/calendar.ics",
        f"/clubs/{DEMO_CLUB}/calendar.ics",
    ]
    app = create_app(get_settings())
    redis = redis_client(get_settings().redis_url or "")
    results = []
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        for who in ("anonymous", "signed in"):
            async with httpx.AsyncClient(
                transport=transport,
                base_url="http://127.0.0.1:8000",
                headers={"Accept-Encoding": "identity"},
            ) as client:
                if who == "signed in":
                    client.cookies.set(SESSION_COOKIE, str(session.token))
                for path in paths:
                    await client.get(path)  # templates compiled, database pages read once
                    await forget_caches(redis)
                    with record_statements() as sql:
                        began = time.perf_counter()
                        response = await client.get(path)
                        cold = time.perf_counter() - began
                    warm = []
                    for _ in range(WARM_RUNS):
                        began = time.perf_counter()
                        await client.get(path)
                        warm.append(time.perf_counter() - began)
                    results.append(
                        (
                            path,
                            who,
                            response.status_code,
                            len(response.content),
                            len(sql),
                            cold * 1000,
                            statistics.median(warm) * 1000,
                        )
                    )
    await redis.aclose()
    return results


async def forget_caches(redis: Any) -> None:
    """Empty the page and feed caches (the bench's own embedded Redis): the next request
    renders."""
    from events.changes import announce

    await redis.flushdb()
    await announce(redis)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--factor", type=int, default=100, help="copies of the demo data")
    parser.add_argument("--keep", action="store_true", help="keep the grown database file")
    args = parser.parse_args()
    if args.factor < 1:
        raise SystemExit("--factor must be at least 1")

    tmp = Path(tempfile.mkdtemp(prefix="steady-grow-"))
    demo, grown = tmp / "demo.sqlite3", tmp / "grown.sqlite3"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{demo}",
        "STEADY_STATE_DIR": str(tmp / "state"),
        "STEADY_ENV": "dev",
        "PYTHONPATH": str(ROOT),
    }
    env.setdefault("SECRET_KEY", "grow-secret-key-" + "x" * 40)
    env.pop("SMTP_URL", None)
    embedded = None
    try:
        for command in (("migrate",), ("seed", "--demo")):
            subprocess.run(
                [sys.executable, "-m", "events.cli", *command],
                env=env,
                check=True,
                cwd=ROOT,
                capture_output=True,
            )
        # The demo's WAL folded into the file, so one file is the whole database.
        with sqlite3.connect(demo) as db:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        shutil.copyfile(demo, grown)
        began = time.perf_counter()
        sizes = grow(grown, args.factor)
        grew = time.perf_counter() - began

        os.environ.update({**env, "DATABASE_URL": f"sqlite:///{grown}"})
        sys.path.insert(0, str(ROOT))
        from events.redis_conn import EmbeddedRedis

        # Always its own Redis: measuring cold pages flushes it.
        embedded = EmbeddedRedis(tmp / "redis")
        os.environ["REDIS_URL"] = embedded.start()
        rows = asyncio.run(measure())
    finally:
        if embedded is not None:
            embedded.stop()
        if args.keep:
            print(f"kept {grown}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    print(
        f"\nfactor {args.factor}: "
        + ", ".join(f"{n:,} {table}s" for table, n in sizes.items())
        + f" (grown in {grew:.1f} s)"
    )
    head = (
        f"{'page':40} {'who':10} {'status':>6} {'KB':>8} {'stmts':>5} {'cold ms':>8} {'warm ms':>8}"
    )
    print(head)
    print("-" * len(head))
    for path, who, status, size, statements, cold, warm in rows:
        print(
            f"{path[:40]:40} {who:10} {status:>6} {size / 1024:8.1f} {statements:5d}"
            f" {cold:8.1f} {warm:8.1f}"
        )
    print(
        "\nSingle requests in-process (no HTTP server), SQLite; warm = median of "
        f"{WARM_RUNS}; anonymous warm requests are page cache hits. {os.cpu_count()} CPUs."
    )


if __name__ == "__main__":
    main()
