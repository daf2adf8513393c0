from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-27T05:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Unique pairs and composite indexes for the pages' queries"

# A frozen copy of events.tables.CONSTRAINTS_SQL as of this migration.
STATEMENTS = (
    "CREATE UNIQUE INDEX IF NOT EXISTS membership_member_club ON membership (member, club)",
    "CREATE UNIQUE INDEX IF NOT EXISTS rsvp_event_member ON rsvp (event, member)",
    "CREATE UNIQUE INDEX IF NOT EXISTS welcome_note_once ON welcome_note (club, author, newcomer)",
    "CREATE UNIQUE INDEX IF NOT EXISTS role_signup_once ON role_signup (role, member)",
    "CREATE INDEX IF NOT EXISTS event_club_starts ON event (club, starts_at)",
    "CREATE INDEX IF NOT EXISTS rsvp_event_status_queue ON rsvp (event, status, queued_at)",
    "CREATE INDEX IF NOT EXISTS outbox_state_next ON outbox (state, next_attempt_at)",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="events", description=DESCRIPTION)

    async def add_constraints():
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(add_constraints)
    return manager
