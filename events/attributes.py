"""What an event is like: attribute codes, their labels and groups, and the attendance mode.

Codes for meetings are the Meeting Guide spec's type codes (code4recovery/spec,
`data/types.json`): the contract of the directories that read our feed, so we keep their
spelling. Steady adds a few codes every kind of club can use (newcomer-friendly, alcohol-free
venue, level). Those are lower-case words with a hyphen so they can never collide with a spec
code (upper case, or "11"/"12x12") or an ISO 639 language code, and they never leave Steady in
the Meeting Guide feed (`feed_types`).

Clubs and events store codes space-separated in `attributes` ("O D EN X"); the club's set is
the default for its new events.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from events.labelled import Labelled, label_table
from events.tables import ClubKind


class Attendance(Labelled):
    """The spec's `attendance_option`; `inactive` marks a paused series."""

    in_person = "in_person", "In person"
    online = "online", "Online"
    hybrid = "hybrid", "In person and online"
    inactive = "inactive", "Paused"


ATTENDANCE_LABELS = label_table(Attendance)

# How a member joins a hybrid event (Rsvp.attendance).
RSVP_ATTENDANCE = (Attendance.in_person, Attendance.online)


class Group(Labelled):
    open_closed = "open_closed", "Open or closed"
    format = "format", "Format"  # type: ignore[assignment]  # a member named like str.format
    audience = "audience", "Who it is for"
    language = "language", "Language"
    accessibility = "accessibility", "Accessibility"
    welcome = "welcome", "Good to know"
    level = "level", "Level"
    setting = "setting", "Setting"


GROUP_LABELS = label_table(Group)


@dataclass(frozen=True)
class Code:
    code: str
    label: str
    group: Group
    # In the Meeting Guide spec (may appear in the feed) or Steady's own.
    spec: bool = True


def _codes(group: Group, pairs: Iterable[tuple[str, str]], spec: bool = True) -> list[Code]:
    return [Code(code, label, group, spec) for code, label in pairs]


# Labels are the spec's English ones, a few made plainer ("Babysitting available").
CATALOGUE: list[Code] = [
    *_codes(Group.open_closed, [("O", "Open"), ("C", "Closed")]),
    *_codes(
        Group.format,
        [
            ("D", "Discussion"),
            ("SP", "Speaker"),
            ("ST", "Step study"),
            ("TR", "Tradition study"),
            ("B", "Big Book"),
            ("12x12", "12 Steps & 12 Traditions"),
            ("LIT", "Literature"),
            ("MED", "Meditation"),
            ("11", "11th Step meditation"),
            ("ABSI", "As Bill Sees It"),
            ("DR", "Daily Reflections"),
            ("GR", "Grapevine"),
            ("LS", "Living Sober"),
            ("BRK", "Breakfast"),
            ("CAN", "Candlelight"),
            ("H", "Birthday"),
            ("XT", "Cross talk permitted"),
            ("A", "Secular"),
            ("DB", "Digital basket"),
            ("POA", "Proof of attendance"),
            ("SM", "Smoking permitted"),
            ("AL", "Concurrent with Alateen"),
            ("AL-AN", "Concurrent with Al-Anon"),
            ("DD", "Dual diagnosis"),
        ],
    ),
    *_codes(
        Group.audience,
        [
            ("BE", "Newcomer meeting"),
            ("W", "Women"),
            ("M", "Men"),
            ("Y", "Young people"),
            ("SEN", "Seniors"),
            ("LGBTQ", "LGBTQ"),
            ("G", "Gay"),
            ("L", "Lesbian"),
            ("BI", "Bisexual"),
            ("T", "Transgender"),
            ("NB", "Non-binary"),
            ("POC", "People of color"),
            ("N", "Native American"),
            ("NDG", "Indigenous"),
            ("P", "Professionals"),
        ],
    ),
    *_codes(
        Group.language,
        [
            ("EN", "English"),
            ("S", "Spanish"),
            ("FR", "French"),
            ("DE", "German"),
            ("ITA", "Italian"),
            ("POR", "Portuguese"),
            ("POL", "Polish"),
            ("RUS", "Russian"),
            ("UK", "Ukrainian"),
            ("JA", "Japanese"),
            ("KOR", "Korean"),
            ("TL", "Tagalog"),
            ("HI", "Hindi"),
            ("PUN", "Punjabi"),
            ("FA", "Persian"),
            ("HE", "Hebrew"),
            ("AM", "Amharic"),
            ("EL", "Greek"),
            ("DA", "Danish"),
            ("NO", "Norwegian"),
            ("SV", "Swedish"),
            ("HR", "Croatian"),
            ("HU", "Hungarian"),
            ("LT", "Lithuanian"),
            ("SK", "Slovak"),
            ("TH", "Thai"),
            ("ML", "Malayalam"),
            ("TUR", "Turkish"),
        ],
    ),
    *_codes(
        Group.accessibility,
        [
            ("X", "Wheelchair access"),
            ("XB", "Wheelchair-accessible bathroom"),
            ("ASL", "American Sign Language"),
            ("FF", "Fragrance free"),
            ("CF", "Child-friendly"),
            ("BA", "Babysitting available"),
        ],
    ),
    *_codes(
        Group.welcome,
        [("newcomer-friendly", "Newcomer-friendly"), ("alcohol-free", "Alcohol-free venue")],
        spec=False,
    ),
    *_codes(
        Group.level,
        [("level-easy", "Easy"), ("level-moderate", "Moderate"), ("level-hard", "Hard")],
        spec=False,
    ),
    *_codes(Group.setting, [("OUT", "Outdoor")]),
]

BY_CODE: dict[str, Code] = {c.code: c for c in CATALOGUE}

# "Location temporarily closed": the spec's code for a paused in-person series. Written by the
# feed from Attendance.inactive, never chosen in a form.
TEMPORARILY_CLOSED = "TC"

# Support groups list weekly meetings in directories; activity clubs don't.
SUPPORT_KINDS = frozenset(
    {ClubKind.twelve_step, ClubKind.alternative, ClubKind.therapy, ClubKind.online}
)

_EVERY_KIND = (Group.accessibility, Group.language, Group.welcome, Group.setting)
_MEETING_GROUPS = (Group.open_closed, Group.format, Group.audience, *_EVERY_KIND)

GROUPS_FOR_KIND: dict[ClubKind, tuple[Group, ...]] = {
    ClubKind.activity: (*_EVERY_KIND, Group.level, Group.audience),
    ClubKind.coaching: (Group.audience, *_EVERY_KIND),
    ClubKind.twelve_step: _MEETING_GROUPS,
    ClubKind.alternative: _MEETING_GROUPS,
    ClubKind.therapy: _MEETING_GROUPS,
    ClubKind.online: _MEETING_GROUPS,
}


def groups_for(kind: str) -> list[tuple[Group, str, list[Code]]]:
    """The groups a club of this kind offers, in form order: (group, label, codes)."""
    try:
        wanted = GROUPS_FOR_KIND[ClubKind(kind)]
    except ValueError:
        wanted = GROUPS_FOR_KIND[ClubKind.activity]
    order = [g for g in Group if g in wanted]
    return [(g, GROUP_LABELS[g], [c for c in CATALOGUE if c.group == g]) for g in order]


def split(text: str | None) -> list[str]:
    """Stored codes as a list, unknown ones dropped, catalogue order, no repeats."""
    present = set((text or "").split())
    return [c.code for c in CATALOGUE if c.code in present]


def join(codes: Iterable[str]) -> str:
    """Codes to store: known ones only, catalogue order."""
    return " ".join(split(" ".join(codes)))


def labels(codes: Iterable[str] | str) -> list[str]:
    """Readable labels, catalogue order (never raw codes; unknown codes are left out)."""
    text = codes if isinstance(codes, str) else " ".join(codes)
    return [BY_CODE[code].label for code in split(text)]


def parse_codes(text: str | Iterable[str]) -> tuple[list[str], list[str]]:
    """Codes from a form or a file: (known codes in catalogue order, errors for unknown ones).

    Accepts a space/comma-separated string or a list (checkbox values). Codes are exact:
    "o" is not "O" (the spec's codes are case-sensitive, "12x12" is lower case in part).
    """
    raw = text.replace(",", " ").split() if isinstance(text, str) else list(text)
    errors = [f"Unknown attribute code: {code!r}" for code in raw if code not in BY_CODE]
    return split(" ".join(c for c in raw if c in BY_CODE)), errors


def parse_attendance(value: str | None) -> Attendance | None:
    try:
        return Attendance((value or "").strip())
    except ValueError:
        return None


def feed_types(codes: Iterable[str] | str, attendance: str) -> list[str]:
    """The Meeting Guide `types`: spec codes only; TC for a paused in-person series."""
    text = codes if isinstance(codes, str) else " ".join(codes)
    types = [code for code in split(text) if BY_CODE[code].spec]
    if attendance == Attendance.inactive.value:
        types.append(TEMPORARILY_CLOSED)
    return types
