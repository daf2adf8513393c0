from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-02T01:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "Attributes, attendance mode and places on clubs, events and RSVPs (#15 #14)"

# Plain ALTERs both SQLite and PostgreSQL accept; every default fits existing rows.
COLUMNS = [
    "ALTER TABLE club ADD COLUMN city VARCHAR(80) NOT NULL DEFAULT ''",
    "ALTER TABLE club ADD COLUMN region VARCHAR(80) NOT NULL DEFAULT ''",
    "ALTER TABLE club ADD COLUMN country VARCHAR(2) NOT NULL DEFAULT ''",
    "ALTER TABLE club ADD COLUMN attributes VARCHAR(255) NOT NULL DEFAULT ''",
    "ALTER TABLE club ADD COLUMN attendance VARCHAR(10) NOT NULL DEFAULT 'in_person'",
    "ALTER TABLE series ADD COLUMN source_slug VARCHAR(64) NOT NULL DEFAULT ''",
    "ALTER TABLE event ADD COLUMN attributes VARCHAR(255) NOT NULL DEFAULT ''",
    "ALTER TABLE event ADD COLUMN attendance VARCHAR(10) NOT NULL DEFAULT 'in_person'",
    "ALTER TABLE event ADD COLUMN latitude DOUBLE PRECISION NULL",
    "ALTER TABLE event ADD COLUMN longitude DOUBLE PRECISION NULL",
    "ALTER TABLE event ADD COLUMN address VARCHAR(200) NOT NULL DEFAULT ''",
    "ALTER TABLE event ADD COLUMN postal_code VARCHAR(20) NOT NULL DEFAULT ''",
    "ALTER TABLE rsvp ADD COLUMN attendance VARCHAR(10) NOT NULL DEFAULT 'in_person'",
    # Re-import finds a club's series by the slug it came with.
    "CREATE INDEX IF NOT EXISTS series_club_source_slug ON series (club, source_slug)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="events", description=DESCRIPTION)

    async def add_columns():
        engine = engine_finder()
        for statement in COLUMNS:
            await engine.run_ddl(statement)

    manager.add_raw(add_columns)
    return manager
