"""feed tokens

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 05:45:58.047291
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "feed_tokens",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("practitioner_id", sa.Integer(), nullable=True),
        sa.Column("profession", sa.String(length=32), nullable=True),
        sa.Column("sector_id", sa.Integer(), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cpts_id", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "(kind = 'practitioner' AND practitioner_id IS NOT NULL AND profession IS NULL AND sector_id IS NULL) OR (kind = 'cpts' AND practitioner_id IS NULL)",
            name=op.f("ck_feed_tokens_kind_binding"),
        ),
        sa.CheckConstraint(
            "kind IN ('practitioner', 'cpts')", name=op.f("ck_feed_tokens_kind_known")
        ),
        sa.ForeignKeyConstraint(
            ["cpts_id"], ["cpts.id"], name=op.f("fk_feed_tokens_cpts_id_cpts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["practitioner_id"],
            ["practitioners.id"],
            name=op.f("fk_feed_tokens_practitioner_id_practitioners"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sector_id"],
            ["sectors.id"],
            name=op.f("fk_feed_tokens_sector_id_sectors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_feed_tokens_token_hash")),
    )
    with op.batch_alter_table("feed_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feed_tokens_cpts_id"), ["cpts_id"], unique=False)
        batch_op.create_index(
            "uq_feed_tokens_one_active_per_practitioner",
            ["practitioner_id"],
            unique=True,
            sqlite_where=sa.text("revoked_at IS NULL"),
            postgresql_where=sa.text("revoked_at IS NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("feed_tokens", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_feed_tokens_one_active_per_practitioner",
            sqlite_where=sa.text("revoked_at IS NULL"),
            postgresql_where=sa.text("revoked_at IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_feed_tokens_cpts_id"))

    op.drop_table("feed_tokens")
