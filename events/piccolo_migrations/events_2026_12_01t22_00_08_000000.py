from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-01T22:00:08:000000"
VERSION = "1.38.0"
DESCRIPTION = "Event.waitlisted: the count of waitlisted RSVPs, kept by the RSVP service"

ADD = "ALTER TABLE event ADD COLUMN waitlisted INTEGER NOT NULL DEFAULT 0"
# Existing events start with the count of their waitlisted RSVPs.
BACKFILL = (
    "UPDATE event SET waitlisted = (SELECT COUNT(*) FROM rsvp "
    "WHERE rsvp.event = event.id AND rsvp.status = 'waitlisted')"
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="events", description=DESCRIPTION)

    async def add_column():
        engine = engine_finder()
        await engine.run_ddl(ADD)
        await engine.run_ddl(BACKFILL)

    manager.add_raw(add_column)
    return manager
