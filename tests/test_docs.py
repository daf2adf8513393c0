"""The README keeps up with the code: every setting, `steady` command and route is documented."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from starlette.applications import Starlette
from starlette.routing import Mount, Route

from events import settings as settings_module
from events.app import create_app
from events.cli import build_parser
from events.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("**/*.md"))]
_CONVERTER = re.compile(r"\{(\w+):\w+\}")


def environment_variables() -> set[str]:
    source = Path(settings_module.__file__).read_text()
    return set(re.findall(r"""(?:env|environ)\.get\(\s*["']([A-Z][A-Z0-9_]*)["']""", source))


def subcommands() -> set[str]:
    parser = build_parser()
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return set(actions[0].choices)


def documented_routes() -> set[tuple[str, str]]:
    """(method, path) of every row of a `| method | path | ... |` table in README.md or docs/."""
    found = set()
    for doc in DOCS:
        in_table = False
        for line in doc.read_text().splitlines():
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if line.startswith("|") and [c.lower() for c in cells[:2]] == ["method", "path"]:
                in_table = True
            elif not line.startswith("|"):
                in_table = False
            elif in_table and len(cells) >= 2 and cells[1].startswith("`"):
                for method in cells[0].split(","):
                    found.add((method.strip().upper(), cells[1].strip("`")))
    return found


def app_routes(app: Starlette) -> set[tuple[str, str]]:
    """(method, path) of every route, `{id:int}` written `{id}`; HEAD goes with GET."""
    routes = set()
    for route in app.routes:
        if isinstance(route, Mount):
            routes.add(("GET", route.path + "/{path}"))
        elif isinstance(route, Route):
            for method in route.methods or {"GET"}:
                if method != "HEAD":
                    routes.add((method, _CONVERTER.sub(r"{\1}", route.path)))
    return routes


def test_every_environment_variable_is_in_the_readme() -> None:
    names = environment_variables()
    assert {"DATABASE_URL", "SECRET_KEY", "STEADY_ENV"} <= names  # the scan finds them
    missing = sorted(n for n in names if f"`{n}`" not in README)
    assert not missing, f"add these environment variables to README.md (Configuration): {missing}"


def test_every_steady_command_is_in_the_readme() -> None:
    commands = subcommands()
    assert {"dev", "web", "worker", "migrate", "seed"} <= commands
    missing = sorted(c for c in commands if f"`steady {c}" not in README)
    assert not missing, f"add these `steady` sub-commands to README.md: {missing}"


def test_every_route_is_in_a_route_table() -> None:
    app = create_app(load_settings({"SECRET_KEY": "k" * 40}))  # dev: dev routes included
    missing = sorted(app_routes(app) - documented_routes(), key=lambda r: (r[1], r[0]))
    rows = "\n".join(f"| {method} | `{path}` | ... |" for method, path in missing)
    assert not missing, f"add rows for these routes to the route table in README.md:\n{rows}"


def test_the_route_check_reads_converters_and_methods() -> None:
    app = Starlette(
        routes=[
            Route("/a/{id:int}", lambda r: None, methods=["GET", "POST"]),
            Mount("/files", routes=[]),
        ]
    )
    assert app_routes(app) == {("GET", "/a/{id}"), ("POST", "/a/{id}"), ("GET", "/files/{path}")}
