"""Is the database there: the check behind /healthz."""

from __future__ import annotations

import asyncio

from events.tables import Club

ANSWER_WITHIN = 3  # seconds


async def database_ok() -> bool:
    """The database answers a query on one of our tables within ANSWER_WITHIN seconds."""
    try:
        await asyncio.wait_for(Club.select(Club.id).limit(1), timeout=ANSWER_WITHIN)
    except Exception:  # noqa: BLE001 - any failure means "not ok"
        return False
    return True
