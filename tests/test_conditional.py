"""One reading of If-None-Match and If-Modified-Since for the page cache and the feeds."""

from __future__ import annotations

from datetime import UTC, datetime

from events.conditional import http_date, not_modified

ETAGS = ('"abc"', '"abc-gz"')
MODIFIED = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
SAME = "Tue, 01 Dec 2026 12:00:00 GMT"
EARLIER = "Tue, 01 Dec 2026 11:59:59 GMT"


def test_if_none_match_compares_weakly_and_accepts_a_star() -> None:
    assert not_modified('"abc"', None, ETAGS, None)
    assert not_modified('W/"abc-gz"', None, ETAGS, None)
    assert not_modified('"zzz", "abc"', None, ETAGS, None)
    assert not_modified("*", None, ETAGS, None)
    assert not not_modified('"abd"', None, ETAGS, MODIFIED)
    assert not not_modified("", None, ETAGS, MODIFIED)


def test_if_none_match_decides_whatever_if_modified_since_says() -> None:
    assert not not_modified('"other"', SAME, ETAGS, MODIFIED)
    assert not_modified('"abc"', EARLIER, ETAGS, MODIFIED)


def test_if_modified_since_alone() -> None:
    assert not_modified(None, SAME, ETAGS, MODIFIED)
    assert not not_modified(None, EARLIER, ETAGS, MODIFIED)
    assert not not_modified(None, "yesterday", ETAGS, MODIFIED)
    assert not not_modified(None, SAME, ETAGS, None)
    assert not not_modified(None, None, ETAGS, MODIFIED)


def test_http_dates_without_a_zone_are_utc() -> None:
    assert http_date("Tue, 01 Dec 2026 12:00:00 -0000") == MODIFIED
    assert http_date("not a date") is None
