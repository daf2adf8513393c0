"""The event form's "What to expect" fields: meeting point, what to bring, a note for
first-timers. parse(data) -> (values, errors), beside the main event form's parser."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# field → (longest allowed, keeps line breaks)
LIMITS: dict[str, tuple[int, bool]] = {
    "meeting_point": (200, False),
    "what_to_bring": (500, True),
    "first_timer_note": (1000, True),
}
FIELDS = tuple(LIMITS)
LABELS = {
    "meeting_point": "The meeting point",
    "what_to_bring": "What to bring",
    "first_timer_note": "The note for first-timers",
}


def _clean(text: str, multiline: bool) -> str:
    if not multiline:
        return " ".join(text.split())
    lines = [" ".join(line.split()) for line in text.replace("\r\n", "\n").split("\n")]
    return "\n".join(lines).strip()


def parse(data: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """→ (column values, errors by field)."""
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    for name, (limit, multiline) in LIMITS.items():
        value = _clean(str(data.get(name, "") or ""), multiline)
        if len(value) > limit:
            errors[name] = (
                f"{LABELS[name]} can be at most {limit:,} characters (it has {len(value):,})."
            )
        values[name] = value
    return values, errors


def form_of(data: Mapping[str, Any]) -> dict[str, str]:
    """The raw values to show again in the form."""
    return {name: str(data.get(name, "") or "") for name in FIELDS}
