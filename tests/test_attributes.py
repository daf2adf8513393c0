"""The attribute catalogue (#15): spec codes kept as the spec spells them, Steady's own codes
apart, readable labels, and new events taking their club's defaults."""

import json
from datetime import datetime
from pathlib import Path

from events import attributes
from events.attributes import Attendance
from events.forms.event import EventValues
from events.services import events_admin
from events.tables import Club, ClubKind, Event, Repeat
from tests import helpers

SCHEMA = json.loads(
    (Path(__file__).parent / "meeting_guide" / "meeting-type.schema.json").read_text()
)
SPEC_CODES = set(SCHEMA["items"]["anyOf"][0]["enum"]) | set(SCHEMA["items"]["anyOf"][1]["enum"])


def test_spec_codes_are_spec_codes_and_steady_codes_never_collide():
    for code in attributes.CATALOGUE:
        if code.spec:
            assert code.code in SPEC_CODES, code
        else:
            assert code.code not in SPEC_CODES
            # Lower-case words with a hyphen: never an ISO 639 code or a future spec code.
            assert "-" in code.code and code.code == code.code.lower()
    assert len(attributes.BY_CODE) == len(attributes.CATALOGUE)


def test_labels_are_readable_and_in_catalogue_order():
    assert attributes.labels("X S O newcomer-friendly") == [
        "Open",
        "Spanish",
        "Wheelchair access",
        "Newcomer-friendly",
    ]
    assert attributes.labels(["nonsense"]) == []


def test_parse_codes_rejects_unknown_codes():
    codes, errors = attributes.parse_codes("O, D EN zz o")
    assert codes == ["O", "D", "EN"]
    assert errors == ["Unknown attribute code: 'zz'", "Unknown attribute code: 'o'"]
    assert attributes.parse_codes(["X", "level-easy"]) == (["X", "level-easy"], [])


def test_feed_types_drop_steady_codes_and_mark_paused_series():
    stored = "C ST level-hard alcohol-free OUT"
    assert attributes.feed_types(stored, "in_person") == ["C", "ST", "OUT"]
    assert attributes.feed_types(stored, "inactive") == ["C", "ST", "OUT", "TC"]


def test_groups_follow_the_club_kind():
    meeting = [g for g, _, _ in attributes.groups_for(ClubKind.twelve_step.value)]
    activity = [g for g, _, _ in attributes.groups_for(ClubKind.activity.value)]
    assert attributes.Group.open_closed in meeting and attributes.Group.level not in meeting
    assert attributes.Group.level in activity and attributes.Group.format not in activity
    for groups in (meeting, activity):
        assert attributes.Group.accessibility in groups and attributes.Group.welcome in groups


def _values(**fields):
    base = dict(
        title="Step study",
        activity="meeting",
        local_start=datetime(2027, 3, 2, 19, 0),
        local_end=datetime(2027, 3, 2, 20, 0),
        location="Hall",
        online_url="",
        capacity=None,
        description="",
        repeat=Repeat.none,
        repeat_until=None,
        deadline_before=None,
        guests_allowed=0,
        details_for_attendees_only=False,
        location_hint="",
        attestation="",
    )
    return EventValues(**{**base, **fields})


async def test_new_events_take_the_club_defaults_unless_given():
    club_id = await helpers.make_club(
        kind="twelve_step", attributes="C ST X", attendance=Attendance.hybrid.value
    )
    club = await Club.select().where(Club.id == club_id).first()
    [plain] = await events_admin.create_events(club, _values(), created_by=None)
    [own] = await events_admin.create_events(
        club, _values(attributes="O", attendance="online"), created_by=None
    )
    rows = {
        r["id"]: r
        for r in await Event.select(Event.id, Event.attributes, Event.attendance).where(
            Event.club == club_id
        )
    }
    assert (rows[plain]["attributes"], rows[plain]["attendance"]) == ("C ST X", "hybrid")
    assert (rows[own]["attributes"], rows[own]["attendance"]) == ("O", "online")
