"""Read models: what the event page, a club page and the account page show, each read in a
fixed, small number of statements whatever the number of events, members or RSVPs.

Each read first loads the row the page is about together with the viewer's standing in it
(membership, role, block, RSVP) in one statement; then, in one more, every list the viewer may
see (a UNION ALL of exactly the lists their standing allows, so what they may not see is never
read). The visibility rules are those of events.services.greetings, attendees and events_admin;
tests/test_pages_statements.py pins the counts.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any, TypeVar

from piccolo.engine import engine_finder
from piccolo.engine.sqlite import SQLiteEngine

from events import timefmt
from events.markdown import render_markdown
from events.services import cards, greetings
from events.services.attendees import Fellows, as_chosen
from events.services.clubs import NEWCOMER_DAYS, SLUG_RE, activity_list
from events.services.events_admin import RoleSlot, is_greeter_role
from events.services.rsvps import ONLINE, PanelState, is_hybrid, panel_from
from events.tables import Club, Event, EventStatus, MailKind, Role, RsvpStatus, Visibility
from events.tokens import Tokens

T = TypeVar("T")

GOING = RsvpStatus.going.value
WAITLISTED = RsvpStatus.waitlisted.value
NOTES_SHOWN = 100

# The shared columns of a UNION ALL of lists: (name, SQL type). Each list fills the ones it
# needs and leaves the others NULL.
LIST_COLUMNS = (
    ("kind", "TEXT"),
    ("i1", "INTEGER"),
    ("i2", "INTEGER"),
    ("t1", "TEXT"),
    ("t2", "TEXT"),
    ("t3", "TEXT"),
    ("t4", "TEXT"),
    ("t5", "TEXT"),
    ("ts1", "TIMESTAMPTZ"),
    ("ts2", "TIMESTAMPTZ"),
    ("b1", "BOOLEAN"),
)


class _Page:
    def context(self) -> dict[str, Any]:
        """The fields as template variables."""
        return {f.name: getattr(self, f.name) for f in fields(self)}  # type: ignore[arg-type]


def _sqlite() -> bool:
    return isinstance(engine_finder(), SQLiteEngine)


def _alias(name: str, sql_type: str, sqlite: bool) -> str:
    """A column alias that comes back typed on both engines: SQLite converts by the type named
    in the alias (PARSE_COLNAMES) and drops it from the name."""
    return f'"{name} [{sql_type}]"' if sqlite else name


@dataclass(frozen=True)
class Branch:
    """One list of a UNION ALL: `columns` maps list columns to SQL expressions over `source`
    (FROM ... WHERE ..., with `{}` placeholders for `args`), in the order of `order`."""

    kind: str
    source: str
    order: str
    columns: dict[str, str]
    args: tuple[Any, ...] = ()
    limit: int | None = None

    def sql(self, number: int) -> str:
        sqlite = _sqlite()
        parts = [f"'{self.kind}' AS {_alias('kind', 'TEXT', sqlite)}"]
        for name, sql_type in LIST_COLUMNS[1:]:
            # SQLite needs no casts (and CAST to an unknown type name would mangle text).
            default = "NULL" if sqlite else f"CAST(NULL AS {sql_type})"
            parts.append(f"{self.columns.get(name, default)} AS {_alias(name, sql_type, sqlite)}")
        parts.append(f"ROW_NUMBER() OVER (ORDER BY {self.order}) AS seq")
        inner = f"SELECT {', '.join(parts)} {self.source}"
        limit = f" WHERE b{number}.seq <= {int(self.limit)}" if self.limit else ""
        return f"SELECT * FROM ({inner}) AS b{number}{limit}"


async def _lists(branches: list[Branch]) -> dict[str, list[dict[str, Any]]]:
    """Run the branches as one statement; the rows of each kind, in that branch's order."""
    grouped: dict[str, list[dict[str, Any]]] = {b.kind: [] for b in branches}
    if not branches:
        return grouped
    sql = " UNION ALL ".join(b.sql(n) for n, b in enumerate(branches))
    sql += f" ORDER BY 1, {len(LIST_COLUMNS) + 1}"
    args = [value for b in branches for value in b.args]
    for row in await Event.raw(sql, *args):
        grouped[str(row["kind"])].append(dict(row))
    return grouped


def _flag(value: Any) -> bool:
    return value in (True, 1, "1")


# ---------------------------------------------------------------- the event page

EVENT_COLUMNS = ", ".join(f"event.{c._meta.db_column_name}" for c in Event._meta.columns)

EVENT_SQL = (
    f"SELECT {EVENT_COLUMNS}, club.slug AS club_slug, club.name AS club_name, "
    "club.timezone AS club_timezone, club.kind AS club_kind, "
    "club.suspended_at AS club_suspended_at, "
    "membership.role AS my_role, membership.blocked AS my_blocked, "
    "club.country AS club_country, club.city AS club_city, "
    "mine.status AS my_status, mine.guests AS my_guests, mine.visibility AS my_visibility, "
    "mine.attendance AS my_attendance, "
    "(SELECT COUNT(*) FROM rsvp ahead WHERE ahead.event = event.id "
    "AND ahead.status = 'waitlisted' AND mine.status = 'waitlisted' "
    "AND (ahead.queued_at < mine.queued_at "
    "OR (ahead.queued_at = mine.queued_at AND ahead.id <= mine.id))) AS my_position, "
    "(SELECT COUNT(*) FROM volunteer_role WHERE volunteer_role.event = event.id) AS role_count, "
    "(SELECT COUNT(*) FROM role_signup JOIN volunteer_role ON volunteer_role.id = role_signup.role "
    "WHERE volunteer_role.event = event.id AND role_signup.member = {}) AS my_role_count "
    "FROM event JOIN club ON club.id = event.club "
    "LEFT JOIN membership ON membership.club = event.club AND membership.member = {} "
    "LEFT JOIN rsvp mine ON mine.event = event.id AND mine.member = {} "
    "WHERE event.id = {}"
)
# The club columns the event page keeps beside the event's own.
CLUB_KEYS = (
    "club_slug",
    "club_name",
    "club_timezone",
    "club_kind",
    "club_suspended_at",
    "club_country",
    "club_city",
)
EVENT_EXTRA = (
    *CLUB_KEYS,
    "my_role",
    "my_blocked",
    "my_status",
    "my_guests",
    "my_visibility",
    "my_attendance",
    "my_position",
    "role_count",
    "my_role_count",
)


@dataclass(frozen=True, slots=True)
class ReceivedMessage:
    """An organizer's message to the viewer, on the event page."""

    id: int
    subject: str
    body: str
    created_at: datetime


@dataclass(frozen=True)
class EventPage(_Page):
    """What event.html shows one viewer (None: signed out)."""

    event: dict[str, Any]
    cancelled: bool
    show_details: bool
    counts: dict[str, int]
    rsvp: PanelState
    can_organize: bool
    roles: list[RoleSlot]
    can_take_roles: bool
    is_greeter: bool
    newcomers: list[str]
    hidden_newcomers: int
    # Organizers' messages addressed to this member (discreet mails only link here).
    my_messages: list[ReceivedMessage]
    # Fellow attendees, as each chose to be shown: for people going only.
    fellows: Fellows | None
    # The online link, when shown at all (details shown), goes to this viewer too: on a hybrid
    # event only to people going online, or in person when the organizer allows it.
    show_link: bool = True


def _event_branches(
    row: dict[str, Any], viewer: int | None, organizer: bool, going: bool, blocked: bool
) -> list[Branch]:
    event_id = int(row["id"])
    branches: list[Branch] = []
    if row["role_count"]:
        branches.append(
            Branch(
                "role",
                "FROM volunteer_role WHERE volunteer_role.event = {}",
                "volunteer_role.id",
                {
                    "i1": "volunteer_role.id",
                    "i2": "volunteer_role.spots",
                    "t1": "volunteer_role.name",
                },
                (event_id,),
            )
        )
        # Who holds which role: names only for organizers.
        branches.append(
            Branch(
                "signup",
                "FROM role_signup JOIN volunteer_role ON volunteer_role.id = role_signup.role "
                "JOIN member ON member.id = role_signup.member "
                "WHERE volunteer_role.event = {}",
                "role_signup.created_at, role_signup.id",
                {
                    "i1": "role_signup.role",
                    "i2": "role_signup.member",
                    **({"t1": "member.display_name"} if organizer else {}),
                },
                (event_id,),
            )
        )
    if viewer is not None and not blocked:
        # Messages addressed to this member: one outbox row each, keyed message:{id}:{member}.
        branches.append(
            Branch(
                "message",
                "FROM event_message WHERE event_message.event = {} AND EXISTS (SELECT 1 FROM "
                f"outbox WHERE outbox.kind = '{MailKind.message.value}' AND outbox.event = {{}} "
                "AND outbox.recipient = {} "
                "AND outbox.dedupe_key LIKE 'message:' || CAST(event_message.id AS TEXT) || ':%')",
                "event_message.created_at DESC, event_message.id DESC",
                {
                    "i1": "event_message.id",
                    "t1": "event_message.subject",
                    "t2": "event_message.body",
                    "ts1": "event_message.created_at",
                },
                (event_id, event_id, viewer),
            )
        )
    if going:
        branches.append(
            Branch(
                "fellow",
                "FROM rsvp JOIN member ON member.id = rsvp.member WHERE rsvp.event = {} "
                "AND rsvp.status = 'going' AND rsvp.member != {} AND member.deleted_at IS NULL",
                "rsvp.queued_at, rsvp.id",
                {"t1": "member.display_name", "t2": "rsvp.visibility"},
                (event_id, viewer),
            )
        )
    if organizer or (going and row["my_role_count"]):
        # First-timers going, with their greeting choice in the club (a greeter sees only
        # those who chose to be greeted; the role's kind is checked once the roles are read).
        branches.append(
            Branch(
                "newcomer",
                "FROM rsvp JOIN member ON member.id = rsvp.member "
                "LEFT JOIN membership ON membership.club = {} AND membership.member = rsvp.member "
                "WHERE rsvp.event = {} AND rsvp.status = 'going' AND rsvp.first_time = {}",
                "rsvp.queued_at, rsvp.id",
                {
                    "i1": "rsvp.member",
                    "t1": "member.display_name",
                    "t2": "rsvp.visibility",
                    "i2": "membership.id",
                    "b1": "membership.greetable",
                },
                (row["club"], event_id, True),
            )
        )
    return branches


async def event_page(
    event_id: int, viewer: int | None, now: datetime | None = None
) -> EventPage | None:
    """The event as `viewer` may see it; None when there is no such event. Two statements at
    most (one when the event has no volunteer roles and the viewer is signed out)."""
    rows = await Event.raw(EVENT_SQL, viewer, viewer, viewer, event_id)
    if not rows:
        return None
    row = dict(rows[0])
    blocked = _flag(row["my_blocked"])
    # Someone the organizers removed and blocked is no attendee, whatever RSVP row is left.
    organizer = row["my_role"] == Role.organizer.value and not blocked
    going = viewer is not None and row["my_status"] == GOING and not blocked
    lists = await _lists(_event_branches(row, viewer, organizer, going, blocked))

    roles: list[RoleSlot] = []
    signups = lists.get("signup", [])
    for r in lists.get("role", []):
        held = [s for s in signups if s["i1"] == r["i1"]]
        spots = int(r["i2"])
        roles.append(
            RoleSlot(
                id=int(r["i1"]),
                event=event_id,
                name=r["t1"],
                spots=spots,
                taken=len(held),
                free=max(spots - len(held), 0),
                mine=viewer is not None and any(s["i2"] == viewer for s in held),
                holders=[s["t1"] for s in held] if organizer else [],
                greeter=is_greeter_role(str(r["t1"])),
            )
        )
    # The role shows the newcomers only while its holder is going.
    greeter = going and any(r.mine and r.greeter for r in roles)
    names: list[str] = []
    hidden = 0
    newcomer_rows = lists.get("newcomer", [])
    if organizer:
        names = [str(n["t1"]) for n in newcomer_rows]
    elif greeter:
        chosen = as_chosen(
            [
                {
                    "name": str(n["t1"]),
                    "visibility": n["t2"]
                    if greetings.choice_of(
                        {"greetable": n["b1"]} if n["i2"] is not None else None, row["club_kind"]
                    )
                    else Visibility.hidden.value,
                }
                for n in newcomer_rows
            ]
        )
        names, hidden = chosen.shown, chosen.unnamed

    event = {k: v for k, v in row.items() if k not in EVENT_EXTRA}
    for key in CLUB_KEYS:
        event[key] = row[key]
    event["description_html"] = (
        render_markdown(event["description"]) if event["description"] else ""
    )
    mine = None
    if viewer is not None and not blocked and row["my_status"] is not None:
        mine = {
            "status": row["my_status"],
            "guests": row["my_guests"],
            "visibility": row["my_visibility"],
            "attendance": row["my_attendance"],
        }
    position = int(row["my_position"]) if mine and mine["status"] == WAITLISTED else None
    return EventPage(
        event=event,
        cancelled=event["status"] == EventStatus.cancelled.value,
        show_details=not event["details_for_attendees_only"] or going or organizer,
        counts={"going": int(event["taken"]), "waitlisted": int(event["waitlisted"])},
        rsvp=panel_from(event, mine, position, now),
        can_organize=organizer,
        roles=roles,
        can_take_roles=going and event["status"] == EventStatus.scheduled.value,
        is_greeter=greeter,
        newcomers=names,
        hidden_newcomers=hidden,
        my_messages=[
            ReceivedMessage(id=m["i1"], subject=m["t1"], body=m["t2"], created_at=m["ts1"])
            for m in lists.get("message", [])
        ],
        fellows=as_chosen(
            [{"name": str(f["t1"]), "visibility": f["t2"]} for f in lists.get("fellow", [])]
        )
        if going
        else None,
        show_link=link_shown(event, row["my_attendance"] if going else None, organizer),
    )


def link_shown(event: dict[str, Any], attendance: str | None, organizer: bool = False) -> bool:
    """Whether a viewer whose details are shown also gets the online link (see EventPage)."""
    if organizer or not event["details_for_attendees_only"] or not is_hybrid(event):
        return True
    return attendance == ONLINE or bool(event.get("link_for_in_person"))


# ---------------------------------------------------------------- a club page

CLUB_COLUMNS = ", ".join(f"club.{c._meta.db_column_name}" for c in Club._meta.columns)
MEMBERSHIP_FIELDS = ("id", "member", "club", "role", "joined_at", "blocked", "greetable")

CLUB_SQL = (
    f"SELECT {CLUB_COLUMNS}, "
    + ", ".join(f"mine.{f} AS my_{f}" for f in MEMBERSHIP_FIELDS)
    + ", (SELECT COUNT(*) FROM membership counted WHERE counted.club = club.id "
    "AND counted.blocked = {}) AS member_count "
    "FROM club LEFT JOIN membership mine ON mine.club = club.id AND mine.member = {} "
    "WHERE club.slug = {}"
)


@dataclass(frozen=True, slots=True)
class ClubOrganizer:
    member_id: int
    display_name: str


@dataclass(frozen=True)
class ClubPage(_Page):
    """What club.html shows one viewer (None: signed out)."""

    club: dict[str, Any]
    activities: list[str]
    membership: dict[str, Any] | None
    is_member: bool
    is_organizer: bool
    newly_joined: bool
    organizers: list[ClubOrganizer]
    member_count: int
    # One card per one-off event, one per series (events/services/cards.py).
    events: list[cards.Card]
    # Newcomers are for signed-in members of this club who may greet, never anyone else.
    newcomers: list[dict[str, Any]]
    may_greet: bool
    greet_default: bool
    greetable: bool


def _club_branches(
    club: dict[str, Any], viewer: int | None, active: bool, settled: bool, now: datetime
) -> list[Branch]:
    club_id = int(club["id"])
    branches = [
        Branch(
            "organizer",
            "FROM membership JOIN member ON member.id = membership.member "
            "WHERE membership.club = {} AND membership.role = {} AND membership.blocked = {}",
            "membership.joined_at, membership.id",
            {"i1": "member.id", "t1": "member.display_name"},
            (club_id, Role.organizer.value, False),
        )
    ]
    if viewer is None or not active:
        return branches
    # Whether a member of less than SETTLED_DAYS holds a greeter role is read with the list;
    # the list itself only when they hold a role on one of the club's events at all.
    may_see = (
        "TRUE"
        if settled
        else (
            "EXISTS (SELECT 1 FROM role_signup JOIN volunteer_role ON volunteer_role.id = "
            "role_signup.role JOIN event ON event.id = volunteer_role.event "
            "WHERE role_signup.member = {} AND event.club = {} AND event.status = {} "
            "AND event.ends_at >= {})"
        )
    )
    role_args: tuple[Any, ...] = (
        ()
        if settled
        else (
            viewer,
            club_id,
            EventStatus.scheduled.value,
            now,
        )
    )
    if not settled:
        branches.append(
            Branch(
                "held_role",
                "FROM role_signup JOIN volunteer_role ON volunteer_role.id = role_signup.role "
                "JOIN event ON event.id = volunteer_role.event WHERE role_signup.member = {} "
                "AND event.club = {} AND event.status = {} AND event.ends_at >= {}",
                "role_signup.id",
                {"t1": "volunteer_role.name"},
                role_args,
            )
        )
    opted_in = (
        "(membership.greetable = {} OR membership.greetable IS NULL)"
        if greetings.greetable_by_default(club["kind"])
        else "membership.greetable = {}"
    )
    branches.append(
        Branch(
            "newcomer",
            "FROM membership JOIN member ON member.id = membership.member "
            "WHERE membership.club = {} AND membership.joined_at >= {} "
            "AND membership.blocked = {} AND membership.role = {} AND membership.member != {} "
            f"AND member.allow_greetings = {{}} AND member.deleted_at IS NULL AND {opted_in} "
            f"AND {may_see}",
            "membership.joined_at DESC, membership.id",
            {"i1": "member.id", "t1": "member.display_name", "ts1": "membership.joined_at"},
            (
                club_id,
                now - timedelta(days=NEWCOMER_DAYS),
                False,
                Role.member.value,
                viewer,
                True,
                True,
                *role_args,
            ),
        )
    )
    branches.append(
        Branch(
            "greeted",
            "FROM welcome_note WHERE welcome_note.club = {} AND welcome_note.author = {}",
            "welcome_note.id",
            {"i1": "welcome_note.newcomer"},
            (club_id, viewer),
        )
    )
    return branches


async def club_page(
    tokens: Tokens, slug: str, viewer: int | None, now: datetime | None = None
) -> ClubPage | None:
    """The club as `viewer` may see it; None when there is no such club. Three statements: the
    club with the viewer's membership and the member count, the lists the viewer may see, and
    the club's upcoming events."""
    if not SLUG_RE.match(slug):
        return None
    current = now or timefmt.utcnow()
    rows = await Club.raw(CLUB_SQL, False, viewer, slug)
    if not rows:
        return None
    row = dict(rows[0])
    club = {c._meta.name: row[c._meta.db_column_name] for c in Club._meta.columns}
    membership = None
    if row["my_id"] is not None:
        membership = {f: row[f"my_{f}"] for f in MEMBERSHIP_FIELDS}
        membership["blocked"] = _flag(membership["blocked"])
        if membership["greetable"] is not None:
            membership["greetable"] = _flag(membership["greetable"])
    active = membership is not None and not membership["blocked"]
    organizer = active and membership is not None and membership["role"] == Role.organizer.value
    settled = (
        active
        and membership is not None
        and (
            organizer or membership["joined_at"] <= current - timedelta(days=greetings.SETTLED_DAYS)
        )
    )
    lists = await _lists(_club_branches(club, viewer, active, settled, current))
    may_greet = settled or any(is_greeter_role(str(r["t1"])) for r in lists.get("held_role", []))
    newcomers: list[dict[str, Any]] = []
    if viewer is not None and active and may_greet:
        greeted = {int(g["i1"]) for g in lists.get("greeted", [])}
        for n in lists.get("newcomer", []):
            member_id = int(n["i1"])
            newcomers.append(
                {
                    "member_id": member_id,
                    "display_name": n["t1"],
                    "greeted": member_id in greeted,
                    "joined": greetings.joined_label(n["ts1"], current),
                    **greetings.refs(tokens, club["id"], viewer, member_id),
                }
            )
    club["description_html"] = render_markdown(club["description"]) if club["description"] else ""
    return ClubPage(
        club=club,
        activities=activity_list(club["activities"]),
        membership=membership,
        is_member=active,
        is_organizer=organizer,
        newly_joined=active
        and membership is not None
        and membership["joined_at"] >= current - timedelta(days=NEWCOMER_DAYS),
        organizers=[ClubOrganizer(o["i1"], o["t1"]) for o in lists.get("organizer", [])],
        member_count=int(row["member_count"]),
        events=cards.group(await cards.club_events(club["id"], current)),
        newcomers=newcomers,
        may_greet=bool(viewer is not None and active and may_greet),
        greet_default=greetings.greetable_by_default(club["kind"]),
        greetable=greetings.choice_of(membership, club["kind"]),
    )


# ---------------------------------------------------------------- the account page


@dataclass(frozen=True, slots=True)
class MyRsvp:
    status: str
    event_id: int
    title: str
    starts_at: datetime
    ends_at: datetime
    club_timezone: str


@dataclass(frozen=True, slots=True)
class MyClub:
    """A club the member belongs to: their role, and the club's welcome message, shown for
    their first weeks in it."""

    role: str
    slug: str
    name: str
    welcome_message: str
    joined_at: datetime


@dataclass(frozen=True, slots=True)
class ReceivedNote:
    """A welcome note another member wrote to this one."""

    id: int
    message: str
    created_at: datetime
    author_name: str
    club_name: str
    club_slug: str


@dataclass(frozen=True, slots=True)
class GreetingChoice:
    """Whether the member is listed as a newcomer in one club (`greetable` None: the default)."""

    club_name: str
    club_slug: str
    kind: str
    greetable: bool | None
    listed: bool


@dataclass(frozen=True)
class AccountPage(_Page):
    """What account.html shows a member about themselves."""

    rsvps: list[MyRsvp]
    clubs: list[MyClub]
    club_welcomes: list[MyClub]
    welcome_notes: list[ReceivedNote]
    allow_greetings: bool
    greeting_choices: list[GreetingChoice]
    feed_token_version: int


def _each(row_type: type[T], rows: list[dict[str, Any]], **slots: str) -> list[T]:
    """Rows of the account query as `row_type`: each field from its slot (`title="t2"`)."""
    return [row_type(**{field: row[slot] for field, slot in slots.items()}) for row in rows]


async def account_page(member: int, now: datetime | None = None) -> AccountPage:
    """One statement: the member's settings, upcoming RSVPs, clubs and welcome notes."""
    current = now or timefmt.utcnow()
    lists = await _lists(
        [
            Branch(
                "me",
                "FROM member WHERE member.id = {}",
                "member.id",
                {"i1": "member.feed_token_version", "b1": "member.allow_greetings"},
                (member,),
            ),
            Branch(
                "rsvp",
                "FROM rsvp JOIN event ON event.id = rsvp.event JOIN club ON club.id = event.club "
                "WHERE rsvp.member = {} AND rsvp.status IN ({}, {}) AND event.ends_at >= {}",
                "event.starts_at, rsvp.id",
                {
                    "i1": "event.id",
                    "t1": "rsvp.status",
                    "t2": "event.title",
                    "t3": "club.timezone",
                    "ts1": "event.starts_at",
                    "ts2": "event.ends_at",
                },
                (member, GOING, WAITLISTED, current),
            ),
            Branch(
                "club",
                "FROM membership JOIN club ON club.id = membership.club "
                "WHERE membership.member = {} AND membership.blocked = {}",
                "club.name, club.id",
                {
                    "t1": "membership.role",
                    "t2": "club.slug",
                    "t3": "club.name",
                    "t4": "club.kind",
                    "t5": "club.welcome_message",
                    "ts1": "membership.joined_at",
                    "b1": "membership.greetable",
                },
                (member, False),
            ),
            Branch(
                "note",
                "FROM welcome_note JOIN member ON member.id = welcome_note.author "
                "JOIN club ON club.id = welcome_note.club "
                "WHERE welcome_note.newcomer = {} AND welcome_note.hidden = {}",
                "welcome_note.created_at DESC, welcome_note.id DESC",
                {
                    "i1": "welcome_note.id",
                    "t1": "welcome_note.message",
                    "t2": "member.display_name",
                    "t3": "club.name",
                    "t4": "club.slug",
                    "ts1": "welcome_note.created_at",
                },
                (member, False),
                limit=NOTES_SHOWN,
            ),
        ]
    )
    me = lists["me"][0] if lists["me"] else {"i1": 1, "b1": False}
    clubs = lists["club"]
    since = current - timedelta(days=NEWCOMER_DAYS)
    my_clubs = _each(
        MyClub, clubs, role="t1", slug="t2", name="t3", welcome_message="t5", joined_at="ts1"
    )
    return AccountPage(
        rsvps=_each(
            MyRsvp,
            lists["rsvp"],
            status="t1",
            event_id="i1",
            title="t2",
            starts_at="ts1",
            ends_at="ts2",
            club_timezone="t3",
        ),
        clubs=my_clubs,
        club_welcomes=sorted(
            (c for c in my_clubs if c.joined_at >= since and c.welcome_message),
            key=lambda c: c.joined_at,
            reverse=True,
        ),
        welcome_notes=_each(
            ReceivedNote,
            lists["note"],
            id="i1",
            message="t1",
            created_at="ts1",
            author_name="t2",
            club_name="t3",
            club_slug="t4",
        ),
        allow_greetings=_flag(me["b1"]),
        greeting_choices=[
            GreetingChoice(
                club_name=c["t3"],
                club_slug=c["t2"],
                kind=c["t4"],
                greetable=None if c["b1"] is None else _flag(c["b1"]),
                listed=greetings.choice_of({"greetable": c["b1"]}, c["t4"]),
            )
            for c in clubs
            if c["t1"] == Role.member.value
        ],
        feed_token_version=int(me["i1"]),
    )
