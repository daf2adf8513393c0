"""The club form (create and edit): name, address (slug), kind, activities, description,
time zone, the welcome message new members are sent, and where it meets (city, region,
country)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from events import forms_attributes, timefmt
from events.forms.fields import Errors, Text, choice, multiline, one_line
from events.markdown import MAX_SOURCE
from events.tables import ClubKind

NAME = Text("name", "name", 100, "Give the club a name.")
ACTIVITIES = Text("activities", "list of activities", 255)
DESCRIPTION = Text("description", "description", MAX_SOURCE)
WELCOME = Text("welcome_message", "welcome message", 2_000)
CITY = Text("city", "city", 80)
REGION = Text("region", "region", 80)
COUNTRY_RE = re.compile(r"[A-Z]{2}")
SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?$")
RESERVED_SLUGS = {"new", "edit", "team", "join", "leave", "welcome", "calendar"}
ACTIVITY_RE = re.compile(r"[^a-z0-9 /-]+")


@dataclass
class ClubForm:
    name: str = ""
    slug: str = ""
    kind: str = ClubKind.activity.value
    activities: str = ""
    description: str = ""
    timezone: str = "UTC"
    welcome_message: str = ""
    city: str = ""
    region: str = ""
    country: str = ""  # ISO 3166 alpha-2
    # Defaults for new events (#15): space-separated codes and the attendance mode; None when
    # the posted form had no such fields (an older client): creating uses the defaults,
    # editing keeps what the club has.
    attributes: str | None = None
    attendance: str | None = None


def parse_activities(text: str) -> list[str]:
    """'Hiking, Trail running,hiking' → ['hiking', 'trail running'] (order kept, no repeats)."""
    seen: list[str] = []
    for part in text.split(","):
        name = " ".join(ACTIVITY_RE.sub("", part.strip().lower()).split())[:40]
        if name and name not in seen:
            seen.append(name)
    return seen


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60].strip("-")


def parse(data: Mapping[str, str], *, new: bool) -> tuple[ClubForm, Errors]:
    """→ (the form as read, errors). A new club's slug defaults to one made from its name; an
    edit keeps the club's slug (the caller sets it)."""
    form = ClubForm(
        name=one_line(data, "name")[:200],
        slug=str(data.get("slug", "")).strip().lower()[:100],
        kind=str(data.get("kind", "")).strip(),
        activities=", ".join(parse_activities(str(data.get("activities", ""))[:1000])),
        description=multiline(data, "description"),
        timezone=str(data.get("timezone", "")).strip()[:64],
        welcome_message=multiline(data, "welcome_message"),
        city=one_line(data, "city")[:200],
        region=one_line(data, "region")[:200],
        country=str(data.get("country", "")).strip().upper()[:20],
    )
    attrs, errors = forms_attributes.parse(data, forms_attributes.CLUB_MODES)
    form.attributes, form.attendance = attrs.attributes, attrs.attendance
    NAME.check(errors, form.name)
    if new:
        if not form.slug:
            form.slug = slugify(form.name)
        if not SLUG_RE.match(form.slug) or form.slug in RESERVED_SLUGS:
            errors["slug"] = (
                "Use 2 to 60 lower-case letters, digits and dashes, e.g. “denver-hikers”."
            )
    choice(
        errors,
        "kind",
        form.kind,
        {k.value for k in ClubKind},
        message="Choose what kind of group this is.",
    )
    ACTIVITIES.check(errors, form.activities)
    DESCRIPTION.check(errors, form.description)
    if not timefmt.is_zone(form.timezone):
        errors["timezone"] = "Choose a time zone from the list, e.g. America/Denver."
    WELCOME.check(errors, form.welcome_message)
    CITY.check(errors, form.city)
    REGION.check(errors, form.region)
    if form.country and not COUNTRY_RE.fullmatch(form.country):
        errors["country"] = "Use the two-letter country code, e.g. US, GB or CA."
    return form, errors
