"""Count the SQL statements a piece of code runs, to pin what a page or an RSVP costs.

    async with count_statements() as statements:
        await client.get("/events/1")
    assert len(statements) <= 4, statements.text()

Everything Piccolo runs goes through the engine's `run_querystring` / `run_ddl`; transactions
add their BEGIN, COMMIT or ROLLBACK (SQLite and PostgreSQL alike). Only work started from the
counting task (and the tasks it starts, such as the app under httpx's ASGI transport) is
counted: a context variable carries the list, so other tests' background work is not.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from contextvars import ContextVar
from typing import Any

from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresTransaction
from piccolo.engine.sqlite import SQLiteTransaction

_current: ContextVar[Statements | None] = ContextVar("sql_count", default=None)


class Statements(list[str]):
    """The statements run, in order, as their SQL text."""

    def text(self) -> str:
        return "\n".join(f"{n}. {sql[:200]}" for n, sql in enumerate(self, 1))

    def excluding(self, *fragments: str) -> list[str]:
        """Those whose SQL contains none of the fragments (e.g. the session lookup's table)."""
        return [s for s in self if not any(f in s for f in fragments)]


def _record(sql: str) -> None:
    statements = _current.get()
    if statements is not None:
        statements.append(" ".join(sql.split()))


def _wrap_engine(engine: Any, name: str, text_of: Callable[[Any], str]) -> Callable[[], None]:
    original = getattr(engine, name)

    async def counted(query: Any, *args: Any, **kwargs: Any) -> Any:
        _record(text_of(query))
        return await original(query, *args, **kwargs)

    had_own = name in vars(engine)
    setattr(engine, name, counted)

    def undo() -> None:
        if had_own:
            setattr(engine, name, original)
        else:
            delattr(engine, name)

    return undo


def _wrap_transactions(word: str, name: str) -> Callable[[], None]:
    undo: list[Callable[[], None]] = []
    for cls in (SQLiteTransaction, PostgresTransaction):
        original = getattr(cls, name)

        async def counted(self: Any, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            if name == "begin" and isinstance(self, SQLiteTransaction):
                _record(f"BEGIN {self.transaction_type.value}")
            else:
                _record(word)
            return await _original(self, *args, **kwargs)

        setattr(cls, name, counted)
        undo.append(lambda cls=cls, original=original: setattr(cls, name, original))

    def undo_all() -> None:
        for step in undo:
            step()

    return undo_all


@contextlib.asynccontextmanager
async def count_statements() -> AsyncIterator[Statements]:
    engine = engine_finder()
    statements = Statements()
    undo = [
        _wrap_engine(engine, "run_querystring", str),
        _wrap_engine(engine, "run_ddl", str),
        _wrap_transactions("BEGIN", "begin"),
        _wrap_transactions("COMMIT", "commit"),
        _wrap_transactions("ROLLBACK", "rollback"),
    ]
    token = _current.set(statements)
    try:
        yield statements
    finally:
        _current.reset(token)
        for step in reversed(undo):
            step()
