"""The URL map: every page family's routes, plus static files and dev pages."""

from __future__ import annotations

from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from events.settings import Settings
from events.templating import STATIC_DIR
from events.views import (
    accounts,
    admin,
    board,
    clubs,
    dev,
    digests,
    failed_mail,
    feeds,
    health,
    history,
    home,
    insights,
    meetings,
    organizer,
    pages,
    posting,
    privacy,
    reports,
    rsvps,
    series_change,
    unsubscribe,
)


def build_routes(settings: Settings) -> list[BaseRoute]:
    routes: list[BaseRoute] = [
        # Feeds first: `/events/{id}.ics` and `/clubs/{slug}/calendar.ics` beside page routes.
        *feeds.routes,
        *meetings.routes,
        # Before pages.routes, whose older `/` it replaces.
        *home.routes,
        *pages.routes,
        *rsvps.routes,
        *accounts.routes,
        *privacy.routes,
        *clubs.routes,
        *reports.routes,
        *board.routes,
        *health.routes,
        *unsubscribe.routes,
        *failed_mail.routes,
        *digests.routes,
        *organizer.routes,
        *series_change.routes,
        *posting.routes,
        *insights.routes,
        *history.routes,
        *admin.routes,
        Mount("/static", app=StaticFiles(directory=STATIC_DIR), name="static"),
    ]
    if not settings.is_prod:
        routes += dev.routes
    return routes
