"""Clubs: the directory, membership (join, leave, team roles), club settings and welcome notes.

Every change that needs a rule across rows (a club keeps at least one organizer) runs in one
write transaction that first locks the club: BEGIN IMMEDIATE on SQLite, the club row
FOR UPDATE on PostgreSQL, so two organizers stepping down at once cannot both succeed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from piccolo.columns.combination import WhereRaw
from piccolo.query.functions.aggregate import Count

from events import parsing, timefmt
from events.db import is_postgres, is_unique_violation, lock_row, write_transaction
from events.forms.club import SLUG_RE, ClubForm, parse_activities
from events.services import attribute_filters, greetings, outbox, permissions, places, rsvps
from events.services.attribute_filters import AttributeFilter
from events.tables import (
    Club,
    ClubKind,
    Event,
    EventStatus,
    MailKind,
    Member,
    Membership,
    Report,
    ReportSubject,
    Role,
    Rsvp,
    WelcomeNote,
)
from events.tokens import Tokens

NEWCOMER_DAYS = 30


class ClubError(Exception):
    """A rule said no; `message` is for the person who asked, `status` for the response."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


# ---------------------------------------------------------------- directory


def activity_list(activities: str) -> list[str]:
    return [a for a in activities.split(",") if a]


DIRECTORY_PAGE_SIZE = 50
DIRECTORY_PAGE_MAX = 10_000
SEARCH_MAX = 100


@dataclass
class DirectoryFilters:
    kind: str = ""
    activity: str = ""
    q: str = ""
    page: int = 1
    messages: list[str] = field(default_factory=list)
    place: str = ""  # a city, or "online" (events/services/places.py)
    attributes: AttributeFilter = field(default_factory=AttributeFilter)

    def as_query(self) -> dict[str, str]:
        """The filters (not the page) as a query string."""
        values = (
            ("q", self.q),
            ("kind", self.kind),
            ("activity", self.activity),
            ("place", self.place),
        )
        return {**{k: v for k, v in values if v}, **self.attributes.as_query()}

    def page_query(self, page: int) -> dict[str, str]:
        return {**self.as_query(), **({"page": str(page)} if page > 1 else {})}


def parse_directory_filters(params: Any, activities: list[str]) -> DirectoryFilters:
    filters = DirectoryFilters(q=" ".join(str(params.get("q", "")).split())[:SEARCH_MAX])
    filters.place = places.parse_place(params.get("place"))
    filters.attributes = attribute_filters.read(params)
    filters.messages += filters.attributes.messages
    kind = str(params.get("kind", "")).strip()
    if kind:
        if kind in {k.value for k in ClubKind}:
            filters.kind = kind
        else:
            filters.messages.append("That kind of group isn't one we know; showing all kinds.")
    activity = " ".join(str(params.get("activity", "")).strip().lower().split())[:40]
    if activity:
        if activity in activities:
            filters.activity = activity
        else:
            filters.messages.append(f"No clubs list the activity “{activity}”; showing all.")
    page = params.get("page")
    if page is not None and str(page).strip():
        number = parsing.parse_int(page, 1, DIRECTORY_PAGE_MAX)
        if number is None:
            filters.messages.append("That page number wasn't one we could read; showing page 1.")
        else:
            filters.page = number
    return filters


async def directory_activities() -> list[str]:
    return (await directory_menus())[0]


async def directory_menus() -> tuple[list[str], tuple[places.Place, ...]]:
    """The activities and the places of listed clubs, in one statement."""
    rows = (
        await Club.select(Club.activities, Club.city, Club.region, Club.country)
        .where(Club.listed.eq(True) & Club.suspended_at.is_null())
        .distinct()
    )
    activities = sorted({a for r in rows for a in activity_list(r["activities"])})
    return activities, places.from_rows(rows)


@dataclass(frozen=True)
class NextEvent:
    id: int
    title: str
    starts_at: datetime
    repeat: str | None = None  # the series' rhythm, for "Every Wednesday, ... · next Wed 9 Dec"


@dataclass(frozen=True)
class ClubCard:
    id: int
    slug: str
    name: str
    kind: str
    timezone: str
    activity_list: tuple[str, ...]
    member_count: int
    next_event: NextEvent | None
    city: str = ""
    region: str = ""
    country: str = ""
    attributes: str = ""
    attendance: str = "in_person"


@dataclass(frozen=True)
class DirectoryPage:
    """One page of `/clubs`: at most DIRECTORY_PAGE_SIZE cards, in name order."""

    cards: tuple[ClubCard, ...]
    filters: DirectoryFilters
    activities: tuple[str, ...]
    page: int
    has_next: bool
    places: tuple[places.Place, ...] = ()

    @property
    def previous_query(self) -> dict[str, str] | None:
        return self.filters.page_query(self.page - 1) if self.page > 1 else None

    @property
    def next_query(self) -> dict[str, str] | None:
        return self.filters.page_query(self.page + 1) if self.has_next else None


async def directory_page(params: Any, now: datetime | None = None) -> DirectoryPage:
    """`/clubs` from its query string, in four statements whatever the number of clubs."""
    activities, place_menu = await directory_menus()
    filters = parse_directory_filters(params, activities)
    query = Club.select(
        Club.id,
        Club.slug,
        Club.name,
        Club.kind,
        Club.activities,
        Club.timezone,
        Club.city,
        Club.region,
        Club.country,
        Club.attributes,
        Club.attendance,
    ).where(Club.listed.eq(True) & Club.suspended_at.is_null())
    query = places.narrow_clubs(query, filters.place)
    if filters.kind:
        query = query.where(Club.kind == filters.kind)
    if filters.activity:
        a = filters.activity
        query = query.where(
            (Club.activities == a)
            | Club.activities.like(f"{a},%")
            | Club.activities.like(f"%,{a}")
            | Club.activities.like(f"%,{a},%")
        )
    if filters.q:
        from events.services.listings import contains  # listings imports this module

        pattern = "%" + filters.q.replace("%", "").replace("_", "") + "%"
        query = query.where(contains(Club.name, pattern) | contains(Club.activities, pattern))
    query = attribute_filters.narrowed(query, filters.attributes, Club)
    size = DIRECTORY_PAGE_SIZE
    rows = (
        await query.order_by(Club.name, Club.id).limit(size + 1).offset((filters.page - 1) * size)
    )
    shown = rows[:size]
    ids = [c["id"] for c in shown]
    counts = await member_counts(ids) if ids else {}
    upcoming = await next_events(ids, now) if ids else {}
    cards = tuple(
        ClubCard(
            id=c["id"],
            slug=c["slug"],
            name=c["name"],
            kind=c["kind"],
            timezone=c["timezone"],
            activity_list=tuple(activity_list(c["activities"])),
            member_count=counts.get(c["id"], 0),
            next_event=NextEvent(**upcoming[c["id"]]) if c["id"] in upcoming else None,
            city=c["city"],
            region=c["region"],
            country=c["country"],
            attributes=c["attributes"],
            attendance=c["attendance"],
        )
        for c in shown
    )
    return DirectoryPage(
        cards=cards,
        filters=filters,
        activities=tuple(activities),
        page=filters.page,
        has_next=len(rows) > size,
        places=place_menu,
    )


async def member_counts(club_ids: list[int]) -> dict[int, int]:
    rows = (
        await Membership.select(Membership.club, Count(Membership.id, alias="n"))
        .where(Membership.club.is_in(club_ids) & Membership.blocked.eq(False))
        .group_by(Membership.club)
    )
    return {int(r["club"]): int(r["n"]) for r in rows}


async def next_events(
    club_ids: list[int], now: datetime | None = None
) -> dict[int, dict[str, Any]]:
    """Each club's next scheduled event, in one query over these clubs' events only."""
    rows = await Event.select(
        Event.id,
        Event.club,
        Event.title,
        Event.starts_at,
        Event.series.repeat.as_alias("repeat"),
    ).where(
        Event.club.is_in(club_ids),
        WhereRaw(
            "event.id = (SELECT e.id FROM event AS e WHERE e.club = event.club "
            "AND e.status = {} AND e.starts_at >= {} ORDER BY e.starts_at, e.id LIMIT 1)",
            EventStatus.scheduled.value,
            now or timefmt.utcnow(),
        ),
    )
    return {
        int(r["club"]): {
            "id": r["id"],
            "title": r["title"],
            "starts_at": r["starts_at"],
            "repeat": r["repeat"],
        }
        for r in rows
    }


# ---------------------------------------------------------------- one club


async def get_club(slug: str) -> dict[str, Any] | None:
    if not SLUG_RE.match(slug):
        return None
    return await Club.select().where(Club.slug == slug).first()


async def membership_of(member_id: int | None, club_id: int) -> dict[str, Any] | None:
    if member_id is None:
        return None
    return (
        await Membership.select()
        .where((Membership.member == member_id) & (Membership.club == club_id))
        .first()
    )


async def organizers(club_id: int) -> list[dict[str, Any]]:
    return (
        await Membership.select(
            Membership.member.id.as_alias("member_id"),
            Membership.member.display_name.as_alias("display_name"),
        )
        .where(
            (Membership.club == club_id)
            & (Membership.role == Role.organizer.value)
            & Membership.blocked.eq(False)
        )
        .order_by(Membership.joined_at)
    )


async def newcomers(
    tokens: Tokens, club_id: int, viewer_id: int, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Members (not organizers) who joined in the last 30 days and chose to be greeted, minus
    the viewer, each with a coarse `joined` label, opaque `ref`/`report_ref` for the viewer's
    forms, and `greeted` when the viewer has already sent them a note.

    Empty unless the viewer may greet (see greetings.may_greet): not a directory."""
    current = now or timefmt.utcnow()
    if not await greetings.may_greet(await membership_of(viewer_id, club_id), club_id, current):
        return []
    since = current - timedelta(days=NEWCOMER_DAYS)
    rows = (
        await Membership.select(
            Membership.member.id.as_alias("member_id"),
            Membership.member.display_name.as_alias("display_name"),
            Membership.joined_at,
        )
        .where(
            (Membership.club == club_id)
            & (Membership.joined_at >= since)
            & Membership.blocked.eq(False)
            & (Membership.role == Role.member.value)
            & (Membership.member != viewer_id)
            & Membership.member.allow_greetings.eq(True)  # type: ignore[union-attr]
            & Membership.member.deleted_at.is_null()
            & greetings.opted_in()
        )
        .order_by(Membership.joined_at, ascending=False)
    )
    sent = {
        int(r["newcomer"])
        for r in await WelcomeNote.select(WelcomeNote.newcomer).where(
            (WelcomeNote.club == club_id) & (WelcomeNote.author == viewer_id)
        )
    }
    for r in rows:
        r["greeted"] = r["member_id"] in sent
        r["joined"] = greetings.joined_label(r.pop("joined_at"), current)
        r.update(greetings.refs(tokens, club_id, viewer_id, r["member_id"]))
    return rows


async def may_greet(member_id: int, club_id: int, now: datetime | None = None) -> bool:
    return await greetings.may_greet(await membership_of(member_id, club_id), club_id, now)


async def set_greetable(member_id: int, club_id: int, greetable: bool) -> bool:
    """The member's own choice to be listed as a newcomer in this club; False if not a member."""
    rows = (
        await Membership.update({Membership.greetable: greetable})
        .where(
            (Membership.member == member_id)
            & (Membership.club == club_id)
            & Membership.blocked.eq(False)
        )
        .returning(Membership.id)
    )
    return bool(rows)


async def member_count(club_id: int) -> int:
    return (await member_counts([club_id])).get(club_id, 0)


# ---------------------------------------------------------------- create and edit


def _activities_column(form: ClubForm) -> str:
    return ",".join(parse_activities(form.activities))


async def suggest_slug(slug: str) -> str:
    base = slug[:55].strip("-") or "club"
    taken = {r["slug"] for r in await Club.select(Club.slug).where(Club.slug.like(f"{base}%"))}
    for n in range(2, 1000):
        candidate = f"{base}-{n}"
        if candidate not in taken:
            return candidate
    return f"{base}-{int(timefmt.utcnow().timestamp())}"


async def create_club(form: ClubForm, creator_id: int) -> int:
    """Insert the club and make its creator organizer. Raises ClubError on a taken slug."""
    if await Club.exists().where(Club.slug == form.slug):
        raise ClubError("slug")
    try:
        async with write_transaction():
            rows = await Club.insert(
                Club(
                    slug=form.slug,
                    name=form.name,
                    kind=form.kind,
                    activities=_activities_column(form),
                    description=form.description,
                    timezone=form.timezone,
                    welcome_message=form.welcome_message,
                    city=form.city,
                    region=form.region,
                    country=form.country,
                    attributes=form.attributes or "",
                    attendance=form.attendance or "in_person",
                )
            ).returning(Club.id)
            club_id = int(rows[0]["id"])
            await Membership.insert(
                Membership(member=creator_id, club=club_id, role=Role.organizer.value)
            )
    except Exception as exc:
        if is_unique_violation(exc):
            raise ClubError("slug") from exc
        raise
    return club_id


async def update_club(club_id: int, form: ClubForm) -> None:
    defaults = {Club.attributes: form.attributes, Club.attendance: form.attendance}
    await Club.update(
        {
            **{column: value for column, value in defaults.items() if value is not None},
            Club.name: form.name,
            Club.kind: form.kind,
            Club.activities: _activities_column(form),
            Club.description: form.description,
            Club.timezone: form.timezone,
            Club.welcome_message: form.welcome_message,
            Club.city: form.city,
            Club.region: form.region,
            Club.country: form.country,
            Club.updated_at: timefmt.utcnow(),
        }
    ).where(Club.id == club_id)


def form_from_club(club: dict[str, Any]) -> ClubForm:
    """The edit form's starting values."""
    return ClubForm(
        name=club["name"],
        slug=club["slug"],
        kind=club["kind"],
        activities=", ".join(activity_list(club["activities"])),
        description=club["description"],
        timezone=club["timezone"],
        welcome_message=club["welcome_message"],
        city=club.get("city") or "",
        region=club.get("region") or "",
        country=club.get("country") or "",
        attributes=club.get("attributes") or "",
        attendance=club.get("attendance") or "in_person",
    )


# ---------------------------------------------------------------- membership


async def _lock_club(club_id: int) -> None:
    """Serialize membership changes of one club. NO KEY UPDATE: an RSVP's outbox row (a foreign
    key to the club) does not wait for it, so removing someone can lock the club's events
    without a deadlock. SQLite runs no statement: BEGIN IMMEDIATE did it already."""
    if is_postgres():
        await lock_row(Club.select(Club.id).where(Club.id == club_id))


async def _organizer_count(club_id: int) -> int:
    return await Membership.count().where(
        (Membership.club == club_id)
        & (Membership.role == Role.organizer.value)
        & Membership.blocked.eq(False)
    )


def welcome_dedupe_key(club_id: int, member_id: int, joined_at: datetime) -> str:
    stamp = joined_at.astimezone(timefmt.zone("UTC")).strftime("%Y%m%dT%H%M%S%f")
    return f"welcome:{club_id}:{member_id}:{stamp}"


async def join(
    member_id: int, club_id: int, now: datetime | None = None, greetable: bool | None = None
) -> bool:
    """Join the club; True when a membership was created. A second join changes nothing.
    `greetable` is the joiner's choice to be listed as a newcomer (None: the kind's default).

    Raises ClubError(403) for a member an organizer has removed and blocked."""
    joined_at = now or timefmt.utcnow()
    async with write_transaction():
        existing = await membership_of(member_id, club_id)
        if existing is not None:
            if existing["blocked"]:
                raise ClubError("The organizers of this club have removed you from it.", 403)
            return False
        rows = (
            await Membership.insert(
                Membership(
                    member=member_id,
                    club=club_id,
                    role=Role.member.value,
                    joined_at=joined_at,
                    greetable=greetable,
                )
            )
            .on_conflict(action="DO NOTHING")
            .returning(Membership.id)
        )
        if not rows:
            return False
        await outbox.add(
            MailKind.welcome,
            welcome_dedupe_key(club_id, member_id, joined_at),
            recipient=member_id,
            club=club_id,
        )
    return True


async def leave(member_id: int, club_id: int) -> bool:
    """Leave the club; False when not a member. The last organizer must hand over first.

    A blocked membership is kept (it is what stops the member rejoining)."""
    async with write_transaction():
        await _lock_club(club_id)
        existing = await membership_of(member_id, club_id)
        if existing is None or existing["blocked"]:
            return False
        if existing["role"] == Role.organizer.value and await _organizer_count(club_id) <= 1:
            raise ClubError(
                "You're this club's only organizer. Make another member co-organizer "
                "before you leave.",
                409,
            )
        await Membership.delete().where(Membership.id == existing["id"])
        await greetings.release_club_roles(member_id, club_id)
    return True


@dataclass(frozen=True, slots=True)
class TeamMember:
    member_id: int
    display_name: str
    role: str
    joined_at: datetime
    blocked: bool


@dataclass(frozen=True, slots=True)
class Answerer:
    """Someone who answered one of the club's events without being in the club."""

    member_id: int
    display_name: str


async def team(club_id: int) -> list[TeamMember]:
    rows = (
        await Membership.select(
            Membership.member.id.as_alias("member_id"),
            Membership.member.display_name.as_alias("display_name"),
            Membership.role,
            Membership.joined_at,
            Membership.blocked,
        )
        .where(Membership.club == club_id)
        .order_by(Membership.role, ascending=False)
        .order_by(Membership.joined_at)
    )
    return [TeamMember(**{**r, "blocked": bool(r["blocked"])}) for r in rows]


async def _require_organizer(actor_id: int, club_id: int) -> None:
    """Checked again under the club's lock: the actor may have stepped down meanwhile."""
    if not await permissions.is_organizer(actor_id, club_id):
        raise ClubError("Only this club's organizers can do that.", 403)


async def _target(club_id: int, member_id: int) -> dict[str, Any]:
    row = await membership_of(member_id, club_id)
    if row is None or row["blocked"]:
        raise ClubError("That person isn't a member of this club.", 404)
    return row


async def promote(actor_id: int, club_id: int, member_id: int) -> None:
    async with write_transaction():
        await _lock_club(club_id)
        await _require_organizer(actor_id, club_id)
        target = await _target(club_id, member_id)
        await Membership.update({Membership.role: Role.organizer.value}).where(
            Membership.id == target["id"]
        )


async def step_down(actor_id: int, club_id: int, member_id: int) -> None:
    """An organizer steps down (member_id == actor) or turns a co-organizer into a member."""
    async with write_transaction():
        await _lock_club(club_id)
        await _require_organizer(actor_id, club_id)
        target = await _target(club_id, member_id)
        if target["role"] != Role.organizer.value:
            return
        if await _organizer_count(club_id) <= 1:
            raise ClubError(
                "A club needs at least one organizer. Make someone else co-organizer first.",
                409,
            )
        await Membership.update({Membership.role: Role.member.value}).where(
            Membership.id == target["id"]
        )


async def _removal_target(club_id: int, member_id: int) -> dict[str, Any] | None:
    """The membership to remove, or None for someone who answered one of the club's events
    without joining. Raises ClubError(404) for anyone else (or someone already blocked)."""
    row = await membership_of(member_id, club_id)
    if row is not None:
        if row["blocked"]:
            raise ClubError("That person is already removed from this club.", 404)
        return row
    answered = await Rsvp.exists().where(
        (Rsvp.member == member_id) & (Rsvp.event.club == club_id) & Rsvp.member.deleted_at.is_null()
    )
    if not answered:
        raise ClubError("That person isn't a member of this club.", 404)
    return None


async def remove(
    actor_id: int,
    club_id: int,
    member_id: int,
    *,
    block: bool = False,
    now: datetime | None = None,
) -> None:
    """Remove a member, or someone who answered the club's events without joining; with
    `block` they cannot rejoin or RSVP again. Their RSVPs to the club's upcoming events are
    cancelled as their own cancel would be. The club keeps an organizer."""
    async with write_transaction():
        await _lock_club(club_id)
        await _require_organizer(actor_id, club_id)
        target = await _removal_target(club_id, member_id)
        if (
            target is not None
            and target["role"] == Role.organizer.value
            and await _organizer_count(club_id) <= 1
        ):
            raise ClubError(
                "A club needs at least one organizer. Make someone else co-organizer first.",
                409,
            )
        if block:
            # An upsert: a join racing with this one ends blocked too.
            await Membership.raw(
                "INSERT INTO membership (member, club, role, joined_at, blocked) "
                "VALUES ({}, {}, {}, {}, {}) "
                "ON CONFLICT (member, club) DO UPDATE SET blocked = {}, role = {}",
                member_id,
                club_id,
                Role.member.value,
                now or timefmt.utcnow(),
                True,
                True,
                Role.member.value,
            )
        elif target is not None:
            await Membership.delete().where(Membership.id == target["id"])
        await greetings.release_club_roles(member_id, club_id)
        await rsvps.cancel_for_club(club_id, member_id, now)


async def answered_not_joined(club_id: int, limit: int = 200) -> list[Answerer]:
    """People who answered one of the club's events without being in it (joined or blocked):
    organizers can remove or block them too."""
    rows = (
        await Rsvp.select(
            Rsvp.member.id.as_alias("member_id"),
            Rsvp.member.display_name.as_alias("display_name"),
        )
        .where(
            (Rsvp.event.club == club_id)
            & Rsvp.member.deleted_at.is_null()
            & WhereRaw(
                "rsvp.member NOT IN (SELECT member FROM membership WHERE club = {})", club_id
            )
        )
        .distinct()
        .order_by(Rsvp.member.display_name)
        .order_by(Rsvp.member.id)
        .limit(limit)
    )
    return [Answerer(**r) for r in rows]


# ---------------------------------------------------------------- welcome notes


async def is_newcomer(club_id: int, member_id: int, now: datetime | None = None) -> bool:
    since = (now or timefmt.utcnow()) - timedelta(days=NEWCOMER_DAYS)
    return await Membership.exists().where(
        (Membership.club == club_id)
        & (Membership.member == member_id)
        & (Membership.joined_at >= since)
        & Membership.blocked.eq(False)
        & (Membership.role == Role.member.value)
        & Membership.member.allow_greetings.eq(True)  # type: ignore[union-attr]
        & Membership.member.deleted_at.is_null()
        & greetings.opted_in()
    )


async def send_note(
    author_id: int, club_id: int, newcomer_id: int, text: str, now: datetime | None = None
) -> int:
    """Write one welcome note (`text` as `forms.welcome_note` read it). Raises ClubError: 403
    for non-members, 409 for a second note to the same newcomer."""
    if not await membership_of_active(author_id, club_id):
        raise ClubError("Only members of this club can welcome its newcomers.", 403)
    if not await may_greet(author_id, club_id, now):
        raise ClubError(
            "Newcomers are welcomed by members who've been in the club a couple of weeks, "
            "and by its organizers and greeters.",
            403,
        )
    if newcomer_id == author_id or not await is_newcomer(club_id, newcomer_id, now):
        raise ClubError("That person isn't a newcomer of this club (or has greetings off).")
    try:
        async with write_transaction():
            rows = (
                await WelcomeNote.insert(
                    WelcomeNote(club=club_id, author=author_id, newcomer=newcomer_id, message=text)
                )
                .on_conflict(action="DO NOTHING")
                .returning(WelcomeNote.id)
            )
            if rows:
                # Mailed to the newcomer too (the worker checks their greetings switch and
                # discreet mode when it sends).
                note_id = int(rows[0]["id"])
                await outbox.add(
                    MailKind.welcome_note,
                    f"welcome-note:{note_id}",
                    recipient=newcomer_id,
                    club=club_id,
                    payload={"note_id": note_id},
                )
    except Exception as exc:
        if not is_unique_violation(exc):
            raise
        rows = []
    if not rows:
        raise ClubError("You've already welcomed this newcomer. One note each keeps it warm.", 409)
    return int(rows[0]["id"])


async def membership_of_active(member_id: int, club_id: int) -> bool:
    row = await membership_of(member_id, club_id)
    return row is not None and not row["blocked"]


# ---------------------------------------------------------------- the newcomer's side


async def allows_greetings(member_id: int) -> bool:
    row = await Member.select(Member.allow_greetings).where(Member.id == member_id).first()
    return bool(row and row["allow_greetings"])


async def set_greetings(member_id: int, allow: bool) -> None:
    await Member.update({Member.allow_greetings: allow}).where(Member.id == member_id)


async def hide_note(member_id: int, note_id: int) -> bool:
    """Only the newcomer the note is addressed to can hide it; False otherwise."""
    rows = (
        await WelcomeNote.update({WelcomeNote.hidden: True})
        .where((WelcomeNote.id == note_id) & (WelcomeNote.newcomer == member_id))
        .returning(WelcomeNote.id)
    )
    return bool(rows)


async def report_note(member_id: int, note_id: int, reason: str = "") -> bool:
    """Hide the note and file one Report for the club's organizers (a repeat files none)."""
    async with write_transaction():
        note = (
            await WelcomeNote.select(WelcomeNote.id, WelcomeNote.club, WelcomeNote.reported_at)
            .where((WelcomeNote.id == note_id) & (WelcomeNote.newcomer == member_id))
            .first()
        )
        if note is None:
            return False
        if note["reported_at"] is None:
            await Report.insert(
                Report(
                    club=note["club"],
                    reporter=member_id,
                    subject_kind=ReportSubject.note.value,
                    subject_id=note_id,
                    reason=reason.strip()[:1000],
                )
            )
        await WelcomeNote.update(
            {WelcomeNote.hidden: True, WelcomeNote.reported_at: timefmt.utcnow()}
        ).where(WelcomeNote.id == note_id)
    return True
