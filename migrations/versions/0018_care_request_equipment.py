"""care request equipment: a request may name an equipment item of the CPTS's catalogue

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 14:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("care_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("equipment_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_care_requests_equipment_id_catalogue_items"),
            "catalogue_items",
            ["equipment_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("care_requests", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_care_requests_equipment_id_catalogue_items"), type_="foreignkey"
        )
        batch_op.drop_column("equipment_id")
