from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Boolean
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-02T07:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "Digests: member.digest, member.timezone, membership.organizer_mail"


def params(**extra):
    base = {
        "null": False,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
    }
    base.update(extra)
    return base


COLUMNS = [
    ("Member", "member", "digest", Boolean, params(default=False)),
    ("Member", "member", "timezone", Varchar, params(default="", length=64)),
    ("Membership", "membership", "organizer_mail", Varchar, params(default="none", length=10)),
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="events", description=DESCRIPTION)
    for class_name, tablename, name, column_class, column_params in COLUMNS:
        manager.add_column(
            table_class_name=class_name,
            tablename=tablename,
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params=column_params,
            schema=None,
        )
    return manager
