"""The Starlette app: lifespan (database pool, Redis, arq pool), middleware, routes."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware

from events.access import LoginRequired, login_required
from events.auth import SessionBackend
from events.csrf import CrossOriginProtection
from events.db import ReusingSQLiteEngine
from events.pagecache import PageCache, PageStore
from events.queue import OutboxEnqueueMiddleware
from events.redis_conn import arq_pool, redis_client
from events.routes import build_routes
from events.security import SecurityHeadersMiddleware
from events.settings import Settings, get_settings
from events.tokens import Tokens
from events.views.errors import http_exception, server_error

log = logging.getLogger(__name__)
MAX_BODY = 256 * 1024


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    engine = engine_finder()
    if isinstance(engine, PostgresEngine):
        await engine.start_connection_pool(min_size=2, max_size=20)
    app.state.redis = None
    app.state.arq = None
    if settings.redis_url:
        app.state.redis = redis_client(settings.redis_url)
        try:
            app.state.arq = await arq_pool(settings.redis_url)
        except Exception as exc:  # noqa: BLE001 - the site works without Redis; mail waits
            log.warning("Redis unavailable at start-up (%s); mail is queued by the cron job", exc)
        await app.state.page_store.start(app.state.redis, settings.redis_url)
    try:
        yield
    finally:
        await app.state.page_store.stop()
        if app.state.arq is not None:
            await app.state.arq.aclose()
        if app.state.redis is not None:
            await app.state.redis.aclose()
        if isinstance(engine, PostgresEngine):
            await engine.close_connection_pool()
        if isinstance(engine, ReusingSQLiteEngine):
            await engine.close_readers()


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or get_settings()
    page_store = PageStore()
    middleware = [
        # Outermost: a kept page is served before any other layer runs. It holds the security
        # headers and its own gzip copy (GZip inside sees identity requests for it).
        Middleware(
            PageCache,
            store=page_store,
            allowed_host=settings.hostname if settings.is_prod else None,
        ),
        Middleware(SecurityHeadersMiddleware, hsts=settings.is_prod),
        Middleware(
            GZipMiddleware,
            minimum_size=600,
            compresslevel=6,
            exclude_content_types=(*DEFAULT_EXCLUDED_CONTENT_TYPES, "text/calendar"),
        ),
    ]
    if settings.is_prod:
        middleware.append(Middleware(TrustedHostMiddleware, allowed_hosts=[settings.hostname]))
    middleware += [
        Middleware(CrossOriginProtection),
        Middleware(AuthenticationMiddleware, backend=SessionBackend()),
        Middleware(OutboxEnqueueMiddleware),
    ]
    app = Starlette(
        debug=False,
        routes=build_routes(settings),
        middleware=middleware,
        exception_handlers={
            HTTPException: http_exception,
            LoginRequired: login_required,
            500: server_error,
        },
        lifespan=lifespan,
        max_body_size=MAX_BODY,
    )
    app.state.settings = settings
    app.state.tokens = Tokens(settings.secret_key)
    app.state.page_store = page_store
    app.state.redis = None
    app.state.arq = None
    return app
