"""Every route of the app, fuzzed (Hypothesis): hostile path parameters, query parameters and
form fields (huge and negative numbers, Unicode digits, CR/LF, NUL, year 1 and 9999 dates,
10 KB strings, mixed with real ids and slugs so the views get past their first lookup), sent
by an anonymous visitor and by a signed-in organizer. Whatever arrives, the answer is never a
5xx (an exception inside the app fails the test too: the ASGI transport re-raises it).

The route list is read from the app itself, so a new route is fuzzed without editing this file.
Bounded and derandomized: a few examples per route keep the whole file to tens of seconds."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.routing import Route

from events.forms.event import FIELDS
from events.routes import build_routes
from events.settings import get_settings
from events.tables import (
    Membership,
    Outbox,
    Report,
    Role,
    Rsvp,
    VolunteerRole,
    WelcomeNote,
)
from events.templating import TEMPLATES_DIR
from tests import helpers
from tests.helpers import TOKENS as tokens

FUZZ = settings(
    max_examples=3,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def app_routes(routes: list[Any]) -> list[tuple[str, str]]:
    """(path template, method) for every endpoint route; HEAD is GET without a body."""
    found = []
    for route in routes:
        if isinstance(route, Route):
            for method in sorted(route.methods or {"GET"}):
                if method != "HEAD":
                    found.append((route.path, method))
    return found


ROUTES = app_routes(build_routes(get_settings()))

HOSTILE = [
    "",
    " ",
    "0",
    "-1",
    "2147483647",
    "2147483648",
    "99999999999999999999999",
    "9" * 400,
    "99999999999999999999999.1.x",
    "2147483648-1-x",
    "1e309",
    "NaN",
    "²",
    "٣",
    "１２",
    "1_000",
    "+5",
    "a\rb",
    "a\nb",
    "x\r\nX-Injected: 1",
    "x\rx-wr-caldesc:call 555-0100",
    "\x00",
    "a\x00b",
    "\x1b[31m\x7f",
    "0001-01-01",
    "9999-12-31",
    "0001-01-01T00:00",
    "9999-12-31T23:59",
    "2026-02-30",
    "x" * 10_240,
    "é" * 5_000,
    "../../etc/passwd",
    "%00",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "on",
    "yes",
    "no",
    "member",
    "event",
    "weekly",
]
HUGE = "99999999999999999999999"
HOSTILE_PATH_INTS = ["0", "2147483647", "2147483648", HUGE, "9" * 400]
# The deterministic sweep: each value in every query parameter and form field at once.
SWEEP = [
    HUGE,
    "²",
    "0001-01-01",
    "9999-12-31T23:59",
    "a\rb\nc",
    "x" * 10_240,
    f"{HUGE}.1.x",
]
ACTIONS = ["promote", "step-down", "remove", "hide", "report"]


def template_field_names() -> list[str]:
    """Every form field name the pages use, plus what a form might not expect."""
    names = set()
    for path in Path(TEMPLATES_DIR).rglob("*.html"):
        names |= set(re.findall(r'\bname="([a-z_]+)"', path.read_text()))
    names |= set(FIELDS) | {"id", "member", "role", "is_admin", "taken", "status", "sequence"}
    return sorted(names - {"viewport", "csrftoken"})


FORM_NAMES = template_field_names()
QUERY_NAMES = sorted(
    {"from", "to", "club", "activity", "q", "kind", "token", "next", "page", "message"}
    | {"saved", "resolved", "retried", "calendar", "subject_kind", "subject_id", "id"}
)


@pytest.fixture
async def world() -> dict[str, Any]:
    org = await helpers.make_member("org@example.org", "Olive")
    mia = await helpers.make_member("mia@example.org", "Mia")
    newcomer = await helpers.make_member("new@example.org", "Newt")
    club = await helpers.make_club(organizer=org)
    other = await helpers.make_club(slug="other-club", name="Other")
    await Membership.insert(
        Membership(member=mia, club=club, role=Role.member.value),
        Membership(member=newcomer, club=club, role=Role.member.value),
    )
    event = await helpers.make_event(club, capacity=3, guests_allowed=2)
    other_event = await helpers.make_event(other, title="Elsewhere")
    rsvp = await Rsvp.insert(Rsvp(event=event, member=mia)).returning(Rsvp.id)
    await Rsvp.insert(Rsvp(event=event, member=newcomer, first_time=True))
    role = await VolunteerRole.insert(VolunteerRole(event=event, name="Greeter")).returning(
        VolunteerRole.id
    )
    outbox = await Outbox.insert(
        Outbox(kind="message", dedupe_key="fuzz", recipient=mia, club=club, state="failed")
    ).returning(Outbox.id)
    report = await Report.insert(
        Report(club=club, reporter=mia, subject_kind="event", subject_id=event)
    ).returning(Report.id)
    note = await WelcomeNote.insert(
        WelcomeNote(club=club, author=mia, newcomer=org, message="Welcome!")
    ).returning(WelcomeNote.id)
    ids = [org, mia, newcomer, event, other_event, rsvp[0]["id"], role[0]["id"]]
    ids += [outbox[0]["id"], report[0]["id"], note[0]["id"]]
    return {
        "org": org,
        # The row each int path parameter names, to get past the views' first lookup.
        "real": {
            "/events/{id": event,
            "/account/notes/{id": note[0]["id"],
            "/reports/{id": report[0]["id"],
            "{rsvp_id": rsvp[0]["id"],
            "{role_id": role[0]["id"],
            "{outbox_id": outbox[0]["id"],
            "{member_id": mia,
        },
        "ids": sorted({str(i) for i in ids}),
        "slugs": ["trail-club", "other-club"],
        "tokens": [
            tokens.feed_token(org, 1),
            tokens.make_link_token("unsubscribe", str(mia)),
        ],
    }


def real_value(template: str, match: re.Match[str], world: dict[str, Any]) -> str:
    """A value naming a real row or choice for the path parameter `match` of `template`."""
    name, convertor = match.group(1), match.group(2) or "str"
    if convertor == "int":
        before = template[: match.start() + len(name) + 1]
        # A route added later with another int parameter gets the organizer's id.
        found = (v for k, v in world["real"].items() if before.endswith(k))
        return str(next(found, world["org"]))
    if name == "slug":
        return "trail-club"
    if name == "action":
        return "hide" if template.startswith("/account/notes") else "promote"
    return str(world["tokens"][0] if "calendar" in template else world["tokens"][1])


def path_value(draw: Any, name: str, convertor: str, world: dict[str, Any]) -> str:
    real: list[str]
    if convertor == "int":
        real, hostile = world["ids"], HOSTILE_PATH_INTS
    elif name == "slug":
        real, hostile = world["slugs"], HOSTILE
    elif name == "action":
        real, hostile = ACTIONS, HOSTILE
    else:
        real, hostile = world["tokens"], HOSTILE
    return draw(st.one_of(st.sampled_from(real), st.sampled_from(hostile)))


PARAM = re.compile(r"{(\w+)(?::(\w+))?}")


def build_path(template: str, draw: Any, world: dict[str, Any]) -> str:
    def value(match: re.Match[str]) -> str:
        if draw(st.booleans()):
            return quote(real_value(template, match, world), safe="")
        text = path_value(draw, match.group(1), match.group(2) or "str", world)
        return quote(text, safe="")

    return PARAM.sub(value, template)


def values(world: dict[str, Any]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(HOSTILE),
        st.sampled_from([*world["ids"], *world["slugs"]]),
        st.text(max_size=30),
    )


async def send(
    client: httpx.AsyncClient, method: str, url: str, query: dict, form: dict, htmx: bool
) -> httpx.Response:
    # URLs stay under httpx's 64 KB limit (servers cut them much shorter); bodies don't.
    query = {k: v[:2048] for k, v in query.items()}
    if method == "GET":
        headers = {"HX-Request": "true"} if htmx else {}
        return await client.get(url, params=query, headers=headers)
    return await helpers.post(client, url, form, htmx=htmx, params=query)


def test_every_route_of_the_app_is_fuzzed(app: Starlette) -> None:
    assert set(app_routes(app.routes)) == set(ROUTES)


@pytest.mark.parametrize(("template", "method"), ROUTES, ids=[f"{m} {p}" for p, m in ROUTES])
@FUZZ
@given(data=st.data())
async def test_no_route_answers_5xx_to_hostile_input(
    client, other_client, world, template, method, data
):
    path = build_path(template, data.draw, world)
    query = data.draw(st.fixed_dictionaries({}, optional=dict.fromkeys(QUERY_NAMES, values(world))))
    form = data.draw(st.fixed_dictionaries({}, optional=dict.fromkeys(FORM_NAMES, values(world))))
    htmx = data.draw(st.booleans())
    await helpers.login(client, world["org"])
    other_client.cookies.clear()
    for who, browser in (("organizer", client), ("anonymous", other_client)):
        response = await send(browser, method, path, query, form, htmx)
        assert response.status_code < 500, (who, method, path[:200], query, form)


async def test_no_route_answers_5xx_to_each_hostile_value_everywhere(client, other_client, world):
    """Deterministic companion of the random test, over every route in one go: first huge ids
    in every int path parameter, then real path values with one hostile value in every query
    parameter and form field. Lists every route that failed."""
    failures = []
    for template, method in ROUTES:
        huge = PARAM.sub(
            lambda m, t=template: (
                HUGE if m.group(2) == "int" else quote(real_value(t, m, world), safe="")
            ),
            template,
        )
        real = PARAM.sub(lambda m, t=template: quote(real_value(t, m, world), safe=""), template)
        cases = [(huge, {}, {})] if huge != real else []
        cases += [
            (real, dict.fromkeys(QUERY_NAMES, v), dict.fromkeys(FORM_NAMES, v)) for v in SWEEP
        ]
        for path, query, form in cases:
            await helpers.login(client, world["org"])
            for who, browser in (("organizer", client), ("anonymous", other_client)):
                try:
                    status = (
                        await send(browser, method, path, query, form, htmx=False)
                    ).status_code
                except Exception as exc:  # noqa: BLE001 - the app raised: report it with the rest
                    status = f"{type(exc).__name__}: {exc}"
                if not isinstance(status, int) or status >= 500:
                    failures.append(f"{who} {method} {path[:80]} {str(form)[:60]}: {status}")
    assert not failures, "\n".join(failures)
