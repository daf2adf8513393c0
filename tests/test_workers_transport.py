"""SMTP_URL forms and the transports they give: plain, STARTTLS, implicit TLS, with login."""

from __future__ import annotations

from dataclasses import replace
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from events.mail_transport import (
    DevMailbox,
    PermanentFailure,
    SmtpTransport,
    TemporaryFailure,
    parse_smtp_url,
    transport_for,
)
from events.settings import ConfigError, get_settings
from tests.servers import free_port
from tests.workers_support import SmtpSink


def test_smtp_url_forms():
    plain = parse_smtp_url("smtp://mail.example.org")
    assert (plain.hostname, plain.port, plain.use_tls, plain.start_tls) == (
        "mail.example.org",
        25,
        False,
        False,
    )
    starttls = parse_smtp_url(
        "smtp+starttls://me%40example.org:p%40ss%3Aword@mail.example.org:2587"
    )
    assert (starttls.port, starttls.start_tls, starttls.use_tls) == (2587, True, False)
    assert (starttls.username, starttls.password) == ("me@example.org", "p@ss:word")
    implicit = parse_smtp_url("smtps://user:secret@mail.example.org")
    assert (implicit.port, implicit.use_tls, implicit.start_tls) == (465, True, False)
    assert parse_smtp_url("smtp+starttls://mail.example.org").port == 587


@pytest.mark.parametrize("url", ["http://mail.example.org", "smtp://", "smtp://host:notaport"])
def test_bad_smtp_urls_are_refused_with_a_message(url):
    with pytest.raises(ConfigError, match="SMTP_URL"):
        parse_smtp_url(url)


def test_no_smtp_url_means_the_dev_mailbox_and_prod_refuses():
    settings = get_settings()
    assert isinstance(transport_for(replace(settings, smtp_url=None)), DevMailbox)
    assert isinstance(transport_for(replace(settings, smtp_url="smtp://h:25")), SmtpTransport)
    with pytest.raises(ConfigError, match="SMTP_URL is required"):
        transport_for(replace(settings, smtp_url=None, env="prod"))


class Accounts:
    def __init__(self) -> None:
        self.logins: list[str] = []

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any):
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            b"steady",
            b"s3cret",
        )
        if ok:
            self.logins.append(data.login.decode())
        return AuthResult(success=ok, handled=False)


def message(to: str = "riley@example.org") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "no-reply@localhost"
    msg["To"] = to
    msg["Subject"] = "Hello"
    msg.set_content("Hi")
    return msg


async def test_login_from_the_url_and_a_reused_connection():
    sink, accounts, port = SmtpSink(), Accounts(), free_port()
    controller = Controller(
        sink, hostname="127.0.0.1", port=port, authenticator=accounts, auth_require_tls=False
    )
    controller.start()
    try:
        smtp = SmtpTransport(parse_smtp_url(f"smtp://steady:s3cret@127.0.0.1:{port}"))
        await smtp.send(message())
        await smtp.send(message("sam@example.org"))
        await smtp.close()
        wrong = SmtpTransport(parse_smtp_url(f"smtp://steady:wrong@127.0.0.1:{port}"))
        with pytest.raises(TemporaryFailure):  # our credentials, not the message: retry later
            await wrong.send(message())
    finally:
        controller.stop()
    assert [m["To"] for m in sink.received] == ["riley@example.org", "sam@example.org"]
    assert accounts.logins == ["steady"]  # one login: the second mail reused the connection


async def test_refused_recipient_is_permanent_and_busy_is_temporary():
    sink, port = SmtpSink(), free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        smtp = SmtpTransport(parse_smtp_url(f"smtp://127.0.0.1:{port}"))
        sink.answers = ["554 5.7.1 Rejected", "452 4.2.2 Mailbox full"]
        with pytest.raises(PermanentFailure, match="554"):
            await smtp.send(message())
        with pytest.raises(TemporaryFailure, match="452"):
            await smtp.send(message())
        await smtp.send(message())
        await smtp.close()
    finally:
        controller.stop()
    assert len(sink.received) == 1
