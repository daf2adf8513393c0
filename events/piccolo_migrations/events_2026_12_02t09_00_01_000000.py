from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import Boolean, ForeignKey, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-12-02T09:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "Club boards (#19): club.board, board_thread, board_post"


class Member(Table, tablename="member", schema=None):
    id = Serial(primary_key=True)


class Club(Table, tablename="club", schema=None):
    id = Serial(primary_key=True)


class BoardThread(Table, tablename="board_thread", schema=None):
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


def fk(references, index, null=True):
    return params(
        references=references,
        on_delete=OnDelete.cascade,
        on_update=OnUpdate.cascade,
        target_column=None,
        null=null,
        index=index,
        default=None,
    )


COLUMNS = [
    ("Club", "club", "board", Boolean, params(default=False)),
    ("BoardThread", "board_thread", "club", ForeignKey, fk(Club, index=True)),
    ("BoardThread", "board_thread", "author", ForeignKey, fk(Member, index=False)),
    ("BoardThread", "board_thread", "title", Varchar, params(default="", length=120)),
    ("BoardThread", "board_thread", "created_at", Timestamptz, params(default=TimestamptzNow())),
    (
        "BoardThread",
        "board_thread",
        "last_post_at",
        Timestamptz,
        params(default=TimestamptzNow(), index=True),
    ),
    ("BoardThread", "board_thread", "locked", Boolean, params(default=False)),
    ("BoardPost", "board_post", "thread", ForeignKey, fk(BoardThread, index=True)),
    ("BoardPost", "board_post", "author", ForeignKey, fk(Member, index=False)),
    ("BoardPost", "board_post", "body", Text, params(default="")),
    ("BoardPost", "board_post", "show_as", Varchar, params(default="name", length=10)),
    ("BoardPost", "board_post", "created_at", Timestamptz, params(default=TimestamptzNow())),
    ("BoardPost", "board_post", "hidden", Boolean, params(default=False)),
    ("BoardPost", "board_post", "hidden_reason", Text, params(default="")),
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="events", description=DESCRIPTION)
    manager.add_table(class_name="BoardThread", tablename="board_thread", schema=None, columns=None)
    manager.add_table(class_name="BoardPost", tablename="board_post", schema=None, columns=None)
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
