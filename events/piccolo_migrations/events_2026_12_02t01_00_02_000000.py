from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-02T01:00:02:000000"
VERSION = "1.38.0"
DESCRIPTION = "One series per imported meeting slug and club (#15)"

STATEMENTS = [
    "DROP INDEX IF EXISTS series_club_source_slug",
    # Partial: series made in Steady have no source slug. Both databases accept this form.
    "CREATE UNIQUE INDEX IF NOT EXISTS series_club_source_slug_once "
    "ON series (club, source_slug) WHERE source_slug <> ''",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="events", description=DESCRIPTION)

    async def unique_slug():
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(unique_slug)
    return manager
