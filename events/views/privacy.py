"""A member's privacy controls: settings (discreet mode, reminders, who sees me), data export,
account deletion."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from events import flash
from events.access import require_member
from events.auth import end_session
from events.forms import privacy_settings
from events.services import accounts, privacy
from events.settings import settings_of
from events.templating import render
from events.web import form_data

NO_STORE = {"Cache-Control": "no-store"}
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


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
            "mail_choices": privacy_settings.ORGANIZER_MAIL_CHOICES,
            "saved": saved,
            "error": error,
            "digest_day": DAY_NAMES[settings_of(request).digest_day],
            "digest_hour": f"{settings_of(request).digest_hour:02d}:00",
        },
        status_code=status_code,
        headers=NO_STORE,
    )


async def settings_page(request: Request) -> Response:
    member = require_member(request)
    saved = request.query_params.get("saved") == "1"
    prefs = await privacy.privacy_prefs(member.id) or {}
    return _settings_page(request, prefs, await privacy.organized_clubs(member.id), saved=saved)


async def save_settings(request: Request) -> Response:
    member = require_member(request, "/account/settings")
    organized = await privacy.organized_clubs(member.id)
    current = {club["id"]: club["organizer_mail"] for club in organized}
    prefs, errors = privacy_settings.parse(await form_data(request), current)
    if errors:
        for club in organized:
            club["organizer_mail"] = prefs.organizer_mail[club["id"]]
        return _settings_page(
            request,
            prefs.as_row(),
            organized,
            error=privacy_settings.first_error(errors),
            status_code=422,
        )
    await privacy.update_settings(member.id, prefs)
    return flash.redirect(request, "/account/settings", "Your settings are saved.")


async def export(request: Request) -> Response:
    member = require_member(request)
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
    member = require_member(request)
    alone = await privacy.sole_organizer_clubs(member.id)
    return render(request, "account_delete.html", {"alone": alone, "error": ""}, headers=NO_STORE)


async def delete_account(request: Request) -> Response:
    member = require_member(request, "/account/delete")
    form = await form_data(request)
    ok = await accounts.password_matches(member.id, form.get("password", "")[:200])
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
