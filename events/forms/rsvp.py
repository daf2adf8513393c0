"""A member's answer to an event: yes, no or leave, guests, an attestation, and optionally who
may see that they are going."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from events.forms.fields import Errors
from events.parsing import ID_MAX, parse_int
from events.tables import Visibility


@dataclass
class RsvpAnswer:
    response: str
    guests: int
    attested: bool
    # None: keep the member's default (an unknown value counts as none given).
    visibility: str | None
    # In person or online, for a hybrid event (#15); the service judges it. None: not given.
    attendance: str | None = None


def parse(data: Mapping[str, str]) -> tuple[RsvpAnswer, Errors]:
    """The service judges `response` and how many guests the event allows."""
    errors: Errors = {}
    guests = parse_int(str(data.get("guests", "") or "0").strip(), 0, ID_MAX)
    if guests is None:
        errors["guests"] = "Guests should be a whole number."
    visibility = str(data.get("visibility", "") or "")
    answer = RsvpAnswer(
        response=str(data.get("response", "")).strip().lower(),
        guests=guests or 0,
        attested=data.get("attest") in ("on", "yes", "1", "true"),
        visibility=visibility if visibility in {v.value for v in Visibility} else None,
        attendance=str(data.get("attendance", "") or "").strip() or None,
    )
    return answer, errors
