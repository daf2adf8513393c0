"""Piccolo configuration: the engine comes from DATABASE_URL (SQLite by default)."""

from __future__ import annotations

import os
from urllib.parse import unquote, urlsplit

from piccolo.conf.apps import AppRegistry
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine

from events.db import CountedPostgresEngine, ReusingSQLiteEngine
from events.settings import DEFAULT_DATABASE_URL


def engine_from_url(url: str) -> SQLiteEngine | PostgresEngine:
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        path = url.split("sqlite:///", 1)[1] if "sqlite:///" in url else "steady.sqlite3"
        # timeout: a busy database makes a writer wait, rather than fail at once.
        return ReusingSQLiteEngine(path=path, timeout=30)
    if parts.scheme in ("postgres", "postgresql"):
        return CountedPostgresEngine(
            config={
                "host": parts.hostname or "127.0.0.1",
                "port": parts.port or 5432,
                "user": unquote(parts.username or "postgres"),
                "password": unquote(parts.password or ""),
                "database": parts.path.lstrip("/") or "postgres",
            },
            log_queries=False,
        )
    raise ValueError(f"DATABASE_URL: unsupported scheme {parts.scheme!r}")


DB = engine_from_url(os.environ.get("DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL)

APP_REGISTRY = AppRegistry(apps=["events.piccolo_app", "piccolo_api.session_auth.piccolo_app"])
