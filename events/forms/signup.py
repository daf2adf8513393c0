"""The sign-up form: email, display name, password."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from events.forms.fields import Errors, Text, is_email, new_password, normalize_email, one_line

DISPLAY_NAME = Text(
    "display_name",
    "display name",
    60,
    "Choose a display name: a first name or a nickname is enough.",
)


@dataclass
class SignupForm:
    email: str
    display_name: str
    password: str


def parse(data: Mapping[str, str]) -> tuple[SignupForm, Errors]:
    form = SignupForm(
        email=normalize_email(str(data.get("email", ""))),
        display_name=one_line(data, "display_name"),
        password=str(data.get("password", "")),
    )
    errors: Errors = {}
    if not is_email(form.email):
        errors["email"] = "Enter an email address like name@example.com."
    DISPLAY_NAME.check(errors, form.display_name)
    new_password(errors, "password", form.password)
    return form, errors
