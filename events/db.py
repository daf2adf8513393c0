"""Database helpers shared by the services."""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncIterator, Iterator
from contextvars import ContextVar
from typing import Any

import aiosqlite
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine, PostgresTransaction
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType, dict_factory
from piccolo.query.methods.select import Select
from piccolo.querystring import QueryString

from events import changes

# Opt-in statement log (tests and benches): the engines append every statement they send.
_statement_log: ContextVar[list[str] | None] = ContextVar("steady_statement_log", default=None)


def note_statement(sql: str) -> None:
    log = _statement_log.get()
    if log is not None:
        log.append(sql)


@contextlib.contextmanager
def record_statements() -> Iterator[list[str]]:
    """Collect the SQL of every statement run in this context (and tasks started from it),
    BEGIN/COMMIT/ROLLBACK of transactions included."""
    log: list[str] = []
    token = _statement_log.set(log)
    try:
        yield log
    finally:
        _statement_log.reset(token)


@contextlib.asynccontextmanager
async def write_transaction() -> AsyncIterator[Any]:
    """A transaction that takes the write lock up front, and tells the page cache once it
    has committed (`changes.committed`).

    On SQLite that is BEGIN IMMEDIATE: concurrent writers queue on the busy timeout instead of
    failing with "database is locked" half-way through. On PostgreSQL a plain transaction;
    row locks (`lock_row`, or a conditional UPDATE) serialize what must be serial.
    """
    engine = engine_finder()
    if isinstance(engine, SQLiteEngine):
        transaction = engine.transaction(transaction_type=TransactionType.immediate)
    else:
        assert engine is not None, "piccolo_conf.py names no engine"
        transaction = engine.transaction()
    async with transaction as running:
        yield running
    await changes.committed()


def is_postgres() -> bool:
    return isinstance(engine_finder(), PostgresEngine)


def lock_row(query: Select[Any]) -> Select[Any]:
    """`query`, holding each row it reads until the write transaction ends, so that a check
    and the write it allows run one at a time per row (places left, the last organizer).

    PostgreSQL: SELECT ... FOR NO KEY UPDATE; inserts that only reference the row (an RSVP or
    outbox row's foreign key) don't wait for it. SQLite: `query` as it is, since
    `write_transaction()` began with BEGIN IMMEDIATE: this transaction is the only writer."""
    return query.lock_rows("NO KEY UPDATE") if is_postgres() else query


def is_unique_violation(exc: BaseException) -> bool:
    """True for a unique-constraint error from either database driver."""
    text = f"{type(exc).__name__}: {exc}".lower()
    return "unique" in text or "duplicate key" in text


def _note_querystring(querystring: QueryString | str) -> None:
    log = _statement_log.get()
    if log is not None:
        log.append(str(querystring))


class _Writer:
    """One event loop's kept write connection, and the lock its users queue on."""

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.connection: Any = None


class _NotedTransaction:
    """BEGIN, COMMIT and ROLLBACK reported to `record_statements()` like every other statement
    (mixed in before one of Piccolo's transaction classes)."""

    def _begin_text(self) -> str:
        return "BEGIN"

    async def begin(self) -> None:
        _note_querystring(self._begin_text())
        await super().begin()  # type: ignore[misc]

    async def commit(self) -> None:
        _note_querystring("COMMIT")
        await super().commit()  # type: ignore[misc]

    async def rollback(self) -> None:
        _note_querystring("ROLLBACK")
        await super().rollback()  # type: ignore[misc]


class KeptWriterTransaction(_NotedTransaction, SQLiteTransaction):
    """IMMEDIATE and EXCLUSIVE transactions run on the engine's kept writer connection, one at a
    time per event loop; deferred ones keep Piccolo's connection per transaction."""

    engine: ReusingSQLiteEngine

    def _kept(self) -> bool:
        return self.transaction_type is not TransactionType.deferred

    async def __aenter__(self) -> SQLiteTransaction:
        if self._parent is not None or not self._kept():
            return await super().__aenter__()
        self.connection = await self.engine._take_writer()
        try:
            await self.begin()
        except BaseException:
            await self.engine._give_back_writer(self.connection)
            raise
        self.context = self.engine.current_transaction.set(self)
        return self

    async def __aexit__(self, exception_type: Any, exception: Any, traceback: Any) -> bool:
        if self._parent is not None or not self._kept():
            return await super().__aexit__(exception_type, exception, traceback)
        try:
            if exception is not None:
                if not self._rolled_back:
                    await self.rollback()
            elif not self._committed and not self._rolled_back:
                await self.commit()
        finally:
            self.engine.current_transaction.reset(self.context)
            await self.engine._give_back_writer(self.connection)
        return exception is None

    def _begin_text(self) -> str:
        return f"BEGIN {self.transaction_type.value}"


class ReusingSQLiteEngine(SQLiteEngine):
    """SQLite engine that keeps its connections open: a few readers and one writer per loop.

    Piccolo's engine opens (and closes) a connection, on a fresh thread, for every query: about
    3 ms each, most of a page's time. Here each statement is one hop to a kept connection's
    thread (execute and fetch together). SELECTs outside a transaction run on a kept reader: in
    autocommit mode each statement sees the latest committed data (WAL mode lets them run while
    a writer works). Every write, a single statement or an IMMEDIATE transaction, runs on the
    loop's one kept writer connection, queued in arrival order on an asyncio lock: SQLite takes
    one writer at a time anyway, and queued requests no longer poll the file lock. Other
    processes still wait for the lock on the busy timeout.

    Connections use WAL's `synchronous=NORMAL`: a commit is durable across application crashes,
    but the last commits can be lost on power loss or an OS crash (no fsync per commit).
    """

    READERS = 4

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._readers: dict[int, list[Any]] = {}
        self._turn = 0
        self._writers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Writer] = (
            weakref.WeakKeyDictionary()
        )

    async def _connect(self, **overrides: Any) -> Any:
        pending = aiosqlite.connect(**{**self.connection_kwargs, **overrides})
        # aiosqlite's thread is not a daemon: one left open (a task cancelled by Ctrl-C mid-query)
        # would keep the process alive at exit.
        pending._thread.daemon = True
        connection = await pending
        connection.row_factory = dict_factory  # type: ignore[assignment]  # any callable works
        await connection.execute("PRAGMA foreign_keys = 1")
        await connection.execute("PRAGMA synchronous = NORMAL")
        return connection

    async def get_connection(self) -> Any:
        """Connections for deferred transactions."""
        return await self._connect()

    def transaction(
        self,
        transaction_type: TransactionType = TransactionType.deferred,
        allow_nested: bool = True,
    ) -> SQLiteTransaction:
        return KeptWriterTransaction(
            engine=self, transaction_type=transaction_type, allow_nested=allow_nested
        )

    async def _take_writer(self) -> Any:
        writer = self._writers.setdefault(asyncio.get_running_loop(), _Writer())
        await writer.lock.acquire()
        try:
            if writer.connection is None:
                # Autocommit: a single write commits by itself, with no extra COMMIT round trip.
                writer.connection = await self._connect(isolation_level=None)
        except BaseException:
            writer.lock.release()
            raise
        return writer.connection

    async def _give_back_writer(self, connection: Any) -> None:
        writer = self._writers[asyncio.get_running_loop()]
        try:
            if connection.in_transaction:
                # A COMMIT or ROLLBACK that failed or was cancelled: closing rolls back, and the
                # next writer starts on a fresh connection.
                writer.connection = None
                await connection.close()
        finally:
            writer.lock.release()

    async def _reader(self) -> Any:
        loop_id = id(asyncio.get_running_loop())
        readers = self._readers.setdefault(loop_id, [])
        self._turn = (self._turn + 1) % self.READERS
        if len(readers) <= self._turn:
            connection = await self._connect()
            readers.append(connection)
            return connection
        return readers[self._turn]

    async def run_querystring(self, querystring: QueryString, in_pool: bool = False) -> Any:
        _note_querystring(querystring)
        return await super().run_querystring(querystring, in_pool)

    async def run_ddl(self, ddl: str, in_pool: bool = False) -> Any:
        _note_querystring(ddl)
        return await super().run_ddl(ddl, in_pool)

    async def _run_in_new_connection(
        self,
        query: str,
        args: list[Any] | None = None,
        query_type: str = "generic",
        table: Any = None,
    ) -> Any:
        if query.lstrip()[:6].upper() != "SELECT":
            connection = await self._take_writer()
            try:
                return await connection.execute_fetchall(query, args or [])
            finally:
                await self._give_back_writer(connection)
        return await (await self._reader()).execute_fetchall(query, args or [])

    async def _run_in_existing_connection(
        self,
        connection: Any,
        query: str,
        args: list[Any] | None = None,
        query_type: str = "generic",
        table: Any = None,
    ) -> Any:
        # As Piccolo's, without its `PRAGMA foreign_keys = 1` before every statement: every
        # connection of this engine turned it on when it opened.
        return await connection.execute_fetchall(query, args or [])

    async def close_readers(self) -> None:
        """Close the kept connections (readers and writers) at shutdown."""
        for readers in self._readers.values():
            for connection in readers:
                await connection.close()
        self._readers.clear()
        for writer in list(self._writers.values()):
            if writer.connection is not None and not writer.lock.locked():
                await writer.connection.close()
                writer.connection = None


class CountedPostgresTransaction(_NotedTransaction, PostgresTransaction):
    pass


class CountedPostgresEngine(PostgresEngine):
    """Piccolo's PostgreSQL engine that reports each statement to `record_statements()`."""

    async def run_querystring(self, querystring: QueryString, in_pool: bool = True) -> Any:
        _note_querystring(querystring)
        return await super().run_querystring(querystring, in_pool)

    async def run_ddl(self, ddl: str, in_pool: bool = True) -> Any:
        _note_querystring(ddl)
        return await super().run_ddl(ddl, in_pool)

    def transaction(self, allow_nested: bool = True) -> PostgresTransaction:
        return CountedPostgresTransaction(engine=self, allow_nested=allow_nested)
