"""Alembic environment: builds the schema on SQLite (batch mode) and PostgreSQL alike."""

from typing import Any

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Connection

from app.base import UTCDateTime
from app.config import get_settings
from app.db import make_engine, normalise_url
from app.models import Base
from app.schema import owned_by_models

config = context.config
target_metadata = Base.metadata


def _render_item(type_: str, obj: Any, _autogen: AutogenContext) -> str | bool:
    """Write UTCDateTime as a plain timezone-aware DateTime: migrations stay app-free."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure_and_run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=_render_item,
        include_name=owned_by_models,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Use the caller's connection when given one, else connect to the configured URL."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure_and_run(connection)
        return
    url = config.get_main_option("sqlalchemy.url") or get_settings().database_url
    engine = make_engine(normalise_url(url))
    with engine.connect() as conn:
        _configure_and_run(conn)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run against a database")
run_migrations_online()
