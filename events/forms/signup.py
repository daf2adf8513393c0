"""The sign-up form: email, display name, password."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from events.forms.fields import Errors, is_email, length, new_password, normalize_email, one_line

DISPLAY_NAME_MAX = 60


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
    length(
        errors,
        "display_name",
        form.display_name,
        label="display name",
        limit=DISPLAY_NAME_MAX,
        required="Choose a display name: a first name or a nickname is enough.",
    )
    new_password(errors, "password", form.password)
    return form, errors
