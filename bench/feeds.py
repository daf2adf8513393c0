"""Benchmark the calendar feeds.

    .venv/bin/python bench/feeds.py [--events 1000] [--duration 5] [--connections 32]

1. Render time of the site feed holding N upcoming events (in-process, no cache): the cheap
   probe that answers conditional GETs, the full query, and the iCalendar rendering.
2. Throughput of conditional GETs (If-None-Match and If-Modified-Since → 304) and of plain
   GETs (200, served from the Redis render cache) against a real `steady web`, driven by wrk.

Uses a temporary SQLite database and an embedded Redis unless DATABASE_URL / REDIS_URL are set
(a PostgreSQL database given by DATABASE_URL must be empty: events are added to it).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TMP = Path(tempfile.mkdtemp(prefix="steady-bench-feeds-"))
os.environ.setdefault("DATABASE_URL", f"sqlite:///{TMP / 'bench.sqlite3'}")
os.environ.setdefault("SECRET_KEY", "bench-secret-key-0123456789-0123456789-0123456789")
os.environ["STEADY_STATE_DIR"] = str(TMP / "state")
sys.path.insert(0, str(ROOT))

ZONES = ("America/Denver", "Europe/London", "America/New_York", "Asia/Kolkata", "UTC")


async def seed(count: int) -> None:
    from events.cli import _migrate
    from events.tables import Club, Event

    await _migrate()
    clubs = []
    for n, zone in enumerate(ZONES):
        rows = await Club.insert(
            Club(slug=f"bench-{n}", name=f"Bench Club {n}", timezone=zone, activities="hiking")
        ).returning(Club.id)
        clubs.append(rows[0]["id"])
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=2)
    batch = []
    for n in range(count):
        begins = start + timedelta(hours=8 * n + (n % 5))
        batch.append(
            Event(
                club=clubs[n % len(clubs)],
                title=f"Weekly meetup number {n}",
                activity="hiking",
                starts_at=begins,
                ends_at=begins + timedelta(hours=2),
                location=f"{n} Trail Road, Lot {n % 7}",
                description="Bring water, a snack and a friend. " * 4,
                sequence=n % 3,
            )
        )
        if len(batch) == 200:
            await Event.insert(*batch)
            batch = []
    if batch:
        await Event.insert(*batch)


async def render_figures(repeat: int) -> dict[str, float]:
    from events import timefmt
    from events.services import listings
    from events.settings import get_settings
    from events.views import feeds

    selection = feeds.FeedSelection(key="bench", filters=None)
    settings = get_settings()
    figures: dict[str, list[float]] = {"probe": [], "query": [], "render": []}
    rows: list = []
    body = b""
    cold = 0.0
    for n in range(repeat):
        now = timefmt.utcnow()
        t0 = time.perf_counter()
        await listings.activity_names()
        dropped = await selection.dropped_since(now)
        fingerprint = await selection.fingerprint(now)
        feeds.fingerprint_validators(selection, fingerprint, dropped, base_url=settings.base_url)
        t1 = time.perf_counter()
        rows = await selection.rows(feeds.feed_svc.EVENT_FIELDS, now)
        t2 = time.perf_counter()
        body = feeds._render(
            rows, settings=settings, name="Steady: all events", uid="bench@localhost"
        )
        t3 = time.perf_counter()
        if n == 0:
            cold = (t3 - t2) * 1000
            continue
        figures["probe"].append((t1 - t0) * 1000)
        figures["query"].append((t2 - t1) * 1000)
        figures["render"].append((t3 - t2) * 1000)
    out = {k: statistics.median(v) for k, v in figures.items()}
    out["render_cold"] = cold
    out["events"] = len(rows)
    out["bytes"] = len(body)
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wrk(
    url: str, headers: dict[str, str], duration: int, connections: int
) -> tuple[float, float, str]:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency"]
    for name, value in headers.items():
        cmd += ["-H", f"{name}: {value}"]
    text = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))  # type: ignore[union-attr]
    m = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    units = {"us": 1e-3, "ms": 1.0, "s": 1000.0}
    p99 = float(m.group(1)) * units[m.group(2)] if m else float("nan")
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    return rps, p99, bad.group(1) if bad else "0"


def throughput(args: argparse.Namespace) -> list[tuple[str, float, float, str]]:
    import httpx

    port = free_port()
    env = dict(os.environ)
    proc = subprocess.Popen(
        [sys.executable, "-m", "events.cli", "web", "--port", str(port), "--quiet"],
        env=env,
        cwd=ROOT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise SystemExit("steady web did not start") from None
                time.sleep(0.1)
        url = f"{base}/calendar.ics"
        first = httpx.get(url, timeout=30)
        first.raise_for_status()
        etag, modified = first.headers["etag"], first.headers["last-modified"]
        assert httpx.get(url, headers={"If-None-Match": etag}).status_code == 304
        results = []
        for name, headers in (
            ("If-None-Match → 304", {"If-None-Match": etag}),
            ("If-Modified-Since → 304", {"If-Modified-Since": modified}),
            ("plain GET → 200 (Redis render cache)", {}),
        ):
            rps, p99, bad = wrk(url, headers, args.duration, args.connections)
            results.append((name, rps, p99, bad))
        # For scale on this machine: a small static page of the same app.
        rps, p99, bad = wrk(f"{base}/help", {}, args.duration, args.connections)
        results.append(("baseline: GET /help (template page)", rps, p99, bad))
        return results
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=11)
    args = parser.parse_args()

    embedded = None
    if not os.environ.get("REDIS_URL"):
        from events.redis_conn import EmbeddedRedis

        embedded = EmbeddedRedis(TMP / "redis")
        os.environ["REDIS_URL"] = embedded.start()
    try:
        asyncio.run(seed(args.events))
        figures = asyncio.run(render_figures(args.repeat))
        print(f"site feed: {figures['events']:.0f} events, {figures['bytes'] / 1024:.0f} KiB")
        print(f"  probe (conditional-GET validators): {figures['probe']:7.1f} ms median")
        print(f"  full query:                         {figures['query']:7.1f} ms median")
        print(f"  render to iCalendar:                {figures['render']:7.1f} ms median")
        print(f"  first render (cold zone cache):     {figures['render_cold']:7.1f} ms")
        print(f"steady web, wrk -c{args.connections} -d{args.duration}s on /calendar.ics:")
        for name, rps, p99, bad in throughput(args):
            print(f"  {name:40s} {rps:8.0f} req/s  p99 {p99:6.1f} ms  non-2xx/3xx {bad}")
    finally:
        if embedded is not None:
            embedded.stop()


if __name__ == "__main__":
    main()
