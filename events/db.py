"""Database helpers shared by the services."""

from __future__ import annotations

from typing import Any

from piccolo.engine import engine_finder
from piccolo.engine.sqlite import SQLiteEngine, TransactionType


def write_transaction() -> Any:
    """A transaction that takes the write lock up front.

    On SQLite that is BEGIN IMMEDIATE: concurrent writers queue on the busy timeout instead of
    failing with "database is locked" half-way through. On PostgreSQL a plain transaction;
    row locks (SELECT ... FOR UPDATE, or a conditional UPDATE) serialize what must be serial.
    """
    engine = engine_finder()
    if isinstance(engine, SQLiteEngine):
        return engine.transaction(transaction_type=TransactionType.immediate)
    return engine.transaction()


def is_unique_violation(exc: BaseException) -> bool:
    """True for a unique-constraint error from either database driver."""
    text = f"{type(exc).__name__}: {exc}".lower()
    return "unique" in text or "duplicate key" in text
