"""Builds and migrates the database schema with Alembic (never ``create_all``)."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection

import migrations

MIGRATIONS_DIR = Path(migrations.__file__).parent


QUEUE_PREFIX = "procrastinate_"


def owned_by_models(name: str | None, type_: str, _parents: object) -> bool:
    """Whether Alembic compares an object with the models: not the procrastinate queue's
    tables, which its own schema (migration 0013) creates."""
    return not (type_ == "table" and name is not None and name.startswith(QUEUE_PREFIX))


def alembic_config(url: str | None = None, connection: Connection | None = None) -> Config:
    """An Alembic config pointing at our migrations, for a URL or an open connection."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(url: str | None = None, *, connection: Connection | None = None) -> None:
    """Bring the database to the latest schema revision."""
    command.upgrade(alembic_config(url, connection), "head")


def downgrade(url: str | None = None, *, connection: Connection | None = None) -> None:
    """Undo every migration, leaving an empty database."""
    command.downgrade(alembic_config(url, connection), "base")
