"""Piccolo app config: Steady's tables and migrations."""

import os

from piccolo.conf.apps import AppConfig

from events.tables import ALL_TABLES

APP_CONFIG = AppConfig(
    app_name="events",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=ALL_TABLES,
    migration_dependencies=[],
    commands=[],
)
