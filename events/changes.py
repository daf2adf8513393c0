"""What changed, so the page cache drops only the pages that show it.

A service calls `changed(...)` once its transaction has committed; the page cache
(events/pagecache.py) records those calls for the request being served and, before the
response leaves, drops the matching pages in this process and publishes the tags on a Redis
channel for every other web process. A page the cache keeps carries the tags of what it shows:

- `event:<id>`: one event's page and feed;
- `club:<id>`: a club's page (declared by the view with `depends_on`);
- `listings`: anything that lists events or counts (/, /clubs, /calendar.ics, club feeds), and
  every page whose dependencies are not known;
- `*`: everything (the answer whenever a change is not described more precisely).

Outside a request (scripts, tests' data builders) every `write_transaction()` that commits
drops everything in this process's page stores and tells the other processes (`committed`).
"""

from __future__ import annotations

import json
import logging
import secrets
import weakref
from collections.abc import Iterable
from contextvars import ContextVar
from typing import Any, Protocol

log = logging.getLogger(__name__)

CHANNEL = "steady:page-changes"
EVERYTHING = "*"
LISTINGS = "listings"
# Messages this process published itself: already applied here, ignored when they come back.
PROCESS_ORIGIN = secrets.token_hex(8)

_recorded: ContextVar[set[str] | None] = ContextVar("steady_changes", default=None)
_depends: ContextVar[set[str] | None] = ContextVar("steady_depends", default=None)


class Invalidated(Protocol):
    origin: str
    redis: Any

    def invalidate(self, tags: frozenset[str]) -> None: ...


# Every page store in this process: a change made here is applied to all of them at once.
_local: weakref.WeakSet[Any] = weakref.WeakSet()


def register(store: Invalidated) -> None:
    _local.add(store)


def tags_for(
    *, event_id: int | None = None, club_id: int | None = None, listings: bool = True
) -> set[str]:
    tags = {LISTINGS} if listings else set()
    if event_id is not None:
        tags.add(f"event:{int(event_id)}")
    if club_id is not None:
        tags.add(f"club:{int(club_id)}")
    return tags


def changed(
    *,
    event_id: int | None = None,
    club_id: int | None = None,
    listings: bool = True,
    everything: bool = False,
) -> None:
    """Record, for the request being served, that this data changed (call after the commit).
    `listings` is on by default: most changes show in some list or count."""
    recorded = _recorded.get()
    if recorded is None:
        return  # not in a request: the caller announces (or the cache's max-age covers it)
    if everything:
        recorded.add(EVERYTHING)
    else:
        recorded |= tags_for(event_id=event_id, club_id=club_id, listings=listings)


def depends_on(*, club_id: int | None = None, event_id: int | None = None) -> None:
    """Declare, while rendering a page, which data it shows beyond what its path says."""
    deps = _depends.get()
    if deps is not None:
        deps |= tags_for(event_id=event_id, club_id=club_id, listings=False)


def start_recording() -> tuple[set[str], Any]:
    recorded: set[str] = set()
    return recorded, _recorded.set(recorded)


def stop_recording(token: Any) -> None:
    _recorded.reset(token)


def start_depends() -> tuple[set[str], Any]:
    deps: set[str] = set()
    return deps, _depends.set(deps)


def stop_depends(token: Any) -> None:
    _depends.reset(token)


def channel(redis: Any) -> str:
    """Pub/sub channels are server-wide, not per database number: two sites (or test runs)
    sharing a Redis server on different databases must not hear each other's changes."""
    kwargs = getattr(getattr(redis, "connection_pool", None), "connection_kwargs", {})
    return f"{CHANNEL}:{kwargs.get('db', 0)}"


def message(tags: Iterable[str], origin: str) -> bytes:
    return json.dumps({"origin": origin, "tags": sorted(tags)}).encode()


def parse(data: bytes | str) -> tuple[str, frozenset[str]]:
    """(origin, tags) of a published message; anything unreadable means everything."""
    try:
        body = json.loads(data)
        return str(body["origin"]), frozenset(str(s) for s in body["tags"])
    except (ValueError, KeyError, TypeError):
        return "", frozenset({EVERYTHING})


async def publish(redis: Any, tags: Iterable[str], origin: str) -> None:
    if redis is None:
        return
    try:
        await redis.publish(channel(redis), message(tags, origin))
    except Exception as exc:  # noqa: BLE001 - other processes' entries still expire by age
        log.warning("page change not published: %s", exc)


async def committed() -> None:
    """A write transaction committed. In a request the page cache applies what the services
    recorded when the response leaves; outside one, nothing more precise is known: every page
    store of this process drops everything now, and the other processes hear of it."""
    if _recorded.get() is not None:
        return
    stores = list(_local)
    if not stores:
        return  # no web app in this process (a worker): no page kept here
    everything = frozenset({EVERYTHING})
    for store in stores:
        store.invalidate(everything)
    redis = next((s.redis for s in stores if s.redis is not None), None)
    await publish(redis, everything, PROCESS_ORIGIN)


async def announce(redis: Any, tags: Iterable[str] = (EVERYTHING,)) -> None:
    """Data changed outside a request: drop the pages in every store of this process now, and
    tell the other processes."""
    frozen = frozenset(tags)
    for store in list(_local):
        store.invalidate(frozen)
    await publish(redis, frozen, PROCESS_ORIGIN)
