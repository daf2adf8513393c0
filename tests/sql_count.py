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


def _wrap_method(
    cls: type, name: str, record: Callable[[Any, tuple[Any, ...]], None]
) -> Callable[[], None]:
    """Wrap `cls.name` (an async method) so each call is recorded first; returns the undo."""
    had_own = name in vars(cls)
    original = getattr(cls, name)

    async def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
        record(self, args)
        return await original(self, *args, **kwargs)

    setattr(cls, name, counted)

    def undo() -> None:
        if had_own:
            setattr(cls, name, original)
        else:
            delattr(cls, name)

    return undo


def _begin(transaction: Any, args: tuple[Any, ...]) -> None:
    if isinstance(transaction, SQLiteTransaction):
        _record(f"BEGIN {transaction.transaction_type.value}")
    else:
        _record("BEGIN")


@contextlib.asynccontextmanager
async def count_statements() -> AsyncIterator[Statements]:
    engine_class = type(engine_finder())
    statements = Statements()
    undo = [
        _wrap_method(engine_class, "run_querystring", lambda _, args: _record(str(args[0]))),
        _wrap_method(engine_class, "run_ddl", lambda _, args: _record(str(args[0]))),
    ]
    for transaction in (SQLiteTransaction, PostgresTransaction):
        undo += [
            _wrap_method(transaction, "begin", _begin),
            _wrap_method(transaction, "commit", lambda _, args: _record("COMMIT")),
            _wrap_method(transaction, "rollback", lambda _, args: _record("ROLLBACK")),
        ]
    token = _current.set(statements)
    try:
        yield statements
    finally:
        _current.reset(token)
        for step in reversed(undo):
            step()
