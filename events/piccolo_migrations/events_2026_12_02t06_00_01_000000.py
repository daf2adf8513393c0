from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import ForeignKey, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-12-02T06:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "Restored events (event.restored_at) and one-time event form keys (form_key)"


class Member(Table, tablename="member", schema=None):
    id = Serial(primary_key=True)


class Event(Table, tablename="event", schema=None):
    id = Serial(primary_key=True)


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


def fk(references, index):
    return params(
        references=references,
        on_delete=OnDelete.cascade,
        on_update=OnUpdate.cascade,
        target_column=None,
        null=True,
        index=index,
        default=None,
    )


COLUMNS = [
    ("Event", "event", "restored_at", Timestamptz, params(default=None, null=True)),
    ("FormKey", "form_key", "member", ForeignKey, fk(Member, index=True)),
    ("FormKey", "form_key", "key", Varchar, params(default="", length=64)),
    ("FormKey", "form_key", "event", ForeignKey, fk(Event, index=False)),
    ("FormKey", "form_key", "created_at", Timestamptz, params(default=TimestamptzNow())),
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="events", description=DESCRIPTION)
    manager.add_table(class_name="FormKey", tablename="form_key", schema=None, columns=None)
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
