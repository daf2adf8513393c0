"""The two commands' promises: demo data as the contract says, `steady dev` starting everything."""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import httpx
import pytest

from events.services import seed
from events.tables import Club, Event, Member, Rsvp
from events.timefmt import utcnow
from tests import helpers
from tests.servers import free_port


async def test_demo_seed_matches_the_contract(client):
    assert await seed.is_empty()
    await seed.seed_demo()
    kinds = {r["kind"] for r in await Club.select(Club.kind)}
    assert {"activity", "twelve_step", "alternative", "online"} <= kinds
    activities = ",".join(r["activities"] for r in await Club.select(Club.activities))
    for activity in ("hiking", "fitness", "softball", "baseball", "meeting"):
        assert activity in activities
    events = await Event.select()
    assert all(e["starts_at"] > utcnow() - timedelta(minutes=1) for e in events)
    assert any(e["series"] is None for e in events) and any(e["series"] for e in events)
    assert any(e["capacity"] for e in events) and any(e["capacity"] is None for e in events)
    emails = {r["email"] for r in await Member.select(Member.email)}
    assert emails == {"organizer@example.com", "member@example.com"}
    # `taken` agrees with the RSVP rows the seed made.
    for event in events:
        going = await Rsvp.count().where((Rsvp.event == event["id"]) & (Rsvp.status == "going"))
        assert event["taken"] == going

    for email in ("organizer@example.com", "member@example.com"):
        response = await helpers.post(
            client, "/login", {"email": email, "password": "recovery-demo"}
        )
        assert response.status_code == 303, email
        await helpers.post(client, "/logout")
    home = await client.get("/")
    assert "Summit hike" in home.text


def test_seed_is_refused_in_prod():
    env = {**os.environ, "STEADY_ENV": "prod"}
    result = subprocess.run(
        [sys.executable, "-m", "events.cli", "seed", "--demo"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "never" in result.stderr


def test_prod_without_secret_key_refuses_to_start():
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env["STEADY_ENV"] = "prod"
    result = subprocess.run(
        [sys.executable, "-m", "events.cli", "web"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.slow
def test_steady_dev_starts_everything_and_stops_on_ctrl_c(tmp_path):
    """What `make run` runs, in a fresh directory: migrate, seed, embedded Redis, worker, web."""
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "STEADY_STATE_DIR", "SECRET_KEY")
    }
    env.update(PORT=str(port), BASE_URL=f"http://127.0.0.1:{port}")
    proc = subprocess.Popen(
        [sys.executable, "-m", "events.cli", "dev"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        health = None
        while time.monotonic() < deadline:
            try:
                health = httpx.get(f"{url}/healthz", timeout=2)
            except httpx.HTTPError:  # not listening yet
                time.sleep(0.3)
                continue
            if health.status_code != 503:  # 503: Redis or the database not up yet
                break
            time.sleep(0.3)
        assert health is not None and health.status_code == 200, health and health.text[:500]
        assert health.json() == {"db": "ok", "redis": "ok"}
        home = httpx.get(url, timeout=5)
        assert "Summit hike" in home.text
        assert (tmp_path / "steady.sqlite3").exists()
        assert (tmp_path / ".steady" / "secret_key").exists()
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            output = proc.communicate(timeout=30)[0].decode()
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # never leave it running after a failure
            raise
    assert proc.returncode is not None
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
    assert "Demo data created" in output
