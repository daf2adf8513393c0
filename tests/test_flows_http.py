"""Flows that keep their place and say what happened (#14): flash messages (shown once, never
cached for anyone else), `next` through log in → sign up → mailed link → confirm (local paths
only), "Check your email" with a rate-limited resend, the cancelled state, "What to expect",
and the organizer's paths (post an event, confirm a cancellation)."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from bs4 import BeautifulSoup

from events import flash
from events.services import accounts
from events.tables import Event, Member, Membership, Outbox
from events.timefmt import to_local, utcnow
from tests import helpers


def soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def flash_text(html: str) -> str | None:
    found = soup(html).select_one("main > .flash[role=status] .flash-text")
    return found.get_text(" ", strip=True) if found else None


def payload_of(row: dict) -> dict:
    value = row["payload"]
    return value if isinstance(value, dict) else json.loads(value)


def event_form(day: str, **fields: str) -> dict[str, str]:
    return {
        "title": "Sunrise walk",
        "activity": "walking",
        "starts_at": f"{day}T07:00",
        "ends_at": f"{day}T08:30",
        "location": "Chautauqua Park, Boulder",
        "repeat": "none",
        **fields,
    }


def a_day_ahead(days: int = 5) -> str:
    return to_local(utcnow() + timedelta(days=days), "America/Denver").date().isoformat()


# ---------------------------------------------------------------- flash messages


async def test_flash_shows_once_and_a_cached_page_never_carries_it(client, other_client):
    # A stranger's visit keeps /help in the page cache.
    first = await other_client.get("/help")
    again = await other_client.get("/help")
    assert again.headers["x-page-cache"] == "hit"

    body = base64.urlsafe_b64encode(b"Saved: you're all set.").decode().rstrip("=")
    client.cookies.set(flash.FLASH_COOKIE, helpers.TOKENS.make_link_token(flash.PURPOSE, body))
    shown = await client.get("/help")
    assert "x-page-cache" not in shown.headers  # not served from the cache
    assert flash_text(shown.text) == "Saved: you're all set."
    assert shown.headers["cache-control"] == "no-store"
    assert f'{flash.FLASH_COOKIE}=""' in shown.headers["set-cookie"]  # forgotten at once
    client.cookies.delete(flash.FLASH_COOKIE)

    # Nobody else ever gets it, from the cache or fresh.
    for response in (await other_client.get("/help"), await client.get("/help")):
        assert flash_text(response.text) is None
    assert flash_text(first.text) is None


async def test_forged_flash_cookie_shows_nothing(client):
    client.cookies.set(flash.FLASH_COOKIE, "PHNjcmlwdD4.1700000000.forged")
    page = await client.get("/help")
    assert page.status_code == 200 and flash_text(page.text) is None


async def test_each_organizer_step_says_what_happened(client):
    organizer = await helpers.make_member("org@example.org", "Olu")
    await helpers.login(client, organizer)

    created = await helpers.post(
        client,
        "/clubs/new",
        {"name": "Dawn Walkers", "kind": "activity", "timezone": "America/Denver"},
    )
    assert created.status_code == 303 and created.headers["location"] == "/clubs/dawn-walkers"
    club_page = await client.get("/clubs/dawn-walkers")
    assert "Your club is ready" in flash_text(club_page.text)
    post_link = soup(club_page.text).find("a", string="Post an event")
    assert post_link["href"] == "/clubs/dawn-walkers/events/new"
    account = soup((await client.get("/account")).text)
    assert account.find("a", href="/clubs/dawn-walkers/events/new") is not None

    posted = await helpers.post(client, "/clubs/dawn-walkers/events/new", event_form(a_day_ahead()))
    assert posted.status_code == 303
    event_url = posted.headers["location"]
    assert flash_text((await client.get(event_url)).text) == "Your event is posted."
    assert flash_text((await client.get(event_url)).text) is None  # once only

    saved = await helpers.post(
        client,
        "/clubs/dawn-walkers/edit",
        {"name": "Dawn Walkers", "kind": "activity", "timezone": "America/Denver"},
    )
    assert saved.status_code == 303
    assert flash_text((await client.get("/clubs/dawn-walkers")).text) == "Club settings saved."


async def test_members_do_not_see_post_an_event(client):
    organizer = await helpers.make_member("org@example.org", "Olu")
    await helpers.make_club(organizer=organizer)
    member = await helpers.make_member()
    await helpers.login(client, member)
    await helpers.post(client, "/clubs/trail-club/join", {"greet": "no"})
    page = await client.get("/clubs/trail-club")
    assert "Welcome to Trail Club!" in flash_text(page.text)
    assert "/clubs/trail-club/events/new" not in page.text
    assert "/clubs/trail-club/events/new" not in (await client.get("/account")).text


# ---------------------------------------------------------------- the way back


async def test_next_is_carried_from_log_in_through_the_mailed_link_to_the_event(client):
    club = await helpers.make_club()
    event = await helpers.make_event(club, "Saturday hike")
    login = soup((await client.get(f"/login?next=/events/{event}")).text)
    assert "Saturday hike" in login.h1.get_text()
    signup_link = login.find("a", string="Create an account")["href"]
    assert signup_link == f"/signup?next=/events/{event}"

    signup = soup((await client.get(signup_link)).text)
    assert signup.find("input", attrs={"name": "next"})["value"] == f"/events/{event}"
    assert "Saturday hike" in signup.get_text()
    sent = await helpers.post(
        client,
        "/signup",
        {
            "display_name": "Jordan",
            "email": "jordan@example.org",
            "password": "a long enough password",
            "next": f"/events/{event}",
        },
    )
    assert sent.status_code == 303 and sent.headers["location"] == "/signup/sent"
    check = await client.get("/signup/sent")
    assert "jordan@example.org" in check.text  # the address, shown to this browser only
    assert check.headers["cache-control"] == "no-store"
    row = await Outbox.select(Outbox.payload).where(Outbox.kind == "signup_confirm").first()
    payload = payload_of(row)
    assert payload["next"] == f"/events/{event}"

    confirm = soup(
        (await client.get(f"/signup/confirm?token={payload['token']}&next=/events/{event}")).text
    )
    assert confirm.find("input", attrs={"name": "next"})["value"] == f"/events/{event}"
    done = await helpers.post(
        client, "/signup/confirm", {"token": payload["token"], "next": f"/events/{event}"}
    )
    assert done.status_code == 303 and done.headers["location"] == f"/events/{event}"
    landed = await client.get(f"/events/{event}")
    assert flash_text(landed.text) == "Welcome — you're signed in."
    assert soup(landed.text).find("button", string="I'm going") is not None


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/phish",
        "https://evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
        "/%5C%5Cevil.example",
        "\\\\evil.example",
    ],
)
async def test_next_never_leads_off_the_site(client, target):
    member = await helpers.make_member()
    login = await helpers.post(
        client,
        "/login",
        {"email": "member@example.org", "password": helpers.PASSWORD, "next": target},
    )
    assert login.status_code == 303
    # Off-site targets fall back to the home page; an encoded backslash stays a local path.
    assert login.headers["location"] in ("/", "/%5C%5Cevil.example")

    form = soup((await client.get("/signup", params={"next": target})).text)
    hidden = form.find("input", attrs={"name": "next"})
    assert hidden is None or (hidden["value"].startswith("/") and "//" not in hidden["value"])

    await Member.update({Member.email_confirmed: False}).where(Member.id == member)
    link = accounts.confirm_token(
        helpers.TOKENS, member, (await Member.select(Member.password_hash).first())["password_hash"]
    )
    client.cookies.clear()
    done = await helpers.post(client, "/signup/confirm", {"token": link, "next": target})
    assert done.status_code == 303
    assert done.headers["location"] in ("/account", "/%5C%5Cevil.example")


async def test_resend_answers_alike_and_is_rate_limited(client, other_client):
    await helpers.make_member("taken@example.org", "Already Here")
    pages = []
    # Early in an hour, so the shifts below never cross into the next rate-limit window.
    clock = time_machine.travel(utcnow().replace(minute=5, second=0, microsecond=0), tick=False)
    traveller = clock.start()
    for browser, email in ((client, "fresh@example.org"), (other_client, "taken@example.org")):
        await helpers.post(
            browser,
            "/signup",
            {"display_name": "Sky", "email": email, "password": "a long enough password"},
        )
        traveller.shift(2)  # a resend in the same second as the first mail is that mail
        resent = await helpers.post(browser, "/signup/resend")
        assert resent.status_code == 303 and resent.headers["location"] == "/signup/sent"
        page = await browser.get("/signup/sent")
        pages.append(
            soup(page.text).select_one("main").get_text(" ", strip=True).replace(email, "@")
        )
    assert pages[0] == pages[1]  # whether or not the address had an account
    kinds = [r["kind"] for r in await Outbox.select(Outbox.kind).order_by(Outbox.id)]
    assert kinds == ["signup_confirm", "signup_confirm", "signup_existing", "signup_existing"]

    # Two more for the same address are allowed, then the limit answers 429.
    for _ in range(2):
        traveller.shift(2)
        assert (await helpers.post(client, "/signup/resend")).status_code == 303
    traveller.shift(2)
    limited = await helpers.post(client, "/signup/resend")
    clock.stop()
    assert limited.status_code == 429
    assert "sent several links already" in limited.text
    assert await Outbox.count().where(Outbox.kind == "signup_confirm") == 4

    # Without the sign-up cookie there is nothing to resend.
    client.cookies.clear()
    bare = await helpers.post(client, "/signup/resend")
    assert bare.status_code == 303 and bare.headers["location"] == "/signup"


# ---------------------------------------------------------------- event page


async def test_cancelled_event_is_one_clear_state(client, other_client):
    organizer = await helpers.make_member("org@example.org", "Olu")
    club = await helpers.make_club(organizer=organizer)
    event = await helpers.make_event(club, "Lake loop", capacity=2)
    member = await helpers.make_member()
    await helpers.login(client, member)
    await helpers.post(client, f"/events/{event}/rsvp", {"response": "yes"})

    await helpers.login(other_client, organizer)
    confirm = await other_client.get(f"/events/{event}/cancel?reason=See+you+next+week!")
    assert confirm.status_code == 200
    page = soup(confirm.text)
    assert page.h1.get_text() == "Cancel this event?"
    assert page.find("input", attrs={"name": "reason"})["value"] == "See you next week!"
    assert page.find("button", string="Yes, cancel the event") is not None
    assert (await Event.select(Event.status).first())["status"] == "scheduled"  # GET did nothing

    done = await helpers.post(
        other_client, f"/events/{event}/cancel", {"reason": "See you next week!"}
    )
    assert done.status_code == 303
    after = await other_client.get(f"/events/{event}")
    assert "The event is cancelled." in flash_text(after.text)

    member_view = soup((await client.get(f"/events/{event}")).text)
    state = member_view.select_one(".state-cancelled .state-text").get_text(" ", strip=True)
    assert state == "This event was cancelled: See you next week!"
    panel = member_view.select_one("#rsvp-panel").get_text(" ", strip=True)
    assert "going" not in panel.replace("your RSVP", "").lower().replace("won't happen", "")
    assert "place" not in panel and member_view.select_one(".success-card") is None
    assert "Add to calendar" not in member_view.get_text()
    assert not member_view.select(f"a[href='/events/{event}.ics']")

    listing = soup((await client.get("/clubs/trail-club")).text)
    card = listing.select_one(f"a[href='/events/{event}']")
    assert "Cancelled" in card.get_text() and "places" not in card.get_text()


async def test_event_form_takes_what_to_expect(client, other_client):
    organizer = await helpers.make_member("org@example.org", "Olu")
    await helpers.make_club(organizer=organizer)
    await helpers.login(client, organizer)
    form = soup((await client.get("/clubs/trail-club/events/new")).text)
    for name in ("meeting_point", "what_to_bring", "first_timer_note"):
        assert form.find(attrs={"name": name}).get("placeholder", "").startswith("e.g.")

    too_long = await helpers.post(
        client,
        "/clubs/trail-club/events/new",
        event_form(a_day_ahead(), what_to_bring="x" * 501, meeting_point="By the sign"),
    )
    assert too_long.status_code == 422
    assert "What to bring can be at most 500 characters" in too_long.text
    assert 'value="By the sign"' in too_long.text  # nothing typed is lost
    assert await Event.count() == 0

    posted = await helpers.post(
        client,
        "/clubs/trail-club/events/new",
        event_form(
            a_day_ahead(),
            meeting_point="By the trailhead sign, north car park",
            what_to_bring="Water\nLayers",
            first_timer_note="Say hi to Sam.\n\nWe go at the slowest walker's pace.",
            details_for_attendees_only="on",
            location_hint="Near Chautauqua",
        ),
    )
    event_url = posted.headers["location"]
    mine = soup((await client.get(event_url)).text).select_one(".expect")
    text = mine.get_text(" ", strip=True)
    assert "By the trailhead sign, north car park" in text
    assert [p.get_text() for p in mine.select(".first-timer p")] == [
        "Say hi to Sam.",
        "We go at the slowest walker's pace.",
    ]
    assert mine.find("a", string="Open the place on a map")["href"] == (
        "https://www.openstreetmap.org/search?query=Chautauqua%20Park%2C%20Boulder"
    )
    # A visitor who is not going sees what to bring and the note, not the exact meeting point.
    public = soup((await other_client.get(event_url)).text).select_one(".expect")
    assert (
        "north car park" not in public.get_text()
        and "Shared with people going" in public.get_text()
    )
    assert (
        "Water" in public.get_text() and public.find("a", string="Open the place on a map") is None
    )


def test_default_timezone_setting_is_checked() -> None:
    from events.settings import ConfigError, load_settings

    assert load_settings({}).default_timezone == "UTC"
    chosen = load_settings({"STEADY_DEFAULT_TIMEZONE": "Europe/London"})
    assert chosen.default_timezone == "Europe/London"
    with pytest.raises(ConfigError, match="STEADY_DEFAULT_TIMEZONE"):
        load_settings({"STEADY_DEFAULT_TIMEZONE": "Mars/Olympus"})


async def test_club_form_lists_common_zones_first(client):
    await helpers.login(client, await helpers.make_member())
    page = soup((await client.get("/clubs/new")).text)
    select = page.find("select", attrs={"name": "timezone"})
    groups = [g["label"] for g in select.find_all("optgroup")]
    assert groups[0] == "Common" and "America" in groups and "Europe" in groups
    common = [o["value"] for o in select.optgroup.find_all("option")]
    assert common[:3] == ["America/New_York", "America/Chicago", "America/Denver"]
    assert "Europe/London" in common
    assert select.has_attr("data-from-browser")  # static/timezone.js picks the browser's zone
    assert page.find("script", src=lambda s: bool(s) and "timezone.js" in s) is not None


async def test_greeting_box_comes_first_and_welcome_message_has_no_gaps(client):
    organizer = await helpers.make_member("org@example.org", "Olu")
    club = await helpers.make_club(
        organizer=organizer, welcome_message="Hi there!\n\nWe meet at 9.\nBring water."
    )
    await helpers.make_event(club, "Saturday hike")
    newbie = await helpers.make_member("nia@example.org", "Nia")
    await Membership.insert(
        Membership(member=newbie, club=club, joined_at=utcnow() - timedelta(days=1))
    )
    await helpers.login(client, organizer)
    page = soup((await client.get("/clubs/trail-club")).text)
    sections = [s.get("id") for s in page.select("main section[id]")]
    newcomers = page.select_one("#newcomers")
    cards = page.select_one("ul.cards:not(#newcomers ul)")
    assert newcomers is not None and "newcomers" in sections
    # The greeting box sits above the list of events.
    html = str(page)
    assert html.index('id="newcomers"') < html.index("Saturday hike")
    report = newcomers.find("a", href=lambda h: bool(h) and "/report" in h)
    assert report.get_text(" ", strip=True) == "Report Nia to the organizers"
    assert report.find_parent(class_="quiet") is not None
    assert cards is not None

    await helpers.login(client, newbie)
    joined = soup((await client.get("/clubs/trail-club")).text).select_one(".welcome-message")
    assert [p.decode_contents() for p in joined.find_all("p")] == [
        "Hi there!",
        "We meet at 9.<br/>Bring water.",
    ]
    css = (Path(__file__).parent.parent / "static" / "app.css").read_text()
    rule = css[css.index(".welcome-message {") :].split("}", 1)[0]
    assert "pre-line" not in rule
