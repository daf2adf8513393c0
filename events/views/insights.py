"""Organizers' club insights (does anyone come back?) with its CSV, and the club's retention
setting (how long it remembers who came)."""

from __future__ import annotations

import csv
import io
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from events.services import insights as svc
from events.services import retention
from events.templating import render
from events.web import csv_cell, form_data, organizer_club

PRIVATE = {"Cache-Control": "no-store"}


async def insights_page(request: Request) -> Response:
    _, club = await organizer_club(request)
    data = await svc.club_insights(club["id"], club["timezone"])
    context = {
        "club": club,
        "insights": data,
        "retention_days": retention.effective_days(club),
    }
    return render(request, "club_insights.html", context, headers=PRIVATE)


async def insights_csv(request: Request) -> Response:
    _, club = await organizer_club(request, f"/clubs/{request.path_params['slug']}/insights")
    data = await svc.club_insights(club["id"], club["timezone"])
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(svc.CSV_COLUMNS)
    for row in data.csv_rows():
        writer.writerow([csv_cell(cell) for cell in row])
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{club["slug"]}-insights.csv"',
            **PRIVATE,
        },
    )


def retention_page(
    request: Request, club: dict[str, Any], text: str, error: str = "", saved: bool = False
) -> Response:
    kind = str(club["kind"])
    context = {
        "club": club,
        "value": text,
        "error": error,
        "saved": saved,
        "days": retention.effective_days(club),
        "default_days": retention.default_days(kind),
        "min_days": retention.MIN_DAYS,
        "may_keep_forever": retention.may_keep_forever(kind),
    }
    return render(
        request, "club_retention.html", context, status_code=422 if error else 200, headers=PRIVATE
    )


def current_text(club: dict[str, Any]) -> str:
    chosen = club.get("retention_days")
    if chosen is None:
        return ""
    return "never" if int(chosen) == 0 else str(chosen)


async def retention_form(request: Request) -> Response:
    _, club = await organizer_club(request)
    saved = request.query_params.get("saved") == "1"
    return retention_page(request, club, current_text(club), saved=saved)


async def save_retention(request: Request) -> Response:
    _, club = await organizer_club(request, f"/clubs/{request.path_params['slug']}/retention")
    data = await form_data(request)
    choice, error = retention.parse_choice(str(club["kind"]), data.get("forget_after_days"))
    if error:
        return retention_page(request, club, choice.text, error)
    await retention.set_retention(club["id"], choice)
    return RedirectResponse(f"/clubs/{club['slug']}/retention?saved=1", status_code=303)


routes = [
    Route("/clubs/{slug:str}/insights", insights_page, methods=["GET"], name="club_insights"),
    Route(
        "/clubs/{slug:str}/insights.csv", insights_csv, methods=["GET"], name="club_insights_csv"
    ),
    Route("/clubs/{slug:str}/retention", retention_form, methods=["GET"], name="club_retention"),
    Route(
        "/clubs/{slug:str}/retention",
        save_retention,
        methods=["POST"],
        name="club_retention_save",
    ),
]
