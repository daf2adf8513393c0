"""Numbers, ids and dates from a URL path, a query string or a form: one reader for all.

Python's `int()` takes other scripts' digits ("٣"), "1_000", "+5" and numbers far beyond a
database INTEGER, and `str.isdigit()` accepts "²", which `int()` then refuses: both gave 500s.
Here only ASCII digits count, and every value is checked against its range before it can reach
a query.
"""

from __future__ import annotations

import re
from datetime import date

from starlette.exceptions import HTTPException
from starlette.requests import Request

# Row ids: positive and within a signed 32-bit INTEGER (SQLite and PostgreSQL alike).
ID_MAX = 2**31 - 1
# Dates people may ask for in a filter: anything outside is a typo or a probe.
YEAR_MIN, YEAR_MAX = 2000, 2100
_DIGITS = re.compile(r"[0-9]{1,18}")  # ASCII only; 18 digits cannot overflow anything below


def parse_int(text: object, low: int, high: int) -> int | None:
    """`text` as a whole number in [low, high], or None (not ASCII digits, or out of range).
    Surrounding white space is ignored."""
    if isinstance(text, bool):
        return None
    if isinstance(text, int):
        value = text
    else:
        stripped = str(text if text is not None else "").strip()
        if not _DIGITS.fullmatch(stripped):
            return None
        value = int(stripped)
    return value if low <= value <= high else None


def parse_id(text: object) -> int | None:
    """A row id (1 … 2**31-1), or None."""
    return parse_int(text, 1, ID_MAX)


def path_id(request: Request, name: str = "id") -> int:
    """The id in the URL path, or a 404: a huge or odd id names nothing."""
    value = parse_id(request.path_params.get(name))
    if value is None:
        raise HTTPException(404)
    return value


class DateOutOfRange(ValueError):
    """A well-formed date outside YEAR_MIN … YEAR_MAX."""


def parse_date(text: str | None) -> date | None:
    """An ISO date (YYYY-MM-DD), None when empty. Raises ValueError when unreadable, and
    DateOutOfRange (a ValueError) for a year outside 2000-2100, where time zone arithmetic
    near the calendar's limits would overflow."""
    if not text or not text.strip():
        return None
    stripped = text.strip()
    if not stripped.isascii():
        raise ValueError(f"not a date: {stripped[:20]!r}")
    day = date.fromisoformat(stripped)
    if not YEAR_MIN <= day.year <= YEAR_MAX:
        raise DateOutOfRange(f"dates must be between {YEAR_MIN} and {YEAR_MAX}")
    return day
