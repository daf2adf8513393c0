from datetime import timedelta

import pytest

from events.settings import ConfigError, load_settings, parse_reminder_leads


def test_defaults_match_the_contract(tmp_path, monkeypatch):
    monkeypatch.setattr("events.settings.STATE_DIR", tmp_path)
    settings = load_settings({})
    assert settings.env == "dev"
    assert settings.database_url == "sqlite:///steady.sqlite3"
    assert settings.redis_url is None
    assert settings.smtp_url is None
    assert settings.mail_from == "Steady <no-reply@localhost>"
    assert settings.base_url == "http://127.0.0.1:8000"
    assert settings.reminder_leads == (timedelta(hours=24), timedelta(hours=2))
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)


def test_dev_secret_key_is_generated_once_and_kept(tmp_path, monkeypatch):
    monkeypatch.setattr("events.settings.STATE_DIR", tmp_path)
    first = load_settings({}).secret_key
    assert len(first) >= 32
    assert load_settings({}).secret_key == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_prod_refuses_to_start_without_secret_key():
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_settings({"STEADY_ENV": "prod"})
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_settings({"STEADY_ENV": "prod", "SECRET_KEY": "short"})
    settings = load_settings({"STEADY_ENV": "prod", "SECRET_KEY": "k" * 40})
    assert settings.is_prod and settings.secure_cookies


def test_environment_overrides():
    settings = load_settings(
        {
            "SECRET_KEY": "x" * 40,
            "DATABASE_URL": "postgres://u:p@db:5432/steady",
            "REDIS_URL": "redis://cache:6379/1",
            "SMTP_URL": "smtp+starttls://u:p@mail:587",
            "MAIL_FROM": "Club <club@example.org>",
            "BASE_URL": "https://steady.example.org/",
            "REMINDER_LEADS": "1d, 90m",
            "HOST": "0.0.0.0",  # noqa: S104
            "PORT": "9000",
        }
    )
    assert settings.database_url == "postgres://u:p@db:5432/steady"
    assert settings.redis_url == "redis://cache:6379/1"
    assert settings.base_url == "https://steady.example.org"
    assert settings.reminder_leads == (timedelta(days=1), timedelta(minutes=90))
    assert settings.port == 9000
    assert settings.hostname == "steady.example.org"


@pytest.mark.parametrize("bad", ["2x", "h", "0h", "-1h"])
def test_bad_reminder_leads_are_refused_with_the_item(bad):
    with pytest.raises(ConfigError, match="REMINDER_LEADS"):
        parse_reminder_leads(f"24h,{bad}")


def test_bad_port_is_a_config_error():
    with pytest.raises(ConfigError, match="PORT"):
        load_settings({"SECRET_KEY": "x" * 40, "PORT": "eighty"})
