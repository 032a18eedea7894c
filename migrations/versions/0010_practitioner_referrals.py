"""practitioner referrals: a referral is made by a pharmacy or by a practitioner

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 12:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.alter_column("pharmacy_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("referrer_practitioner_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_referrals_referrer_practitioner_id_practitioners"),
            "practitioners",
            ["referrer_practitioner_id"],
            ["id"],
            ondelete="RESTRICT",
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_referrals_one_referrer"),
            "(pharmacy_id IS NOT NULL AND referrer_practitioner_id IS NULL)"
            " OR (pharmacy_id IS NULL AND referrer_practitioner_id IS NOT NULL)",
        )
        batch_op.create_index(
            batch_op.f("ix_referrals_referrer_practitioner_id"),
            ["referrer_practitioner_id"],
            unique=False,
        )
        batch_op.create_index(
            "uq_referrals_practitioner_idempotency",
            ["referrer_practitioner_id", "idempotency_key"],
            unique=True,
        )


def downgrade() -> None:
    op.execute("DELETE FROM referrals WHERE pharmacy_id IS NULL")
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_index("uq_referrals_practitioner_idempotency")
        batch_op.drop_index(batch_op.f("ix_referrals_referrer_practitioner_id"))
        batch_op.drop_constraint(batch_op.f("ck_referrals_one_referrer"), type_="check")
        batch_op.drop_constraint(
            batch_op.f("fk_referrals_referrer_practitioner_id_practitioners"), type_="foreignkey"
        )
        batch_op.drop_column("referrer_practitioner_id")
        batch_op.alter_column("pharmacy_id", existing_type=sa.Integer(), nullable=False)
