"""A club's members-only board (#19): who may see it (anonymous → login, everyone else who is
not a member in good standing → the same 404), posting, replying, locking, hiding, the crisis
box, bad input, and that its pages stay out of feeds and every cache."""

from __future__ import annotations

import asyncio

import pytest
from bs4 import BeautifulSoup

from events.tables import BoardPost, BoardThread, Club, Membership
from tests import helpers
from tests.helpers import post

SLUG = "trail-club"
BOARD = f"/clubs/{SLUG}/board"


async def setup(board: bool = True) -> dict[str, int]:
    org = await helpers.make_member("org@example.org", "Olive Organizer")
    member = await helpers.make_member("mia@example.org", "Mia Member")
    blocked = await helpers.make_member("bo@example.org", "Bo Blocked")
    stranger = await helpers.make_member("sam@example.org", "Sam Stranger")
    club = await helpers.make_club(organizer=org, board=board)
    await Membership.insert(
        Membership(member=member, club=club), Membership(member=blocked, club=club, blocked=True)
    )
    return dict(org=org, member=member, blocked=blocked, stranger=stranger, club=club)


async def start(client, title: str = "Weekend plans", body: str = "Who is *hiking*?", **extra):
    return await post(client, f"{BOARD}/new", {"title": title, "body": body, **extra})


def thread_id_of(response) -> int:
    return int(response.headers["location"].split("/board/")[1].split("?")[0])


async def board_urls(client, ids) -> dict[str, tuple[str, str, dict[str, str]]]:
    """Every board URL with a method and a valid form, for a thread and post that exist."""
    await helpers.login(client, ids["member"])
    created = await start(client)
    thread_id = thread_id_of(created)
    post_id = (await BoardPost.select(BoardPost.id).first())["id"]
    client.cookies.clear()
    thread = f"{BOARD}/{thread_id}"
    return {
        "list": ("GET", BOARD, {}),
        "list htmx": ("GET-HX", BOARD, {}),
        "new form": ("GET", f"{BOARD}/new", {}),
        "new": ("POST", f"{BOARD}/new", {"title": "Hi", "body": "there"}),
        "thread": ("GET", thread, {}),
        "thread htmx": ("GET-HX", thread, {}),
        "reply": ("POST", f"{thread}/reply", {"body": "me too"}),
        "lock": ("POST", f"{thread}/lock", {"locked": "on"}),
        "hide": ("POST", f"{thread}/posts/{post_id}/hide", {"reason": "off topic"}),
        "switch": ("POST", f"{BOARD}/switch", {"board": "off"}),
    }


async def call(client, method: str, url: str, data: dict[str, str]):
    if method == "POST":
        return await post(client, url, data)
    headers = {"HX-Request": "true"} if method == "GET-HX" else {}
    return await client.get(url, headers=headers)


ORGANIZER_ONLY = {"lock", "hide", "switch"}


async def test_access_matrix_for_every_board_url(client):
    ids = await setup()
    urls = await board_urls(client, ids)
    for name, (method, url, data) in urls.items():
        client.cookies.clear()
        anonymous = await call(client, method, url, data)
        assert anonymous.status_code == 303, name
        assert anonymous.headers["location"].startswith("/login"), name
        for who in ("stranger", "blocked"):
            await helpers.login(client, ids[who])
            refused = await call(client, method, url, data)
            assert refused.status_code == 404, (name, who)
            # The same answer as for a thread that does not exist: nothing to tell apart.
            assert "Weekend plans" not in refused.text and "board" not in refused.text.lower()
        await helpers.login(client, ids["member"])
        answer = await call(client, method, url, data)
        if name in ORGANIZER_ONLY:
            assert answer.status_code == 404, name
        else:
            assert answer.status_code in (200, 303), name
            if method != "POST":
                assert answer.headers["cache-control"] == "private, no-store"
                assert "noindex" in answer.headers["x-robots-tag"]
    await helpers.login(client, ids["org"])
    for name in ("list", "thread", "reply", "lock", "hide", "switch"):
        method, url, data = urls[name]
        assert (await call(client, method, url, data)).status_code in (200, 303), name


async def test_board_is_off_by_default_and_organizer_turns_it_on(client, other_client):
    ids = await setup(board=False)
    await helpers.login(other_client, ids["member"])
    assert (await other_client.get(BOARD)).status_code == 404
    assert (await other_client.get(f"/clubs/{SLUG}")).text.count("/board") == 0
    await helpers.login(client, ids["org"])
    page = await client.get(BOARD)
    assert page.status_code == 200 and "Turn the board on" in page.text
    assert (await start(client)).status_code == 404  # nothing to post to while off
    turned = await post(client, f"{BOARD}/switch", {"board": "on"})
    assert turned.status_code == 303
    assert (await Club.select(Club.board).first())["board"] is True
    listing = await other_client.get(BOARD)
    assert listing.status_code == 200 and "Start a conversation" in listing.text
    assert f'href="{BOARD}"' in (await other_client.get(f"/clubs/{SLUG}")).text


async def test_posting_and_replying_with_name_or_initials(client, other_client):
    ids = await setup()
    await helpers.login(client, ids["member"])
    created = await start(client, "Sunday coffee", "See you **there**", show_as="initials")
    assert created.status_code == 303
    thread = f"{BOARD}/{thread_id_of(created)}"
    await helpers.login(other_client, ids["org"])
    reply = await post(other_client, f"{thread}/reply", {"body": "Count me in", "show_as": "name"})
    assert reply.status_code == 303
    page = await other_client.get(thread)
    soup = BeautifulSoup(page.text, "html.parser")
    posts = soup.select(".board-posts > li")
    assert [p.select_one(".meta strong").get_text() for p in posts] == [
        "M.M.",
        "Olive Organizer",
    ]
    assert "Mia Member" not in page.text
    assert posts[0].select_one("strong:not(.meta strong)") or "<strong>there</strong>" in page.text
    # The member's choice on this thread is remembered on the reply form.
    mine = await client.get(thread)
    checked = BeautifulSoup(mine.text, "html.parser").select_one("input[name=show_as][checked]")
    assert checked["value"] == "initials"


async def test_markdown_is_sanitized(client):
    ids = await setup()
    await helpers.login(client, ids["member"])
    created = await start(client, "Hi", "<script>alert(1)</script> [x](javascript:alert(1))")
    page = await client.get(created.headers["location"])
    shown = BeautifulSoup(page.text, "html.parser").select_one(".board-posts")
    assert shown.select("script") == [] and "alert(1)" in shown.get_text()
    assert not [a for a in shown.select("a") if "javascript" in a.get("href", "")]


async def test_threads_newest_activity_first_and_paged(client):
    ids = await setup()
    await helpers.login(client, ids["member"])
    first = thread_id_of(await start(client, "Oldest"))
    for n in range(21):
        await start(client, f"Thread {n}")
    await post(client, f"{BOARD}/{first}/reply", {"body": "bump"})
    page = BeautifulSoup((await client.get(BOARD)).text, "html.parser")
    titles = [t.get_text() for t in page.select(".board-threads .title")]
    assert titles[0] == "Oldest" and titles[1] == "Thread 20" and len(titles) == 20
    older = BeautifulSoup((await client.get(f"{BOARD}?page=2")).text, "html.parser")
    assert [t.get_text() for t in older.select(".board-threads .title")] == ["Thread 1", "Thread 0"]


async def test_locked_thread_refuses_replies_and_explains(client, other_client):
    ids = await setup()
    await helpers.login(client, ids["member"])
    thread = f"{BOARD}/{thread_id_of(await start(client))}"
    await helpers.login(other_client, ids["org"])
    assert (await post(other_client, f"{thread}/lock", {"locked": "on"})).status_code == 303
    refused = await post(client, f"{thread}/reply", {"body": "one more thing"})
    assert refused.status_code == 409
    assert "locked" in refused.text and "wasn't posted" in refused.text
    assert await BoardPost.count() == 1
    page = await client.get(thread)
    assert "This thread is locked" in page.text and 'action="' + thread + '/reply"' not in page.text
    await post(other_client, f"{thread}/lock", {"locked": "off"})
    assert (await post(client, f"{thread}/reply", {"body": "ok"})).status_code == 303


async def test_hidden_post_shows_the_reason_to_its_author_only(client, other_client, app):
    ids = await setup()
    await helpers.login(client, ids["member"])
    thread = f"{BOARD}/{thread_id_of(await start(client, 'Rant', 'something unkind'))}"
    post_id = (await BoardPost.select(BoardPost.id).first())["id"]
    await helpers.login(other_client, ids["org"])
    empty = await post(other_client, f"{thread}/posts/{post_id}/hide", {"reason": " "})
    assert empty.status_code == 422 and "Say why" in empty.text
    hidden = await post(other_client, f"{thread}/posts/{post_id}/hide", {"reason": "Be kind"})
    assert hidden.status_code == 303
    author_view = (await client.get(thread)).text
    assert "something unkind" not in author_view and "Reason: Be kind" in author_view
    third = await helpers.make_member("tia@example.org", "Tia")
    await Membership.insert(Membership(member=third, club=ids["club"]))
    await helpers.login(other_client, third)
    other_view = (await other_client.get(thread)).text
    assert "An organizer hid this post." in other_view
    assert "Be kind" not in other_view and "something unkind" not in other_view


@pytest.mark.parametrize(
    "body", ["I want to kill myself", "Scared of a RELAPSE tonight", "thinking of an overdose"]
)
async def test_crisis_words_show_the_author_the_crisis_lines(client, other_client, body):
    ids = await setup()
    await helpers.login(client, ids["member"])
    created = await start(client, "Hard night", body)
    assert created.status_code == 303  # posted, never blocked
    thread_url = created.headers["location"]
    box = BeautifulSoup((await client.get(thread_url)).text, "html.parser").select_one(
        ".crisis-box"
    )
    assert box is not None and "988" in box.get_text()
    assert body in (await client.get(thread_url.split("?")[0])).text
    # No box for anyone else, even with the same link.
    await helpers.login(other_client, ids["org"])
    assert "crisis-box" not in (await other_client.get(thread_url)).text
    # A reply with crisis words shows its author the box too.
    await helpers.login(other_client, ids["org"])
    reply = await post(other_client, thread_url.split("?")[0] + "/reply", {"body": "end it all"})
    assert "crisis-box" in (await other_client.get(reply.headers["location"])).text


async def test_calm_posts_show_no_crisis_box(client):
    ids = await setup()
    await helpers.login(client, ids["member"])
    created = await start(client, "Killer views", "The summit view was a killer")
    assert "crisis-box" not in (await client.get(created.headers["location"])).text


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"title": "", "body": "text"}, "Give the thread a title."),
        ({"title": "x", "body": "   "}, "Write something to post."),
        ({"title": "x" * 121, "body": "text"}, "Keep the title to 120 characters"),
        ({"title": "x", "body": "y" * 10_001}, "Keep the post to 10,000 characters"),
        ({"title": "x", "body": "y", "show_as": "everyone"}, "name or your initials"),
    ],
)
async def test_bad_new_thread_is_the_form_again_with_422(client, form, message):
    ids = await setup()
    await helpers.login(client, ids["member"])
    answer = await post(client, f"{BOARD}/new", form)
    assert answer.status_code == 422 and message in answer.text
    kept = BeautifulSoup(answer.text, "html.parser").select_one("textarea[name=body]")
    assert kept.get_text() == form["body"][:20_000]
    assert await BoardThread.count() == 0


async def test_bad_reply_is_the_form_again_with_422(client):
    ids = await setup()
    await helpers.login(client, ids["member"])
    thread = f"{BOARD}/{thread_id_of(await start(client))}"
    for body, message in (("", "Write something to post."), ("z" * 10_001, "Keep the post")):
        answer = await post(client, f"{thread}/reply", {"body": body})
        assert answer.status_code == 422 and message in answer.text
    assert await BoardPost.count() == 1


async def test_board_stays_out_of_feeds_and_the_page_cache(client, other_client):
    ids = await setup()
    await helpers.login(client, ids["member"])
    thread = f"{BOARD}/{thread_id_of(await start(client, 'Secret-ish title', 'private words'))}"
    for feed in (f"/clubs/{SLUG}/calendar.ics", "/calendar.ics", "/meetings.json"):
        text = (await other_client.get(feed)).text
        assert "Secret-ish" not in text and "private words" not in text, feed
    for url in (BOARD, thread):
        for _ in range(2):
            answer = await other_client.get(url)
            assert answer.status_code == 303
            assert answer.headers.get("x-page-cache") != "hit"
        seen = await client.get(url)
        assert "x-page-cache" not in seen.headers
        assert seen.headers["cache-control"] == "private, no-store"
        assert '<meta name="robots" content="noindex">' in seen.text


async def test_many_replies_at_once_are_all_kept(client, app):
    ids = await setup()
    await helpers.login(client, ids["member"])
    thread = f"{BOARD}/{thread_id_of(await start(client))}"
    answers = await asyncio.gather(
        *(post(client, f"{thread}/reply", {"body": f"reply {n}"}) for n in range(12))
    )
    assert [a.status_code for a in answers] == [303] * 12
    bodies = {row["body"] for row in await BoardPost.select(BoardPost.body)}
    assert {f"reply {n}" for n in range(12)} <= bodies and len(bodies) == 13
    newest = (
        await BoardPost.select(BoardPost.created_at)
        .order_by(BoardPost.created_at, ascending=False)
        .first()
    )
    thread_row = await BoardThread.select(BoardThread.last_post_at).first()
    assert thread_row["last_post_at"] == newest["created_at"]
