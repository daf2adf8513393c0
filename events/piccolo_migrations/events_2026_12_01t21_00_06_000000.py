from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-01T21:00:06:000000"
VERSION = "1.38.0"
DESCRIPTION = "Index the sessions table: every signed-in request looks its token up"

# A frozen copy of the sessions lines of events.tables.CONSTRAINTS_SQL as of this migration.
STATEMENTS = (
    "CREATE INDEX IF NOT EXISTS sessions_token ON sessions (token)",
    "CREATE INDEX IF NOT EXISTS sessions_user_id ON sessions (user_id)",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="events", description=DESCRIPTION)

    async def add_indexes():
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(add_indexes)
    return manager
