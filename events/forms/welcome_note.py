"""A welcome note to a newcomer: a few words."""

from __future__ import annotations

from collections.abc import Mapping

from events.forms.fields import Errors, length, multiline

NOTE_MAX = 500


def parse(data: Mapping[str, str]) -> tuple[str, Errors]:
    errors: Errors = {}
    text = length(
        errors,
        "message",
        multiline(data, "message"),
        label="",
        limit=NOTE_MAX,
        required="Write a few words first.",
    )
    return text, errors
