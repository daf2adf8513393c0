"""Database helpers shared by the services."""

from __future__ import annotations

import asyncio
from typing import Any

import aiosqlite
from piccolo.engine import engine_finder
from piccolo.engine.sqlite import SQLiteEngine, TransactionType, dict_factory


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


class ReusingSQLiteEngine(SQLiteEngine):
    """SQLite engine that keeps a few open connections for reads outside transactions.

    Piccolo's engine opens (and closes) a connection, on a fresh thread, for every query: about
    3 ms each, most of a page's time. SELECTs outside a transaction are safe to run on a kept
    connection: in autocommit mode each statement sees the latest committed data (WAL mode
    lets them run while a writer works). Writes and transactions keep Piccolo's behaviour.
    """

    READERS = 4

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._readers: dict[int, list[Any]] = {}
        self._turn = 0

    async def _connect(self) -> Any:
        pending = aiosqlite.connect(**self.connection_kwargs)
        # aiosqlite's thread is not a daemon: one left open (a task cancelled by Ctrl-C mid-query)
        # would keep the process alive at exit.
        pending._thread.daemon = True
        connection = await pending
        connection.row_factory = dict_factory
        await connection.execute("PRAGMA foreign_keys = 1")
        return connection

    async def get_connection(self) -> Any:
        """Connections for transactions."""
        return await self._connect()

    async def _reader(self) -> Any:
        loop_id = id(asyncio.get_running_loop())
        readers = self._readers.setdefault(loop_id, [])
        self._turn = (self._turn + 1) % self.READERS
        if len(readers) <= self._turn:
            connection = await self._connect()
            readers.append(connection)
            return connection
        return readers[self._turn]

    async def _run_in_new_connection(
        self,
        query: str,
        args: list[Any] | None = None,
        query_type: str = "generic",
        table: Any = None,
    ) -> Any:
        if query.lstrip()[:6].upper() != "SELECT":
            # As Piccolo does (commit, then read RETURNING rows), on a daemon-thread connection.
            connection = await self._connect()
            try:
                async with connection.execute(query, args or []) as cursor:
                    await connection.commit()
                    return await cursor.fetchall()
            finally:
                await connection.close()
        connection = await self._reader()
        async with connection.execute(query, args or []) as cursor:
            return await cursor.fetchall()

    async def close_readers(self) -> None:
        for readers in self._readers.values():
            for connection in readers:
                await connection.close()
        self._readers.clear()
