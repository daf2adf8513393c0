"""Columns several read models select: one list, so they name an event the same way."""

from __future__ import annotations

from events.tables import Event

# Which event and when, with the zone its times are shown in.
EVENT_WHEN = (
    Event.id,
    Event.title,
    Event.starts_at,
    Event.ends_at,
    Event.club.timezone.as_alias("club_timezone"),
)
# What a public list of events shows of each: whether it is on, where (the exact place only
# when not kept for attendees), its attributes and its club.
EVENT_LISTED = (
    *EVENT_WHEN,
    Event.status,
    Event.series,
    Event.location,
    Event.location_hint,
    Event.online_url,
    Event.details_for_attendees_only,
    Event.attributes,
    Event.attendance,
    Event.club.slug.as_alias("club_slug"),
    Event.club.name.as_alias("club_name"),
)
