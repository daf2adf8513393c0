from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-02T03:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "Event: what to expect (meeting point, what to bring, a note for first-timers)"

COLUMNS = ("meeting_point", "what_to_bring", "first_timer_note")


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="events", description=DESCRIPTION)

    async def add_columns():
        engine = engine_finder()
        for name in COLUMNS:
            await engine.run_ddl(f"ALTER TABLE event ADD COLUMN {name} TEXT NOT NULL DEFAULT ''")

    manager.add_raw(add_columns)
    return manager
