"""Signed tokens under SECRET_KEY: private feed URLs, sign-up and reset links, unsubscribe links.

A token never carries personal data in the clear beyond an opaque number, and each purpose
has its own salt (so its own key), so a token made for one use is worthless for another.

Keys, signatures and their constant-time checks are itsdangerous's `Signer` (HMAC-SHA256,
"hmac" key derivation with the salt `steady:<purpose>`). The token layouts predate it and are
kept byte for byte: calendar apps are subscribed to feed URLs, and unsubscribe links in mail
already sent must keep working for a year. itsdangerous's timed formats would change both.
"""

from __future__ import annotations

import hashlib
import time
from typing import TYPE_CHECKING

from itsdangerous import Signer
from itsdangerous.encoding import base64_decode, base64_encode
from itsdangerous.signer import HMACAlgorithm

from events.parsing import parse_id

if TYPE_CHECKING:
    from starlette.requests import HTTPConnection


class _TruncatedHMAC(HMACAlgorithm):
    """HMAC-SHA256 cut to `length` bytes (the length of the signatures already handed out)."""

    def __init__(self, length: int) -> None:
        super().__init__(hashlib.sha256)
        self.length = length

    def get_signature(self, key: bytes, value: bytes) -> bytes:
        return super().get_signature(key, value)[: self.length]


class Tokens:
    """Every signed token of the site, under one secret key (the app's `state.tokens`)."""

    def __init__(self, secret_key: str) -> None:
        self._secret_key = secret_key
        self._signers: dict[tuple[str, int], Signer] = {}

    def __repr__(self) -> str:
        return "Tokens(<secret>)"

    def _signer(self, purpose: str, length: int = 24) -> Signer:
        signer = self._signers.get((purpose, length))
        if signer is None:
            signer = Signer(
                self._secret_key,
                salt=f"steady:{purpose}",
                key_derivation="hmac",
                digest_method=hashlib.sha256,
                algorithm=_TruncatedHMAC(length),
            )
            self._signers[(purpose, length)] = signer
        return signer

    def _mac(self, purpose: str, value: str, length: int = 24) -> bytes:
        signer = self._signer(purpose, length)
        return signer.algorithm.get_signature(signer.derive_key(), value.encode())

    def _verify(self, purpose: str, value: str, mac: str) -> bool:
        # itsdangerous's base64 skips stray characters: only the canonical form is the token.
        return self._signer(purpose).verify_signature(value, mac) and (
            base64_encode(base64_decode(mac)).decode() == mac
        )

    # --- private feed URLs ----------------------------------------------------------------

    def feed_token(self, member_id: int, version: int) -> str:
        """`<id>-<version>-<mac>`: 192 bits of MAC; bumping the version revokes the old URL."""
        mac = self._signer("feed").get_signature(f"{member_id}:{version}").decode()
        return f"{member_id}-{version}-{mac}"

    def read_feed_token(self, token: str) -> tuple[int, int] | None:
        """(member id, version) if the token is genuine, whatever the member's current version."""
        try:
            member_id, version, mac = token.split("-", 2)
        except ValueError:
            return None
        member, number = parse_id(member_id), parse_id(version)
        if member is None or number is None:
            return None
        if not self._verify("feed", f"{member}:{number}", mac):
            return None
        return member, number

    # --- mailed links -----------------------------------------------------------------------

    def make_link_token(
        self, purpose: str, subject: str, bind: str = "", now: float | None = None
    ) -> str:
        """A time-stamped token for a mailed link. `bind` (e.g. part of the current password
        hash) makes it single-use: once that value changes, the token no longer verifies."""
        issued = int(now if now is not None else time.time())
        mac = self._signer(purpose).get_signature(f"{subject}:{issued}:{bind}").decode()
        return f"{subject}.{issued}.{mac}"

    def read_link_token(
        self,
        purpose: str,
        token: str,
        bind_for: dict[str, str] | None = None,
        max_age: int = 86400,
        now: float | None = None,
    ) -> str | None:
        """The subject of a genuine, unexpired token, else None. `bind_for` maps subject →
        bind."""
        try:
            subject, issued_text, mac = token.rsplit(".", 2)
            issued = int(issued_text)
        except ValueError:
            return None
        current = now if now is not None else time.time()
        if issued > current + 60 or current - issued > max_age:
            return None
        bind = (bind_for or {}).get(subject, "")
        if not self._verify(purpose, f"{subject}:{issued}:{bind}", mac):
            return None
        return subject

    # --- member references in forms -------------------------------------------------------

    def member_ref(self, purpose: str, club_id: int, viewer_id: int, member_id: int) -> str:
        """An opaque reference to a member, as shown to one viewer in one club.

        The member id is masked with a key derived from (club, viewer) and authenticated with
        a MAC, so a form never carries a sequential id, and a reference is worthless to
        another viewer, in another club or for another purpose."""
        context = f"{club_id}:{viewer_id}"
        pad = self._mac(f"{purpose}:mask", context, 8)
        masked = bytes(a ^ b for a, b in zip(member_id.to_bytes(8, "big"), pad, strict=True))
        tag = self._mac(purpose, f"{context}:{member_id}", 16)
        return base64_encode(masked + tag).decode()

    def read_member_ref(
        self, purpose: str, ref: str | None, club_id: int, viewer_id: int
    ) -> int | None:
        """The member id behind a genuine reference made for this viewer and club, else None."""
        if not ref or len(ref) != 32:
            return None
        try:
            raw = base64_decode(ref)
        except Exception:  # noqa: BLE001 - itsdangerous raises its own BadData for bad base64
            return None
        if len(raw) != 24:
            return None
        context = f"{club_id}:{viewer_id}"
        pad = self._mac(f"{purpose}:mask", context, 8)
        member_id = int.from_bytes(bytes(a ^ b for a, b in zip(raw[:8], pad, strict=True)), "big")
        signer = self._signer(purpose, 16)
        if not signer.algorithm.verify_signature(
            signer.derive_key(), f"{context}:{member_id}".encode(), raw[8:]
        ):
            return None
        return member_id


def tokens_of(request: HTTPConnection) -> Tokens:
    """The app's tokens (made from its settings in `create_app`)."""
    tokens: Tokens = request.app.state.tokens
    return tokens
