"""A volunteer role an organizer adds to an event: its name and how many people it needs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from events.forms.fields import Errors, integer, length, one_line

NAME_MAX = 60
SPOTS_MAX = 50


@dataclass
class Role:
    name: str
    spots: int


def parse(data: Mapping[str, str]) -> tuple[Role, Errors]:
    errors: Errors = {}
    name = length(
        errors,
        "role_name",
        one_line(data, "name"),
        label="role name",
        limit=NAME_MAX,
        required="Name the role, e.g. Greeter.",
    )
    spots = integer(
        errors, "role_spots", str(data.get("spots", "")), 1, SPOTS_MAX, label="Spots", default=1
    )
    return Role(name, spots), errors
