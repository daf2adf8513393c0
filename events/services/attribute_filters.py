"""Filters by attribute and attendance mode, for `/`, `/clubs` and the site feed (#15).

Query parameters: `attr` (an attribute code, repeated for several: `attr=X&attr=S`; one
value may also hold several codes separated by spaces, which is how our own links write them)
and `attendance` (`in_person`, `online` or `hybrid`). Every `attr` must match; `online` also
lists hybrid events (and `in_person` too), since both can be attended that way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from events import attributes
from events.attributes import Attendance

ATTR_MAX = 10
# One filter that means the same thing in a meeting's types and in an activity's attributes.
ALIASES: dict[str, tuple[str, ...]] = {"newcomer-friendly": ("newcomer-friendly", "BE")}
MODES = (Attendance.in_person.value, Attendance.online.value, Attendance.hybrid.value)
# The choices the filter forms offer as checkboxes (any other valid code in a link still works).
QUICK = ("X", "XB", "ASL", "FF", "CF", "newcomer-friendly", "alcohol-free", "OUT")
LANGUAGE_GROUP = attributes.Group.language


@dataclass
class AttributeFilter:
    codes: tuple[str, ...] = ()
    attendance: str = ""
    messages: list[str] = field(default_factory=list)

    def as_query(self) -> dict[str, str]:
        values = {"attr": " ".join(self.codes), "attendance": self.attendance}
        return {k: v for k, v in values.items() if v}


def _values(params: Any, name: str) -> list[str]:
    if hasattr(params, "getlist"):
        return [str(v) for v in params.getlist(name)]
    value = params.get(name) if params is not None else None
    return [str(value)] if value is not None else []


def read(params: Any) -> AttributeFilter:
    """The filter from a query string; unknown codes and modes are dropped (never echoed)."""
    found = AttributeFilter()
    asked = [code for value in _values(params, "attr") for code in value.split()]
    known = attributes.split(" ".join(asked))
    if len(known) < len(set(asked)):
        found.messages.append("Some of those filters aren't ones we know; they were ignored.")
    found.codes = tuple(known[:ATTR_MAX])
    mode = " ".join(_values(params, "attendance")[-1:]).strip()
    if mode in MODES:
        found.attendance = mode
    elif mode:
        found.messages.append("Attendance can be in person, online or hybrid; showing all.")
    return found


def _has_code(column: Any, code: str) -> Any:
    """The space-separated `column` holds `code` as a whole word."""
    return (
        (column == code)
        | column.like(f"{code} %")
        | column.like(f"% {code}")
        | column.like(f"% {code} %")
    )


def narrowed(query: Any, found: AttributeFilter, table: Any) -> Any:
    """`query` narrowed to rows of `table` (Event, Club or a join to one) that match."""
    for code in found.codes:
        options = ALIASES.get(code, (code,))
        condition = _has_code(table.attributes, options[0])
        for other in options[1:]:
            condition = condition | _has_code(table.attributes, other)
        query = query.where(condition)
    if found.attendance == Attendance.hybrid.value:
        query = query.where(table.attendance == found.attendance)
    elif found.attendance:
        query = query.where(table.attendance.is_in([found.attendance, Attendance.hybrid.value]))
    return query


def choices(found: AttributeFilter) -> dict[str, Any]:
    """What the filter forms show: quick checkboxes (plus any other code asked for), the
    languages, and the current values."""
    quick = [c for c in QUICK if c in attributes.BY_CODE]
    languages = [c for c in attributes.CATALOGUE if c.group == LANGUAGE_GROUP]
    chosen_language = next(
        (c for c in found.codes if attributes.BY_CODE[c].group == LANGUAGE_GROUP), ""
    )
    extra = [c for c in found.codes if c not in quick and c != chosen_language]
    return {
        "checks": [(c, attributes.BY_CODE[c].label, c in found.codes) for c in quick + extra],
        "languages": [(c.code, c.label) for c in languages],
        "language": chosen_language,
        "attendance": found.attendance,
        "open": bool(found.codes or found.attendance),
    }
