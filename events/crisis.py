"""Crisis lines shown under "Help now": per country, configurable per instance.

`CRISIS_LINES` is JSON (or `@/path/to/file.json`): an object from ISO 3166 alpha-2 country codes
to lists of lines, merged over the built-in lists below (a country given replaces that country's
list). `CRISIS_COUNTRY` picks the list for pages that aren't about a club (default `US`). A line
is `{"name": ..., "call": "988", "text": "741741", "text_body": "HOME", "note": ...}`; `call` and
`text` are optional, but a line needs at least one of them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

COUNTRY_RE = re.compile(r"^[A-Z]{2}$")
NUMBER_RE = re.compile(r"^\+?[0-9][0-9 ()-]{1,30}$")


@dataclass(frozen=True)
class CrisisLine:
    name: str
    call: str = ""  # as people read it: "1-800-662-4357"
    text: str = ""  # the number to text
    text_body: str = ""  # a keyword to send, e.g. HOME
    note: str = ""

    @property
    def tel(self) -> str:
        return "tel:" + re.sub(r"[^0-9+]", "", self.call)

    @property
    def sms(self) -> str:
        number = re.sub(r"[^0-9+]", "", self.text)
        return f"sms:{number}?body={quote(self.text_body)}" if self.text_body else f"sms:{number}"


COUNTRY_NAMES = {
    "US": "United States",
    "CA": "Canada",
    "GB": "United Kingdom",
    "IE": "Ireland",
    "AU": "Australia",
    "NZ": "New Zealand",
}

DEFAULT_LINES: dict[str, tuple[CrisisLine, ...]] = {
    "US": (
        CrisisLine("988 Suicide & Crisis Lifeline", call="988", text="988", note="24/7"),
        CrisisLine(
            "SAMHSA National Helpline",
            call="1-800-662-4357",
            note="Free, confidential treatment referral, 24/7",
        ),
        CrisisLine("Crisis Text Line", text="741741", text_body="HOME", note="Text HOME, 24/7"),
    ),
    "CA": (
        CrisisLine("9-8-8 Suicide Crisis Helpline", call="988", text="988", note="24/7"),
        CrisisLine("Kids Help Phone", call="1-800-668-6868", text="686868", text_body="CONNECT"),
    ),
    "GB": (
        CrisisLine("Samaritans", call="116 123", note="Free, 24/7"),
        CrisisLine("Shout", text="85258", text_body="SHOUT", note="Text SHOUT, 24/7"),
        CrisisLine("NHS 111", call="111", note="Urgent medical help"),
    ),
    "IE": (
        CrisisLine("Samaritans", call="116 123", note="Free, 24/7"),
        CrisisLine("50808", text="50808", text_body="HELLO", note="Text HELLO, 24/7"),
    ),
    "AU": (
        CrisisLine("Lifeline", call="13 11 14", text="0477 13 11 14", note="24/7"),
        CrisisLine("National Alcohol and Other Drug Hotline", call="1800 250 015"),
    ),
    "NZ": (CrisisLine("Need to talk?", call="1737", text="1737", note="Free call or text, 24/7"),),
}


class CrisisConfigError(ValueError):
    """CRISIS_LINES can't be read."""


def _line(item: Any, where: str) -> CrisisLine:
    if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item["name"]:
        raise CrisisConfigError(f'{where}: each line needs a "name"')
    values = {k: str(item.get(k, "")).strip() for k in ("call", "text", "text_body", "note")}
    if not values["call"] and not values["text"]:
        raise CrisisConfigError(f'{where}: {item["name"]!r} needs a "call" or "text" number')
    for key in ("call", "text"):
        if values[key] and not NUMBER_RE.match(values[key]):
            raise CrisisConfigError(f"{where}: {values[key]!r} is not a phone number")
    if not re.fullmatch(r"[A-Za-z0-9 ]{0,20}", values["text_body"]):
        raise CrisisConfigError(f"{where}: text_body should be a short keyword like HOME")
    return CrisisLine(name=item["name"].strip()[:80], **values)


def parse_crisis_lines(text: str) -> dict[str, tuple[CrisisLine, ...]]:
    """The built-in lists with CRISIS_LINES (JSON, or @file) merged over them."""
    lines = dict(DEFAULT_LINES)
    text = text.strip()
    if not text:
        return lines
    if text.startswith("@"):
        try:
            text = Path(text[1:]).read_text(encoding="utf-8")
        except OSError as exc:
            raise CrisisConfigError(f"CRISIS_LINES: cannot read {text[1:]!r}: {exc}") from exc
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise CrisisConfigError(f"CRISIS_LINES is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise CrisisConfigError('CRISIS_LINES should be an object like {"GB": [...]}')
    for country, items in data.items():
        code = str(country).upper()
        if not COUNTRY_RE.match(code):
            raise CrisisConfigError(f"CRISIS_LINES: {country!r} is not a two-letter country code")
        if not isinstance(items, list):
            raise CrisisConfigError(f"CRISIS_LINES[{code}] should be a list of lines")
        lines[code] = tuple(_line(item, f"CRISIS_LINES[{code}]") for item in items)
    return lines


def country_code(value: Any) -> str:
    """A country code from a query string or a club row, or "" when it isn't one."""
    code = str(value or "").strip().upper()
    return code if COUNTRY_RE.match(code) else ""


def lines_for(
    table: dict[str, tuple[CrisisLine, ...]], country: str, fallback: str
) -> tuple[str, tuple[CrisisLine, ...]]:
    """(the country shown, its lines): the instance's country when `country` has no list."""
    code = country_code(country)
    if table.get(code):
        return code, table[code]
    return fallback, table.get(fallback, ())


def country_name(code: str) -> str:
    return COUNTRY_NAMES.get(code, code)
