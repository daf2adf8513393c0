"""A member's own data: settings, a full export, and erasure.

Erasure keeps the rows organizers count on (RSVPs, notes written) but leaves nothing that
identifies the person: the member row itself is emptied, so everything pointing at it is
anonymous from then on.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime
from typing import Any

from piccolo_api.session_auth.tables import SessionsBase

from events.db import write_transaction
from events.forms.privacy_settings import PrivacySettings
from events.services import outbox
from events.tables import (
    DevMail,
    MailKind,
    Member,
    Membership,
    OrganizerMail,
    Outbox,
    OutboxState,
    Report,
    Role,
    RoleSignup,
    Rsvp,
    Visibility,
    WelcomeNote,
)
from events.timefmt import utcnow

ERASED_NAME = "Former member"


class SoleOrganizerError(Exception):
    """The member is the only organizer of a club: hand it over before leaving."""

    def __init__(self, clubs: list[str]) -> None:
        super().__init__(", ".join(clubs))
        self.clubs = clubs


async def update_settings(member_id: int, prefs: PrivacySettings) -> None:
    """Save what `forms.privacy_settings` read; organizer mail only for clubs the member
    organizes."""
    async with write_transaction():
        await Member.update(
            {
                Member.discreet: prefs.discreet,
                Member.reminders: prefs.reminders,
                Member.default_visibility: prefs.default_visibility.value,
                Member.digest: prefs.digest,
                Member.timezone: prefs.timezone,
            }
        ).where(Member.id == member_id)
        for club_id, choice in prefs.organizer_mail.items():
            await Membership.update({Membership.organizer_mail: OrganizerMail(choice).value}).where(
                (Membership.member == member_id)
                & (Membership.club == club_id)
                & (Membership.role == Role.organizer.value)
            )


async def organized_clubs(member_id: int) -> list[dict[str, Any]]:
    """The clubs a member organizes, with what they hear about RSVPs by mail."""
    rows: list[dict[str, Any]] = (
        await Membership.select(
            Membership.club.id.as_alias("id"),
            Membership.club.name.as_alias("name"),
            Membership.organizer_mail,
        )
        .where(
            (Membership.member == member_id)
            & (Membership.role == Role.organizer.value)
            & Membership.blocked.eq(False)
        )
        .order_by(Membership.club.name)
    )
    return rows


async def privacy_prefs(member_id: int) -> dict[str, Any] | None:
    """What the settings page shows: discreet mail, reminders, default visibility, the digest
    and its zone."""
    return (
        await Member.select(
            Member.discreet,
            Member.reminders,
            Member.default_visibility,
            Member.digest,
            Member.timezone,
        )
        .where(Member.id == member_id)
        .first()
    )


async def stop_reminders(member_id: int) -> None:
    """An unsubscribe link was used: no more reminder and message mail."""
    await Member.update({Member.reminders: False}).where(Member.id == member_id)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: _plain(v) for k, v in row.items()} for row in rows]


async def export_member_data(member_id: int) -> dict[str, Any]:
    """Everything Steady holds about the member, as plain JSON-ready data."""
    profile = (
        await Member.select(*Member.all_columns(exclude=[Member.password_hash]))
        .where(Member.id == member_id)
        .first()
    )
    memberships = await Membership.select(
        Membership.club.name.as_alias("club"), Membership.role, Membership.joined_at
    ).where(Membership.member == member_id)
    rsvps = await Rsvp.select(
        Rsvp.event.title.as_alias("event"),
        Rsvp.event.starts_at.as_alias("event_starts_at"),
        Rsvp.status,
        Rsvp.guests,
        Rsvp.visibility,
        Rsvp.attested,
        Rsvp.checked_in_at,
        Rsvp.created_at,
        Rsvp.updated_at,
    ).where(Rsvp.member == member_id)
    notes_received = await WelcomeNote.select(
        WelcomeNote.club.name.as_alias("club"),
        WelcomeNote.author.display_name.as_alias("from"),
        WelcomeNote.message,
        WelcomeNote.hidden,
        WelcomeNote.created_at,
    ).where(WelcomeNote.newcomer == member_id)
    notes_written = await WelcomeNote.select(
        WelcomeNote.club.name.as_alias("club"),
        WelcomeNote.newcomer.display_name.as_alias("to"),
        WelcomeNote.message,
        WelcomeNote.created_at,
    ).where(WelcomeNote.author == member_id)
    roles = await RoleSignup.select(
        RoleSignup.role.name.as_alias("role"),
        RoleSignup.role.event.title.as_alias("event"),  # type: ignore[union-attr]
        RoleSignup.created_at,
    ).where(RoleSignup.member == member_id)
    mails = await Outbox.select(Outbox.kind, Outbox.state, Outbox.created_at, Outbox.sent_at).where(
        Outbox.recipient == member_id
    )
    return {
        "exported_at": utcnow().isoformat(),
        "profile": {k: _plain(v) for k, v in (profile or {}).items()},
        "memberships": _rows(memberships),
        "rsvps": _rows(rsvps),
        "welcome_notes_received": _rows(notes_received),
        "welcome_notes_written": _rows(notes_written),
        "volunteer_roles": _rows(roles),
        "mail": _rows(mails),
    }


async def sole_organizer_clubs(member_id: int) -> list[str]:
    organized = await Membership.select(
        Membership.club, Membership.club.name.as_alias("name")
    ).where((Membership.member == member_id) & (Membership.role == "organizer"))
    alone = []
    for row in organized:
        others = await Membership.count().where(
            (Membership.club == row["club"])
            & (Membership.role == "organizer")
            & (Membership.member != member_id)
        )
        if others == 0:
            alone.append(row["name"])
    return alone


async def erase_member(member_id: int) -> None:
    """Delete the account: personal data gone, counts kept, sessions and feed links revoked,
    a confirmation mailed to the address it had."""
    alone = await sole_organizer_clubs(member_id)
    if alone:
        raise SoleOrganizerError(alone)
    async with write_transaction():
        row = (
            await Member.select(Member.email, Member.feed_token_version)
            .where(Member.id == member_id)
            .first()
        )
        if row is None:
            return
        email = row["email"]
        # The confirmation is the last mail to this address; the worker blanks the address
        # once it is sent.
        await outbox.add(
            MailKind.account_deleted,
            f"account-deleted:{member_id}",
            to_address=email,
        )
        await Member.update(
            {
                Member.email: f"erased-{member_id}-{secrets.token_hex(4)}@invalid",
                Member.display_name: ERASED_NAME,
                Member.password_hash: "!",
                Member.email_confirmed: False,
                Member.feed_token_version: row["feed_token_version"] + 1,
                Member.discreet: True,
                Member.reminders: False,
                Member.allow_greetings: False,
                Member.default_visibility: Visibility.hidden.value,
                Member.digest: False,
                Member.timezone: "",
                Member.deleted_at: utcnow(),
            }
        ).where(Member.id == member_id)
        await Rsvp.update({Rsvp.visibility: Visibility.hidden.value}).where(
            Rsvp.member == member_id
        )
        await Membership.delete().where(Membership.member == member_id)
        await RoleSignup.delete().where(RoleSignup.member == member_id)
        await WelcomeNote.delete().where(WelcomeNote.newcomer == member_id)
        await Report.update({Report.reporter: None}).where(Report.reporter == member_id)
        # Mail not yet sent to them would reveal nothing useful now; stop it.
        await Outbox.update(
            {Outbox.state: OutboxState.failed.value, Outbox.last_error: "account deleted"}
        ).where(
            (Outbox.recipient == member_id)
            & Outbox.state.is_in([OutboxState.pending.value, OutboxState.sending.value])
        )
        await DevMail.delete().where(DevMail.to_address == email)
        await SessionsBase.delete().where(SessionsBase.user_id == member_id)
