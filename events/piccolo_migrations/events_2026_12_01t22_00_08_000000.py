from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-01T22:00:08:000000"
VERSION = "1.38.0"
DESCRIPTION = "Event.waitlisted: the count of waitlisted RSVPs, kept by the RSVP service"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="events", description=DESCRIPTION)

    async def add_column():
        engine = engine_finder()
        await engine.run_ddl("ALTER TABLE event ADD COLUMN waitlisted INTEGER NOT NULL DEFAULT 0")
        await engine.run_ddl(
            "UPDATE event SET waitlisted = (SELECT COUNT(*) FROM rsvp "
            "WHERE rsvp.event = event.id AND rsvp.status = 'waitlisted')"
        )

    manager.add_raw(add_column)
    return manager
