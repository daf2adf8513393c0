"""Login throttling that bounds password guessing without letting anyone lock a member out.

Only failed attempts count (a venue's shared wifi signs many members in). Three counts:
- per (account, address): a guesser at one place stops there, nobody else is affected;
- per address: one place cannot try many accounts;
- per account across addresses: a higher bound, and only for addresses the account has never
  signed in from, so the owner keeps getting in from their usual place while it is attacked.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field

from redis.asyncio import Redis
from redis.exceptions import RedisError

from events import ratelimit

PAIR_LIMIT = (10, 300)  # failures per account and address in 5 minutes
ADDRESS_LIMIT = (20, 300)  # failures per address, whatever the accounts, in 5 minutes
ACCOUNT_LIMIT = (20, 3600)  # failures per account from unfamiliar addresses in an hour
KNOWN_FOR = 90 * 86400  # an address stays familiar for 90 days after a sign-in from it


def _digest(secret_key: str, text: str) -> str:
    # Keyed, so the stored digests of addresses cannot be reversed by trying every IPv4 address.
    key = secret_key.encode()
    return hmac.new(key, f"steady:login-known:{text}".encode(), hashlib.sha256).hexdigest()[:32]


def _known_key(secret_key: str, email: str) -> str:
    return f"rl:known:{_digest(secret_key, email)}"


@dataclass
class LoginAttempt:
    """`start` before checking the password, `succeeded` after a match. A refused start
    carries the seconds to wait in `retry_after` and, for the account bound, `unfamiliar`."""

    redis: Redis | None
    email: str
    address: str
    secret_key: str = field(repr=False)
    retry_after: int = 0
    unfamiliar: bool = False
    _hits: list[ratelimit.Hit] = field(default_factory=list)

    async def start(self) -> bool:
        """Count this attempt as a failure up front (parallel guesses cannot slip through
        between check and count); False when it must not go ahead."""
        limits = [PAIR_LIMIT, ADDRESS_LIMIT, ACCOUNT_LIMIT]
        keys = [
            (f"login:pair:{self.email}:{self.address}", PAIR_LIMIT[1]),
            (f"login:addr:{self.address}", ADDRESS_LIMIT[1]),
            (f"login:acct:{self.email}", ACCOUNT_LIMIT[1]),
        ]
        hits = await ratelimit.hit(self.redis, keys)
        if hits is None:
            return True  # Redis away: never lock everyone out
        self._hits = hits
        pair, address, account = (h.count > lim for h, (lim, _) in zip(hits, limits, strict=True))
        if pair or address:
            self.retry_after = PAIR_LIMIT[1]
        elif account and not await self._familiar():
            self.retry_after, self.unfamiliar = ACCOUNT_LIMIT[1], True
        else:
            return True
        await ratelimit.forget(self.redis, hits)  # a refused attempt tried no password
        return False

    async def succeeded(self) -> None:
        """The password matched: the attempt was no failure, and this address is familiar."""
        await ratelimit.forget(self.redis, self._hits)
        if self.redis is None:
            return
        key = _known_key(self.secret_key, self.email)
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.sadd(key, _digest(self.secret_key, self.address))
                pipe.expire(key, KNOWN_FOR)
                await pipe.execute()
        except (RedisError, OSError):
            pass  # only a convenience for the next attack

    async def _familiar(self) -> bool:
        if self.redis is None:
            return True
        try:
            known = _known_key(self.secret_key, self.email)
            found = self.redis.sismember(known, _digest(self.secret_key, self.address))
            return bool(await found)  # type: ignore[misc]  # redis-py types sync and async alike
        except (RedisError, OSError):
            return True
