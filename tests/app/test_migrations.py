"""The schema is built by Alembic alone, matches the models, and unwinds cleanly."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text

from app.models import Base
from app.schema import alembic_config, downgrade, owned_by_models, upgrade
from tests.databases import BACKENDS, drop_database, fresh_database


def test_migrations_have_one_head() -> None:
    """A new migration must follow the latest one, so `upgrade head` reaches every table."""
    assert len(ScriptDirectory.from_config(alembic_config()).get_heads()) == 1


@pytest.mark.parametrize("backend", BACKENDS)
def test_upgrade_from_empty_and_downgrade_back(backend: str, tmp_path: Path) -> None:
    engine, schema = fresh_database(backend, tmp_path)
    try:
        with engine.begin() as conn:
            upgrade(connection=conn)
        tables = set(inspect(engine).get_table_names())
        assert set(Base.metadata.tables) <= tables
        with engine.begin() as conn:
            downgrade(connection=conn)
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        with engine.begin() as conn:
            upgrade(connection=conn)
        assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    finally:
        drop_database(engine, schema)


@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based")
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_models_and_migrations_agree(migrated_engine: Engine) -> None:
    with migrated_engine.connect() as conn:
        differences = compare_metadata(
            MigrationContext.configure(conn, opts={"include_name": owned_by_models}),
            Base.metadata,
        )
    assert differences == []


@pytest.mark.parametrize("backend", BACKENDS)
def test_existing_cpts_get_the_seed_catalogue(backend: str, tmp_path: Path) -> None:
    """The competences migration gives a CPTS created before it the French seed catalogue."""
    script = ScriptDirectory.from_config(alembic_config())
    competences = next(r for r in script.walk_revisions() if "competences" in (r.doc or ""))
    engine, schema = fresh_database(backend, tmp_path)
    try:
        with engine.begin() as conn:
            command.upgrade(alembic_config(connection=conn), str(competences.down_revision))
            conn.execute(
                text(
                    "INSERT INTO cpts (name, timezone, oncall_start, oncall_end, blocks, "
                    "min_notice_minutes, retention_days, created_at, updated_at) VALUES "
                    "('Avant', 'Europe/Paris', '14:00:00', '20:00:00', '[]', 30, 30, "
                    ":now, :now)"
                ),
                {"now": datetime(2026, 1, 1, tzinfo=UTC)},
            )
        with engine.begin() as conn:
            upgrade(connection=conn)
            labels = set(conn.scalars(text("SELECT label FROM catalogue_items")))
        assert {"Kinésithérapie respiratoire (bronchiolite)", "Ondes de choc"} <= labels
    finally:
        drop_database(engine, schema)
