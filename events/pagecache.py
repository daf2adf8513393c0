"""A whole-page cache for what signed-out visitors see, keyed on a data version.

Public pages (events, clubs, help, login) are the same bytes for every signed-out visitor (no
per-visitor CSRF token: events/csrf.py), and public calendar feeds are the same for everyone.
This middleware sits outside the CSRF, session and routing layers: it keeps rendered responses
in process memory and serves them again (answering conditional GETs of kept feeds too) while
nothing has changed. "Changed" is a counter in Redis that every state-changing request bumps,
so all web processes drop their copies together; entries also expire after `max_age` seconds,
which bounds how stale a time-dependent page ("upcoming", "RSVPs closed") can get and covers
writes made elsewhere.

A request that carries the session cookie in any `Cookie` header is never served from here nor
kept: it may be personal. Nothing a visitor sends changes what is kept for a key but the key
itself (path, query, htmx headers); the page is the same whoever asked first.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections import OrderedDict
from email.utils import parsedate_to_datetime
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from events.auth import SESSION_COOKIE

log = logging.getLogger(__name__)

VERSION_KEY = "steady:data-version"
NEVER_CACHED = ("/static/", "/dev/", "/account", "/me/", "/healthz", "/outbox", "/unsubscribe")
VARY_ON = (b"hx-request", b"hx-boosted", b"hx-history-restore-request", b"hx-target")
SKIPPED_HEADERS = (b"content-length", b"x-page-cache", b"set-cookie")
# (stored at, status, headers without length and cookies, body)
Entry = tuple[float, int, list[tuple[bytes, bytes]], bytes]


MAX_BODY = 2 * 1024 * 1024
KEPT_TYPES = ("text/html", "text/calendar")


def _cacheable_path(path: str) -> bool:
    return not path.startswith(NEVER_CACHED) and not path.endswith((".csv", ".json"))


def _not_modified(entry_headers: MutableHeaders, request: dict[bytes, bytes]) -> bool:
    """The conditional-GET answer for a kept feed: If-None-Match first, else If-Modified-Since."""
    etag = entry_headers.get("etag")
    if_none_match = request.get(b"if-none-match")
    if if_none_match is not None:
        wanted = {t.strip().removeprefix("W/") for t in if_none_match.decode("latin-1").split(",")}
        return etag is not None and (etag.removeprefix("W/") in wanted or "*" in wanted)
    last_modified = entry_headers.get("last-modified")
    if_modified_since = request.get(b"if-modified-since")
    if last_modified and if_modified_since:
        try:
            since = parsedate_to_datetime(if_modified_since.decode("latin-1"))
            return parsedate_to_datetime(last_modified) <= since
        except (TypeError, ValueError):
            return False
    return False


def carries_session(scope: Scope) -> bool:
    """The session cookie's name anywhere in any Cookie header. Deliberately blunt: every
    header is read (a dict of headers keeps only the last, while the session layer merges them
    all), nothing is parsed that could disagree with the session layer's parsing, and a false
    alarm only costs that visitor a fresh render."""
    name = SESSION_COOKIE.encode()
    return any(
        key.lower() == b"cookie" and name in value.lower() for key, value in scope["headers"]
    )


async def _start_version(redis: Any) -> None:
    # A fresh Redis (restart, flush) starts from a random number, so pages kept under an old
    # count are never served again.
    await redis.set(VERSION_KEY, secrets.randbelow(2**62), nx=True)


async def bump_version(redis: Any) -> None:
    """Mark that data changed: every process stops serving what it kept."""
    await _start_version(redis)
    await redis.incr(VERSION_KEY)


class PageCache:
    def __init__(self, app: ASGIApp, max_entries: int = 512, max_age: float = 30.0) -> None:
        self.app = app
        self.max_entries = max_entries
        self.max_age = max_age
        self.entries: OrderedDict[tuple[Any, ...], Entry] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        redis = getattr(scope["app"].state, "redis", None)
        if scope["method"] not in ("GET", "HEAD"):
            try:
                await self.app(scope, receive, send)
            finally:
                await self._bump(redis)
            return
        headers = dict(scope["headers"])
        if redis is None or carries_session(scope) or not _cacheable_path(scope["path"]):
            await self.app(scope, receive, send)
            return
        try:
            version = await self._version(redis)
        except Exception as exc:  # noqa: BLE001 - no Redis, no cache: render as usual
            log.debug("page cache off: %s", exc)
            await self.app(scope, receive, send)
            return
        key = (version, scope["method"], scope["path"], scope["query_string"])
        key += tuple(headers.get(name) for name in VARY_ON)
        entry = self.entries.get(key)
        if entry is not None and time.time() - entry[0] < self.max_age:
            self.entries.move_to_end(key)
            await self._replay(entry, headers, send)
            return
        await self._render_and_keep(key, scope, receive, send)

    async def _version(self, redis: Any) -> bytes:
        version = await redis.get(VERSION_KEY)
        if version is None:
            await _start_version(redis)
            version = await redis.get(VERSION_KEY)
        return bytes(version or b"")

    async def _bump(self, redis: Any) -> None:
        if redis is None:
            return
        try:
            await bump_version(redis)
        except Exception as exc:  # noqa: BLE001 - entries still expire by age
            log.warning("page cache version not bumped: %s", exc)

    async def _replay(
        self,
        entry: Entry,
        request_headers: dict[bytes, bytes],
        send: Send,
    ) -> None:
        _, status, raw_headers, body = entry
        headers = MutableHeaders(raw=list(raw_headers))
        if headers.get("etag") and _not_modified(headers, request_headers):
            status, body = 304, b""
            del headers["content-type"]
        headers["content-length"] = str(len(body))
        headers["x-page-cache"] = "hit"
        await send({"type": "http.response.start", "status": status, "headers": headers.raw})
        await send({"type": "http.response.body", "body": body})

    async def _render_and_keep(
        self,
        key: tuple[Any, ...],
        scope: Scope,
        receive: Receive,
        send: Send,
    ) -> None:
        start: Message | None = None
        chunks: list[bytes] = []
        keep = True

        async def capture(message: Message) -> None:
            nonlocal start, keep
            if message["type"] == "http.response.start":
                # A copy: the layers outside (gzip) edit the message's header list in place.
                start = {**message, "headers": list(message["headers"])}
                headers = MutableHeaders(raw=message["headers"])
                keep = (
                    message["status"] == 200
                    and headers.get("content-type", "").startswith(KEPT_TYPES)
                    and "set-cookie" not in headers
                    and headers.get("cache-control", "public").startswith("public")
                )
                headers["x-page-cache"] = "miss"
            elif message["type"] == "http.response.body" and keep:
                chunks.append(message.get("body", b""))
                keep = sum(map(len, chunks)) <= MAX_BODY
                if not message.get("more_body", False) and start is not None:
                    self._keep(key, start, b"".join(chunks))
            await send(message)

        await self.app(scope, receive, capture)

    def _keep(self, key: tuple[Any, ...], start: Message, body: bytes) -> None:
        headers = [(k, v) for k, v in start["headers"] if k not in SKIPPED_HEADERS]
        self.entries[key] = (time.time(), start["status"], headers, body)
        self.entries.move_to_end(key)
        while len(self.entries) > self.max_entries:
            self.entries.popitem(last=False)
