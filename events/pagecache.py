"""A whole-page cache for what signed-out visitors see, dropped by what changed.

Public pages (events, clubs, help, login) are the same bytes for every signed-out visitor (no
per-visitor CSRF token: events/csrf.py), and public calendar feeds are the same for everyone.
This middleware is the outermost one: it keeps each rendered response in process memory as
it leaves the app (security headers included), already gzip-compressed and as identity, with
a strong ETag, and serves it again (or a 304 for a matching `If-None-Match`) without touching
Redis or the database.

Entries are tagged with the data they show (events/changes.py). After a request that changed
data, the tags its services reported are dropped in this process before the response
leaves, and published on a Redis channel that every web process listens to; a request that
changed nothing (a 4xx, a failed login) drops nothing. A successful write that reported no
tag drops everything. While a process is not subscribed (Redis away, reconnecting) it
neither serves nor keeps pages, and it starts empty on every (re)subscription, so a missed
message can't leave a stale page behind. Entries also expire after `max_age` seconds, which
bounds how stale a time-dependent page ("upcoming", "RSVPs closed") can get.

Concurrent misses of one page render it once: the others wait for that render.

A request that carries the session cookie in any `Cookie` header is never served from here nor
kept: it may be personal. Nothing a visitor sends changes what is kept for a key but the key
itself (path, query, htmx headers); the page is the same whoever asked first.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import hashlib
import logging
import re
import secrets
import time
from collections import OrderedDict, deque
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from redis.asyncio import Redis
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from events import changes, conditional
from events.auth import SESSION_COOKIE
from events.flash import FLASH_COOKIE
from events.signup_pending import SIGNUP_COOKIE

log = logging.getLogger(__name__)

NEVER_CACHED = ("/static/", "/dev/", "/account", "/me/", "/healthz", "/outbox", "/unsubscribe")
VARY_ON = (b"hx-request", b"hx-boosted", b"hx-history-restore-request", b"hx-target")
VARY = ("Accept-Encoding", "HX-Request", "HX-Boosted", "HX-History-Restore-Request", "HX-Target")
SKIPPED_HEADERS = (b"content-length", b"x-page-cache", b"set-cookie", b"content-encoding")
KEPT_TYPES = ("text/html", "text/calendar")
MAX_BODY = 2 * 1024 * 1024
MAX_BYTES = 64 * 1024 * 1024  # all entries of a process (a query string makes a new entry)
GZIP_MIN_SIZE = 600
# As the GZip middleware inside: calendar apps get feeds as identity.
NOT_GZIPPED = ("text/calendar", "text/event-stream", "application/zip", "application/gzip")
# Pages that show no data: only a change of everything drops them.
STATIC_PAGES = frozenset(
    {"/help", "/new-here", "/login", "/signup", "/signup/sent", "/password/forgot"}
)
# Writes that change nothing a signed-out visitor can see, whatever their outcome.
QUIET_WRITES = frozenset(
    {
        "/login",
        "/logout",
        "/signup",
        "/password/forgot",
        "/password/reset",
        "/account/calendar/reset",
        "/signup/resend",
    }
)
# A club's members-only board (#19): never kept, whatever its answer.
_BOARD_PATH = re.compile(r"^/clubs/[^/]+/board(?:/|$)")
_EVENT_PATH = re.compile(r"/events/(\d+)(?:\.ics|/|$)")
COALESCE_WAIT = 5.0
_SESSION_NAME = SESSION_COOKIE.encode()
# Cookies that make a page personal: the session, a flash message waiting to be shown once,
# and the address a sign-up is waiting on ("Check your email").
PERSONAL_COOKIES = (_SESSION_NAME, FLASH_COOKIE.encode(), SIGNUP_COOKIE.encode())


def _cacheable_path(path: str) -> bool:
    if _BOARD_PATH.match(path):
        return False
    return not path.startswith(NEVER_CACHED) and not path.endswith((".csv", ".json"))


def carries_session(scope: Scope) -> bool:
    """The session cookie's name anywhere in any Cookie header. Deliberately blunt: every
    header is read (a dict of headers keeps only the last, while the session layer merges them
    all), nothing is parsed that could disagree with the session layer's parsing, and a false
    alarm only costs that visitor a fresh render."""
    return any(key.lower() == b"cookie" and _personal(value) for key, value in scope["headers"])


def _personal(cookie_header: bytes) -> bool:
    lowered = cookie_header.lower()
    return any(name in lowered for name in PERSONAL_COOKIES)


def page_tags(path: str, declared: set[str]) -> frozenset[str]:
    """The tags a page shows: what its view declared, else what its path says."""
    if declared:
        return frozenset(declared)
    if path in STATIC_PAGES:
        return frozenset()
    if match := _EVENT_PATH.match(path):
        return frozenset({f"event:{int(match.group(1))}"})
    return frozenset({changes.LISTINGS})


@dataclass(slots=True)
class Variant:
    body: bytes
    headers: list[tuple[bytes, bytes]]  # for a 200, with length and `x-page-cache: hit`
    not_modified: list[tuple[bytes, bytes]]  # for a 304


@dataclass(slots=True)
class Entry:
    stored_at: float
    tags: frozenset[str]
    identity: Variant
    gzipped: Variant | None
    etags: tuple[str, ...]
    last_modified: bytes | None
    modified_at: datetime | None  # last_modified, read

    @property
    def size(self) -> int:
        zipped = len(self.gzipped.body) if self.gzipped is not None else 0
        return len(self.identity.body) + zipped


def _variant(headers: list[tuple[bytes, bytes]], body: bytes, etag: bytes) -> Variant:
    full = [*headers, (b"etag", etag), (b"content-length", str(len(body)).encode())]
    full.append((b"x-page-cache", b"hit"))
    kept_on_304 = (b"cache-control", b"vary", b"content-location", b"expires")
    not_modified = [(k, v) for k, v in headers if k in kept_on_304]
    not_modified += [(b"etag", etag), (b"x-page-cache", b"hit")]
    return Variant(body, full, not_modified)


def build_entry(raw_headers: list[tuple[bytes, bytes]], body: bytes, tags: frozenset[str]) -> Entry:
    """What a 200 is kept as: identity and (when worth it) gzip, each with its own strong ETag
    (RFC 9110 §8.8.3: a different content coding is a different representation)."""
    headers = [(k.lower(), v) for k, v in raw_headers if k.lower() not in SKIPPED_HEADERS]
    mutable = MutableHeaders(raw=headers)
    etag = mutable.get("etag") or f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    del mutable["etag"]
    vary = [v.strip() for v in mutable.get("vary", "").split(",") if v.strip()]
    vary += [v for v in VARY if v.lower() not in {x.lower() for x in vary}]
    mutable["vary"] = ", ".join(vary)
    last_modified = mutable.get("last-modified")
    identity = _variant(mutable.raw, body, etag.encode())
    etags = [etag]
    gzipped = None
    content_type = mutable.get("content-type", "")
    if len(body) >= GZIP_MIN_SIZE and not content_type.startswith(NOT_GZIPPED):
        gz_etag = (etag[:-1] + '-gz"' if etag.endswith('"') else etag + "-gz").encode()
        gz_headers = [*mutable.raw, (b"content-encoding", b"gzip")]
        gzipped = _variant(gz_headers, gzip.compress(body, compresslevel=6, mtime=0), gz_etag)
        etags.append(gz_etag.decode())
    return Entry(
        stored_at=time.time(),
        tags=tags,
        identity=identity,
        gzipped=gzipped,
        etags=tuple(etags),
        last_modified=last_modified.encode() if last_modified else None,
        modified_at=conditional.http_date(last_modified) if last_modified else None,
    )


class PageStore:
    """One process's kept pages, and its subscription to the other processes' changes."""

    def __init__(
        self, max_entries: int = 512, max_age: float = 30.0, max_bytes: int = MAX_BYTES
    ) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.size = 0
        self.max_age = max_age
        self.entries: OrderedDict[tuple[Any, ...], Entry] = OrderedDict()
        self.origin = secrets.token_hex(8)
        self.live = False  # subscribed: only then may pages be served or kept
        self.redis: Any = None  # for publishing (the app's client)
        # Every drop, numbered, so a render that raced a change is not kept.
        self.epoch = 0
        self.drops: deque[tuple[int, frozenset[str]]] = deque(maxlen=256)
        self.inflight: dict[tuple[Any, ...], asyncio.Event] = {}
        self._task: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()
        changes.register(self)

    # --- entries ------------------------------------------------------------------------

    def lookup(self, key: tuple[Any, ...]) -> Entry | None:
        entry = self.entries.get(key)
        if entry is None:
            return None
        # Wall-clock time: what makes a page stale ("upcoming", "closed") is the time of day.
        if not 0 <= time.time() - entry.stored_at < self.max_age:
            self._remove(key)
            return None
        self.entries.move_to_end(key)
        return entry

    def keep(self, key: tuple[Any, ...], entry: Entry, since_epoch: int) -> bool:
        """Keep `entry`, rendered from data read after drop number `since_epoch`, unless a drop
        since then touched what it shows."""
        if not self.live:
            return False
        if since_epoch != self.epoch:
            if not self.drops or self.drops[0][0] > since_epoch + 1:
                return False  # too many drops since: the log doesn't reach back that far
            for number, tags in self.drops:
                if number > since_epoch and self._drops(entry, tags):
                    return False
        self._remove(key)
        self.entries[key] = entry
        self.size += entry.size
        while len(self.entries) > self.max_entries or self.size > self.max_bytes:
            self._remove(next(iter(self.entries)))
        return True

    def _remove(self, key: tuple[Any, ...]) -> None:
        entry = self.entries.pop(key, None)
        if entry is not None:
            self.size -= entry.size

    def clear(self) -> None:
        self.entries.clear()
        self.size = 0

    @staticmethod
    def _drops(entry: Entry, tags: frozenset[str]) -> bool:
        return changes.EVERYTHING in tags or not entry.tags.isdisjoint(tags)

    def invalidate(self, tags: frozenset[str]) -> None:
        self.epoch += 1
        self.drops.append((self.epoch, tags))
        if changes.EVERYTHING in tags:
            self.clear()
            return
        for key in [k for k, e in self.entries.items() if not e.tags.isdisjoint(tags)]:
            self._remove(key)

    async def changed(self, tags: set[str]) -> None:
        """This process changed data: drop here at once, then tell the others."""
        frozen = frozenset(tags)
        self.invalidate(frozen)
        await changes.publish(self.redis, frozen, self.origin)

    # --- subscription -------------------------------------------------------------------

    async def start(self, redis: Any, redis_url: str, wait: float = 2.0) -> None:
        self.redis = redis
        self._task = asyncio.create_task(self._listen(redis_url))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._subscribed.wait(), wait)

    async def stop(self) -> None:
        self.live = False
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self.clear()

    async def _listen(self, redis_url: str) -> None:
        pause = 0.1
        while True:
            # Its own connection, without the app's read timeout: it waits for messages.
            client = Redis.from_url(redis_url, socket_connect_timeout=2)
            pubsub = client.pubsub()
            try:
                await pubsub.subscribe(changes.channel(client))
                async for message in pubsub.listen():
                    if message["type"] == "subscribe":
                        # Whatever happened while not subscribed is unknown: start empty.
                        self.invalidate(frozenset({changes.EVERYTHING}))
                        self.live = True
                        self._subscribed.set()
                        pause = 0.1
                    elif message["type"] == "message":
                        origin, tags = changes.parse(message["data"])
                        if origin not in (self.origin, changes.PROCESS_ORIGIN):
                            self.invalidate(tags)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - Redis away: serve uncached, retry
                log.warning("page cache unsubscribed (%s); retrying", exc)
            finally:
                self.live = False
                self._subscribed.clear()
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
                with contextlib.suppress(Exception):
                    await client.aclose()
            await asyncio.sleep(pause)
            pause = min(pause * 2, 5.0)


class PageCache:
    def __init__(
        self, app: ASGIApp, store: PageStore | None = None, allowed_host: str | None = None
    ) -> None:
        self.app = app
        self.store = store or PageStore()
        # In production the cache sits outside the trusted-host check: it must not answer a
        # request that check would refuse.
        self.allowed_host = allowed_host.encode().lower() if allowed_host else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        if method not in ("GET", "HEAD"):
            await self._write(scope, receive, send)
            return
        path = scope["path"]
        if not self.store.live or not _cacheable_path(path):
            await self.app(scope, receive, send)
            return
        vary: list[bytes | None] = [None, None, None, None]
        gzip_ok = False
        if_none_match = if_modified_since = host = None
        for raw_name, value in scope["headers"]:
            name = raw_name.lower()
            if name == b"cookie":
                if _personal(value):
                    await self.app(scope, receive, send)
                    return
            elif name == b"accept-encoding":
                gzip_ok = b"gzip" in value
            elif name == b"if-none-match":
                if_none_match = value
            elif name == b"if-modified-since":
                if_modified_since = value
            elif name == b"host":
                host = value
            elif name in VARY_ON and vary[VARY_ON.index(name)] is None:
                # The first one, as the app reads it (Starlette's `Headers.get`).
                vary[VARY_ON.index(name)] = value
        if self.allowed_host is not None and (
            host is None or host.split(b":")[0].lower() != self.allowed_host
        ):
            await self.app(scope, receive, send)
            return
        key = (path, scope["query_string"], *vary)
        request = (gzip_ok, if_none_match, if_modified_since, method == "HEAD")
        entry = self.store.lookup(key)
        if entry is not None:
            await _serve(entry, request, send)
            return
        if method == "HEAD":
            await self.app(scope, receive, send)
            return
        pending = self.store.inflight.get(key)
        if pending is not None:
            # Someone is rendering this page: wait for that render rather than render again.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(pending.wait(), COALESCE_WAIT)
            entry = self.store.lookup(key)
            if entry is not None:
                await _serve(entry, request, send)
                return
            if key in self.store.inflight:
                await self._render(key, scope, receive, send, request)
                return
        done = asyncio.Event()
        self.store.inflight[key] = done
        try:
            await self._render(key, scope, receive, send, request)
        finally:
            if self.store.inflight.get(key) is done:
                del self.store.inflight[key]
            done.set()

    async def _render(
        self,
        key: tuple[Any, ...],
        scope: Scope,
        receive: Receive,
        send: Send,
        request: tuple[bool, bytes | None, bytes | None, bool],
    ) -> None:
        since_epoch = self.store.epoch
        # Rendered as identity: the entry keeps its own gzip copy, and GZip inside passes.
        inner = dict(scope)
        inner["headers"] = [(k, v) for k, v in scope["headers"] if k.lower() != b"accept-encoding"]
        start: Message | None = None
        chunks: list[bytes] = []
        size = 0
        buffering = False
        complete = False

        async def capture(message: Message) -> None:
            nonlocal start, size, buffering, complete
            if message["type"] == "http.response.start":
                headers = MutableHeaders(raw=message["headers"])
                buffering = (
                    message["status"] == 200
                    and headers.get("content-type", "").startswith(KEPT_TYPES)
                    and "set-cookie" not in headers
                    and "content-encoding" not in headers
                    and headers.get("cache-control", "public").startswith("public")
                )
                if buffering:
                    start = message
                    return
                await send(message)
            elif message["type"] == "http.response.body" and buffering:
                chunks.append(message.get("body", b""))
                size += len(chunks[-1])
                more = message.get("more_body", False)
                if size > MAX_BODY:  # too big to keep: send what we have and stream the rest
                    buffering = False
                    assert start is not None
                    await send(start)
                    await send(
                        {"type": "http.response.body", "body": b"".join(chunks), "more_body": more}
                    )
                elif not more:
                    complete = True
            else:
                await send(message)

        declared, token = changes.start_depends()
        try:
            await self.app(inner, receive, capture)
        finally:
            changes.stop_depends(token)
        if not (buffering and complete and start is not None):
            return
        entry = build_entry(
            list(start["headers"]), b"".join(chunks), page_tags(scope["path"], declared)
        )
        self.store.keep(key, entry, since_epoch)
        await _serve(entry, request, send, state=b"miss")

    async def _write(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A request that may change data: drop (here and everywhere) what it reports changed,
        before the answer leaves, so the next page this visitor loads shows the change."""
        recorded, token = changes.start_recording()
        told: set[str] = set()
        told_once = False
        status: int | None = None

        async def tell() -> None:
            nonlocal told_once
            tags = recorded - told
            # Nothing reported: a success (or a failure we can't read) may have changed
            # anything; a refusal (4xx) changed nothing.
            # 503: the app says it did not do it (the database was too busy), try again.
            refused = status is not None and (400 <= status < 500 or status == 503)
            if not told_once and not recorded and not refused and scope["path"] not in QUIET_WRITES:
                tags = {changes.EVERYTHING}
            told_once = True
            told.update(tags)
            if tags:
                await self.store.changed(tags)

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                await tell()
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            changes.stop_recording(token)
            if not told_once or recorded - told:
                await tell()


async def _serve(
    entry: Entry,
    request: tuple[bool, bytes | None, bytes | None, bool],
    send: Send,
    state: bytes = b"hit",
) -> None:
    gzip_ok, if_none_match, if_modified_since, head = request
    variant = entry.gzipped if gzip_ok and entry.gzipped is not None else entry.identity
    fresh = conditional.not_modified(
        None if if_none_match is None else if_none_match.decode("latin-1"),
        None if if_modified_since is None else if_modified_since.decode("latin-1"),
        entry.etags,
        entry.modified_at,
    )
    if fresh:
        status, headers, body = 304, variant.not_modified, b""
        if if_none_match is None and entry.last_modified is not None:
            headers = [*headers, (b"last-modified", entry.last_modified)]
    else:
        status, headers, body = 200, variant.headers, b"" if head else variant.body
    if state != b"hit":
        headers = [(k, state if k == b"x-page-cache" else v) for k, v in headers]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
