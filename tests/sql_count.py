"""Count the SQL statements the app sends while serving a request (SQLite and PostgreSQL).

The engines in events/db.py report every statement, BEGIN/COMMIT/ROLLBACK included, to
`events.db.record_statements()`; the log belongs to the current context, so it holds the
statements of the request made inside it and nothing from other tasks.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import httpx

from events.db import record_statements


@contextlib.contextmanager
def count_statements() -> Iterator[list[str]]:
    """`with count_statements() as sql: ...` then `len(sql)`; the SQL texts help a failing
    assert say what ran."""
    with record_statements() as log:
        yield log


async def request_statements(
    client: httpx.AsyncClient, method: str, url: str, **kwargs: Any
) -> tuple[httpx.Response, list[str]]:
    """One request through the in-process app, and the statements it ran."""
    with count_statements() as log:
        response = await client.request(method, url, **kwargs)
    return response, list(log)


def describe(statements: list[str]) -> str:
    return "\n".join(f"  {i + 1}. {sql[:160]}" for i, sql in enumerate(statements))
