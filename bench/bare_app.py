"""The baseline for bench/run.py: a bare Starlette app that answers each benchmarked URL with
the exact bytes Steady sent for it (captured just before), doing no other work.

Run by bench/run.py as `uvicorn bench.bare_app:create --factory`, with BENCH_CAPTURE naming the
JSON file of captured responses: {"GET /path": {"body": <latin-1 text>, "type": ..., "etag": ...}}.
"""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

Endpoint = Callable[[Request], Awaitable[Response]]


def load_capture(path: Path) -> dict[str, dict[str, str]]:
    return json.loads(path.read_text())


def make_endpoint(method: str, entry: dict[str, str]) -> Endpoint:
    body = entry["body"].encode("latin-1")
    media_type = entry["type"]
    etag = entry.get("etag") or ""

    async def endpoint(request: Request) -> Response:
        if method == "POST":
            await request.body()  # read the form like the real app has to
        if etag and request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers={"ETag": etag})
        headers = {"ETag": etag} if etag else None
        return Response(body, media_type=media_type, headers=headers)

    return endpoint


def create() -> Starlette:
    capture = load_capture(Path(os.environ["BENCH_CAPTURE"]))
    routes = []
    for key, entry in capture.items():
        method, path = key.split(" ", 1)
        routes.append(Route(path, make_endpoint(method, entry), methods=[method]))
    return Starlette(routes=routes)
