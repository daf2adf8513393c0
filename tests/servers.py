"""Starting real `steady web` processes for tests: a free port, and waiting until one answers."""

from __future__ import annotations

import socket
import subprocess
import time

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_serving(url: str, proc: subprocess.Popen[bytes], seconds: float = 60) -> None:
    """Poll /healthz until the server answers (200, or 503 when Redis or the database is away).

    Waits for the condition with a deadline rather than for a fixed moment: on a busy machine
    start-up takes several seconds. Fails at once if the process died or answers anything else
    (a 500 will not get better by asking again).
    """
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"steady web exited with {proc.returncode} before serving")
        try:
            health = httpx.get(f"{url}/healthz", timeout=2)
        except httpx.HTTPError:  # not listening yet
            time.sleep(0.1)
            continue
        if health.status_code in (200, 503):
            return
        proc.kill()
        raise RuntimeError(f"/healthz answered {health.status_code}: {health.text[:500]}")
    proc.kill()
    raise RuntimeError(f"steady web did not answer on {url} within {seconds:.0f} s")
