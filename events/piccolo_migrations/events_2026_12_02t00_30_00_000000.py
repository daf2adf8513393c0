from enum import Enum

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar

ID = "2026-12-02T00:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Outbox.kind and Report.subject_kind name their choices (no change in the database)"

MAIL_KINDS = Enum(
    "MailKind",
    {
        "invite": "invite",
        "update": "update",
        "cancel": "cancel",
        "reminder": "reminder",
        "message": "message",
        "welcome": "welcome",
        "signup_confirm": "signup_confirm",
        "signup_existing": "signup_existing",
        "password_reset": "password_reset",
        "password_reset_none": "password_reset_none",
        "account_deleted": "account_deleted",
        "club_suspended": "club_suspended",
        "welcome_note": "welcome_note",
        "signup_resend_none": "signup_resend_none",
    },
)
REPORT_SUBJECTS = Enum("ReportSubject", {"event": "event", "member": "member", "note": "note"})


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="events", description=DESCRIPTION)
    manager.alter_column(
        table_class_name="Outbox",
        tablename="outbox",
        column_name="kind",
        db_column_name="kind",
        params={"choices": MAIL_KINDS},
        old_params={"choices": None},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )
    manager.alter_column(
        table_class_name="Report",
        tablename="report",
        column_name="subject_kind",
        db_column_name="subject_kind",
        params={"choices": REPORT_SUBJECTS},
        old_params={"choices": None},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )
    return manager
