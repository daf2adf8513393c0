"""A member's privacy controls: settings (discreet mode, reminders, who sees me), data export,
account deletion."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from events import flash, passwords
from events.auth import current_member, end_session, login_redirect
from events.services import privacy
from events.settings import settings_of
from events.tables import Member, OrganizerMail, Visibility
from events.templating import render
from events.timefmt import is_zone

NO_STORE = {"Cache-Control": "no-store"}
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
ORGANIZER_MAIL_CHOICES = (
    (OrganizerMail.none.value, "No mail"),
    (OrganizerMail.daily.value, "A daily summary"),
    (OrganizerMail.instant.value, "A mail for each one"),
)


async def _prefs(member_id: int) -> dict[str, Any]:
    row: dict[str, Any] = (
        await Member.select(
            Member.discreet,
            Member.reminders,
            Member.default_visibility,
            Member.digest,
            Member.timezone,
        )
        .where(Member.id == member_id)
        .first()
    ) or {}
    return row


def _settings_page(
    request: Request,
    prefs: dict[str, Any],
    organized: list[dict[str, Any]],
    *,
    saved: bool = False,
    error: str = "",
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "account_settings.html",
        {
            "prefs": prefs,
            "organized": organized,
            "mail_choices": ORGANIZER_MAIL_CHOICES,
            "saved": saved,
            "error": error,
            "digest_day": DAY_NAMES[settings_of(request).digest_day],
            "digest_hour": f"{settings_of(request).digest_hour:02d}:00",
        },
        status_code=status_code,
        headers=NO_STORE,
    )


async def settings_page(request: Request) -> Response:
    member = current_member(request)
    if member is None:
        return login_redirect(request)
    saved = request.query_params.get("saved") == "1"
    prefs = await _prefs(member.id)
    return _settings_page(request, prefs, await privacy.organized_clubs(member.id), saved=saved)


async def save_settings(request: Request) -> Response:
    member = current_member(request)
    if member is None:
        return login_redirect(request, "/account/settings")
    form = await request.form()
    organized = await privacy.organized_clubs(member.id)
    visibility = str(form.get("default_visibility", ""))
    zone = str(form.get("timezone", "")).strip()
    choices = {
        club["id"]: str(form.get(f"organizer_mail_{club['id']}", club["organizer_mail"]))
        for club in organized
    }
    error = ""
    if visibility not in {v.value for v in Visibility}:
        error = "Choose who sees that you are going."
        visibility = Visibility.initials.value
    elif zone and not is_zone(zone):
        error = (
            f"“{zone[:64]}” is not a time zone we know. "
            "Try one like Europe/Berlin, or leave it empty."
        )
    elif any(value not in {m.value for m in OrganizerMail} for value in choices.values()):
        error = "Choose instant, daily or no mail for each club you organize."
    if error:
        prefs = {
            "discreet": form.get("discreet") == "on",
            "reminders": form.get("reminders") == "on",
            "default_visibility": visibility,
            "digest": form.get("digest") == "on",
            "timezone": zone[:64],
        }
        for club in organized:
            if choices[club["id"]] in {m.value for m in OrganizerMail}:
                club["organizer_mail"] = choices[club["id"]]
        return _settings_page(request, prefs, organized, error=error, status_code=422)
    await privacy.update_settings(
        member.id,
        discreet=form.get("discreet") == "on",
        reminders=form.get("reminders") == "on",
        default_visibility=visibility,
        digest=form.get("digest") == "on",
        timezone=zone,
        organizer_mail=choices,
    )
    return flash.redirect(request, "/account/settings", "Your settings are saved.")


async def export(request: Request) -> Response:
    member = current_member(request)
    if member is None:
        return login_redirect(request)
    data = await privacy.export_member_data(member.id)
    return Response(
        json.dumps(data, indent=2, ensure_ascii=False),
        media_type="application/json",
        headers={
            **NO_STORE,
            "Content-Disposition": 'attachment; filename="steady-my-data.json"',
        },
    )


async def delete_page(request: Request) -> Response:
    member = current_member(request)
    if member is None:
        return login_redirect(request)
    alone = await privacy.sole_organizer_clubs(member.id)
    return render(request, "account_delete.html", {"alone": alone, "error": ""}, headers=NO_STORE)


async def delete_account(request: Request) -> Response:
    member = current_member(request)
    if member is None:
        return login_redirect(request, "/account/delete")
    form = await request.form()
    row = await Member.select(Member.password_hash).where(Member.id == member.id).first()
    ok = await passwords.verify_password_async(
        str(form.get("password", ""))[:200], row["password_hash"] if row else None
    )
    if not ok or form.get("confirm") != "on":
        message = (
            "Enter your password to confirm."
            if not ok
            else "Tick the box to confirm that you want to delete your account."
        )
        alone = await privacy.sole_organizer_clubs(member.id)
        return render(
            request,
            "account_delete.html",
            {"alone": alone, "error": message},
            status_code=422,
            headers=NO_STORE,
        )
    try:
        await privacy.erase_member(member.id)
    except privacy.SoleOrganizerError as exc:
        return render(
            request,
            "account_delete.html",
            {"alone": exc.clubs, "error": "Hand over your clubs first."},
            status_code=409,
            headers=NO_STORE,
        )
    response = render(request, "account_deleted.html", {"user": None}, headers=NO_STORE)
    await end_session(request, response)
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


routes = [
    Route("/account/settings", settings_page, methods=["GET"], name="account_settings"),
    Route("/account/settings", save_settings, methods=["POST"]),
    Route("/account/export", export, methods=["GET"], name="account_export"),
    Route("/account/delete", delete_page, methods=["GET"], name="account_delete"),
    Route("/account/delete", delete_account, methods=["POST"]),
]
