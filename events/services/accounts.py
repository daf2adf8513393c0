"""Accounts: sign-up through a mailed link, login, confirmation. Never reveals whether an
email address has an account: sign-up answers the same way either way."""

from __future__ import annotations

from typing import Any

from events import passwords
from events.forms.fields import normalize_email
from events.forms.signup import SignupForm
from events.parsing import parse_id
from events.services import outbox
from events.tables import MailKind, Member
from events.tokens import Tokens

CONFIRM_PURPOSE = "signup-confirm"
CONFIRM_MAX_AGE = 2 * 86400


def confirm_bind(password_hash: str) -> str:
    return password_hash[-16:]


async def sign_up(tokens: Tokens, form: SignupForm, next_path: str = "") -> None:
    """A new address gets a confirmation link; a known one gets a 'you already have an
    account' mail. The caller shows the same page in both cases, and every branch does the
    same work (one member write and one outbox row in one transaction), so the answer time
    does not tell either. `next_path` (a safe local path) rides in the mailed link."""
    password_hash = await passwords.hash_password_async(form.password)
    existing = (
        await Member.select(Member.id, Member.email_confirmed)
        .where(Member.email == form.email)
        .first()
    )
    async with Member._meta.db.transaction():
        if existing and existing["email_confirmed"]:
            # A write that changes nothing, standing in for the other branches' member write.
            await Member.update({Member.email_confirmed: True}).where(
                (Member.id == existing["id"]) & Member.email_confirmed.eq(True)
            )
            await outbox.add(
                MailKind.signup_existing,
                f"signup-existing:{existing['id']}:{tokens.make_link_token('nonce', form.email)}",
                recipient=existing["id"],
                payload=_next_payload(next_path),
            )
            return
        if existing:
            member_id = existing["id"]
            await Member.update(
                {Member.password_hash: password_hash, Member.display_name: form.display_name}
            ).where(Member.id == member_id)
        else:
            rows = await Member.insert(
                Member(
                    email=form.email,
                    display_name=form.display_name,
                    password_hash=password_hash,
                    email_confirmed=False,
                )
            ).returning(Member.id)
            member_id = rows[0]["id"]
        link = confirm_token(tokens, member_id, password_hash)
        await outbox.add(
            MailKind.signup_confirm,
            f"signup-confirm:{link}",
            recipient=member_id,
            payload={"token": link, **_next_payload(next_path)},
        )


def _next_payload(next_path: str) -> dict[str, str]:
    return {"next": next_path} if next_path else {}


RESEND_NONE = MailKind.signup_resend_none  # a kind the worker skips: see delivery


async def resend_confirmation(tokens: Tokens, email: str, next_path: str = "") -> None:
    """Mail the sign-up link again: a fresh link to an unconfirmed account, the "you already
    have an account" mail to a confirmed one, and a row the worker skips otherwise (an
    account erased meanwhile). One read and one outbox row in every case; the caller answers
    the same way whatever happened."""
    email = normalize_email(email)
    row = (
        await Member.select(Member.id, Member.password_hash, Member.email_confirmed)
        .where((Member.email == email) & Member.deleted_at.is_null())
        .first()
    )
    nonce = tokens.make_link_token("nonce", email)
    if row is None:
        await outbox.add(RESEND_NONE, f"signup-resend-none:{nonce}")
    elif row["email_confirmed"]:
        await outbox.add(
            MailKind.signup_existing,
            f"signup-existing:{row['id']}:{nonce}",
            recipient=row["id"],
            payload=_next_payload(next_path),
        )
    else:
        link = confirm_token(tokens, int(row["id"]), row["password_hash"])
        await outbox.add(
            MailKind.signup_confirm,
            f"signup-confirm:{link}",
            recipient=row["id"],
            payload={"token": link, **_next_payload(next_path)},
        )


def confirm_token(tokens: Tokens, member_id: int, password_hash: str) -> str:
    return tokens.make_link_token(CONFIRM_PURPOSE, str(member_id), confirm_bind(password_hash))


async def read_confirm_token(tokens: Tokens, token: str) -> int | None:
    """The member a genuine, unexpired, latest, unused confirmation link belongs to."""
    row = await _bound_token_row(tokens, CONFIRM_PURPOSE, token, CONFIRM_MAX_AGE)
    return None if row is None or row["email_confirmed"] else int(row["id"])


async def confirm_link_used(tokens: Tokens, token: str) -> bool:
    """Whether this is a genuine confirmation link of an account that is confirmed already."""
    row = await _bound_token_row(tokens, CONFIRM_PURPOSE, token, CONFIRM_MAX_AGE)
    return row is not None and bool(row["email_confirmed"])


async def use_confirm_token(tokens: Tokens, token: str) -> int | None:
    """Confirm the account of a valid link and return its member, once: the link signs in only
    while the account is unconfirmed, and one conditional update decides between two
    concurrent uses."""
    row = await _bound_token_row(tokens, CONFIRM_PURPOSE, token, CONFIRM_MAX_AGE)
    if row is None or row["email_confirmed"]:
        return None
    done = (
        await Member.update({Member.email_confirmed: True})
        .where(
            (Member.id == row["id"])
            & Member.email_confirmed.eq(False)
            & (Member.password_hash == row["password_hash"])
        )
        .returning(Member.id)
    )
    return int(row["id"]) if done else None


async def _bound_token_row(
    tokens: Tokens, purpose: str, token: str, max_age: int
) -> dict[str, Any] | None:
    """The member row (id, password hash, confirmed) of a genuine, unexpired link token bound
    to their current password hash (so it stops working once the hash changes)."""
    member_id = parse_id(token.split(".", 1)[0])
    if member_id is None:
        return None
    row = (
        await Member.select(Member.id, Member.password_hash, Member.email_confirmed)
        .where((Member.id == member_id) & Member.deleted_at.is_null())
        .first()
    )
    if row is None:
        return None
    subject = tokens.read_link_token(
        purpose,
        token,
        bind_for={str(member_id): confirm_bind(row["password_hash"])},
        max_age=max_age,
    )
    return row if subject else None


async def authenticate(email: str, password: str) -> int | None:
    """The member id when email and password match a confirmed account, else None.
    Takes the same time whether or not the address has an account."""
    row = (
        await Member.select(Member.id, Member.password_hash, Member.email_confirmed)
        .where(
            (Member.email == normalize_email(email))
            & Member.deleted_at.is_null()
            & Member.suspended_at.is_null()  # suspended by a steward (#16)
        )
        .first()
    )
    ok = await passwords.verify_password_async(password, row["password_hash"] if row else None)
    if not ok or row is None or not row["email_confirmed"]:
        return None
    return int(row["id"])


async def password_matches(member_id: int, password: str) -> bool:
    """The signed-in member typed their own password (to confirm something drastic)."""
    row = await Member.select(Member.password_hash).where(Member.id == member_id).first()
    return await passwords.verify_password_async(password, row["password_hash"] if row else None)


async def create_confirmed_member(email: str, display_name: str, password_hash: str) -> int:
    """For demo data and tests: an account that can log in at once."""
    rows = await Member.insert(
        Member(
            email=normalize_email(email),
            display_name=display_name,
            password_hash=password_hash,
            email_confirmed=True,
        )
    ).returning(Member.id)
    return int(rows[0]["id"])


RESET_PURPOSE = "password-reset"
RESET_MAX_AGE = 3600
# The stand-in link's purpose: the name of the outbox kind that is never sent.
RESET_NO_ACCOUNT = MailKind.password_reset_none.value


async def request_password_reset(tokens: Tokens, email: str) -> None:
    """Mail a reset link if the address has a confirmed account. Otherwise write an outbox row
    the worker skips (it names no one): the same work either way, so neither the page nor
    its timing tells whether the address has an account."""
    row = (
        await Member.select(Member.id, Member.password_hash)
        .where(
            (Member.email == normalize_email(email))
            & Member.email_confirmed.eq(True)
            & Member.deleted_at.is_null()
        )
        .first()
    )
    if row is None:
        # Keyed like a real link (per address and second, the address only as a MAC), so a
        # repeat within the same second is a no-op in both branches alike.
        stand_in = tokens.make_link_token(RESET_NO_ACCOUNT, "0", normalize_email(email))
        await outbox.add(MailKind.password_reset_none, f"password-reset:{stand_in}")
        return
    token = tokens.make_link_token(
        RESET_PURPOSE, str(row["id"]), confirm_bind(row["password_hash"])
    )
    await outbox.add(
        MailKind.password_reset,
        f"password-reset:{token}",
        recipient=row["id"],
        payload={"token": token},
    )


async def read_reset_token(tokens: Tokens, token: str) -> int | None:
    """The member of a genuine, unexpired reset link that has not been used yet (using it
    changes the password hash the token is bound to)."""
    row = await _bound_token_row(tokens, RESET_PURPOSE, token, RESET_MAX_AGE)
    return None if row is None else int(row["id"])


async def use_reset_token(tokens: Tokens, token: str, password: str) -> int | None:
    """Set a new password through a valid reset link and return its member, once: the update
    only applies while the password hash the link is bound to is still in place, so of two
    concurrent uses only one wins."""
    row = await _bound_token_row(tokens, RESET_PURPOSE, token, RESET_MAX_AGE)
    if row is None:
        return None
    password_hash = await passwords.hash_password_async(password)
    done = (
        await Member.update({Member.password_hash: password_hash, Member.email_confirmed: True})
        .where((Member.id == row["id"]) & (Member.password_hash == row["password_hash"]))
        .returning(Member.id)
    )
    return int(row["id"]) if done else None
