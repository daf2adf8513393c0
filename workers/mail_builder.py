"""Compose one mail from a loaded outbox row: headers, text, HTML and the iMIP calendar part.

Every mail has a text/plain part. Invites, updates and cancellations are
multipart/alternative of text/plain, text/html and `text/calendar; method=REQUEST|CANCEL`
(RFC 6047). Header values built from user input are stripped of control characters, and
addresses never come from user text, so nothing can add a header or a recipient.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from events.auth import safe_next
from events.services import calendar, digests
from events.services.delivery import Mail
from events.settings import Settings
from events.tables import MailKind
from events.timefmt import as_utc, format_day, format_time, format_when, to_local
from events.tokens import Tokens

MAIL_TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "mail"
UNSUBSCRIBE_PURPOSE = "unsubscribe"
# Mail people can do without: they carry List-Unsubscribe (RFC 2369) + one-click (RFC 8058).
NON_ESSENTIAL = (MailKind.reminder, MailKind.message)
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\u202a-\u202e\u2066-\u2069]+")

env = Environment(
    loader=FileSystemLoader(str(MAIL_TEMPLATES)),
    autoescape=select_autoescape(enabled_extensions=("html",), default=False),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


def header_safe(text: str, limit: int = 200) -> str:
    """One line of header text: CR, LF, other control and bidi-override characters removed."""
    cleaned = " ".join(_CONTROL.sub(" ", text).split())
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1].rstrip() + "…"


def organizer(settings: Settings) -> tuple[str, str]:
    """(display name, address) from MAIL_FROM: the sender and the iTIP ORGANIZER."""
    name, address = parseaddr(settings.mail_from)
    return (name or "Steady"), (address or "no-reply@localhost")


def unsubscribe_url(settings: Settings, member_id: int) -> str:
    token = Tokens(settings.secret_key).make_link_token(UNSUBSCRIBE_PURPOSE, str(member_id))
    return f"{settings.base_url}/unsubscribe/{token}"


def lead_text(minutes: int | None) -> str:
    if not minutes:
        return "soon"
    if minutes % 1440 == 0:
        days = minutes // 1440
        return "tomorrow" if days == 1 else f"in {days} days"
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"in {hours} hour{'s' if hours != 1 else ''}"
    return f"in {minutes} minutes"


def _event_context(mail: Mail) -> dict[str, Any]:
    event = mail.event or {}
    club = mail.club or {}
    tz = calendar.zone_name(club.get("timezone"))
    starts, ends = as_utc(event["starts_at"]), as_utc(event["ends_at"] or event["starts_at"])
    private = mail.going or not event.get("details_for_attendees_only")
    if private:
        where = event.get("location") or ("Online" if event.get("online_url") else "")
    else:
        where = event.get("location_hint") or "The exact place is shared with the people going."
    return {
        "title": calendar.discreet_title(event, tz) if mail.discreet else event["title"],
        "when": format_when(starts, ends, tz),
        "day": format_day(starts, tz),
        "time": format_time(starts, tz),
        "where": where,
        "online_url": event.get("online_url", "") if private else "",
        "url": calendar.event_url(event, ""),
        "cancel_reason": "" if mail.discreet else (event.get("cancel_reason") or ""),
        "local_start": to_local(starts, tz),
        # Hybrid events say how this member is coming.
        "how": {"online": "Online", "in_person": "In person"}.get(mail.attendance, ""),
    }


NOTICE_WORDS = {
    "going": "is going",
    "waitlisted": "joined the waitlist",
    "promoted": "moved up from the waitlist and is going",
    "cancelled": "cancelled their RSVP",
}


def _count_words(entry: dict[str, Any]) -> str:
    parts = []
    for key, one, many in (
        ("going", "new RSVP", "new RSVPs"),
        ("waitlisted", "joined the waitlist", "joined the waitlist"),
        ("promoted", "moved up from the waitlist", "moved up from the waitlist"),
        ("cancelled", "cancellation", "cancellations"),
    ):
        count = int(entry.get(key) or 0)
        if count:
            parts.append(f"{count} {one if count == 1 else many}")
    return ", ".join(parts)


def _digest_context(mail: Mail, settings: Settings, now: datetime) -> dict[str, Any]:
    """The weekly digest's events, each with a signed one-tap RSVP link unless answered."""
    tokens = Tokens(settings.secret_key)
    events = []
    for item in mail.items:
        tz = calendar.zone_name(item["club_timezone"])
        starts, ends = as_utc(item["starts_at"]), as_utc(item["ends_at"] or item["starts_at"])
        rsvp_url = ""
        if item["status"] not in ("going", "waitlisted") and mail.member_id:
            token = digests.rsvp_link_token(
                tokens, mail.member_id, int(item["id"]), item["bind"], as_utc(now).timestamp()
            )
            rsvp_url = f"{settings.base_url}/digest/rsvp/{token}"
        events.append(
            {
                "title": calendar.discreet_title(item, tz) if mail.discreet else item["title"],
                "club": "" if mail.discreet else item["club_name"],
                "when": format_when(starts, ends, tz),
                "url": settings.base_url + calendar.event_url(item, ""),
                "rsvp_url": rsvp_url,
                "answer": {"going": "You're going", "waitlisted": "You're on the waitlist"}.get(
                    item["status"] or "", ""
                ),
            }
        )
    return {"events": events, "settings_url": f"{settings.base_url}/account/settings"}


def _organizer_context(mail: Mail, settings: Settings) -> dict[str, Any]:
    ctx: dict[str, Any] = {"settings_url": f"{settings.base_url}/account/settings"}
    if mail.kind == MailKind.rsvp_notice and mail.items:
        item = mail.items[0]
        who = "Someone" if mail.discreet else (item["who"] or "A member")
        ctx["notice"] = f"{who} {NOTICE_WORDS.get(str(item['what']), 'changed their RSVP')}"
    if mail.kind == MailKind.rsvp_summary:
        day = digests.summary_day(mail.payload)
        ctx["day"] = f"{day:%A} {day.day} {day:%B}"
        ctx["clubs"] = [
            {
                "name": f"Group {n}" if mail.discreet else entry["club_name"],
                "counts": _count_words(entry),
                "url": settings.base_url
                + ("/account" if mail.discreet else f"/clubs/{entry['slug']}"),
            }
            for n, entry in enumerate(mail.items, start=1)
        ]
    return ctx


def context(mail: Mail, settings: Settings, now: datetime | None = None) -> dict[str, Any]:
    ctx: dict[str, Any] = {
        "kind": mail.kind.value,
        "name": mail.name or "there",
        "discreet": mail.discreet,
        "base_url": settings.base_url,
        "account_url": f"{settings.base_url}/account",
        "crisis_line": settings.crisis_line,
        "club_name": "" if mail.discreet or not mail.club else mail.club["name"],
        "event": None,
        "going": mail.going,
        # Off the waitlist: the invite says a place opened up.
        "promoted": bool(mail.payload.get("promoted")),
        "note": None,
        "event_cancelled": mail.event_cancelled,
        # An RSVP the club's organizers cancelled: the mail does not say why.
        "cancelled_for_you": mail.kind == MailKind.cancel and mail.payload.get("by") == "club",
        "restored": mail.kind == MailKind.update and bool(mail.payload.get("restored")),  # #16
        "unsubscribe_url": "",
        "lead": lead_text(mail.lead_minutes),
        "message": mail.message,
        # Organizers' words may name the group: discreet members read them on the site.
        "welcome_message": ""
        if mail.discreet
        else (mail.club or {}).get("welcome_message", "") or "",
    }
    if mail.note and not mail.discreet:
        # A member's own words may name the group: discreet members read them on the site.
        ctx["note"] = mail.note
    if mail.event:
        ev = _event_context(mail)
        ev["url"] = settings.base_url + ev["url"]
        ctx["event"] = ev
        # Discreet members read an organizer's words on the site (they may name the group).
        ctx["messages_url"] = f"{ev['url']}#messages"
    if mail.kind in NON_ESSENTIAL and mail.member_id:
        ctx["unsubscribe_url"] = unsubscribe_url(settings, mail.member_id)
    next_path = safe_next(str(mail.payload.get("next") or ""), "")
    if mail.kind == MailKind.signup_confirm:
        token = str(mail.payload.get("token", ""))
        ctx["confirm_url"] = f"{settings.base_url}/signup/confirm?token={quote(token, safe='')}"
        if next_path:
            ctx["confirm_url"] += f"&next={quote(next_path, safe='/')}"
    if mail.kind == MailKind.password_reset:
        token = str(mail.payload.get("token", ""))
        ctx["reset_url"] = f"{settings.base_url}/password/reset?token={quote(token, safe='')}"
    ctx["login_url"] = f"{settings.base_url}/login"
    if next_path:
        ctx["login_url"] += f"?next={quote(next_path, safe='/')}"
    if mail.kind == MailKind.club_suspended:
        ctx["reason"] = str(mail.payload.get("reason", ""))
    if mail.kind == MailKind.digest:
        ctx.update(_digest_context(mail, settings, now or datetime.now(UTC)))
    if mail.kind in (MailKind.rsvp_notice, MailKind.rsvp_summary):
        ctx.update(_organizer_context(mail, settings))
    return ctx


def subject(mail: Mail, ctx: dict[str, Any]) -> str:
    ev = ctx["event"] or {}
    discreet = mail.discreet
    title = ev.get("title", "")
    match mail.kind:
        case MailKind.invite:
            if discreet:
                return f"Your plans for {ev['day']}" + ("" if mail.going else " (waitlist)")
            prefix = "You're going" if mail.going else "You're on the waitlist"
            if mail.going and ctx["promoted"]:
                prefix = "A place opened up: you're going"
            return f"{prefix}: {title} · {ev['day']}"
        case MailKind.welcome_note:
            if discreet or not mail.note:
                return "A welcome note for you on Steady"
            return f"A welcome note from {mail.note.author} in {ctx['club_name']}"
        case MailKind.update:
            prefix = "Back on" if ctx["restored"] else "Updated"
            return f"{prefix}: {'your plans' if discreet else title} · {ev['when']}"
        case MailKind.cancel:
            if mail.event_cancelled:
                return f"Cancelled: {'your plans' if discreet else title} · {ev['day']}"
            return f"RSVP cancelled: {'your plans' if discreet else title} · {ev['day']}"
        case MailKind.reminder:
            what = "your plans" if discreet else title
            return f"Reminder: {what} {ctx['lead']} · {ev['time']}"
        case MailKind.message:
            if discreet:
                return f"A message about your plans for {ev['day']}"
            return f"{mail.message.subject if mail.message else 'Message'} · {title}"
        case MailKind.welcome:
            if discreet:
                return "Welcome to your new group on Steady"
            return f"Welcome to {ctx['club_name']}"
        case MailKind.signup_confirm:
            return "Confirm your email for Steady"
        case MailKind.signup_existing:
            return "Your Steady account"
        case MailKind.password_reset:
            return "Reset your Steady password"
        case MailKind.account_deleted:
            return "Your Steady account is deleted"
        case MailKind.club_suspended:
            return "Your group on Steady is suspended"
        case MailKind.digest:
            return "Your week on Steady" if discreet else "This week at your clubs"
        case MailKind.rsvp_notice:
            if discreet:
                return f"An RSVP changed for {ev['day']}"
            return f"{ctx['notice']}: {title} · {ev['day']}"
        case MailKind.rsvp_summary:
            if discreet:
                return f"Your daily summary on Steady · {ctx['day']}"
            return f"RSVPs at your clubs · {ctx['day']}"
    return "A message from Steady"


def build_message(mail: Mail, settings: Settings, now: datetime) -> EmailMessage:
    ctx = context(mail, settings, now)
    text = env.get_template(f"{mail.kind.value}.txt").render(ctx)
    html = env.get_template(f"{mail.kind.value}.html").render(ctx)
    org_name, org_address = organizer(settings)

    message = EmailMessage()
    message["From"] = Address(display_name=header_safe(org_name, 60), addr_spec=org_address)
    message["To"] = header_safe(mail.to, 254)
    message["Subject"] = header_safe(subject(mail, ctx))
    message["Date"] = format_datetime(as_utc(now))
    # Stable per outbox row: a retried send is recognisably the same message.
    message["Message-ID"] = f"<outbox-{mail.outbox_id}@{settings.hostname}>"
    message["Auto-Submitted"] = "auto-generated"
    if ctx["unsubscribe_url"]:
        message["List-Unsubscribe"] = f"<{ctx['unsubscribe_url']}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    if mail.method and mail.event and mail.club:
        ics = calendar.imip_calendar(
            mail.event,
            mail.club,
            method=mail.method,
            attendee_email=mail.to,
            attendee_name=mail.name,
            partstat=mail.partstat,
            organizer_email=org_address,
            organizer_name=org_name,
            base_url=settings.base_url,
            discreet=mail.discreet,
            now=as_utc(now).replace(microsecond=0),
            sequence=mail.sequence,
        )
        message.add_alternative(
            ics.decode("utf-8"),
            subtype="calendar",
            params={"method": mail.method},
            cte="base64",
        )
    return message
