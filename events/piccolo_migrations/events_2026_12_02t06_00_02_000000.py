from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-02T06:00:02:000000"
VERSION = "1.38.0"
DESCRIPTION = "One use of each event form key per member (form_key_once)"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="events", description=DESCRIPTION)

    async def add_unique():
        await engine_finder().run_ddl(
            "CREATE UNIQUE INDEX IF NOT EXISTS form_key_once ON form_key (member, key)"
        )

    manager.add_raw(add_unique)
    return manager
