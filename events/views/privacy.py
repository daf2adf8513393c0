"""A member's privacy controls: settings (discreet mode, reminders, who sees me), data export,
account deletion."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from events import flash
from events.access import require_member
from events.auth import end_session
from events.forms import privacy_settings
from events.services import accounts, privacy
from events.templating import render
from events.web import form_data

NO_STORE = {"Cache-Control": "no-store"}


async def settings_page(request: Request) -> Response:
    member = require_member(request)
    row = await privacy.privacy_prefs(member.id)
    saved = request.query_params.get("saved") == "1"
    return render(
        request, "account_settings.html", {"prefs": row, "saved": saved}, headers=NO_STORE
    )


async def save_settings(request: Request) -> Response:
    member = require_member(request, "/account/settings")
    prefs, errors = privacy_settings.parse(await form_data(request))
    if errors:
        return render(
            request,
            "account_settings.html",
            {"prefs": prefs.as_row(), "error": errors["default_visibility"]},
            status_code=422,
            headers=NO_STORE,
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
