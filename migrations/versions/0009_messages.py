"""messages: referral threads, the on-call channel of the day, read marks

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 10:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "messages",
        sa.Column("thread", sa.String(length=32), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=True),
        sa.Column("author_user_id", sa.Integer(), nullable=True),
        sa.Column("author_role", sa.String(length=32), nullable=False),
        sa.Column("author_name", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cpts_id", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "(referral_id IS NOT NULL AND thread LIKE 'referral:%') "
            "OR (referral_id IS NULL AND thread LIKE 'channel:%')",
            name=op.f("ck_messages_thread_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["author_user_id"],
            ["users.id"],
            name=op.f("fk_messages_author_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["cpts_id"], ["cpts.id"], name=op.f("fk_messages_cpts_id_cpts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["referrals.id"],
            name=op.f("fk_messages_referral_id_referrals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
    )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_messages_cpts_id"), ["cpts_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_messages_referral_id"), ["referral_id"], unique=False)
        batch_op.create_index("ix_messages_cpts_thread", ["cpts_id", "thread", "id"], unique=False)
        batch_op.create_index(
            "ix_messages_author_created", ["author_user_id", "created_at"], unique=False
        )
        batch_op.create_index("ix_messages_unreminded", ["reminded_at", "created_at"], unique=False)

    op.create_table(
        "message_reads",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("thread", sa.String(length=32), nullable=False),
        sa.Column("up_to", sa.Integer(), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cpts_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cpts_id"],
            ["cpts.id"],
            name=op.f("fk_message_reads_cpts_id_cpts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_message_reads_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_reads")),
    )
    with op.batch_alter_table("message_reads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_message_reads_cpts_id"), ["cpts_id"], unique=False)
        batch_op.create_index("uq_message_reads_user_thread", ["user_id", "thread"], unique=True)


def downgrade() -> None:
    op.drop_table("message_reads")
    op.drop_table("messages")
