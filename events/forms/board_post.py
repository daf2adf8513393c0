"""A board post (#19): a new thread's title and body, or a reply's body; how to be shown; and
whether the words suggest the author may be in crisis (shown resources, never blocked)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from events.forms.fields import Errors, Text, choice, multiline, one_line

TITLE = Text("title", "title", 120, "Give the thread a title.")
BODY = Text("body", "post", 10_000, "Write something to post.")
SHOW_AS = ("name", "initials")
REASON = Text("reason", "reason", 500, "Say why, so the author understands.")
# A small list on purpose: it offers help, it never judges or blocks.
CRISIS_WORDS = re.compile(
    r"\b(kill(ing)? myself|suicid\w*|relaps\w*|overdos\w*|end it all|want to die|self[- ]harm)\b",
    re.IGNORECASE,
)


@dataclass
class BoardPostForm:
    title: str
    body: str
    show_as: str


def parse(data: Mapping[str, str], with_title: bool) -> tuple[BoardPostForm, Errors]:
    errors: Errors = {}
    title = TITLE.check(errors, one_line(data, "title")) if with_title else ""
    body = BODY.check(errors, multiline(data, "body"))
    show_as = choice(
        errors,
        "show_as",
        str(data.get("show_as", "name")),
        SHOW_AS,
        message="Choose whether to show your name or your initials.",
    )
    return BoardPostForm(title, body, show_as or "name"), errors


def parse_reason(data: Mapping[str, str]) -> tuple[str, Errors]:
    errors: Errors = {}
    return REASON.check(errors, one_line(data, "reason")), errors


def mentions_crisis(*texts: str) -> bool:
    return any(CRISIS_WORDS.search(text) for text in texts)
