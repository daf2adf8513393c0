"""The page cache answers repeat anonymous visits without work (304s, stored gzip, no Redis),
drops only the pages a change shows, and renders a page once however many ask at once."""

from __future__ import annotations

import asyncio
import gzip
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import time_machine

from events.views import pages
from tests import helpers
from tests.helpers import post, wait_for


async def two_clubs() -> dict[str, Any]:
    a = await helpers.make_club(slug="trail-club", name="Trail Club")
    b = await helpers.make_club(slug="lake-club", name="Lake Club")
    return {
        "a1": await helpers.make_event(a, title="Ridge walk", capacity=5),
        "a2": await helpers.make_event(a, title="Creek walk", capacity=5),
        "b1": await helpers.make_event(b, title="Shore walk", capacity=5),
    }


def page_paths(ev: dict[str, Any]) -> dict[str, str]:
    return {
        "event a1": f"/events/{ev['a1']}",
        "event a2": f"/events/{ev['a2']}",
        "event b1": f"/events/{ev['b1']}",
        "club a": "/clubs/trail-club",
        "club b": "/clubs/lake-club",
        "home": "/",
        "directory": "/clubs?q=trail",
        "site feed": "/calendar.ics",
        "club a feed": "/clubs/trail-club/calendar.ics",
        "help": "/help",
        "login": "/login",
    }


async def cache_states(client: httpx.AsyncClient, paths: dict[str, str]) -> dict[str, str]:
    states = {}
    for name, path in paths.items():
        response = await client.get(path)
        assert response.status_code == 200, path
        states[name] = response.headers["x-page-cache"]
    return states


async def test_a_kept_page_answers_a_conditional_get_with_304(client, other_client):
    ev = await two_clubs()
    for path in (f"/events/{ev['a1']}", "/clubs/trail-club", "/help", "/calendar.ics"):
        first = await client.get(path, headers={"accept-encoding": "identity"})
        etag = first.headers["etag"]
        assert etag.startswith('"'), "a strong validator"
        again = await other_client.get(
            path, headers={"if-none-match": etag, "accept-encoding": "identity"}
        )
        assert again.status_code == 304, path
        assert again.content == b""
        assert again.headers["etag"] == etag
        assert again.headers["x-page-cache"] == "hit"
        listed = await other_client.get(path, headers={"if-none-match": f'"nope", W/{etag}'})
        assert listed.status_code == 304, "weak comparison, any tag of the list"
        stale = await other_client.get(path, headers={"if-none-match": '"something-else"'})
        assert stale.status_code == 200 and stale.content == first.content


async def test_gzip_and_identity_copies_are_the_same_page(client, other_client):
    ev = await two_clubs()
    path = f"/events/{ev['a1']}"
    zipped = await client.get(path, headers={"accept-encoding": "gzip"})  # the miss
    plain = await other_client.get(path, headers={"accept-encoding": "identity"})  # a hit
    zipped_hit = await other_client.get(path, headers={"accept-encoding": "gzip, br"})
    assert zipped.headers["x-page-cache"] == "miss"
    assert plain.headers["x-page-cache"] == zipped_hit.headers["x-page-cache"] == "hit"
    assert zipped.headers["content-encoding"] == zipped_hit.headers["content-encoding"] == "gzip"
    assert "content-encoding" not in plain.headers
    # httpx has already decompressed: the same page either way, compressed once.
    assert zipped.content == plain.content == zipped_hit.content
    assert int(zipped_hit.headers["content-length"]) < len(plain.content) / 2
    assert int(plain.headers["content-length"]) == len(plain.content)
    vary = {v.strip().lower() for v in plain.headers["vary"].split(",")}
    assert {"accept-encoding", "hx-request", "hx-boosted", "hx-target"} <= vary
    assert zipped.headers["vary"] == plain.headers["vary"]
    # Different representations, different strong tags; either revalidates.
    assert zipped.headers["etag"] != plain.headers["etag"]
    for etag in (zipped.headers["etag"], plain.headers["etag"]):
        again = await other_client.get(path, headers={"if-none-match": etag})
        assert again.status_code == 304
    # The security headers are part of what is kept.
    assert "frame-ancestors 'none'" in zipped_hit.headers["content-security-policy"]
    assert plain.headers["x-frame-options"] == "DENY"


async def test_a_gzip_copy_decompresses_to_the_identity_bytes(app):
    ev = await two_clubs()
    path = f"/events/{ev['a1']}"
    transport = httpx.ASGITransport(app=app, client=("127.0.0.3", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        plain = await c.get(path, headers={"accept-encoding": "identity"})
        async with c.stream("GET", path, headers={"accept-encoding": "gzip"}) as zipped:
            raw = b"".join([chunk async for chunk in zipped.aiter_raw()])
    assert zipped.headers["content-encoding"] == "gzip"
    assert gzip.decompress(raw) == plain.content


async def test_a_hit_makes_no_redis_call(app, client, other_client, monkeypatch):
    ev = await two_clubs()
    paths = [f"/events/{ev['a1']}", "/", "/clubs/trail-club", "/calendar.ics"]
    for path in paths:
        await client.get(path)
    commands: list[Any] = []
    redis = app.state.redis
    execute = redis.execute_command

    async def counting(*args: Any, **kwargs: Any) -> Any:
        commands.append(args[0])
        return await execute(*args, **kwargs)

    monkeypatch.setattr(redis, "execute_command", counting)
    etags = []
    for path in paths:
        response = await other_client.get(path)
        assert response.headers["x-page-cache"] == "hit"
        etags.append(response.headers.get("etag", ""))
    assert commands == []
    for path, etag in zip(paths, etags, strict=True):
        assert (await other_client.get(path, headers={"if-none-match": etag})).status_code == 304
    assert commands == []


async def test_an_rsvp_drops_only_the_pages_that_show_it(client, other_client):
    ev = await two_clubs()
    paths = page_paths(ev)
    await cache_states(other_client, paths)
    assert set((await cache_states(other_client, paths)).values()) == {"hit"}
    await helpers.login(client, await helpers.make_member())
    response = await post(client, f"/events/{ev['a1']}/rsvp", {"response": "yes"})
    assert response.status_code == 303
    assert await cache_states(other_client, paths) == {
        "event a1": "miss",
        "event a2": "hit",
        "event b1": "hit",
        "club a": "miss",
        "club b": "hit",
        "home": "miss",
        "directory": "miss",
        "site feed": "miss",
        "club a feed": "miss",
        "help": "hit",
        "login": "hit",
    }
    assert "1 going" in (await other_client.get(paths["event a1"])).text


async def test_a_write_that_changed_nothing_drops_nothing(client, other_client):
    ev = await two_clubs()
    paths = page_paths(ev)
    await cache_states(other_client, paths)
    await helpers.make_member(email="riley@example.org")
    failed = await post(client, "/login", {"email": "riley@example.org", "password": "wrong"})
    assert failed.status_code == 422
    await helpers.login(client, await helpers.make_member(email="sam@example.org"))
    refused = await post(client, f"/events/{ev['a1']}/rsvp", {"response": "maybe"})
    assert refused.status_code == 422
    missing = await post(client, "/events/999999/rsvp", {"response": "yes"})
    assert missing.status_code == 404
    assert set((await cache_states(other_client, paths)).values()) == {"hit"}


async def test_a_write_that_says_nothing_of_what_it_changed_drops_everything(client, other_client):
    # When in doubt the cache drops more: joining a club reports no scope.
    ev = await two_clubs()
    paths = page_paths(ev)
    await cache_states(other_client, paths)
    await helpers.login(client, await helpers.make_member())
    assert (await post(client, "/clubs/lake-club/join", {})).status_code == 303
    assert set((await cache_states(other_client, paths)).values()) == {"miss"}


async def test_concurrent_misses_of_one_page_render_it_once(app, monkeypatch):
    ev = await two_clubs()
    renders = 0
    gate = asyncio.Event()
    event_context = pages.event_context

    async def counted(*args: Any, **kwargs: Any) -> Any:
        nonlocal renders
        renders += 1
        await gate.wait()
        return await event_context(*args, **kwargs)

    monkeypatch.setattr(pages, "event_context", counted)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.4", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        visits = [asyncio.create_task(c.get(f"/events/{ev['a1']}")) for _ in range(12)]
        await wait_for(lambda: renders >= 1)
        # Give the other visitors time to arrive while the first render is held up; any who
        # arrive later find the page kept.
        with pytest.raises(AssertionError):
            await wait_for(lambda: renders > 1, seconds=0.3)
        gate.set()
        responses = await asyncio.gather(*visits)
    assert renders == 1
    assert {r.status_code for r in responses} == {200}
    assert len({r.content for r in responses}) == 1
    assert sorted(r.headers["x-page-cache"] for r in responses) == ["hit"] * 11 + ["miss"]


async def test_another_web_process_drops_the_page_when_it_hears_of_the_rsvp(client, live_server):
    ev = await two_clubs()
    paths = page_paths(ev)
    async with httpx.AsyncClient(base_url=live_server) as other_process:
        # The builders' announcement reaches that process asynchronously: wait until it
        # keeps the page again.
        for _ in range(50):
            states = await cache_states(other_process, paths)
            if set(states.values()) == {"hit"}:
                break
        assert set(states.values()) == {"hit"}
        await helpers.login(client, await helpers.make_member())
        response = await post(client, f"/events/{ev['a1']}/rsvp", {"response": "yes"})
        assert response.status_code == 303
        seen_at = asyncio.get_running_loop().time()
        while (await other_process.get(paths["event a1"])).headers["x-page-cache"] == "hit":
            # Pub/sub delivers in milliseconds; a second allows for a busy machine.
            assert asyncio.get_running_loop().time() - seen_at < 1.0, "not heard within 1 s"
        page = await other_process.get(paths["event a1"])
        assert "1 going" in page.text
        states = await cache_states(other_process, paths)
        assert states["help"] == states["club b"] == states["event b1"] == "hit"


async def test_a_kept_page_is_rendered_again_after_its_max_age(client, other_client):
    # What time alone changes ("upcoming", "RSVPs closed") is at most max_age seconds stale.
    ev = await two_clubs()
    path = f"/events/{ev['a1']}"
    await client.get(path)
    assert (await other_client.get(path)).headers["x-page-cache"] == "hit"
    with time_machine.travel(datetime.now(UTC) + timedelta(seconds=31)):
        assert (await other_client.get(path)).headers["x-page-cache"] == "miss"


async def test_kept_pages_stay_within_the_memory_bound(app, client, monkeypatch):
    # Every new query string is a new entry: the oldest go once the bytes are over the bound.
    ev = await two_clubs()
    store = app.state.page_store
    first = await client.get(f"/events/{ev['a1']}?v=1", headers={"accept-encoding": "gzip"})
    one_page = store.size
    assert one_page > len(first.content)  # identity and gzip copies
    monkeypatch.setattr(store, "max_bytes", one_page * 2 + one_page // 2)
    for v in range(2, 6):
        await client.get(f"/events/{ev['a1']}?v={v}")
    assert store.size <= store.max_bytes and len(store.entries) == 2
    assert (await client.get(f"/events/{ev['a1']}?v=5")).headers["x-page-cache"] == "hit"
    assert (await client.get(f"/events/{ev['a1']}?v=1")).headers["x-page-cache"] == "miss"


async def test_a_render_that_raced_a_change_is_not_kept(app, client, monkeypatch):
    ev = await two_clubs()
    path = f"/events/{ev['a1']}"
    gate, read = asyncio.Event(), asyncio.Event()
    event_context = pages.event_context

    async def read_then_wait(*args: Any, **kwargs: Any) -> Any:
        context = await event_context(*args, **kwargs)
        read.set()
        await gate.wait()  # the RSVP lands between this page's reads and its storing
        return context

    monkeypatch.setattr(pages, "event_context", read_then_wait)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.5", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as visitor:
        slow = asyncio.create_task(visitor.get(path))
        await asyncio.wait_for(read.wait(), 5)
        monkeypatch.setattr(pages, "event_context", event_context)
        await helpers.login(client, await helpers.make_member())
        assert (await post(client, f"{path}/rsvp", {"response": "yes"})).status_code == 303
        gate.set()
        assert "0 going" in (await slow).text  # what it read before the change
        after = await visitor.get(path)
    assert after.headers["x-page-cache"] == "miss"
    assert "1 going" in after.text


async def test_a_head_request_is_answered_from_the_kept_page(client, other_client):
    ev = await two_clubs()
    page = await client.get(f"/events/{ev['a1']}", headers={"accept-encoding": "identity"})
    head = await other_client.head(f"/events/{ev['a1']}", headers={"accept-encoding": "identity"})
    assert head.status_code == 200 and head.content == b""
    assert head.headers["x-page-cache"] == "hit"
    assert head.headers["etag"] == page.headers["etag"]
    assert int(head.headers["content-length"]) == len(page.content)
