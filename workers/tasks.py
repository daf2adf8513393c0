"""Thin jobs: load by id, skip if already done, call a service, mark done."""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)


async def send_outbox(ctx: dict[str, Any], outbox_id: int) -> str:
    """Send one outbox row (the mail sending itself lands with the workers issue)."""
    log.info("outbox %s waiting for the mail sender", outbox_id)
    return "pending"
