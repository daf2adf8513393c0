from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import Boolean, ForeignKey, Integer, Serial, Text, Timestamptz
from piccolo.columns.column_types import Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-12-02T05:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = (
    "Retention (club.retention_days, event_tally), stewards (member.steward, suspensions, "
    "report.escalated_at, steward_action)"
)


class Member(Table, tablename="member", schema=None):
    id = Serial(primary_key=True)


class Club(Table, tablename="club", schema=None):
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


def fk(references, unique=False, null=True):
    return params(
        references=references,
        on_delete=OnDelete.cascade,
        on_update=OnUpdate.cascade,
        target_column=None,
        null=null,
        unique=unique,
        index=True,
        default=None,
    )


COLUMNS = [
    ("Member", "member", "steward", Boolean, params(default=False)),
    ("Member", "member", "suspended_at", Timestamptz, params(default=None, null=True)),
    ("Club", "club", "retention_days", Integer, params(default=None, null=True)),
    ("Club", "club", "suspended_at", Timestamptz, params(default=None, null=True)),
    ("Club", "club", "suspended_reason", Text, params(default="")),
    ("Report", "report", "escalated_at", Timestamptz, params(default=None, null=True)),
    ("EventTally", "event_tally", "event", ForeignKey, fk(Event, unique=True)),
    ("EventTally", "event_tally", "came", Integer, params(default=0)),
    ("EventTally", "event_tally", "first_timers", Integer, params(default=0)),
    ("EventTally", "event_tally", "back_30", Integer, params(default=0)),
    ("EventTally", "event_tally", "back_90", Integer, params(default=0)),
    ("EventTally", "event_tally", "forgotten_at", Timestamptz, params(default=TimestamptzNow())),
    ("StewardAction", "steward_action", "steward", ForeignKey, fk(Member)),
    ("StewardAction", "steward_action", "action", Varchar, params(default="", length=30)),
    ("StewardAction", "steward_action", "club", ForeignKey, fk(Club)),
    ("StewardAction", "steward_action", "member", ForeignKey, fk(Member)),
    ("StewardAction", "steward_action", "reason", Text, params(default="")),
    ("StewardAction", "steward_action", "created_at", Timestamptz, params(default=TimestamptzNow())),
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="events", description=DESCRIPTION)
    manager.add_table(class_name="EventTally", tablename="event_tally", schema=None, columns=None)
    manager.add_table(
        class_name="StewardAction", tablename="steward_action", schema=None, columns=None
    )
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
