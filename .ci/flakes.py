"""Hunt for flaky tests: the whole suite several times on both databases, in random order, one
round with every core kept busy, then a list of every test that failed at least once.

    make flakes                     # 5 rounds x (SQLite + PostgreSQL), round 3 under load
    .venv/bin/python .ci/flakes.py --rounds 2 --load-round 0 -- -k rsvp

Not part of `make test`: it takes about ten times as long. PostgreSQL and Redis must be running
(`make flakes` starts them through .ci/services.sh when they are not).
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from tempfile import mkdtemp

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BUSY_LOOP = "while True: pass"


@dataclass(frozen=True)
class Failure:
    test: str
    run: str
    message: str


@contextmanager
def busy_cores() -> Iterator[None]:
    """One pure-Python busy loop per core: the suite then runs on a machine with no idle CPU."""
    hogs = [
        subprocess.Popen([PYTHON, "-c", BUSY_LOOP], stdout=subprocess.DEVNULL)
        for _ in range(os.cpu_count() or 2)
    ]
    try:
        yield
    finally:
        for hog in hogs:
            hog.kill()
        for hog in hogs:
            hog.wait()


def postgres_env(database: str, redis_db: int) -> dict[str, str]:
    subprocess.run(
        ["psql", "-q", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres",
         "-c", f"DROP DATABASE IF EXISTS {database}", "-c", f"CREATE DATABASE {database}"],
        check=True,
    )  # fmt: skip
    return {
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}",
        "REDIS_URL": f"redis://127.0.0.1:6379/{redis_db}",
    }


def embedded_env() -> dict[str, str]:
    env = dict(os.environ)
    for name in ("DATABASE_URL", "REDIS_URL", "SMTP_URL"):
        env.pop(name, None)
    return env


def run_suite(label: str, env: dict[str, str], seed: int, report: Path, extra: list[str]) -> float:
    command = [
        PYTHON, "-m", "pytest", "-q",
        "--random-order-bucket=global", f"--random-order-seed={seed}",
        f"--junitxml={report}", *extra,
    ]  # fmt: skip
    print(f"== {label}: seed {seed}", flush=True)
    started = time.monotonic()
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = time.monotonic() - started
    summary = (result.stdout.strip().splitlines() or ["(no output)"])[-1]
    print(f"   {summary} ({elapsed:.0f} s)", flush=True)
    if result.returncode not in (0, 1):  # 1 = some tests failed; anything else broke the run
        print(result.stdout[-4000:], result.stderr[-4000:], sep="\n", file=sys.stderr)
    return elapsed


def failures_in(report: Path, run: str) -> list[Failure]:
    if not report.exists():
        return [Failure("(the whole run)", run, "pytest wrote no report")]
    found = []
    for case in ET.parse(report).getroot().iter("testcase"):
        for outcome in case:
            if outcome.tag in ("failure", "error"):
                test = f"{case.get('classname')}::{case.get('name')}"
                text = (outcome.get("message") or "") + "\n" + (outcome.text or "")
                found.append(Failure(test, run, text.strip()))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--load-round", type=int, default=3, help="0 for none")
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--seed", type=int, default=None, help="first round's order seed")
    parser.add_argument("pytest_args", nargs="*", help="passed to pytest after --")
    args = parser.parse_args()

    reports = Path(mkdtemp(prefix="steady-flakes-"))
    database = f"steady_flakes_{os.getpid()}"
    first_seed = args.seed if args.seed is not None else random.randrange(1, 1_000_000)
    failures: list[Failure] = []
    runs = 0
    for round_number in range(1, args.rounds + 1):
        seed = first_seed + round_number - 1
        under_load = round_number == args.load_round
        for name in args.databases.split(","):
            if name == "sqlite":
                env = embedded_env()
            else:
                env = {**os.environ, **postgres_env(database, redis_db=9)}
            label = f"round {round_number}/{args.rounds}, {name}" + (
                ", CPU busy" if under_load else ""
            )
            report = reports / f"round{round_number}-{name}.xml"
            if under_load:
                with busy_cores():
                    run_suite(label, env, seed, report, args.pytest_args)
            else:
                run_suite(label, env, seed, report, args.pytest_args)
            failures += failures_in(report, label)
            runs += 1

    if "postgres" in args.databases:
        subprocess.run(
            ["psql", "-q", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres",
             "-c", f"DROP DATABASE IF EXISTS {database}"],
            check=False,
        )  # fmt: skip

    by_test: dict[str, list[Failure]] = defaultdict(list)
    for failure in failures:
        by_test[failure.test].append(failure)
    print(f"\n== {runs} runs, first seed {first_seed}; JUnit reports in {reports}")
    if not by_test:
        print("No test failed in any run.")
        return 0
    print(f"{len(by_test)} test(s) failed at least once:\n")
    for test, seen in sorted(by_test.items()):
        print(f"- {test}: failed in {len(seen)} of {runs} runs ({'; '.join(f.run for f in seen)})")
        print("  " + "\n  ".join(seen[0].message.splitlines()[-25:]) + "\n")
    return 1


if __name__ == "__main__":
    sys.exit(main())
