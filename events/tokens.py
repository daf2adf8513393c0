"""Signed tokens under SECRET_KEY: private feed URLs, sign-up and reset links, unsubscribe links.

A token never carries personal data in the clear beyond an opaque number, and each purpose
has its own key, so a token made for one use is worthless for another.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

from events.parsing import parse_id
from events.settings import get_settings


def _key(purpose: str) -> bytes:
    secret = get_settings().secret_key.encode()
    return hmac.new(secret, f"steady:{purpose}".encode(), hashlib.sha256).digest()


def _mac(purpose: str, message: str, length: int = 24) -> str:
    digest = hmac.new(_key(purpose), message.encode(), hashlib.sha256).digest()[:length]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def feed_token(member_id: int, version: int) -> str:
    """`<id>-<version>-<mac>`: 192 bits of MAC; bumping the version revokes the old URL."""
    return f"{member_id}-{version}-{_mac('feed', f'{member_id}:{version}')}"


def read_feed_token(token: str) -> tuple[int, int] | None:
    """(member id, version) if the token is genuine, whatever the member's current version."""
    try:
        member_id, version, mac = token.split("-", 2)
    except ValueError:
        return None
    member, number = parse_id(member_id), parse_id(version)
    if member is None or number is None:
        return None
    ids = member, number
    if not hmac.compare_digest(mac, _mac("feed", f"{ids[0]}:{ids[1]}")):
        return None
    return ids


def make_link_token(purpose: str, subject: str, bind: str = "", now: float | None = None) -> str:
    """A time-stamped token for a mailed link. `bind` (e.g. part of the current password hash)
    makes it single-use: once that value changes, the token no longer verifies."""
    issued = int(now if now is not None else time.time())
    return f"{subject}.{issued}.{_mac(purpose, f'{subject}:{issued}:{bind}')}"


def read_link_token(
    purpose: str,
    token: str,
    bind_for: dict[str, str] | None = None,
    max_age: int = 86400,
    now: float | None = None,
) -> str | None:
    """The subject of a genuine, unexpired token, else None. `bind_for` maps subject → bind."""
    try:
        subject, issued_text, mac = token.rsplit(".", 2)
        issued = int(issued_text)
    except ValueError:
        return None
    current = now if now is not None else time.time()
    if issued > current + 60 or current - issued > max_age:
        return None
    bind = (bind_for or {}).get(subject, "")
    if not hmac.compare_digest(mac, _mac(purpose, f"{subject}:{issued}:{bind}")):
        return None
    return subject


def _ref_context(club_id: int, viewer_id: int) -> str:
    return f"{club_id}:{viewer_id}"


def member_ref(purpose: str, club_id: int, viewer_id: int, member_id: int) -> str:
    """An opaque reference to a member, as shown to one viewer in one club.

    The member id is masked with a key derived from (club, viewer) and authenticated with a
    MAC, so a form never carries a sequential id, and a reference is worthless to another
    viewer, in another club or for another purpose."""
    context = _ref_context(club_id, viewer_id)
    pad = hmac.new(_key(f"{purpose}:mask"), context.encode(), hashlib.sha256).digest()[:8]
    masked = bytes(a ^ b for a, b in zip(member_id.to_bytes(8, "big"), pad, strict=True))
    tag = hmac.new(_key(purpose), f"{context}:{member_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(masked + tag[:16]).decode().rstrip("=")


def read_member_ref(purpose: str, ref: str | None, club_id: int, viewer_id: int) -> int | None:
    """The member id behind a genuine reference made for this viewer and club, else None."""
    if not ref or len(ref) != 32:
        return None
    try:
        raw = base64.urlsafe_b64decode(ref + "==")
    except ValueError:
        return None
    if len(raw) != 24:
        return None
    context = _ref_context(club_id, viewer_id)
    pad = hmac.new(_key(f"{purpose}:mask"), context.encode(), hashlib.sha256).digest()[:8]
    member_id = int.from_bytes(bytes(a ^ b for a, b in zip(raw[:8], pad, strict=True)), "big")
    tag = hmac.new(_key(purpose), f"{context}:{member_id}".encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(raw[8:], tag[:16]):
        return None
    return member_id
