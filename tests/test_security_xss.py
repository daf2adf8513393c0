"""Stored XSS probes: payloads typed into every text field through the real forms (sign-up,
club, event, role, welcome note, organizer message, cancel reason, report), then every page
that shows them is fetched as organizer, member and visitor and parsed: no <script> from user
data, no on* attribute, no javascript:/data: link, no <img>. CSV, feeds and mail stay inert."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from bs4 import BeautifulSoup

from events import markdown
from events.mail_transport import DevMailbox
from events.tables import Event, Outbox
from events.timefmt import utcnow
from tests import helpers
from tests.helpers import PASSWORD, feed_token, post
from workers.tasks import send_outbox

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
ATTR = "' onmouseover='alert(1)"
TEXT = f"Z{SCRIPT}{IMG}"  # 56 characters: fits every field, display names included
MD = (
    f"{SCRIPT}\n\n{IMG}\n\n[click](javascript:alert(1)) [x](JaVaScRiPt:alert(1)) "
    '[y](java&#x09;script:alert(1)) <a href="javascript:alert(1)">raw</a> '
    '![pixel](https://tracker.example/p.gif) <img src="https://tracker.example/p.gif"> '
    '<div hx-get="/account/delete" hx-trigger="load">x</div> <svg onload=alert(1)>'
    "<style>*{display:none}</style> <iframe src=https://evil.example></iframe>"
    f"\n\n{ATTR}"
)
ICON = re.compile(r"^#i-[a-z]+$")
BAD_SCHEMES = ("javascript:", "data:", "vbscript:")
URL_ATTRS = ("href", "src", "action", "formaction", "xlink:href", "hx-get", "hx-post")


def ours(tag: Any) -> bool:
    """The site's own icons: the sprite of templates/_icons.svg, or an <svg> holding only a
    <use> of one of its symbols (never anything from user data)."""
    if tag.name != "svg":
        return False
    if tag.get("class") == ["sprite"] and tag.find_parent("body") is not None:
        return all(child.name == "symbol" for child in tag.find_all(recursive=False))
    children = tag.find_all(True)
    return len(children) == 1 and children[0].name == "use" and ICON.match(children[0]["href"])


def assert_inert(html: str, where: str) -> None:
    soup = BeautifulSoup(html, "html.parser")
    for svg in soup.find_all("svg"):
        if ours(svg):
            svg.decompose()
    for script in soup.find_all("script"):
        assert script.get("src", "").startswith("/static/"), f"{where}: foreign <script>"
        assert not (script.string or "").strip(), f"{where}: inline script"
    for tag in soup.find_all(True):
        assert tag.name not in ("img", "iframe", "svg", "style", "object", "embed"), (
            f"{where}: <{tag.name}> from user data"
        )
        for name, value in tag.attrs.items():
            assert not name.lower().startswith("on"), f"{where}: {name}= on <{tag.name}>"
            text = " ".join(value) if isinstance(value, list) else str(value)
            if name.lower() in URL_ATTRS:
                squeezed = re.sub(r"[\x00-\x20]", "", text).lower()
                assert not squeezed.startswith(BAD_SCHEMES), f"{where}: {name}={text!r}"
            if name.lower().startswith("hx-") and name.lower() not in ("hx-headers",):
                assert "/account/delete" not in text, f"{where}: planted htmx attribute"
    assert SCRIPT not in html and "<img src=x" not in html, f"{where}: raw payload"


def assert_shows_escaped(html: str, where: str) -> None:
    """The payload is on the page, as text (so the probe is not vacuous)."""
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, f"{where}: payload not shown"


async def signup(client: httpx.AsyncClient, email: str, name: str) -> int:
    response = await post(
        client, "/signup", {"email": email, "display_name": name, "password": PASSWORD}
    )
    assert response.status_code == 303
    row = (
        await Outbox.select(Outbox.recipient, Outbox.payload)
        .where(Outbox.kind == "signup_confirm")
        .order_by(Outbox.id, ascending=False)
        .first()
    )
    payload = row["payload"] if isinstance(row["payload"], dict) else json.loads(row["payload"])
    assert (await post(client, "/signup/confirm", {"token": payload["token"]})).status_code == 303
    return int(row["recipient"])


def event_form(**fields: str) -> dict[str, str]:
    day = (utcnow() + timedelta(days=5)).date().isoformat()
    return {
        "title": TEXT,
        "activity": "hiking",
        "starts_at": f"{day}T09:00",
        "ends_at": f"{day}T11:00",
        "location": TEXT,
        "location_hint": TEXT,
        "online_url": f"https://evil.example/{SCRIPT}",
        "description": MD,
        "attestation": TEXT,
        "repeat": "none",
        "guests_allowed": "0",
        **fields,
    }


async def test_stored_payloads_are_inert_on_every_page(client, other_client, app):
    await signup(client, "org@example.org", TEXT)
    created = await post(
        client,
        "/clubs/new",
        {
            "name": TEXT,
            "slug": "xss-club",
            "kind": "activity",
            "activities": "hiking",
            "description": MD,
            "timezone": "UTC",
            "welcome_message": MD,
        },
    )
    assert created.status_code == 303
    first = await post(client, "/clubs/xss-club/events/new", event_form())
    assert first.status_code == 303, first.text[:300]
    event = int(first.headers["location"].rsplit("/", 1)[1])
    hidden = await post(
        client, "/clubs/xss-club/events/new", event_form(details_for_attendees_only="on")
    )
    hidden_event = int(hidden.headers["location"].rsplit("/", 1)[1])
    assert await Event.count() == 2
    bad_link = await post(
        client, "/clubs/xss-club/events/new", event_form(online_url="javascript:alert(1)")
    )
    assert bad_link.status_code == 422 and await Event.count() == 2
    assert (
        await post(client, f"/events/{event}/roles", {"name": TEXT[:60], "spots": "2"})
    ).status_code == 303

    # A member with a hostile name joins, answers, takes the role, reports the event.
    member = await signup(other_client, "m@example.org", f"M{IMG}{ATTR}"[:60])
    formula = await helpers.make_member("f@example.org", '=HYPERLINK("https://evil.example")')
    assert (await post(other_client, "/clubs/xss-club/join")).status_code == 303
    await post(other_client, "/account/settings", {"default_visibility": "name"})
    rsvp = await post(other_client, f"/events/{event}/rsvp", {"response": "yes", "attest": "on"})
    assert rsvp.status_code == 303
    fragment = await post(
        other_client, f"/events/{event}/rsvp", {"response": "yes", "attest": "on"}, htmx=True
    )
    assert_inert(fragment.text, "RSVP fragment")
    await post(other_client, f"/events/{hidden_event}/rsvp", {"response": "yes", "attest": "on"})
    helpers_client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("127.0.0.9", 1)), base_url="http://t"
    )
    async with helpers_client:
        await helpers.login(helpers_client, formula)
        await post(helpers_client, f"/events/{event}/rsvp", {"response": "yes", "attest": "on"})
    role_id = (await client.get(f"/events/{event}")).text.split("/roles/")[1].split("/")[0]
    await post(other_client, f"/events/{event}/roles/{role_id}/take")
    await post(
        other_client,
        "/clubs/xss-club/report",
        {"subject_kind": "event", "subject_id": event, "reason": MD},
    )
    # The organizer welcomes the newcomer, messages everyone going, cancels one event.
    club_page = BeautifulSoup((await client.get("/clubs/xss-club")).text, "html.parser")
    ref = club_page.select_one("input[name=newcomer]")["value"]
    note = await post(client, "/clubs/xss-club/welcome", {"newcomer": ref, "message": MD})
    assert note.status_code == 303
    message = await post(client, f"/events/{event}/message", {"subject": TEXT, "body": MD})
    assert message.status_code == 303
    cancel = await post(client, f"/events/{hidden_event}/cancel", {"reason": TEXT})
    assert cancel.status_code == 303
    for row in await Outbox.select(Outbox.id).where(Outbox.state == "pending"):
        await send_outbox({"mailer": DevMailbox()}, row["id"])

    organizer_pages = [
        "/",
        f"/events/{event}",
        f"/events/{hidden_event}",
        "/clubs",
        "/clubs/xss-club",
        "/clubs/xss-club/team",
        "/clubs/xss-club/reports",
        f"/events/{event}/attendees",
        "/account",
        "/clubs/xss-club/edit",
        f"/events/{event}/edit",
        "/dev/mail",
        "/outbox/failed",
        "/?q=Z",
        "/clubs?activity=hiking",
    ]
    member_pages = [
        "/",
        f"/events/{event}",
        f"/events/{hidden_event}",
        "/clubs/xss-club",
        "/account",
        "/account/settings",
    ]
    for url in organizer_pages:
        response = await client.get(url)
        assert response.status_code == 200, url
        assert_inert(response.text, f"organizer {url}")
    for url in member_pages:
        response = await other_client.get(url)
        assert response.status_code == 200, url
        assert_inert(response.text, f"member {url}")
    for url in ("/", f"/events/{event}", "/clubs/xss-club", "/account"):
        assert_shows_escaped((await client.get(url)).text, url)
    notes = (await other_client.get("/account")).text
    assert "&lt;script&gt;" in notes, "the welcome note and message are shown, escaped"
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as visitor:
        for url in (
            "/",
            f"/events/{event}",
            f"/events/{hidden_event}",
            "/clubs",
            "/clubs/xss-club",
            "/help",
            "/login?next=/%22%3E%3Cscript%3E",
        ):
            response = await visitor.get(url)
            assert_inert(response.text, f"visitor {url}")

    # Non-HTML outputs: never served as HTML, formulas neutralised, no injected lines.
    csv = await client.get(f"/events/{event}/attendees.csv")
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.headers["x-content-type-options"] == "nosniff"
    assert "'=HYPERLINK" in csv.text and "\n=HYPERLINK" not in csv.text
    feeds = [
        "/calendar.ics",
        "/clubs/xss-club/calendar.ics",
        f"/events/{event}.ics",
        f"/me/calendar/{feed_token(member, 1)}.ics",
    ]
    for url in feeds:
        response = await other_client.get(url)
        assert response.headers["content-type"].startswith("text/calendar"), url
        assert response.headers["x-content-type-options"] == "nosniff"
        lines = response.text.split("\r\n")
        assert not any(line.startswith(("ATTENDEE", "ORGANIZER:mailto:m@")) for line in lines)


@pytest.mark.parametrize(
    "source",
    [
        MD,
        "[a](javascript&colon;alert(1))",
        "[a](&#106;avascript:alert(1))",
        "<a href='javascript:alert(1)'>x</a>",
        "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
        "<form action=https://evil.example><button>go</button></form>",
        "[a](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "<<script>script>alert(1)<</script>/script>",
        "`<script>alert(1)</script>`",
        '[x](https://ok.example "title" onmouseover=alert(1))',
    ],
)
def test_markdown_output_is_inert(source: str) -> None:
    html = markdown.render_markdown(source)
    assert_inert(f"<div>{html}</div>", source[:30])
    soup = BeautifulSoup(html, "html.parser")
    for link in soup.find_all("a"):
        # As a browser parses it: tabs and newlines dropped, then the scheme (if any).
        scheme = urlsplit(re.sub(r"[\t\n\r]", "", link["href"].strip())).scheme.lower()
        assert scheme in ("", "http", "https", "mailto"), link["href"]
        assert "noopener" in link.get("rel", [])
