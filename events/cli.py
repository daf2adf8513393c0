"""The `steady` command: dev, web, worker, migrate, seed --demo, import-meetings."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from events.settings import STATE_DIR, ConfigError, Settings, get_settings


async def _migrate() -> None:
    from piccolo.apps.migrations.commands.forwards import run_forwards
    from piccolo.engine import engine_finder
    from piccolo.engine.sqlite import SQLiteEngine

    engine = engine_finder()
    if isinstance(engine, SQLiteEngine):
        # Write-ahead logging: readers keep reading while a writer commits (kept in the file).
        await engine.run_ddl("PRAGMA journal_mode=WAL")
    for app_name in ("session_auth", "events"):
        result = await run_forwards(app_name)
        if not result.success:
            raise SystemExit(f"migrations failed for {app_name}: {result.message}")


async def _seed(only_if_empty: bool) -> bool:
    from events.services import seed

    if get_settings().is_prod:
        raise SystemExit("Demo data is never created when STEADY_ENV=prod.")
    if only_if_empty and not await seed.is_empty():
        return False
    if not only_if_empty and not await seed.is_empty():
        raise SystemExit("The database already has data; demo data goes into an empty one.")
    await seed.seed_demo()
    return True


def cmd_migrate(args: argparse.Namespace) -> None:
    asyncio.run(_migrate())
    print("migrations applied")


def cmd_seed(args: argparse.Namespace) -> None:
    if not args.demo:
        raise SystemExit("usage: steady seed --demo")
    asyncio.run(_seed(only_if_empty=False))
    print("demo data created: organizer@example.com and member@example.com, password recovery-demo")


async def _import_meetings(path: str, data: bytes, slug: str, dry_run: bool) -> str:
    from events.changes import announce
    from events.redis_conn import redis_client
    from events.services import meeting_import
    from events.tables import Club

    club = await Club.select().where(Club.slug == slug.lower()).first()
    if club is None:
        raise SystemExit(f"steady: no club with the slug {slug!r}")
    try:
        entries = meeting_import.parse_file(data)
    except meeting_import.MalformedFile as exc:
        raise SystemExit(f"steady: {path} can't be imported: {exc} Nothing was changed.") from None
    plan = await (
        meeting_import.plan(club, entries) if dry_run else meeting_import.apply(club, entries, None)
    )
    lines = []
    for item in plan.items:
        detail = item.reason or ", ".join(item.changes)
        lines.append(
            f"{item.action:9} {item.slug or '-'}  {item.name}" + (f"  ({detail})" if detail else "")
        )
    if not dry_run:
        settings = get_settings()
        if settings.redis_url:  # drop cached pages in the running web processes
            redis = redis_client(settings.redis_url)
            try:
                await announce(redis)
            finally:
                await redis.aclose()
    counts = ", ".join(f"{n} {action}" for action, n in plan.summary.items())
    verb = "would import" if dry_run else "imported"
    return "\n".join([*lines, f"{verb}: {counts}"])


def cmd_import_meetings(args: argparse.Namespace) -> None:
    try:
        data = Path(args.file).read_bytes()
    except OSError as exc:
        raise SystemExit(f"steady: can't read {args.file}: {exc.strerror}") from None
    print(asyncio.run(_import_meetings(args.file, data, args.club, args.dry_run)))


def proxy_options(settings: Settings) -> dict[str, Any]:
    """How uvicorn treats X-Forwarded-For/-Proto: believed from TRUSTED_PROXIES only."""
    return {"proxy_headers": True, "forwarded_allow_ips": settings.trusted_proxies}


def cmd_web(args: argparse.Namespace) -> None:
    import uvicorn

    settings = get_settings()
    uvicorn.run(
        "events.app:create_app",
        factory=True,
        host=args.host or settings.host,
        port=args.port or settings.port,
        workers=args.workers,
        log_level="info" if not args.quiet else "warning",
        access_log=not args.quiet,
        server_header=False,
        **proxy_options(settings),
    )


def cmd_worker(args: argparse.Namespace) -> None:
    from arq.worker import run_worker

    from workers.settings import WorkerSettings

    settings = get_settings()
    if not settings.redis_url:
        raise SystemExit("steady worker needs REDIS_URL (steady dev starts an embedded Redis)")
    run_worker(WorkerSettings)  # type: ignore[arg-type]


def cmd_dev(args: argparse.Namespace) -> None:
    """Migrate, seed an empty database, start Redis (embedded unless REDIS_URL), worker, web."""
    settings = get_settings()
    asyncio.run(_migrate())
    if asyncio.run(_seed(only_if_empty=True)):
        print(
            "Demo data created: organizer@example.com / member@example.com, password recovery-demo"
        )
    env = dict(os.environ)
    embedded = None
    children: list[subprocess.Popen[bytes]] = []
    try:
        if not settings.redis_url:
            from events.redis_conn import EmbeddedRedis

            embedded = EmbeddedRedis(Path(STATE_DIR) / "redis")
            env["REDIS_URL"] = embedded.start()
            print(f"Embedded Redis on {env['REDIS_URL']}")
        exe = [sys.executable, "-m", "events.cli"]
        children.append(subprocess.Popen([*exe, "worker"], env=env))  # noqa: S603 - our command
        children.append(subprocess.Popen([*exe, "web"], env=env))  # noqa: S603
        print(f"Steady is starting on {settings.base_url} (Ctrl-C stops everything)")
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        print("A child process stopped; shutting down.")
    except KeyboardInterrupt:
        print("\nStopping…")
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        if embedded is not None:
            embedded.stop()


def cmd_admin(args: argparse.Namespace) -> None:
    """Grant or revoke instance stewardship (#16): command line only, never self-service."""
    from events.services import stewards

    if not asyncio.run(stewards.set_steward(args.email, args.action == "grant")):
        raise SystemExit(f"steady: no account has the address {args.email}")
    print(f"{args.email} {'is now' if args.action == 'grant' else 'is no longer'} a steward")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="steady", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser(
        "dev", help="migrate, seed, and run Redis, worker and web together"
    ).set_defaults(func=cmd_dev)
    web = sub.add_parser("web", help="run the web server")
    web.add_argument("--host")
    web.add_argument("--port", type=int)
    web.add_argument("--workers", type=int, default=1, help="web processes (production)")
    web.add_argument("--quiet", action="store_true", help="no access log")
    web.set_defaults(func=cmd_web)
    sub.add_parser("worker", help="run the arq worker").set_defaults(func=cmd_worker)
    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=cmd_migrate)
    seed = sub.add_parser("seed", help="create demo data")
    seed.add_argument("--demo", action="store_true")
    seed.set_defaults(func=cmd_seed)
    imp = sub.add_parser(
        "import-meetings", help="import a Meeting Guide JSON file into a club's weekly meetings"
    )
    imp.add_argument("file", help="the Meeting Guide JSON file (a TSML or intergroup export)")
    imp.add_argument("--club", required=True, help="the club's slug")
    imp.add_argument("--dry-run", action="store_true", help="show what would change, save nothing")
    imp.set_defaults(func=cmd_import_meetings)
    admin = sub.add_parser("admin", help="grant or revoke instance stewards")
    admin.add_argument("action", choices=("grant", "revoke"))
    admin.add_argument("email")
    admin.set_defaults(func=cmd_admin)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    try:
        get_settings()
    except ConfigError as exc:
        raise SystemExit(f"steady: {exc}") from None
    args.func(args)


if __name__ == "__main__":
    main()
