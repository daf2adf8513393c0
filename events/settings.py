"""Environment variables → typed settings, read in one place (see DESIGN.md, configuration)."""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from starlette.requests import HTTPConnection

from events.crisis import CrisisConfigError, CrisisLine, country_code, parse_crisis_lines

DEFAULT_DATABASE_URL = "sqlite:///steady.sqlite3"
DEFAULT_MAIL_FROM = "Steady <no-reply@localhost>"
DEFAULT_BASE_URL = "http://127.0.0.1:8000"
DEFAULT_REMINDER_LEADS = "24h,2h"
WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_TRUSTED_PROXIES = "127.0.0.1"
# Where `steady dev` keeps what it generates (secret key, embedded Redis socket and data).
STATE_DIR = Path(os.environ.get("STEADY_STATE_DIR", ".steady"))

_LEAD = re.compile(r"^\s*(\d+)\s*([mhd])\s*$")
_LEAD_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


class ConfigError(RuntimeError):
    """The environment describes a configuration Steady refuses to run with."""


def parse_reminder_leads(text: str) -> tuple[timedelta, ...]:
    """'24h,2h' → (24 hours, 2 hours), longest first. Raises ConfigError on a bad item."""
    leads: set[timedelta] = set()
    for item in text.split(","):
        if not item.strip():
            continue
        match = _LEAD.match(item)
        if not match or int(match.group(1)) == 0:
            raise ConfigError(
                f"REMINDER_LEADS: cannot read {item.strip()!r} (use forms like 90m, 2h, 1d)"
            )
        leads.add(timedelta(**{_LEAD_UNITS[match.group(2)]: int(match.group(1))}))
    return tuple(sorted(leads, reverse=True))


def parse_trusted_proxies(text: str) -> str:
    """'10.0.0.2, 10.1.0.0/16' → '10.0.0.2,10.1.0.0/16' (uvicorn's forwarded_allow_ips). Raises
    ConfigError on an item uvicorn would silently treat as a name that matches no peer."""
    if text.strip() == "*":
        return "*"  # every peer: only when nothing but the proxy can reach the server
    items = [item.strip() for item in text.split(",") if item.strip()]
    for item in items:
        try:
            ipaddress.ip_network(item)  # an address, or a network without host bits set
        except ValueError as exc:
            raise ConfigError(
                f"TRUSTED_PROXIES: {item!r} is not an IP address or network "
                "(e.g. 10.0.0.2 or 10.0.0.0/24)"
            ) from exc
    return ",".join(items)


def parse_digest_day(text: str) -> int:
    """DIGEST_DAY: the weekday of the weekly digest (mon … sun) as Python's weekday number."""
    day = text.strip().lower()[:3]
    if day not in WEEKDAY_NAMES:
        raise ConfigError(f"DIGEST_DAY must be one of {', '.join(WEEKDAY_NAMES)}, not {text!r}")
    return WEEKDAY_NAMES.index(day)


def parse_digest_hour(text: str) -> int:
    """DIGEST_HOUR: the local hour (0-23) digests and organizers' daily summaries go out."""
    try:
        hour = int(text)
    except ValueError:
        hour = -1
    if not 0 <= hour <= 23:
        raise ConfigError(f"DIGEST_HOUR must be an hour from 0 to 23, not {text!r}")
    return hour


def parse_default_timezone(text: str) -> str:
    """An IANA zone name ('Europe/London'); empty means UTC. Raises ConfigError otherwise."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    name = text.strip() or "UTC"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(
            f"STEADY_DEFAULT_TIMEZONE: {name!r} is not a time zone (e.g. America/Denver)"
        ) from exc
    return name


@dataclass(frozen=True)
class Settings:
    env: str = "dev"
    database_url: str = DEFAULT_DATABASE_URL
    redis_url: str | None = None
    smtp_url: str | None = None
    mail_from: str = DEFAULT_MAIL_FROM
    base_url: str = DEFAULT_BASE_URL
    secret_key: str = field(default="", repr=False)
    reminder_leads: tuple[timedelta, ...] = field(
        default_factory=lambda: parse_reminder_leads(DEFAULT_REMINDER_LEADS)
    )
    host: str = "127.0.0.1"
    port: int = 8000
    crisis_line: str = "SAMHSA National Helpline 1-800-662-4357 · 988 Suicide & Crisis Lifeline"
    # Addresses/networks whose X-Forwarded-For/-Proto uvicorn believes (its forwarded_allow_ips).
    trusted_proxies: str = DEFAULT_TRUSTED_PROXIES
    # "Help now": crisis lines per country (events/crisis.py), and the instance's own country.
    crisis_lines: dict[str, tuple[CrisisLine, ...]] = field(
        default_factory=lambda: parse_crisis_lines("")
    )
    crisis_country: str = "US"
    # The service entity named in the Meeting Guide feed (/meetings.json); "" = left out.
    meetings_entity: str = ""
    meetings_entity_email: str = ""
    meetings_entity_url: str = ""
    # A new club's time zone when the browser doesn't say (STEADY_DEFAULT_TIMEZONE).
    default_timezone: str = "UTC"
    digest_day: int = 0  # Monday
    digest_hour: int = 8

    @property
    def is_prod(self) -> bool:
        return self.env == "prod"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def secure_cookies(self) -> bool:
        return self.is_prod or self.base_url.startswith("https://")

    @property
    def hostname(self) -> str:
        from urllib.parse import urlsplit

        return urlsplit(self.base_url).hostname or "localhost"


def _dev_secret_key() -> str:
    """A key generated once and kept in an ignored local file, so dev sessions survive restarts."""
    path = STATE_DIR / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        STATE_DIR.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.write_text(key)
        path.chmod(0o600)
        return key


def database_url(environ: Mapping[str, str] | None = None) -> str:
    """DATABASE_URL alone: piccolo_conf needs the engine without the rest of the settings."""
    env = os.environ if environ is None else environ
    return env.get("DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    steady_env = env.get("STEADY_ENV", "dev").strip() or "dev"
    if steady_env not in ("dev", "prod"):
        raise ConfigError(f"STEADY_ENV must be 'dev' or 'prod', not {steady_env!r}")
    secret_key = env.get("SECRET_KEY", "").strip()
    if not secret_key:
        if steady_env == "prod":
            raise ConfigError("SECRET_KEY is required when STEADY_ENV=prod")
        secret_key = _dev_secret_key()
    elif steady_env == "prod" and len(secret_key) < 32:
        raise ConfigError("SECRET_KEY must be at least 32 characters when STEADY_ENV=prod")
    try:
        port = int(env.get("PORT", "8000"))
    except ValueError as exc:
        raise ConfigError(f"PORT must be a number, not {env.get('PORT')!r}") from exc
    try:
        crisis_lines = parse_crisis_lines(env.get("CRISIS_LINES", ""))
    except CrisisConfigError as exc:
        raise ConfigError(str(exc)) from exc
    crisis_country = country_code(env.get("CRISIS_COUNTRY", "US")) or ""
    if crisis_country not in crisis_lines:
        raise ConfigError(
            f"CRISIS_COUNTRY: no crisis lines for {env.get('CRISIS_COUNTRY')!r}; "
            "add them to CRISIS_LINES"
        )
    return Settings(
        env=steady_env,
        database_url=database_url(env),
        redis_url=env.get("REDIS_URL", "").strip() or None,
        smtp_url=env.get("SMTP_URL", "").strip() or None,
        mail_from=env.get("MAIL_FROM", "").strip() or DEFAULT_MAIL_FROM,
        base_url=(env.get("BASE_URL", "").strip() or DEFAULT_BASE_URL).rstrip("/"),
        secret_key=secret_key,
        reminder_leads=parse_reminder_leads(env.get("REMINDER_LEADS", DEFAULT_REMINDER_LEADS)),
        host=env.get("HOST", "").strip() or "127.0.0.1",
        port=port,
        crisis_line=env.get("STEADY_CRISIS_LINE", "").strip() or Settings.crisis_line,
        trusted_proxies=parse_trusted_proxies(
            env.get("TRUSTED_PROXIES", env.get("FORWARDED_ALLOW_IPS", DEFAULT_TRUSTED_PROXIES))
        ),
        crisis_lines=crisis_lines,
        crisis_country=crisis_country,
        meetings_entity=env.get("MEETINGS_ENTITY", "").strip(),
        meetings_entity_email=env.get("MEETINGS_ENTITY_EMAIL", "").strip(),
        meetings_entity_url=_https_url("MEETINGS_ENTITY_URL", env.get("MEETINGS_ENTITY_URL", "")),
        default_timezone=parse_default_timezone(env.get("STEADY_DEFAULT_TIMEZONE", "")),
        digest_day=parse_digest_day(env.get("DIGEST_DAY", "mon")),
        digest_hour=parse_digest_hour(env.get("DIGEST_HOUR", "8")),
    )


def _https_url(name: str, value: str) -> str:
    value = value.strip()
    if value and not value.startswith(("https://", "http://")):
        raise ConfigError(f"{name} must be an http(s) URL, not {value!r}")
    return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()


def settings_of(request: HTTPConnection) -> Settings:
    """The settings the app was made with (`create_app` keeps them on `app.state`)."""
    settings: Settings = request.app.state.settings
    return settings
