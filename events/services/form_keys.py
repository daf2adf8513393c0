"""Creating an event is idempotent (#16 item 4). The new-event form carries a one-time key;
the POST that uses it first stores it (unique per member) in the transaction that creates the
event or series, so a double tap or a retried POST with the same key creates nothing more and
is sent to what the first one created. A POST without a key (an old page) creates as before.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from events.db import is_unique_violation, write_transaction
from events.forms.event import EventValues
from events.services import events_admin
from events.tables import FormKey

FIELD = "form_key"
KEY_RE = re.compile(r"[A-Za-z0-9_-]{16,64}")


def new_key() -> str:
    return secrets.token_urlsafe(24)


def key_of(data: dict[str, str]) -> str:
    """The posted key if it is well formed, else "" (no key: created without the check)."""
    key = data.get(FIELD, "").strip()
    return key if KEY_RE.fullmatch(key) else ""


async def created_with(member_id: int, key: str) -> int | None:
    row = (
        await FormKey.select(FormKey.event)
        .where((FormKey.member == member_id) & (FormKey.key == key))
        .first()
    )
    return int(row["event"]) if row and row["event"] is not None else None


async def create_once(
    club: dict[str, Any],
    values: EventValues,
    member_id: int,
    key: str,
    extra: dict[str, Any] | None = None,
) -> tuple[list[int], bool]:
    """(the events made, whether this request made them: if not, only the first, which a
    retry is sent to). `extra` goes to `events_admin.create_events`. The key's row goes in first, so
    a concurrent POST with the same key waits on it (PostgreSQL's unique index, SQLite's write
    lock) and then fails on the unique pair without creating anything."""
    if not key:
        return await events_admin.create_events(club, values, member_id, extra), True
    try:
        async with write_transaction():
            if (done := await created_with(member_id, key)) is not None:
                return [done], False
            await FormKey.insert(FormKey(member=member_id, key=key))
            ids = await events_admin.create_events(club, values, member_id, extra)
            await FormKey.update({FormKey.event: ids[0]}).where(
                (FormKey.member == member_id) & (FormKey.key == key)
            )
    except Exception as exc:
        if not is_unique_violation(exc):
            raise
        done = await created_with(member_id, key)
        if done is None:
            raise
        return [done], False
    return ids, True
