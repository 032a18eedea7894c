"""procrastinate queue: its tables, types and functions (PostgreSQL only)

The queue of ``JOB_BACKEND=procrastinate`` lives in the same database as the service, so
``cpts-snp migrate`` stays the one release step. SQLite never uses the queue: nothing to do.
Upgrading procrastinate to a version that changes its schema needs a migration applying
its own SQL migration files.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 12:45:00
"""

import re
from collections.abc import Sequence

from alembic import op
from procrastinate.schema import SchemaManager

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _created(kind: str, schema: str) -> list[str]:
    return re.findall(rf"^CREATE {kind} (procrastinate_\w+)", schema, flags=re.MULTILINE)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    # The driver's own connection: the schema's text is run as it is, with no parameters.
    bind.connection.driver_connection.execute(SchemaManager.get_schema())


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    schema = SchemaManager.get_schema()
    for table in reversed(_created("TABLE", schema)):
        op.execute(f"DROP TABLE IF EXISTS {table} CASCADE")
    for function in dict.fromkeys(_created("FUNCTION", schema)):
        op.execute(f"DROP FUNCTION IF EXISTS {function} CASCADE")
    for kind in reversed(_created("TYPE", schema)):
        op.execute(f"DROP TYPE IF EXISTS {kind} CASCADE")
