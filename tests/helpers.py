"""Shared test helpers: data builders, logging in, form posts as a browser sends them.

Builders write in `write_transaction()`, as the services do: its commit tells the page cache
(every page kept in this process drops, and the other processes hear of it)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine
from piccolo_api.session_auth.tables import SessionsBase

from events import passwords
from events.auth import SESSION_COOKIE
from events.db import write_transaction
from events.redis_conn import redis_client
from events.settings import get_settings
from events.tables import ALL_TABLES, Club, Event, Membership, Role
from events.timefmt import utcnow
from events.tokens import Tokens

PASSWORD = "correct horse battery"
_PASSWORD_HASH = passwords.hash_password(PASSWORD)  # hashed once: scrypt is slow on purpose
# Tokens as the test app signs them (create_app gets the same settings).
TOKENS = Tokens(get_settings().secret_key)
feed_token = TOKENS.feed_token


async def truncate_all() -> None:
    engine = engine_finder()
    tables = [t._meta.tablename for t in reversed(ALL_TABLES)] + ["sessions"]
    async with write_transaction():
        if isinstance(engine, PostgresEngine):
            await engine.run_ddl(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
        else:
            for table in tables:
                await engine.run_ddl(f"DELETE FROM {table}")


async def flush_redis() -> None:
    redis = redis_client(get_settings().redis_url or "")
    try:
        await redis.flushdb()
    finally:
        await redis.aclose()


async def make_member(
    email: str = "member@example.org", display_name: str = "Riley", **fields: Any
) -> int:
    from events.tables import Member

    rows = await Member.insert(
        Member(
            email=email,
            display_name=display_name,
            password_hash=_PASSWORD_HASH,
            email_confirmed=True,
            **fields,
        )
    ).returning(Member.id)
    return int(rows[0]["id"])


async def make_club(
    slug: str = "trail-club",
    name: str = "Trail Club",
    timezone: str = "America/Denver",
    organizer: int | None = None,
    **fields: Any,
) -> int:
    async with write_transaction():
        rows = await Club.insert(
            Club(slug=slug, name=name, timezone=timezone, activities="hiking", **fields)
        ).returning(Club.id)
        club_id = int(rows[0]["id"])
        if organizer is not None:
            await Membership.insert(
                Membership(member=organizer, club=club_id, role=Role.organizer.value)
            )
    return club_id


async def make_event(
    club: int,
    title: str = "Saturday hike",
    starts_at: datetime | None = None,
    hours: float = 2,
    **fields: Any,
) -> int:
    start = starts_at or (utcnow() + timedelta(days=3)).replace(second=0, microsecond=0)
    fields.setdefault("activity", "hiking")
    async with write_transaction():
        rows = await Event.insert(
            Event(
                club=club,
                title=title,
                starts_at=start,
                ends_at=start + timedelta(hours=hours),
                **fields,
            )
        ).returning(Event.id)
    return int(rows[0]["id"])


async def login(client: httpx.AsyncClient, member_id: int) -> None:
    """Sign `client` in as the member directly (the login form has its own tests)."""
    session = await SessionsBase.create_session(
        user_id=member_id, expiry_date=datetime.now() + timedelta(days=1)
    )
    client.cookies.set(SESSION_COOKIE, session.token)


async def post(
    client: httpx.AsyncClient,
    url: str,
    data: dict[str, Any] | None = None,
    *,
    htmx: bool = False,
    **kwargs: Any,
) -> httpx.Response:
    """A form POST as a browser sends it from one of the site's own pages (or htmx's request)."""
    headers = {"Sec-Fetch-Site": "same-origin", **dict(kwargs.pop("headers", {}) or {})}
    if htmx:
        headers["HX-Request"] = "true"
    return await client.post(url, data=dict(data or {}), headers=headers, **kwargs)


async def drop_kept_pages() -> None:
    """Empty the page cache (for tests of the cache itself, or of what an uncached request
    costs): every page drops in this process at once, in the others when they hear of it."""
    from events.changes import announce

    redis = redis_client(get_settings().redis_url or "")
    try:
        await announce(redis)
    finally:
        await redis.aclose()


async def wait_for(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    """Wait, with a deadline, for something another task or process does (a pub/sub message
    arriving); fails when it doesn't happen in time."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {seconds} s")
        await asyncio.sleep(0.005)
