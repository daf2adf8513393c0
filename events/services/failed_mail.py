"""The failed-mail list organizers see: outbox rows of their clubs that could not be sent, with
a generic reason (servers' own words name addresses) and the reply code."""

from __future__ import annotations

from typing import Any

from piccolo.columns.combination import Or

from events.services import delivery, mailerrors
from events.tables import Outbox, OutboxState
from events.timefmt import utcnow

LIST_MAX = 200
# The outbox columns the list shows (never the payload: it may hold a mailed link's token).
SHOWN = ("id", "kind", "attempts", "last_error", "created_at")


def _in_clubs(club_ids: list[int]) -> Or:
    return Outbox.club.is_in(club_ids) | Outbox.event.club.is_in(club_ids)


async def failed_rows(club_ids: list[int]) -> list[dict[str, Any]]:
    """The latest failed mails of these clubs, newest first."""
    rows = (
        await Outbox.select(
            *(getattr(Outbox, name) for name in SHOWN),
            Outbox.recipient.display_name.as_alias("recipient_name"),
            Outbox.event.id.as_alias("event_id"),
            Outbox.event.title.as_alias("event_title"),
        )
        .where((Outbox.state == OutboxState.failed.value) & _in_clubs(club_ids))
        .order_by(Outbox.id, ascending=False)
        .limit(LIST_MAX)
    )
    for row in rows:
        error = str(row.pop("last_error") or "")
        row["reason"] = mailerrors.reason(error, int(row["attempts"]))
        row["code"] = mailerrors.reply_code(error)
    return rows


async def retry(outbox_id: int, club_ids: list[int]) -> bool:
    """Queue one failed mail of these clubs again; False when it is not one of theirs."""
    if not club_ids:
        return False
    if not await Outbox.exists().where((Outbox.id == outbox_id) & _in_clubs(club_ids)):
        return False
    await delivery.retry_failed(outbox_id, utcnow())
    return True
