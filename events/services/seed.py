"""Demo data (DESIGN.md, demo data): clubs of every kind, one-off and weekly events with and
without capacity, and the two demo accounts. Never in prod."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from events import passwords
from events.recurrence import local_starts
from events.services.accounts import create_confirmed_member
from events.tables import Club, Event, Member, Membership, Repeat, Role, Rsvp, RsvpStatus, Series
from events.timefmt import to_local, to_utc, utcnow

DEMO_PASSWORD = "recovery-demo"  # noqa: S105 - documented demo password, never in prod
ORGANIZER_EMAIL = "organizer@example.com"
MEMBER_EMAIL = "member@example.com"

CLUBS = [
    {
        "slug": "trailheads-sober-hiking",
        "city": "Boulder",
        "region": "CO",
        "country": "US",
        "attributes": "newcomer-friendly alcohol-free OUT",
        "attendance": "in_person",
        "name": "Trailheads Sober Hiking",
        "kind": "activity",
        "activities": "hiking",
        "timezone": "America/Denver",
        "description": "Sober hikes in the Front Range for every pace. **Newcomers welcome** — "
        "we never leave anyone behind, and there is always someone to walk with.",
        "welcome_message": "Welcome to Trailheads! Bring water, layers and your own pace. "
        "Say hi to whoever is holding the green flag at the trailhead.",
    },
    {
        "slug": "clear-mind-fitness",
        "city": "Brooklyn",
        "region": "NY",
        "country": "US",
        "attributes": "newcomer-friendly alcohol-free",
        "attendance": "in_person",
        "name": "Clear Mind Fitness",
        "kind": "activity",
        "activities": "fitness,running",
        "timezone": "America/New_York",
        "description": "Bootcamp and run club for people in recovery. All fitness levels.",
        "welcome_message": "Welcome! Come as you are. Coaches scale every workout.",
    },
    {
        "slug": "sober-sluggers",
        "city": "Chicago",
        "region": "IL",
        "country": "US",
        "attributes": "newcomer-friendly alcohol-free OUT",
        "attendance": "in_person",
        "name": "Sober Sluggers Softball League",
        "kind": "activity",
        "activities": "softball,baseball",
        "timezone": "America/Chicago",
        "description": "Slow-pitch softball and a cookout after. Gloves to borrow at every game.",
        "welcome_message": "Welcome to the Sluggers! No experience needed — just show up.",
    },
    {
        "slug": "tuesday-serenity-group",
        "city": "Oakland",
        "region": "CA",
        "country": "US",
        "attributes": "O D EN X XB",
        "attendance": "in_person",
        "name": "Tuesday Night Serenity Group",
        "kind": "twelve_step",
        "activities": "meeting",
        "timezone": "America/Los_Angeles",
        "description": "An open 12-step discussion meeting. Everyone who wants to stop drinking "
        "or using is welcome.",
        "welcome_message": "Welcome. Keep coming back — there is coffee and a seat for you.",
    },
    {
        "slug": "self-empowerment-circle",
        "city": "London",
        "region": "",
        "country": "GB",
        "attributes": "O D A EN X",
        "attendance": "in_person",
        "name": "Self-Empowerment Recovery Circle",
        "kind": "alternative",
        "activities": "meeting",
        "timezone": "Europe/London",
        "description": "A science-based, secular support group in the SMART Recovery style: "
        "tools for managing urges, and a circle that listens.",
        "welcome_message": "Welcome to the circle. Bring your questions; there are no wrong ones.",
    },
    {
        "slug": "morning-check-in-online",
        "city": "New York",
        "region": "NY",
        "country": "US",
        "attributes": "O D EN",
        "attendance": "online",
        "name": "Morning Check-in (Online)",
        "kind": "online",
        "activities": "meeting",
        "timezone": "America/New_York",
        "description": "A short online check-in to start the day. Cameras optional.",
        "welcome_message": "Welcome! The link is on each event page once you RSVP.",
    },
    {
        "slug": "peer-recovery-coaching",
        "city": "Chicago",
        "region": "IL",
        "country": "US",
        "attributes": "newcomer-friendly X",
        "attendance": "in_person",
        "name": "Peer Recovery Coaching Hours",
        "kind": "coaching",
        "activities": "coaching",
        "timezone": "America/Chicago",
        "description": "Drop-in hours with trained peer recovery coaches.",
        "welcome_message": "Welcome! Book a slot or just drop by.",
    },
]

# (club, title, activity, days from today, local start, hours, capacity, repeat, place, online)
EVENTS = [
    (
        "trailheads-sober-hiking",
        "Summit hike: Mount Falcon",
        "hiking",
        2,
        time(8, 0),
        4,
        12,
        Repeat.none,
        "Mount Falcon West trailhead, Indian Hills, CO",
        "",
    ),
    (
        "trailheads-sober-hiking",
        "Wednesday evening walk",
        "hiking",
        1,
        time(17, 30),
        1.5,
        None,
        Repeat.weekly,
        "Chautauqua Park, Boulder, CO",
        "",
    ),
    (
        "clear-mind-fitness",
        "Sunrise bootcamp",
        "fitness",
        1,
        time(6, 30),
        1,
        15,
        Repeat.weekly,
        "Prospect Park Bandshell, Brooklyn, NY",
        "",
    ),
    (
        "clear-mind-fitness",
        "Run club 5K",
        "running",
        3,
        time(9, 0),
        1,
        None,
        Repeat.biweekly,
        "Hudson River Greenway at Pier 84, New York, NY",
        "",
    ),
    (
        "sober-sluggers",
        "League game: Sluggers vs. Clean Sweep",
        "softball",
        4,
        time(18, 0),
        2,
        20,
        Repeat.weekly,
        "Lincoln Park field 3, Chicago, IL",
        "",
    ),
    (
        "tuesday-serenity-group",
        "Tuesday Night Serenity meeting",
        "meeting",
        0,
        time(19, 0),
        1,
        None,
        Repeat.weekly,
        "St. Mark's Hall, 1020 Oak St, Oakland, CA",
        "",
    ),
    (
        "tuesday-serenity-group",
        "Saturday Big Book study",
        "meeting",
        4,
        time(10, 0),
        1,
        30,
        Repeat.weekly,
        "St. Mark's Hall",
        "https://meet.example.org/serenity-saturday",
    ),
    (
        "self-empowerment-circle",
        "Recovery circle",
        "meeting",
        2,
        time(18, 30),
        1.5,
        16,
        Repeat.weekly,
        "Community Room, Hackney Library, London",
        "",
    ),
    (
        "morning-check-in-online",
        "Morning check-in",
        "meeting",
        1,
        time(7, 30),
        0.5,
        None,
        Repeat.weekly,
        "",
        "https://meet.example.org/steady-morning",
    ),
    (
        "peer-recovery-coaching",
        "Drop-in coaching hours",
        "coaching",
        5,
        time(12, 0),
        2,
        6,
        Repeat.monthly,
        "Recovery Community Center, 4200 N Broadway, Chicago, IL",
        "",
    ),
]


# What some demo events are like beyond the table above (the rest take their club's defaults).
DETAILS: dict[str, dict[str, object]] = {
    "Wednesday evening walk": {
        "attributes": "X newcomer-friendly alcohol-free OUT level-easy",
        "location_hint": "Chautauqua Park",
        "latitude": 39.99854,
        "longitude": -105.28135,
    },
    "Summit hike: Mount Falcon": {"attributes": "newcomer-friendly OUT level-hard"},
    "Tuesday Night Serenity meeting": {
        "location": "St. Mark's Hall",
        "address": "1020 Oak St",
        "postal_code": "94607",
        "attributes": "O D EN X XB",
    },
    # Hybrid: the hall has the capacity, the online link is public.
    "Saturday Big Book study": {
        "address": "1020 Oak St",
        "postal_code": "94607",
        "attributes": "O B EN X",
        "attendance": "hybrid",
        "details_for_attendees_only": False,
        "location_hint": "",
    },
    "Recovery circle": {"attributes": "O D A EN X"},
    "Morning check-in": {"attributes": "O D EN BE"},
}


async def is_empty() -> bool:
    return not await Member.exists() and not await Club.exists()


async def seed_demo(today: date | None = None) -> None:
    """Create the demo clubs, events and accounts (on an empty database)."""
    password_hash = await passwords.hash_password_async(DEMO_PASSWORD)
    organizer = await create_confirmed_member(ORGANIZER_EMAIL, "Sam (organizer)", password_hash)
    member = await create_confirmed_member(MEMBER_EMAIL, "Alex", password_hash)
    now = utcnow()
    clubs: dict[str, dict[str, Any]] = {}
    for spec in CLUBS:
        # CLUBS holds column names and values.
        rows = await Club.insert(Club(**spec)).returning(Club.id, Club.slug, Club.timezone)  # type: ignore[arg-type]
        clubs[spec["slug"]] = rows[0]
        await Membership.insert(
            Membership(member=organizer, club=rows[0]["id"], role=Role.organizer.value)
        )
    for slug in ("trailheads-sober-hiking", "tuesday-serenity-group"):
        await Membership.insert(
            Membership(
                member=member,
                club=clubs[slug]["id"],
                role=Role.member.value,
                joined_at=now - timedelta(days=3),
            )
        )
    first_event: dict[str, int] = {}
    for slug, title, activity, days, start, hours, capacity, repeat, location, online in EVENTS:
        club = clubs[slug]
        local_today = (today or to_local(now, club["timezone"]).date()) + timedelta(days=days)
        first = datetime.combine(local_today, start)
        if to_utc(first, club["timezone"]) < now:
            first += timedelta(days=7)
        series_id = None
        if repeat != Repeat.none:
            until = first.date() + timedelta(days=120)
            rows = await Series.insert(
                Series(club=club["id"], repeat=repeat.value, repeat_until=until)
            ).returning(Series.id)
            series_id = rows[0]["id"]
            starts = local_starts(first, repeat, until)
        else:
            starts = [first]
        for local_start in starts:
            starts_at = to_utc(local_start, club["timezone"])
            fields: dict[str, Any] = {
                "club": club["id"],
                "series": series_id,
                "title": title,
                "activity": activity,
                "starts_at": starts_at,
                "ends_at": to_utc(local_start + timedelta(hours=hours), club["timezone"]),
                "location": location,
                "online_url": online,
                "details_for_attendees_only": bool(online),
                "location_hint": "Online" if online else "",
                "capacity": capacity,
                "guests_allowed": 2 if capacity else 0,
                "description": f"{title} with {CLUB_NAMES[slug]}. Everyone in recovery is welcome.",
                "created_by": organizer,
                "attributes": CLUB_DEFAULTS[slug][0],
                "attendance": CLUB_DEFAULTS[slug][1],
                **DETAILS.get(title, {}),
            }
            rows = await Event.insert(Event(**fields)).returning(Event.id)
            first_event.setdefault(slug, rows[0]["id"])
    # The demo member is going to the next hike and the next meeting.
    for slug in ("trailheads-sober-hiking", "tuesday-serenity-group"):
        event_id = first_event[slug]
        await Rsvp.insert(
            Rsvp(event=event_id, member=member, status=RsvpStatus.going.value, first_time=True)
        )
        await Event.update({Event.taken: Event.taken + 1}).where(Event.id == event_id)


CLUB_NAMES = {spec["slug"]: spec["name"] for spec in CLUBS}
CLUB_DEFAULTS = {spec["slug"]: (spec["attributes"], spec["attendance"]) for spec in CLUBS}
