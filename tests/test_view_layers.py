"""Views go through services: no view module reads tables or reaches into another view (#17)."""

from __future__ import annotations

import ast
from pathlib import Path

VIEWS = Path(__file__).resolve().parent.parent / "events" / "views"


def _imported(tree: ast.Module) -> set[str]:
    """Every module an import statement names (`from a import b` also as `a.b`)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _forbidden(name: str) -> bool:
    return (
        name == "events.tables"
        or name.startswith("events.tables.")
        or name.startswith("events.views.")
    )


def test_views_import_no_tables_and_no_other_views() -> None:
    files = sorted(VIEWS.glob("*.py"))
    assert len(files) > 10  # the folder is really there
    found = {
        f"{path.name}: {name}"
        for path in files
        for name in _imported(ast.parse(path.read_text(), str(path)))
        if _forbidden(name)
    }
    assert found == set()


def test_the_check_sees_each_kind_of_import() -> None:
    source = (
        "from events.tables import Event\n"
        "import events.views.feeds\n"
        "from events.views import pages\n"
        "from events import tables\n"
    )
    caught = {name for name in _imported(ast.parse(source)) if _forbidden(name)}
    assert caught == {
        "events.tables",
        "events.tables.Event",
        "events.views.feeds",
        "events.views.pages",
    }
