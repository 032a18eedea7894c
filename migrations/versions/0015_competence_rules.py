"""competence rules: at least N on-call practitioners with a competence

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "competence_rules",
        sa.Column("competence_id", sa.Integer(), nullable=False),
        sa.Column("day_kind", sa.String(length=8), nullable=False),
        sa.Column("required", sa.Integer(), nullable=False),
        sa.Column("months", sa.JSON(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cpts_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "day_kind IN ('mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun', 'holiday')",
            name=op.f("ck_competence_rules_day_kind_known"),
        ),
        sa.CheckConstraint("required >= 1", name=op.f("ck_competence_rules_required_positive")),
        sa.ForeignKeyConstraint(
            ["competence_id"],
            ["catalogue_items.id"],
            name=op.f("fk_competence_rules_competence_id_catalogue_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["cpts_id"],
            ["cpts.id"],
            name=op.f("fk_competence_rules_cpts_id_cpts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_competence_rules")),
        sa.UniqueConstraint(
            "cpts_id",
            "competence_id",
            "day_kind",
            name=op.f("uq_competence_rules_cpts_id_competence_id_day_kind"),
        ),
    )
    with op.batch_alter_table("competence_rules", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_competence_rules_cpts_id"), ["cpts_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_competence_rules_competence_id"), ["competence_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("competence_rules")
