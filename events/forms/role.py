"""A volunteer role an organizer adds to an event: its name and how many people it needs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from events.forms.fields import Errors, Text, integer, one_line

NAME = Text("role_name", "role name", 60, "Name the role, e.g. Greeter.")
SPOTS_MAX = 50


@dataclass
class Role:
    name: str
    spots: int


def parse(data: Mapping[str, str]) -> tuple[Role, Errors]:
    errors: Errors = {}
    name = NAME.check(errors, one_line(data, "name"))
    spots = integer(
        errors, "role_spots", str(data.get("spots", "")), 1, SPOTS_MAX, label="Spots", default=1
    )
    return Role(name, spots), errors
