"""The new-password form a reset link opens: the token it came with and the new password."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from events.forms.fields import Errors, new_password


@dataclass
class PasswordReset:
    token: str
    password: str


def parse(data: Mapping[str, str]) -> tuple[PasswordReset, Errors]:
    errors: Errors = {}
    values = PasswordReset(
        token=str(data.get("token", ""))[:200],
        password=new_password(errors, "password", str(data.get("password", ""))),
    )
    return values, errors
