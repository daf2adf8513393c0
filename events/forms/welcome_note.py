"""A welcome note to a newcomer: a few words."""

from __future__ import annotations

from collections.abc import Mapping

from events.forms.fields import Errors, Text, multiline

# An empty label: the message says "Keep it to 500 characters".
NOTE = Text("message", "", 500, "Write a few words first.")


def parse(data: Mapping[str, str]) -> tuple[str, Errors]:
    errors: Errors = {}
    text = NOTE.check(errors, multiline(data, "message"))
    return text, errors
