"""Mail transports: SMTP from SMTP_URL (aiosmtplib), or the dev mailbox when it is unset.

SMTP_URL forms: `smtp://host:25` (plain), `smtp+starttls://user:pass@host:587` (STARTTLS
required), `smtps://user:pass@host:465` (implicit TLS). Failures come out as exactly two
kinds, which decide what the worker does next: TemporaryFailure (4xx, connection trouble,
timeouts, bad credentials: try again later) and PermanentFailure (a 5xx answer to this
message: retrying will not help).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import asdict, dataclass, replace
from email.message import EmailMessage
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

import aiosmtplib

from events.settings import ConfigError, Settings
from events.tables import DevMail

SMTP_TIMEOUT = 30
IDLE_CHECK = 5.0  # seconds idle after which a pooled connection is checked with NOOP


class TemporaryFailure(Exception):
    """Try again later: the server said 4xx, or it could not be reached."""


class PermanentFailure(Exception):
    """The server refused this message for good (5xx)."""


class Transport(Protocol):
    async def send(self, message: EmailMessage, *, outbox_id: int | None = None) -> None: ...

    async def close(self) -> None: ...


@dataclass(frozen=True)
class SmtpConfig:
    hostname: str
    port: int
    username: str | None = None
    password: str | None = None
    use_tls: bool = False
    start_tls: bool = False
    timeout: float = SMTP_TIMEOUT
    # EHLO name; unset, aiosmtplib asks socket.getfqdn(), which can stall on slow DNS.
    local_hostname: str | None = None


_SCHEMES = {
    "smtp": (25, False, False),
    "smtp+starttls": (587, False, True),
    "smtps": (465, True, False),
}


def parse_smtp_url(url: str) -> SmtpConfig:
    parts = urlsplit(url)
    if parts.scheme not in _SCHEMES:
        raise ConfigError(
            f"SMTP_URL: unsupported scheme {parts.scheme!r} (smtp, smtp+starttls or smtps)"
        )
    if not parts.hostname:
        raise ConfigError("SMTP_URL: no host")
    default_port, use_tls, start_tls = _SCHEMES[parts.scheme]
    try:
        port = parts.port or default_port
    except ValueError as exc:
        raise ConfigError(f"SMTP_URL: bad port ({exc})") from exc
    return SmtpConfig(
        hostname=parts.hostname,
        port=port,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        use_tls=use_tls,
        start_tls=start_tls,
    )


def classify(exc: BaseException) -> TemporaryFailure | PermanentFailure:
    """An aiosmtplib/OS error → what to do about it."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [r.code for r in exc.recipients]
        if codes and all(code >= 500 for code in codes):
            return PermanentFailure("; ".join(f"{r.code} {r.message}" for r in exc.recipients))
        return TemporaryFailure(str(exc))
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError | aiosmtplib.SMTPHeloError):
        # The server or our credentials, not this message: every mail would fail alike.
        return TemporaryFailure(f"{exc.code} {exc.message}")
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        text = f"{exc.code} {exc.message}"
        return PermanentFailure(text) if exc.code >= 500 else TemporaryFailure(text)
    return TemporaryFailure(f"{type(exc).__name__}: {exc}")


class SmtpTransport:
    """A small pool of SMTP connections, reused across messages (one message per connection
    at a time); a connection that fails is dropped, never reused."""

    def __init__(self, config: SmtpConfig, size: int = 4) -> None:
        self.config = config
        self._idle: list[tuple[aiosmtplib.SMTP, float]] = []
        self._slots = asyncio.Semaphore(size)

    async def _connect(self) -> aiosmtplib.SMTP:
        # SmtpConfig's fields are aiosmtplib.SMTP's keyword arguments of the same names.
        client = aiosmtplib.SMTP(**asdict(self.config))
        await client.connect()
        return client

    async def _take(self) -> aiosmtplib.SMTP:
        while self._idle:
            client, since = self._idle.pop()
            if not client.is_connected:
                continue
            if time.monotonic() - since > IDLE_CHECK:
                try:
                    await client.noop()
                except (aiosmtplib.SMTPException, OSError):
                    client.close()
                    continue
            return client
        return await self._connect()

    async def send(self, message: EmailMessage, *, outbox_id: int | None = None) -> None:
        async with self._slots:
            client: aiosmtplib.SMTP | None = None
            try:
                client = await self._take()
                await client.send_message(message)
            except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
                if client is not None:
                    client.close()
                raise classify(exc) from exc
            except BaseException:
                if client is not None:
                    client.close()
                raise
            self._idle.append((client, time.monotonic()))

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for client, _ in idle:
            try:
                await asyncio.wait_for(client.quit(), timeout=2)
            except (aiosmtplib.SMTPException, OSError, TimeoutError):
                client.close()


class DevMailbox:
    """No SMTP_URL (dev): mail is stored in the database and read at /dev/mail."""

    async def send(self, message: EmailMessage, *, outbox_id: int | None = None) -> None:
        await DevMail.insert(
            DevMail(
                outbox=outbox_id,
                to_address=str(message["To"] or "")[:254],
                subject=str(message["Subject"] or "")[:300],
                message=message.as_string(),
            )
        )

    async def close(self) -> None:
        return None

    @staticmethod
    async def latest(limit: int = 50) -> list[dict[str, Any]]:
        """The newest mails kept, newest first (the /dev/mail page)."""
        return await DevMail.select().order_by(DevMail.id, ascending=False).limit(limit)


def transport_for(settings: Settings) -> Transport:
    if settings.smtp_url:
        config = replace(parse_smtp_url(settings.smtp_url), local_hostname=settings.hostname)
        return SmtpTransport(config)
    if settings.is_prod:
        raise ConfigError("SMTP_URL is required when STEADY_ENV=prod")
    return DevMailbox()
