"""The app uses the settings `create_app` was given, and templates get only what they show."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from events import templating
from events.app import create_app
from events.settings import Settings, get_settings
from events.tables import Membership
from events.tokens import Tokens
from tests import helpers

OTHER_KEY = "another-secret-key-for-a-second-app-0123456789abcdef"


@pytest.fixture
async def other_app(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """A second app made with other settings, beside the test app (whose lifespan runs)."""
    settings = dataclasses.replace(
        get_settings(),
        base_url="https://steady.example.net",
        crisis_line="Call the Example Line 555-0100",
        secret_key=OTHER_KEY,
    )
    transport = httpx.ASGITransport(app=create_app(settings), client=("127.0.0.1", 50001))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


async def test_pages_show_the_settings_the_app_was_made_with(client, other_app):
    assert "Call the Example Line 555-0100" in (await other_app.get("/help")).text
    assert "Call the Example Line" not in (await client.get("/help")).text
    club = await helpers.make_club()
    page = (await other_app.get("/clubs/trail-club")).text
    assert "webcal://steady.example.net/clubs/trail-club/calendar.ics" in page
    member = await helpers.make_member()
    await Membership.insert(Membership(member=member, club=club))
    await helpers.login(other_app, member)
    account = (await other_app.get("/account")).text
    assert (
        f"https://steady.example.net/me/calendar/{Tokens(OTHER_KEY).feed_token(member, 1)}.ics"
        in account
    )


async def test_tokens_are_signed_with_the_apps_own_key(client, other_app):
    member = await helpers.make_member()
    mine, theirs = helpers.feed_token(member, 1), Tokens(OTHER_KEY).feed_token(member, 1)
    assert mine != theirs
    assert (await client.get(f"/me/calendar/{mine}.ics")).status_code == 200
    assert (await client.get(f"/me/calendar/{theirs}.ics")).status_code == 404
    assert (await other_app.get(f"/me/calendar/{theirs}.ics")).status_code == 200
    assert (await other_app.get(f"/me/calendar/{mine}.ics")).status_code == 404


def _values(value: Any, seen: set[int] | None = None) -> list[Any]:
    """`value` and everything reachable from it through containers and dataclasses."""
    seen = seen if seen is not None else set()
    if id(value) in seen:
        return []
    seen.add(id(value))
    found = [value]
    if isinstance(value, dict):
        for item in [*value.keys(), *value.values()]:
            found += _values(item, seen)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            found += _values(item, seen)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            found += _values(getattr(value, f.name), seen)
    return found


async def test_no_template_context_holds_the_settings_or_the_secret_key(client, monkeypatch):
    contexts: list[tuple[str, dict[str, Any]]] = []
    original = templating.templates.TemplateResponse

    def recording(request: Any, name: str, context: dict[str, Any], **kwargs: Any) -> Any:
        contexts.append((name, context))
        return original(request, name, context, **kwargs)

    monkeypatch.setattr(templating.templates, "TemplateResponse", recording)
    secret = get_settings().secret_key
    organizer = await helpers.make_member(email="org@example.org")
    club = await helpers.make_club(organizer=organizer)
    event = await helpers.make_event(club)
    paths = ["/", "/help", "/login", "/signup", "/clubs", "/clubs/trail-club", f"/events/{event}"]
    paths += ["/password/forgot", "/no/such/page", "/dev/mail"]
    signed_in = ["/account", "/account/settings", "/clubs/trail-club/team", "/outbox/failed"]
    signed_in += [f"/events/{event}/attendees", f"/events/{event}/edit", "/clubs/trail-club/edit"]
    for path in paths:
        assert secret not in (await client.get(path)).text
    await helpers.login(client, organizer)
    for path in signed_in:
        response = await client.get(path)
        assert response.status_code == 200, path
        assert secret not in response.text
    rendered = {name for name, _ in contexts}
    assert {"home.html", "help.html", "account.html", "event.html", "club.html"} <= rendered
    for name, context in contexts:
        for value in _values(context):
            assert not isinstance(value, Settings | Tokens), name
            assert not (isinstance(value, str) and secret in value), name
    for value in _values(dict(templating.templates.env.globals)):
        assert not isinstance(value, Settings | Tokens)
        assert not (isinstance(value, str) and secret in value)
