"""The attribute and attendance fields shared by the club and event forms (#15).

Fields: `attributes` (one checkbox per code, posted once per ticked box), `attendance`
(`in_person`, `online`, `hybrid`; events also `inactive`) and, on events,
`link_for_in_person` (a checkbox). Views flatten the posted form with `flatten`, which joins
the ticked codes into one space-separated value, so the forms keep reading plain strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from events import attributes
from events.attributes import Attendance

FIELDS = ("attributes", "attendance", "link_for_in_person")
CLUB_MODES = (Attendance.in_person.value, Attendance.online.value, Attendance.hybrid.value)
EVENT_MODES = (*CLUB_MODES, Attendance.inactive.value)


@dataclass
class AttributeValues:
    """None = the form had none of these fields (an older client): keep what is stored."""

    attributes: str | None = None
    attendance: str | None = None
    link_for_in_person: bool = False
    # The raw values, to show the form again.
    form: dict[str, str] = field(default_factory=dict)


def flatten(form: Any) -> dict[str, str]:
    """A posted form as field → text; the ticked `attributes` joined by spaces."""
    data = {k: v for k, v in form.items() if isinstance(v, str)}
    if "attributes" in data:
        data["attributes"] = " ".join(v for v in form.getlist("attributes") if isinstance(v, str))
    return data


def parse(
    data: Mapping[str, str], modes: tuple[str, ...] = EVENT_MODES
) -> tuple[AttributeValues, dict[str, str]]:
    """→ (values, errors by field). The attendance radio is always posted by our forms, so
    its presence says the checkboxes were shown (none ticked = no attributes)."""
    raw = {name: str(data.get(name, "")) for name in FIELDS}
    values = AttributeValues(form=raw)
    errors: dict[str, str] = {}
    if "attendance" not in data:
        return values, errors
    codes, unknown = attributes.parse_codes(raw["attributes"][:2000])
    if unknown:
        errors["attributes"] = "Some of those choices aren't ones we know; please tick them again."
    mode = raw["attendance"].strip()
    if mode not in modes:
        errors["attendance"] = "Choose in person, online or hybrid."
    values.attributes = " ".join(codes)
    values.attendance = mode if mode in modes else None
    values.link_for_in_person = bool(raw["link_for_in_person"])
    values.form["attributes"] = values.attributes
    return values, errors


def initial(row: Mapping[str, Any]) -> dict[str, str]:
    """The form's starting values from a stored club (a new event's defaults) or event."""
    return {
        "attributes": attributes.join(str(row.get("attributes") or "").split()),
        "attendance": str(row.get("attendance") or Attendance.in_person.value),
        "link_for_in_person": "on" if row.get("link_for_in_person") else "",
    }
