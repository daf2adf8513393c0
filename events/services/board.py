"""A club's members-only board (#19): threads, their posts, locking and hiding."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from events.db import write_transaction
from events.services.attendees import initials
from events.services.permissions import role_in
from events.tables import BoardPost, BoardThread, Club
from events.timefmt import utcnow

PAGE_SIZE = 20


@dataclass
class BoardError(Exception):
    status: int
    message: str


async def access(member_id: int, club: dict[str, Any]) -> str | None:
    """'organizer' or 'member' when the board is on and this member may read it, else None."""
    if not club.get("board"):
        return None
    return await role_in(member_id, club["id"])


async def set_enabled(club_id: int, on: bool) -> None:
    await Club.update({Club.board: on}).where(Club.id == club_id)


def shown_name(name: str | None, show_as: str) -> str:
    if not name:
        return "A former member"
    return initials(name) if show_as == "initials" else name


async def threads(club_id: int, page: int) -> tuple[list[dict[str, Any]], bool]:
    """One page of threads, newest activity first, and whether there is a next page."""
    rows = (
        await BoardThread.select(
            BoardThread.id,
            BoardThread.title,
            BoardThread.locked,
            BoardThread.last_post_at,
        )
        .where(BoardThread.club == club_id)
        .order_by(BoardThread.last_post_at, ascending=False)
        .order_by(BoardThread.id, ascending=False)
        .limit(PAGE_SIZE + 1)
        .offset((page - 1) * PAGE_SIZE)
    )
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


async def thread(club_id: int, thread_id: int) -> dict[str, Any] | None:
    return (
        await BoardThread.select()
        .where((BoardThread.id == thread_id) & (BoardThread.club == club_id))
        .first()
    )


async def posts(thread_id: int) -> list[dict[str, Any]]:
    rows = (
        await BoardPost.select(
            BoardPost.id,
            BoardPost.author,
            BoardPost.body,
            BoardPost.show_as,
            BoardPost.created_at,
            BoardPost.hidden,
            BoardPost.hidden_reason,
            BoardPost.author.display_name.as_alias("author_name"),
        )
        .where(BoardPost.thread == thread_id)
        .order_by(BoardPost.id)
    )
    for row in rows:
        row["shown_name"] = shown_name(row["author_name"], row["show_as"])
    return rows


async def last_choice(thread_id: int, member_id: int) -> str:
    """How this member last chose to be shown on this thread ("name" if never)."""
    row = (
        await BoardPost.select(BoardPost.show_as)
        .where((BoardPost.thread == thread_id) & (BoardPost.author == member_id))
        .order_by(BoardPost.id, ascending=False)
        .first()
    )
    return str(row["show_as"]) if row else "name"


async def start_thread(
    club_id: int, member_id: int, title: str, body: str, show_as: str, now: datetime | None = None
) -> int:
    at = now or utcnow()
    async with write_transaction():
        rows = await BoardThread.insert(
            BoardThread(club=club_id, author=member_id, title=title, created_at=at, last_post_at=at)
        ).returning(BoardThread.id)
        thread_id = int(rows[0]["id"])
        await BoardPost.insert(
            BoardPost(thread=thread_id, author=member_id, body=body, show_as=show_as, created_at=at)
        )
    return thread_id


LOCKED = "This thread is locked: an organizer closed it to new replies."


async def reply(
    thread_id: int, member_id: int, body: str, show_as: str, now: datetime | None = None
) -> int:
    at = now or utcnow()
    async with write_transaction():
        row = (
            await BoardThread.select(BoardThread.locked).where(BoardThread.id == thread_id).first()
        )
        if row is None or row["locked"]:
            raise BoardError(409, LOCKED)
        rows = await BoardPost.insert(
            BoardPost(thread=thread_id, author=member_id, body=body, show_as=show_as, created_at=at)
        ).returning(BoardPost.id)
        # Racing replies: the newest time wins, whichever commits last.
        await BoardThread.update({BoardThread.last_post_at: at}).where(
            (BoardThread.id == thread_id) & (BoardThread.last_post_at < at)
        )
    return int(rows[0]["id"])


async def set_locked(thread_id: int, locked: bool) -> None:
    await BoardThread.update({BoardThread.locked: locked}).where(BoardThread.id == thread_id)


async def hide(thread_id: int, post_id: int, reason: str) -> bool:
    rows = (
        await BoardPost.update({BoardPost.hidden: True, BoardPost.hidden_reason: reason})
        .where((BoardPost.id == post_id) & (BoardPost.thread == thread_id))
        .returning(BoardPost.id)
    )
    return bool(rows)
