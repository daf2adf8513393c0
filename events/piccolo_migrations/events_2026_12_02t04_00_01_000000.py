from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-02T04:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = (
    "Hybrid RSVPs: Event.online_taken (people going online, kept by the RSVP service) and "
    "Event.link_for_in_person (the organizer gives the online link to people going in person)"
)

STATEMENTS = (
    "ALTER TABLE event ADD COLUMN online_taken INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE event ADD COLUMN link_for_in_person BOOLEAN NOT NULL DEFAULT FALSE",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="events", description=DESCRIPTION)

    async def add_columns():
        # No event is hybrid before this release's data model: nobody is counted online yet.
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(add_columns)
    return manager
