"""Who is asking: server-side sessions (piccolo_api's table) and the signed-in member.

The cookie holds only a random session token; logging out deletes the session row, so a copied
cookie stops working at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

from piccolo_api.session_auth.tables import SessionsBase
from starlette.authentication import AuthCredentials, AuthenticationBackend, BaseUser
from starlette.requests import HTTPConnection, Request
from starlette.responses import RedirectResponse, Response

from events.settings import settings_of

SESSION_COOKIE = "steady_session"
SESSION_IDLE = timedelta(days=14)
SESSION_MAX = timedelta(days=60)


@dataclass(frozen=True)
class CurrentMember:
    id: int
    email: str
    display_name: str
    discreet: bool
    default_visibility: str

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def identity(self) -> str:
        return str(self.id)


class Anonymous(BaseUser):
    id = None

    @property
    def is_authenticated(self) -> bool:
        return False


# Session and member in one statement. piccolo_api's sessions table has no foreign key to
# member, so Piccolo's query builder cannot join them: a raw query.
SESSION_MEMBER_SQL = (
    "SELECT member.id, member.email, member.display_name, member.discreet, "
    "member.default_visibility, sessions.id AS session_id, sessions.expiry_date, "
    "sessions.max_expiry_date FROM sessions JOIN member ON member.id = sessions.user_id "
    "WHERE sessions.token = {} AND member.deleted_at IS NULL AND member.suspended_at IS NULL"
)
# The idle expiry slides with use, written at most this often per session.
SESSION_REFRESH = timedelta(hours=1)


async def member_for_session(token: str, now: datetime | None = None) -> CurrentMember | None:
    """The signed-in member for a session token: one SELECT, plus an UPDATE at most once per
    SESSION_REFRESH to slide the idle expiry (never past the session's hard maximum)."""
    rows = await SessionsBase.raw(SESSION_MEMBER_SQL, token)
    if not rows:
        return None
    row = rows[0]
    now = now or datetime.now()
    expiry, max_expiry = row.pop("expiry_date"), row.pop("max_expiry_date")
    session_id = row.pop("session_id")
    if expiry <= now or max_expiry <= now:
        return None
    target = min(now + SESSION_IDLE, max_expiry)
    if target - expiry >= SESSION_REFRESH:
        await SessionsBase.update({SessionsBase.expiry_date: target}).where(
            SessionsBase.id == session_id
        )
    row["discreet"] = bool(row["discreet"])
    return CurrentMember(**row)


class SessionBackend(AuthenticationBackend):
    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, Any]:
        token = conn.cookies.get(SESSION_COOKIE)
        if token and len(token) < 100:
            member = await member_for_session(token)
            if member is not None:
                return AuthCredentials(["authenticated"]), member
        return AuthCredentials(), Anonymous()


async def start_session(request: Request, response: Response, member_id: int) -> None:
    now = datetime.now()
    session = await SessionsBase.create_session(
        user_id=member_id, expiry_date=now + SESSION_IDLE, max_expiry_date=now + SESSION_MAX
    )
    response.set_cookie(
        SESSION_COOKIE,
        session.token,
        max_age=int(SESSION_MAX.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=settings_of(request).secure_cookies,
    )


async def end_session(request: Request, response: Response) -> None:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await SessionsBase.remove_session(token)
    response.delete_cookie(
        SESSION_COOKIE, httponly=True, samesite="lax", secure=settings_of(request).secure_cookies
    )


async def end_all_sessions(member_id: int) -> None:
    await SessionsBase.delete().where(SessionsBase.user_id == member_id)


def current_member(request: Request) -> CurrentMember | None:
    user: Any = request.user
    return user if isinstance(user, CurrentMember) else None


def safe_next(target: str | None, default: str = "/") -> str:
    """Only paths on this site: no scheme, no host, no '//' or backslash tricks."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or "\\" in target or any(ord(c) < 32 for c in target):
        return default
    return target


def login_redirect(request: Request, next_path: str | None = None) -> RedirectResponse:
    target = next_path or request.url.path
    return RedirectResponse(f"/login?{urlencode({'next': safe_next(target)})}", status_code=303)
