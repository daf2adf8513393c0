"""Outbox rows: every mail starts as a row written in the transaction of the change behind it.

`add` is called inside that transaction. The ids written during a web request are collected
and enqueued to arq after the response is produced (see events.queue.OutboxEnqueueMiddleware);
the worker's cron job picks up anything that enqueue missed.
"""

from __future__ import annotations

import contextvars
from typing import Any

from events.tables import MailKind, Outbox

# Ids written in the current request/job; None outside one (then the cron job finds them).
written_ids: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar(
    "outbox_written_ids", default=None
)


async def add(
    kind: MailKind,
    dedupe_key: str,
    *,
    recipient: int | None = None,
    event: int | None = None,
    club: int | None = None,
    payload: dict[str, Any] | None = None,
    to_address: str = "",
) -> int | None:
    """Write one outbox row; None when a row with this dedupe key exists already."""
    import json

    rows = (
        await Outbox.insert(
            Outbox(
                kind=MailKind(kind).value,
                dedupe_key=dedupe_key[:200],
                recipient=recipient,
                event=event,
                club=club,
                payload=json.dumps(payload or {}),
                to_address=to_address,
            )
        )
        .on_conflict(target=Outbox.dedupe_key, action="DO NOTHING")
        .returning(Outbox.id)
    )
    if not rows:
        return None
    outbox_id = int(rows[0]["id"])
    collected = written_ids.get()
    if collected is not None:
        collected.append(outbox_id)
    return outbox_id
