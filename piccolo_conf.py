"""Piccolo configuration: the engine comes from DATABASE_URL (SQLite by default)."""

from __future__ import annotations

from urllib.parse import urlsplit

from piccolo.conf.apps import AppRegistry
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine

from events.db import CountedPostgresEngine, ReusingSQLiteEngine
from events.settings import database_url


def engine_from_url(url: str) -> SQLiteEngine | PostgresEngine:
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        path = url.split("sqlite:///", 1)[1] if "sqlite:///" in url else "steady.sqlite3"
        # timeout: a busy database makes a writer wait, rather than fail at once.
        return ReusingSQLiteEngine(path=path, timeout=30)
    if parts.scheme in ("postgres", "postgresql"):
        # asyncpg reads the URL itself (user, password, host, port, database, ?sslmode=...).
        return CountedPostgresEngine(config={"dsn": url}, log_queries=False)
    raise ValueError(f"DATABASE_URL: unsupported scheme {parts.scheme!r}")


DB = engine_from_url(database_url())

APP_REGISTRY = AppRegistry(apps=["events.piccolo_app", "piccolo_api.session_auth.piccolo_app"])
