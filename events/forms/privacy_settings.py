"""A member's privacy settings: discreet mail, reminders, and who sees that they are going."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

from events.forms.fields import Errors, choice
from events.tables import Visibility


@dataclass
class PrivacySettings:
    discreet: bool
    reminders: bool
    default_visibility: Visibility

    def as_row(self) -> dict[str, object]:
        """The settings as the page shows them (like a member row)."""
        return {**asdict(self), "default_visibility": self.default_visibility.value}


def parse(data: Mapping[str, str]) -> tuple[PrivacySettings, Errors]:
    """An unknown visibility comes back as the default (initials), with an error."""
    errors: Errors = {}
    visibility = choice(
        errors,
        "default_visibility",
        str(data.get("default_visibility", "")),
        {v.value for v in Visibility},
        message="Choose who sees that you are going.",
    )
    values = PrivacySettings(
        discreet=data.get("discreet") == "on",
        reminders=data.get("reminders") == "on",
        default_visibility=Visibility(visibility or Visibility.initials.value),
    )
    return values, errors
