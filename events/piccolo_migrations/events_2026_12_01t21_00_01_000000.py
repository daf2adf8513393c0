from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-01T21:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "Membership.greetable: the newcomer's own choice to be listed for greeting"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="events", description=DESCRIPTION)

    async def add_column():
        # NULL means "the club kind's default", so existing memberships need no backfill.
        await engine_finder().run_ddl("ALTER TABLE membership ADD COLUMN greetable BOOLEAN NULL")

    manager.add_raw(add_column)
    return manager
