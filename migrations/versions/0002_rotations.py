"""rotations

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 04:58:49.991471
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rotations",
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("solver_figures", sa.JSON(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cpts_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('draft', 'published', 'archived')", name=op.f("ck_rotations_status_known")
        ),
        sa.CheckConstraint("period_end >= period_start", name=op.f("ck_rotations_period_order")),
        sa.ForeignKeyConstraint(
            ["cpts_id"], ["cpts.id"], name=op.f("fk_rotations_cpts_id_cpts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rotations")),
    )
    with op.batch_alter_table("rotations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rotations_cpts_id"), ["cpts_id"], unique=False)

    op.create_table(
        "rotation_fair_shares",
        sa.Column("rotation_id", sa.Integer(), nullable=False),
        sa.Column("practitioner_id", sa.Integer(), nullable=False),
        sa.Column("weekday_fair_share", sa.Double(), nullable=False),
        sa.Column("special_fair_share", sa.Double(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cpts_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cpts_id"],
            ["cpts.id"],
            name=op.f("fk_rotation_fair_shares_cpts_id_cpts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["practitioner_id"],
            ["practitioners.id"],
            name=op.f("fk_rotation_fair_shares_practitioner_id_practitioners"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["rotation_id"],
            ["rotations.id"],
            name=op.f("fk_rotation_fair_shares_rotation_id_rotations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rotation_fair_shares")),
    )
    with op.batch_alter_table("rotation_fair_shares", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rotation_fair_shares_cpts_id"), ["cpts_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_rotation_fair_shares_practitioner_id"), ["practitioner_id"], unique=False
        )
        batch_op.create_index("uq_fair_share", ["rotation_id", "practitioner_id"], unique=True)

    op.create_table(
        "rotation_gaps",
        sa.Column("rotation_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("block", sa.String(length=16), nullable=False),
        sa.Column("profession", sa.String(length=32), nullable=False),
        sa.Column("sector_id", sa.Integer(), nullable=True),
        sa.Column("missing", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cpts_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cpts_id"], ["cpts.id"], name=op.f("fk_rotation_gaps_cpts_id_cpts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["rotation_id"],
            ["rotations.id"],
            name=op.f("fk_rotation_gaps_rotation_id_rotations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sector_id"],
            ["sectors.id"],
            name=op.f("fk_rotation_gaps_sector_id_sectors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rotation_gaps")),
    )
    with op.batch_alter_table("rotation_gaps", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rotation_gaps_cpts_id"), ["cpts_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_rotation_gaps_rotation_id"), ["rotation_id"], unique=False
        )

    op.create_table(
        "shifts",
        sa.Column("rotation_id", sa.Integer(), nullable=False),
        sa.Column("practitioner_id", sa.Integer(), nullable=False),
        sa.Column("profession", sa.String(length=32), nullable=False),
        sa.Column("sector_id", sa.Integer(), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("block", sa.String(length=16), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cpts_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('active', 'cancelled')", name=op.f("ck_shifts_status_known")
        ),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_shifts_time_order")),
        sa.ForeignKeyConstraint(
            ["cpts_id"], ["cpts.id"], name=op.f("fk_shifts_cpts_id_cpts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["practitioner_id"],
            ["practitioners.id"],
            name=op.f("fk_shifts_practitioner_id_practitioners"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["rotation_id"],
            ["rotations.id"],
            name=op.f("fk_shifts_rotation_id_rotations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sector_id"],
            ["sectors.id"],
            name=op.f("fk_shifts_sector_id_sectors"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shifts")),
    )
    with op.batch_alter_table("shifts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shifts_cpts_id"), ["cpts_id"], unique=False)
        batch_op.create_index("ix_shifts_cpts_starts_at", ["cpts_id", "starts_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_shifts_practitioner_id"), ["practitioner_id"], unique=False
        )
        batch_op.create_index("ix_shifts_rotation_day", ["rotation_id", "day"], unique=False)
        batch_op.create_index(
            "uq_shifts_active_practitioner_block",
            ["practitioner_id", "day", "block"],
            unique=True,
            sqlite_where=sa.text("status = 'active'"),
            postgresql_where=sa.text("status = 'active'"),
        )

    op.create_table(
        "jobs",
        sa.Column("rotation_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("progress", sa.Double(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("requested_by", sa.Integer(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cpts_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('solve', 'repair')", name=op.f("ck_jobs_kind_known")),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'done', 'failed')", name=op.f("ck_jobs_status_known")
        ),
        sa.ForeignKeyConstraint(
            ["cpts_id"], ["cpts.id"], name=op.f("fk_jobs_cpts_id_cpts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"],
            ["users.id"],
            name=op.f("fk_jobs_requested_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["rotation_id"],
            ["rotations.id"],
            name=op.f("fk_jobs_rotation_id_rotations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_jobs_cpts_id"), ["cpts_id"], unique=False)
        batch_op.create_index("ix_jobs_status", ["status"], unique=False)
        batch_op.create_index(
            "uq_jobs_one_active_per_rotation",
            ["rotation_id"],
            unique=True,
            sqlite_where=sa.text("status IN ('queued', 'running')"),
            postgresql_where=sa.text("status IN ('queued', 'running')"),
        )

    op.create_table(
        "rotation_changes",
        sa.Column("rotation_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("forced", sa.Boolean(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cpts_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_user_id"],
            ["users.id"],
            name=op.f("fk_rotation_changes_actor_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["cpts_id"],
            ["cpts.id"],
            name=op.f("fk_rotation_changes_cpts_id_cpts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["rotation_id"],
            ["rotations.id"],
            name=op.f("fk_rotation_changes_rotation_id_rotations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rotation_changes")),
    )
    with op.batch_alter_table("rotation_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rotation_changes_cpts_id"), ["cpts_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_rotation_changes_rotation_id"), ["rotation_id"], unique=False
        )

    op.create_table(
        "swap_offers",
        sa.Column("shift_id", sa.Integer(), nullable=False),
        sa.Column("offered_by", sa.Integer(), nullable=False),
        sa.Column("taken_by", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cpts_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('open', 'pending_approval', 'done', 'rejected', 'withdrawn')",
            name=op.f("ck_swap_offers_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["cpts_id"], ["cpts.id"], name=op.f("fk_swap_offers_cpts_id_cpts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"],
            ["users.id"],
            name=op.f("fk_swap_offers_decided_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["offered_by"],
            ["practitioners.id"],
            name=op.f("fk_swap_offers_offered_by_practitioners"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shift_id"],
            ["shifts.id"],
            name=op.f("fk_swap_offers_shift_id_shifts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["taken_by"],
            ["practitioners.id"],
            name=op.f("fk_swap_offers_taken_by_practitioners"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_swap_offers")),
    )
    with op.batch_alter_table("swap_offers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_swap_offers_cpts_id"), ["cpts_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_swap_offers_shift_id"), ["shift_id"], unique=False)

    with op.batch_alter_table("cpts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("min_rest_days", sa.Integer(), server_default="1", nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "allow_multiple_blocks_per_day",
                sa.Boolean(),
                server_default=sa.false(),
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column(
                "swap_requires_approval", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )
        batch_op.create_check_constraint(op.f("ck_cpts_rest_not_negative"), "min_rest_days >= 0")


def downgrade() -> None:
    with op.batch_alter_table("cpts", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_cpts_rest_not_negative"), type_="check")
        batch_op.drop_column("swap_requires_approval")
        batch_op.drop_column("allow_multiple_blocks_per_day")
        batch_op.drop_column("min_rest_days")

    with op.batch_alter_table("swap_offers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_swap_offers_shift_id"))
        batch_op.drop_index(batch_op.f("ix_swap_offers_cpts_id"))

    op.drop_table("swap_offers")
    with op.batch_alter_table("rotation_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rotation_changes_rotation_id"))
        batch_op.drop_index(batch_op.f("ix_rotation_changes_cpts_id"))

    op.drop_table("rotation_changes")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_jobs_one_active_per_rotation",
            sqlite_where=sa.text("status IN ('queued', 'running')"),
            postgresql_where=sa.text("status IN ('queued', 'running')"),
        )
        batch_op.drop_index("ix_jobs_status")
        batch_op.drop_index(batch_op.f("ix_jobs_cpts_id"))

    op.drop_table("jobs")
    with op.batch_alter_table("shifts", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_shifts_active_practitioner_block",
            sqlite_where=sa.text("status = 'active'"),
            postgresql_where=sa.text("status = 'active'"),
        )
        batch_op.drop_index("ix_shifts_rotation_day")
        batch_op.drop_index(batch_op.f("ix_shifts_practitioner_id"))
        batch_op.drop_index("ix_shifts_cpts_starts_at")
        batch_op.drop_index(batch_op.f("ix_shifts_cpts_id"))

    op.drop_table("shifts")
    with op.batch_alter_table("rotation_gaps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rotation_gaps_rotation_id"))
        batch_op.drop_index(batch_op.f("ix_rotation_gaps_cpts_id"))

    op.drop_table("rotation_gaps")
    with op.batch_alter_table("rotation_fair_shares", schema=None) as batch_op:
        batch_op.drop_index("uq_fair_share")
        batch_op.drop_index(batch_op.f("ix_rotation_fair_shares_practitioner_id"))
        batch_op.drop_index(batch_op.f("ix_rotation_fair_shares_cpts_id"))

    op.drop_table("rotation_fair_shares")
    with op.batch_alter_table("rotations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rotations_cpts_id"))

    op.drop_table("rotations")
