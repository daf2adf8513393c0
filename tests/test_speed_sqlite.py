"""SQLite set-up for speed (issue 13): WAL with synchronous=NORMAL on every connection, and the
kept writer connection that every write of a process queues on."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from piccolo.engine import engine_finder

from events.auth import SESSION_MEMBER_SQL
from events.db import ReusingSQLiteEngine, write_transaction
from events.tables import Member
from tests import helpers

pytestmark = pytest.mark.skipif(
    not isinstance(engine_finder(), ReusingSQLiteEngine), reason="SQLite engine only"
)


async def test_wal_and_synchronous_normal_on_readers_and_the_writer():
    engine = engine_finder()
    # A SELECT runs on a kept reader; a PRAGMA statement on the writer.
    reader = await Member.raw("SELECT * FROM pragma_journal_mode, pragma_synchronous")
    assert reader == [{"journal_mode": "wal", "synchronous": 1}]
    assert await engine.run_ddl("PRAGMA synchronous") == [{"synchronous": 1}]
    async with write_transaction():
        assert await engine.run_ddl("PRAGMA synchronous") == [{"synchronous": 1}]


async def test_writes_from_many_tasks_all_land():
    await asyncio.gather(*(helpers.make_member(f"m{i}@example.org", f"M{i}") for i in range(20)))

    async def rename(i: int) -> None:
        async with write_transaction():
            row = await Member.select(Member.id).where(Member.email == f"m{i}@example.org").first()
            await Member.update({Member.display_name: f"Renamed {i}"}).where(Member.id == row["id"])

    await asyncio.gather(*(rename(i) for i in range(20)))
    names = await Member.select(Member.display_name).output(as_list=True)
    assert sorted(names) == sorted(f"Renamed {i}" for i in range(20))


async def test_a_cancelled_write_transaction_rolls_back_and_frees_the_writer():
    inside = asyncio.Event()

    async def stuck() -> None:
        async with write_transaction():
            await helpers.make_member("half@example.org")
            inside.set()
            await asyncio.Event().wait()  # until cancelled, holding the write lock

    task = asyncio.create_task(stuck())
    await inside.wait()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert await Member.count() == 0, "the half-done transaction was rolled back"
    await asyncio.wait_for(helpers.make_member("next@example.org"), timeout=10)
    assert await Member.select(Member.email).output(as_list=True) == ["next@example.org"]


async def test_the_session_lookup_uses_an_index():
    plan = await Member.raw(
        "EXPLAIN QUERY PLAN " + SESSION_MEMBER_SQL.replace("{}", "'token'"),
    )
    details = " | ".join(row["detail"] for row in plan)
    assert "USING INDEX sessions_token" in details, details
