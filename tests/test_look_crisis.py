"""Crisis help (#14): tappable `tel:`/`sms:` links, numbers that never break, lists per country
from CRISIS_LINES (JSON or @file) over the built-in ones, the country of the club being viewed."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import httpx
import pytest
from bs4 import BeautifulSoup

from events.app import create_app
from events.crisis import CrisisConfigError, lines_for, parse_crisis_lines
from events.settings import ConfigError, get_settings, load_settings
from tests import helpers

ENV = {"SECRET_KEY": "k" * 40}


def links(html: str) -> dict[str, str]:
    """Each tel:/sms: link's href → its text."""
    page = BeautifulSoup(html, "html.parser")
    return {
        a["href"]: " ".join(a.get_text().split())
        for a in page.select("main a[href]")
        if a["href"].startswith(("tel:", "sms:"))
    }


async def test_help_page_offers_us_lines_to_call_and_text(client):
    response = await client.get("/help")
    assert response.status_code == 200
    found = links(response.text)
    assert found["tel:988"] == "Call 988"
    assert found["sms:988"] == "Text 988"
    assert found["tel:18006624357"] == "Call 1-800-662-4357"
    assert found["sms:741741?body=HOME"] == "Text HOME to 741741"
    page = BeautifulSoup(response.text, "html.parser")
    # The number sits in a nowrap span: "1-800-" never ends a line.
    number = page.select_one('a[href="tel:18006624357"] .nowrap')
    assert number is not None and number.get_text() == "1-800-662-4357"


async def test_help_page_for_a_uk_club_lists_samaritans(client):
    response = await client.get("/help", params={"country": "gb"})
    found = links(response.text)
    assert found["tel:116123"] == "Call 116 123"
    assert "tel:988" not in found
    assert "United Kingdom" in response.text
    # Someone elsewhere finds their list in one more tap.
    page = BeautifulSoup(response.text, "html.parser")
    assert page.select_one('a[href="/help?country=US"]').get_text() == "United States"


async def test_unknown_country_falls_back_to_the_instance_list(client):
    for country in ("ZZ", "<script>", "usa"):
        response = await client.get("/help", params={"country": country})
        assert response.status_code == 200
        assert "tel:988" in links(response.text)
        assert "<script>" not in response.text.split("<main", 1)[1]


async def test_help_now_in_the_header_carries_the_club_country(client):
    gb = await helpers.make_club(slug="london-circle", name="London Circle", country="GB")
    us = await helpers.make_club(slug="denver-hikers", name="Denver Hikers", country="US")
    london_event = await helpers.make_event(gb, "Recovery circle")
    for url, want in (
        ("/clubs/london-circle", "/help?country=GB"),
        (f"/events/{london_event}", "/help?country=GB"),
        ("/clubs/denver-hikers", "/help?country=US"),
        ("/", "/help"),
        ("/clubs", "/help"),
    ):
        page = BeautifulSoup((await client.get(url)).text, "html.parser")
        help_now = page.select_one("header .help-now")
        assert help_now is not None and help_now["href"] == want, url
        assert help_now.get_text(strip=True) == "Help now"
    assert us


def test_crisis_lines_setting_replaces_one_country_and_keeps_the_others():
    custom = {"GB": [{"name": "Local line", "call": "0800 123 456", "note": "9-5"}]}
    table = parse_crisis_lines(json.dumps(custom))
    assert [line.name for line in table["GB"]] == ["Local line"]
    assert table["GB"][0].tel == "tel:0800123456"
    assert any(line.call == "988" for line in table["US"])


def test_crisis_lines_from_a_file(tmp_path: Path):
    path = tmp_path / "lines.json"
    path.write_text(json.dumps({"NL": [{"name": "113 Zelfmoordpreventie", "call": "113"}]}))
    settings = load_settings({**ENV, "CRISIS_LINES": f"@{path}", "CRISIS_COUNTRY": "NL"})
    assert settings.crisis_country == "NL"
    assert lines_for(settings.crisis_lines, "", settings.crisis_country)[1][0].tel == "tel:113"
    # A country with no list shows the instance's own.
    assert lines_for(settings.crisis_lines, "FR", settings.crisis_country)[0] == "NL"


@pytest.mark.parametrize(
    "value",
    [
        "{not json",
        '["GB"]',
        '{"United Kingdom": []}',
        '{"GB": [{"name": "No number"}]}',
        '{"GB": [{"name": "Bad", "call": "call me"}]}',
        '{"GB": [{"name": "Bad", "text": "85258", "text_body": "a&b=c"}]}',
        "@/nonexistent/lines.json",
    ],
)
def test_unreadable_crisis_lines_stop_start_up_with_a_message(value: str):
    with pytest.raises(CrisisConfigError):
        parse_crisis_lines(value)
    with pytest.raises(ConfigError, match="CRISIS_LINES"):
        load_settings({**ENV, "CRISIS_LINES": value})


def test_crisis_country_needs_a_list():
    with pytest.raises(ConfigError, match="CRISIS_COUNTRY"):
        load_settings({**ENV, "CRISIS_COUNTRY": "FR"})


async def test_an_instance_with_its_own_lines_and_country_shows_them(app):
    lines = parse_crisis_lines('{"NL": [{"name": "113 Zelfmoordpreventie", "call": "113"}]}')
    settings = dataclasses.replace(get_settings(), crisis_lines=lines, crisis_country="NL")
    transport = httpx.ASGITransport(app=create_app(settings), client=("127.0.0.1", 50002))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
        found = links((await other.get("/help")).text)
    assert found == {"tel:113": "Call 113"}
