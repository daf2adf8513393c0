"""GET /healthz: database and Redis states for load balancers and `make run` users."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from events.services.health import database_ok


async def _redis_ok(request: Request) -> bool:
    redis = request.app.state.redis
    if redis is None:
        return False
    try:
        return bool(await asyncio.wait_for(redis.ping(), timeout=3))
    except Exception:  # noqa: BLE001
        return False


async def healthz(request: Request) -> Response:
    db, redis = await asyncio.gather(database_ok(), _redis_ok(request))
    body = {"db": "ok" if db else "down", "redis": "ok" if redis else "down"}
    return JSONResponse(
        body, status_code=200 if db and redis else 503, headers={"Cache-Control": "no-store"}
    )


routes = [Route("/healthz", healthz, name="healthz")]
