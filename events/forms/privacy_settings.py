"""A member's settings page: discreet mail, reminders, who sees that they are going, the weekly
digest and its time zone, and (for organizers) what RSVP mail each of their clubs sends them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from events.forms.fields import Errors, choice
from events.tables import OrganizerMail, Visibility
from events.timefmt import is_zone

ORGANIZER_MAIL_CHOICES = tuple((mail.value, mail.label) for mail in OrganizerMail)
MAIL_VALUES = {m.value for m in OrganizerMail}


@dataclass
class PrivacySettings:
    discreet: bool
    reminders: bool
    default_visibility: Visibility
    digest: bool = False
    timezone: str = ""
    # Club id → OrganizerMail value, for the clubs the member organizes.
    organizer_mail: dict[int, str] = field(default_factory=dict)

    def as_row(self) -> dict[str, object]:
        """The settings as the page shows them (like a member row)."""
        return {
            "discreet": self.discreet,
            "reminders": self.reminders,
            "default_visibility": self.default_visibility.value,
            "digest": self.digest,
            "timezone": self.timezone,
        }


def parse(
    data: Mapping[str, str], organizer_mail: Mapping[int, str] | None = None
) -> tuple[PrivacySettings, Errors]:
    """`organizer_mail` is what each organized club sends today (kept when the form has no
    choice for it). An unknown visibility comes back as the default (initials), an unknown
    zone or mail choice as what was stored, each with an error."""
    errors: Errors = {}
    visibility = choice(
        errors,
        "default_visibility",
        str(data.get("default_visibility", "")),
        {v.value for v in Visibility},
        message="Choose who sees that you are going.",
    )
    zone = str(data.get("timezone", "")).strip()
    if zone and not is_zone(zone):
        errors["timezone"] = (
            f"“{zone[:64]}” is not a time zone we know. "
            "Try one like Europe/Berlin, or leave it empty."
        )
    mail: dict[int, str] = {}
    for club_id, current in (organizer_mail or {}).items():
        chosen = str(data.get(f"organizer_mail_{club_id}", current))
        if chosen in MAIL_VALUES:
            mail[club_id] = chosen
        else:
            errors["organizer_mail"] = (
                "Choose instant, daily or no mail for each club you organize."
            )
            mail[club_id] = current
    values = PrivacySettings(
        discreet=data.get("discreet") == "on",
        reminders=data.get("reminders") == "on",
        default_visibility=Visibility(visibility or Visibility.initials.value),
        digest=data.get("digest") == "on",
        timezone=zone[:64],
        organizer_mail=mail,
    )
    return values, errors


def first_error(errors: Errors) -> str:
    """The page shows one message: the first field's, in the page's order."""
    for key in ("default_visibility", "timezone", "organizer_mail"):
        if key in errors:
            return errors[key]
    return next(iter(errors.values()), "")
