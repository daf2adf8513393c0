"""What a failed mail's error may say, and to whom.

Mail servers put the recipient's address (and sometimes more) in their refusals:
`550 5.1.1 <riley@example.org>: Recipient address rejected`. Addresses are never stored in
`outbox.last_error` nor written to logs, and organizers see a generic reason with the reply
code, never the server's own words.
"""

from __future__ import annotations

import logging
import re

# Anything shaped like local@domain, with or without angle brackets or a mailto: prefix.
_ADDRESS = re.compile(r"""(?:mailto:)?[^\s<>()\[\]{},;:"'`]*@[^\s<>()\[\]{},;:"'`]+""", re.I)
_CODE = re.compile(r"(?<!\d)([245]\d\d)(?:[ -]+([245]\.\d{1,3}\.\d{1,3}))?(?![\d.])")
REDACTED = "[address]"


def redact(text: str) -> str:
    """The text with every email address replaced by a placeholder."""
    return _ADDRESS.sub(REDACTED, text)


def reply_code(error: str) -> str:
    """'550 5.1.1' (or '550') from an error text; '' when it holds no SMTP reply code."""
    match = _CODE.search(error)
    if match is None:
        return ""
    return " ".join(part for part in match.groups() if part)


def reason(error: str, attempts: int) -> str:
    """A generic, address-free reason for the failed-mail page."""
    text = error.strip().lower()
    if text.startswith("gave up after"):
        return f"Temporary failure, gave up after {attempts} tries."
    if text.startswith("account deleted"):
        return "The member deleted their account."
    if text.startswith("could not compose"):
        return "Steady could not put this mail together."
    code = reply_code(error)
    if code.startswith("5"):
        detail = code.split(" ")[1] if " " in code else ""
        refused = detail.startswith(("5.1.", "5.2.1")) if detail else code in ("550", "551", "553")
        if refused:
            return "The address was refused by their mail provider."
        return "Their mail provider refused this mail."
    return "The mail could not be delivered."


class RedactAddresses(logging.Filter):
    """Keeps addresses out of the worker's log lines, tracebacks included."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(str(record.msg))
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return True
