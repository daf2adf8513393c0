"""Piccolo tables: members, clubs, events, RSVPs, welcome notes, volunteer roles, mail outbox.

Times are stored in UTC (Timestamptz); each club's IANA zone is used for display, forms and feeds.
Pairs that must be unique (one RSVP per member and event, ...) are declared with Piccolo's
`Unique`; the migration that made them (2026-11-27T05:40) created them as unique indexes of the
same names, which SQLite can add to an existing table (it cannot add a table constraint), and
tests/test_foundation_schema.py checks that the database has each one.
"""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING

from piccolo.columns import (
    JSON,
    Boolean,
    Date,
    DoublePrecision,
    ForeignKey,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.constraints import Unique
from piccolo.table import Table as PiccoloTable

from events.labelled import Labelled, label_table

if TYPE_CHECKING:
    from piccolo.columns import Serial

    class Table(PiccoloTable):
        # Piccolo adds the `id` primary key to every table when the class is made; declared
        # here so the type checker knows it too.
        id: Serial
else:
    Table = PiccoloTable


class ClubKind(Labelled):
    activity = "activity", "Sober activity club"
    twelve_step = "twelve_step", "12-step group"
    alternative = "alternative", "Alternative support group"
    coaching = "coaching", "Recovery coaching"
    therapy = "therapy", "Group therapy"
    online = "online", "Online meeting"


CLUB_KIND_LABELS = label_table(ClubKind)


class Role(str, Enum):
    """A member's place in a club: organizers run it and its events."""

    member = "member"
    organizer = "organizer"


class Visibility(str, Enum):
    """What fellow attendees see of a member on an event (organizers always see the name)."""

    name = "name"
    initials = "initials"
    hidden = "hidden"


class EventStatus(str, Enum):
    """A cancelled event is kept, so calendars and attendees hear that it is off."""

    scheduled = "scheduled"
    cancelled = "cancelled"


class MailKind(str, Enum):
    """What an outbox row is for. Each kind has a loader (services/delivery.py) and, unless it
    is never sent, mail templates (templates/mail/<kind>.txt and .html)."""

    invite = "invite"
    update = "update"
    cancel = "cancel"
    reminder = "reminder"
    message = "message"
    welcome = "welcome"
    signup_confirm = "signup_confirm"
    signup_existing = "signup_existing"
    password_reset = "password_reset"  # noqa: S105 - a mail kind, not a password
    # A reset asked for an address with no account: written so that both answers do the same
    # work, and never sent.
    password_reset_none = "password_reset_none"  # noqa: S105
    account_deleted = "account_deleted"
    # To a suspended club's organizers, from a steward.
    club_suspended = "club_suspended"
    # A welcome note, to the newcomer it was written for.
    welcome_note = "welcome_note"
    # A sign-up link asked again for an address with no account: like password_reset_none,
    # written so that both answers do the same work, and never sent.
    signup_resend_none = "signup_resend_none"
    # The weekly "This week at your clubs" mail a member opted in to.
    digest = "digest"
    # To an organizer: one RSVP, cancellation or waitlist move (instant), or a day's counts.
    rsvp_notice = "rsvp_notice"
    rsvp_summary = "rsvp_summary"


class OrganizerMail(Labelled):
    """What an organizer hears by mail about RSVPs, cancellations and waitlist moves, in the
    order the settings page offers it."""

    none = "none", "No mail"
    daily = "daily", "A daily summary"
    instant = "instant", "A mail for each one"


class ReportSubject(str, Enum):
    """What a report is about; members report events and members, the notes code files notes."""

    event = "event"
    member = "member"
    note = "note"


class Member(Table):
    """A person with an account. Only a display name is asked for; the email is never shown."""

    email = Varchar(length=254, unique=True, index=True)
    display_name = Varchar(length=60)
    password_hash = Varchar(length=255)
    created_at = Timestamptz(default=TimestamptzNow())
    email_confirmed = Boolean(default=False)
    # Private feed URL = HMAC(SECRET_KEY, id + version): bumping the version revokes the old URL.
    feed_token_version = Integer(default=1)
    discreet = Boolean(default=False)
    reminders = Boolean(default=True)
    allow_greetings = Boolean(default=True)
    default_visibility = Varchar(length=10, default=Visibility.initials.value, choices=Visibility)
    deleted_at = Timestamptz(null=True, default=None)
    # Instance steward (granted by `steady admin grant EMAIL`, never self-service).
    steward = Boolean(default=False)
    # Suspended by a steward: signed out everywhere and cannot sign in.
    suspended_at = Timestamptz(null=True, default=None)
    # The weekly digest of the member's clubs' events (opt-in).
    digest = Boolean(default=False)
    # IANA zone for mail sent at a local hour; "" = the zone of their clubs, else the instance's.
    timezone = Varchar(length=64, default="")


class Club(Table):
    slug = Varchar(length=60, unique=True, index=True)
    name = Varchar(length=100)
    kind = Varchar(length=20, choices=ClubKind, default=ClubKind.activity.value, index=True)
    # Comma-separated lower-case activity names, e.g. "hiking,running".
    activities = Varchar(length=255, default="")
    description = Text(default="")
    timezone = Varchar(length=64, default="UTC")
    welcome_message = Text(default="")
    listed = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    # Where the club meets: for directories (Meeting Guide feed) and phone pages.
    city = Varchar(length=80, default="")
    # State or province.
    region = Varchar(length=80, default="")
    # ISO 3166-1 alpha-2, upper case ("US", "CA"); "" = unknown.
    country = Varchar(length=2, default="")
    # Space-separated attribute codes (events/attributes.py): defaults for new events.
    attributes = Varchar(length=255, default="")
    # Attendance default for new events: in_person | online | hybrid | inactive.
    attendance = Varchar(length=10, default="in_person")
    # Days after each event at which who came is forgotten; NULL = the kind's default
    # (events.services.retention), 0 = never (activity clubs only).
    retention_days = Integer(null=True, default=None)
    # Suspended by a steward: hidden from listings and feeds, no reminders or invites.
    suspended_at = Timestamptz(null=True, default=None)
    suspended_reason = Text(default="")
    # The members-only board (#19): organizers turn it on.
    board = Boolean(default=False)


class Membership(Table):
    member = ForeignKey(references=Member, index=True)
    club = ForeignKey(references=Club, index=True)
    role = Varchar(length=10, choices=Role, default=Role.member.value)
    joined_at = Timestamptz(default=TimestamptzNow())
    blocked = Boolean(default=False)
    # Listed as a newcomer to greet? NULL = the club kind's default (on only for activity clubs).
    greetable = Boolean(null=True, default=None)
    membership_member_club = Unique([member, club])
    # Organizers only: mail about RSVPs, cancellations and waitlist moves (OrganizerMail).
    organizer_mail = Varchar(length=10, choices=OrganizerMail, default=OrganizerMail.none.value)


class Repeat(str, Enum):
    """How a series repeats: the same weekday, or the same nth weekday of each month."""

    none = "none"
    weekly = "weekly"
    biweekly = "biweekly"
    monthly = "monthly"


class Series(Table):
    """A repeating event: each occurrence is its own Event row pointing here."""

    club = ForeignKey(references=Club, index=True)
    repeat = Varchar(length=10, choices=Repeat, default=Repeat.weekly.value)
    repeat_until = Date()
    created_at = Timestamptz(default=TimestamptzNow())
    # The meeting's slug in the Meeting Guide file it was imported from: re-import matches it.
    source_slug = Varchar(length=64, default="")


class Event(Table):
    club = ForeignKey(references=Club, index=True)
    series = ForeignKey(references=Series, null=True, default=None, index=True)
    title = Varchar(length=120)
    activity = Varchar(length=40, default="", index=True)
    starts_at = Timestamptz(index=True)
    ends_at = Timestamptz()
    location = Varchar(length=200, default="")
    # Shown to everyone when the exact place is for attendees only ("Near Riverside Park").
    location_hint = Varchar(length=120, default="")
    online_url = Varchar(length=500, default="")
    details_for_attendees_only = Boolean(default=False)
    capacity = Integer(null=True, default=None)
    # Places taken by going RSVPs (members + their guests); kept in step with the RSVP rows
    # by the RSVP service so the capacity check is one conditional UPDATE.
    taken = Integer(default=0)
    # Waitlisted RSVPs, kept in step the same way: the RSVP panel reads counts, never recounts.
    waitlisted = Integer(default=0)
    guests_allowed = Integer(default=0)
    rsvp_deadline = Timestamptz(null=True, default=None)
    description = Text(default="")
    attestation = Varchar(length=120, default="")
    status = Varchar(length=10, choices=EventStatus, default=EventStatus.scheduled.value)
    cancel_reason = Varchar(length=300, default="")
    cancelled_at = Timestamptz(null=True, default=None)
    # iCalendar SEQUENCE: bumped on every change attendees must see.
    sequence = Integer(default=0)
    created_by = ForeignKey(references=Member, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    # "What to expect" (#14): where exactly to meet (for people who may see the place), what
    # to bring, and a word for first-timers.
    meeting_point = Text(default="")
    what_to_bring = Text(default="")
    first_timer_note = Text(default="")
    # Space-separated attribute codes (events/attributes.py), from the club's on creation.
    attributes = Varchar(length=255, default="")
    # in_person | online | hybrid | inactive (a paused series: "TC"/inactive in directories).
    attendance = Varchar(length=10, default="in_person")
    latitude = DoublePrecision(null=True, default=None)
    longitude = DoublePrecision(null=True, default=None)
    # Street address parts for directories ("123 Main St", "62701"); `location` stays the
    # place's name. The club holds city, region and country.
    address = Varchar(length=200, default="")
    postal_code = Varchar(length=20, default="")
    # Hybrid events: people going online (members + guests), kept by the RSVP service like
    # `taken`, which then counts the in-person places only. Online has no cap.
    online_taken = Integer(default=0)
    # Hybrid events with attendee-only details: people going in person get the link too.
    link_for_in_person = Boolean(default=False)
    # Set when an organizer brings a cancelled event back ("Back on"); cleared on a new cancel.
    restored_at = Timestamptz(null=True, default=None)


class RsvpStatus(str, Enum):
    """A member's answer: a place, a place in line for one, or no."""

    going = "going"
    waitlisted = "waitlisted"
    not_going = "not_going"


class Rsvp(Table):
    event = ForeignKey(references=Event, index=True)
    member = ForeignKey(references=Member, index=True)
    status = Varchar(length=12, choices=RsvpStatus, default=RsvpStatus.going.value)
    guests = Integer(default=0)
    # Place in the waitlist: set on every yes, so yes → no → yes goes to the back of the line.
    queued_at = Timestamptz(default=TimestamptzNow())
    visibility = Varchar(length=10, choices=Visibility, default=Visibility.initials.value)
    attested = Boolean(default=False)
    first_time = Boolean(default=False)
    checked_in_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    # For hybrid events: in_person (takes a place of the capacity) or online.
    attendance = Varchar(length=10, default="in_person")
    rsvp_event_member = Unique([event, member])


class WelcomeNote(Table):
    club = ForeignKey(references=Club, index=True)
    author = ForeignKey(references=Member)
    newcomer = ForeignKey(references=Member, index=True)
    message = Text()
    hidden = Boolean(default=False)
    reported_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    welcome_note_once = Unique([club, author, newcomer])


class VolunteerRole(Table):
    """A way to give back at an event: greeter, carpool driver, coffee, hike sweep, ..."""

    event = ForeignKey(references=Event, index=True)
    name = Varchar(length=60)
    spots = Integer(default=1)


class RoleSignup(Table):
    role = ForeignKey(references=VolunteerRole, index=True)
    member = ForeignKey(references=Member, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    role_signup_once = Unique([role, member])


class EventMessage(Table):
    """An organizer's message to the people going, kept so organizers see what was sent."""

    event = ForeignKey(references=Event, index=True)
    author = ForeignKey(references=Member, null=True, default=None)
    subject = Varchar(length=150)
    body = Text()
    include_waitlist = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())


class Report(Table):
    """A member's report of a note, member or event, for the club's organizers."""

    club = ForeignKey(references=Club, index=True)
    reporter = ForeignKey(references=Member, null=True, default=None)
    subject_kind = Varchar(length=10, choices=ReportSubject)
    subject_id = Integer()
    reason = Text(default="")
    resolved = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())
    # An organizer passed it on to the instance's stewards.
    escalated_at = Timestamptz(null=True, default=None)


class OutboxState(str, Enum):
    """Where a mail is on its way: written, being sent, sent, given up, or not needed."""

    pending = "pending"
    sending = "sending"
    sent = "sent"
    failed = "failed"
    # Not sent on purpose: what it was about changed before it went out (reason in last_error).
    skipped = "skipped"


class Outbox(Table):
    """A mail that must be sent exactly once. Written in the transaction of the change behind it."""

    kind = Varchar(length=20, index=True, choices=MailKind)
    dedupe_key = Varchar(length=200, unique=True)
    recipient = ForeignKey(references=Member, null=True, default=None, index=True)
    # Only for mail to an address with no confirmed account yet (sign-up links).
    to_address = Varchar(length=254, default="")
    event = ForeignKey(references=Event, null=True, default=None, index=True)
    club = ForeignKey(references=Club, null=True, default=None)
    payload = JSON(default="{}")
    state = Varchar(length=10, choices=OutboxState, default=OutboxState.pending.value, index=True)
    attempts = Integer(default=0)
    last_error = Text(default="")
    claimed_until = Timestamptz(null=True, default=None)
    next_attempt_at = Timestamptz(default=TimestamptzNow())
    created_at = Timestamptz(default=TimestamptzNow())
    sent_at = Timestamptz(null=True, default=None)


class DevMail(Table):
    """Mail 'sent' when SMTP_URL is unset: readable at /dev/mail in dev."""

    outbox = ForeignKey(references=Outbox, null=True, default=None)
    to_address = Varchar(length=254)
    subject = Varchar(length=300)
    message = Text()
    created_at = Timestamptz(default=TimestamptzNow())


class EventTally(Table):
    """What is kept of an event once its retention period is over: counts, never people."""

    event = ForeignKey(references=Event, unique=True, index=True)
    came = Integer(default=0)
    first_timers = Integer(default=0)
    back_30 = Integer(default=0)
    back_90 = Integer(default=0)
    forgotten_at = Timestamptz(default=TimestamptzNow())


class StewardAction(Table):
    """A steward's action on the instance, shown to every steward: who, when, why."""

    steward = ForeignKey(references=Member, null=True, default=None)
    action = Varchar(length=30)
    club = ForeignKey(references=Club, null=True, default=None)
    member = ForeignKey(references=Member, null=True, default=None)
    reason = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())


ALL_TABLES: list[type[PiccoloTable]] = [
    Member,
    Club,
    Membership,
    Series,
    Event,
    Rsvp,
    WelcomeNote,
    VolunteerRole,
    RoleSignup,
    EventMessage,
    Report,
    Outbox,
    DevMail,
    EventTally,
    StewardAction,
]


class FormKey(Table):
    """A one-time key from an event form, used by the POST that created the event: a double
    tap or a retried POST with the same key finds it here and creates nothing (#16)."""

    member = ForeignKey(references=Member, index=True)
    key = Varchar(length=64)
    # The event made (the first occurrence of a series); NULL only inside the creating
    # transaction.
    event = ForeignKey(references=Event, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    form_key_once = Unique([member, key])


class BoardThread(Table):
    """A conversation on a club's members-only board (#19)."""

    club = ForeignKey(references=Club, index=True)
    author = ForeignKey(references=Member, null=True, default=None)
    title = Varchar(length=120)
    created_at = Timestamptz(default=TimestamptzNow())
    # The newest post's time: the board lists threads by it.
    last_post_at = Timestamptz(default=TimestamptzNow(), index=True)
    locked = Boolean(default=False)


class BoardPost(Table):
    """A thread's opening post or a reply; `show_as` is "name" or "initials"."""

    thread = ForeignKey(references=BoardThread, index=True)
    author = ForeignKey(references=Member, null=True, default=None)
    body = Text(default="")
    show_as = Varchar(length=10, default="name")
    created_at = Timestamptz(default=TimestamptzNow())
    # Hidden by an organizer: others see that it was hidden; the author also sees why.
    hidden = Boolean(default=False)
    hidden_reason = Text(default="")
