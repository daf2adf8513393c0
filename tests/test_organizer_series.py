"""Series generation: weekly, biweekly, monthly nth weekday, wall-clock kept across DST."""

from __future__ import annotations

from datetime import UTC, date, datetime

from events.recurrence import MAX_OCCURRENCES, local_starts, nth_weekday, shifted_starts
from events.tables import Repeat
from events.timefmt import dst_problem, to_utc


def test_weekly_across_denver_spring_forward() -> None:
    starts = local_starts(datetime(2027, 3, 2, 18, 30), Repeat.weekly, date(2027, 3, 23))
    assert [s.day for s in starts] == [2, 9, 16, 23]
    assert {s.time().isoformat() for s in starts} == {"18:30:00"}
    utc = [to_utc(s, "America/Denver") for s in starts]
    assert [u.hour for u in utc] == [1, 1, 0, 0]  # 18:30 MST = 01:30Z; MDT = 00:30Z


def test_biweekly_across_london_fall_back() -> None:
    starts = local_starts(datetime(2027, 10, 12, 19, 0), Repeat.biweekly, date(2027, 11, 30))
    assert [s.date() for s in starts] == [
        date(2027, 10, 12),
        date(2027, 10, 26),
        date(2027, 11, 9),
        date(2027, 11, 23),
    ]
    utc = [to_utc(s, "Europe/London") for s in starts]
    assert [u.hour for u in utc] == [18, 18, 19, 19]  # BST ends 31 Oct


def test_monthly_keeps_the_nth_weekday() -> None:
    # Second Tuesday.
    starts = local_starts(datetime(2027, 1, 12, 18, 0), Repeat.monthly, date(2027, 6, 30))
    assert [s.date() for s in starts] == [
        date(2027, 1, 12),
        date(2027, 2, 9),
        date(2027, 3, 9),
        date(2027, 4, 13),
        date(2027, 5, 11),
        date(2027, 6, 8),
    ]
    assert all(s.weekday() == 1 and 8 <= s.day <= 14 for s in starts)


def test_monthly_fifth_weekday_means_last() -> None:
    # 29 Jan 2027 is the fifth Friday: later months use their last Friday.
    starts = local_starts(datetime(2027, 1, 29, 10, 0), Repeat.monthly, date(2027, 4, 30))
    assert [s.date() for s in starts] == [
        date(2027, 1, 29),
        date(2027, 2, 26),
        date(2027, 3, 26),
        date(2027, 4, 30),
    ]


def test_until_is_inclusive_and_none_repeat_is_one() -> None:
    first = datetime(2027, 5, 4, 9, 0)
    assert local_starts(first, Repeat.weekly, date(2027, 5, 11))[-1].day == 11
    assert local_starts(first, Repeat.none, date(2027, 12, 31)) == [first]


def test_occurrences_are_capped() -> None:
    starts = local_starts(datetime(2027, 1, 1, 9, 0), Repeat.weekly, date(2029, 1, 1))
    assert len(starts) == MAX_OCCURRENCES


def test_nth_weekday() -> None:
    assert nth_weekday(2027, 3, 6, 2) == date(2027, 3, 14)  # US DST starts
    assert nth_weekday(2027, 10, 6, 5) == date(2027, 10, 31)  # EU DST ends
    assert nth_weekday(2027, 2, 0, 5) == date(2027, 2, 22)


def test_dst_problem_both_zones() -> None:
    assert dst_problem(datetime(2027, 3, 14, 2, 30), "America/Denver") == "gap"
    assert dst_problem(datetime(2027, 11, 7, 1, 30), "America/Denver") == "ambiguous"
    assert dst_problem(datetime(2027, 3, 28, 1, 30), "Europe/London") == "gap"
    assert dst_problem(datetime(2027, 10, 31, 1, 30), "Europe/London") == "ambiguous"
    assert dst_problem(datetime(2027, 3, 14, 3, 0), "America/Denver") is None
    assert dst_problem(datetime(2027, 10, 31, 2, 0), "Europe/London") is None


def test_shifted_starts_move_with_the_first() -> None:
    starts = [datetime(2027, 3, 2, 18, 30), datetime(2027, 3, 9, 18, 30)]
    moved = shifted_starts(starts, starts[0], datetime(2027, 3, 3, 7, 0))
    assert moved == [datetime(2027, 3, 3, 7, 0), datetime(2027, 3, 10, 7, 0)]
    assert to_utc(moved[0], "UTC") == datetime(2027, 3, 3, 7, 0, tzinfo=UTC)
