"""`Labelled`: a stored choice and the words a person reads for it, written side by side."""

from __future__ import annotations

from enum import Enum
from typing import Self


class Labelled(str, Enum):
    """A str Enum whose members read `name = "value", "Label"`: the member is (and compares
    equal to) its value, as for a plain str Enum; `.label` is what pages show."""

    _value_: str
    label: str

    # The default only lets a lookup by value, `Kind("x")`, type-check like one.
    def __new__(cls, value: str, label: str = "") -> Self:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member


def label_table(choices: type[Labelled]) -> dict[Labelled, str]:
    """Each member's label, in the order the members are written."""
    return {member: member.label for member in choices}
