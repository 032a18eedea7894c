"""cpts.reminder_time: the local time from which the day-before reminders are sent

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 12:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cpts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reminder_time", sa.Time(), server_default="08:00:00", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("cpts", schema=None) as batch_op:
        batch_op.drop_column("reminder_time")
