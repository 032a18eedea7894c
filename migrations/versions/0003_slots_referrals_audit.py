"""slots referrals audit

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 05:08:44.744408
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "slots",
        sa.Column("shift_id", sa.Integer(), nullable=False),
        sa.Column("practitioner_id", sa.Integer(), nullable=False),
        sa.Column("profession", sa.String(length=32), nullable=False),
        sa.Column("sector_id", sa.Integer(), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cpts_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('open', 'booked', 'blocked', 'withdrawn')",
            name=op.f("ck_slots_status_known"),
        ),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_slots_time_order")),
        sa.ForeignKeyConstraint(
            ["cpts_id"], ["cpts.id"], name=op.f("fk_slots_cpts_id_cpts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["practitioner_id"],
            ["practitioners.id"],
            name=op.f("fk_slots_practitioner_id_practitioners"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sector_id"],
            ["sectors.id"],
            name=op.f("fk_slots_sector_id_sectors"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["shift_id"], ["shifts.id"], name=op.f("fk_slots_shift_id_shifts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slots")),
    )
    with op.batch_alter_table("slots", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_slots_cpts_id"), ["cpts_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_slots_practitioner_id"), ["practitioner_id"], unique=False
        )
        batch_op.create_index("ix_slots_search", ["cpts_id", "status", "starts_at"], unique=False)
        batch_op.create_index("uq_slots_shift_start", ["shift_id", "starts_at"], unique=True)

    op.create_table(
        "audit_log",
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("subject_type", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cpts_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_user_id"],
            ["users.id"],
            name=op.f("fk_audit_log_actor_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["cpts_id"], ["cpts.id"], name=op.f("fk_audit_log_cpts_id_cpts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_cpts_id"), ["cpts_id"], unique=False)

    op.create_table(
        "referrals",
        sa.Column("slot_id", sa.Integer(), nullable=False),
        sa.Column("pharmacy_id", sa.Integer(), nullable=False),
        sa.Column("practitioner_id", sa.Integer(), nullable=False),
        sa.Column("booked_by", sa.Integer(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=128), nullable=False),
        sa.Column("request_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("mode", sa.String(length=24), nullable=False),
        sa.Column("profession", sa.String(length=32), nullable=False),
        sa.Column("slot_starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("patient_display_name", sa.String(length=100), nullable=True),
        sa.Column("patient_phone", sa.String(length=32), nullable=True),
        sa.Column("patient_birth_year", sa.Integer(), nullable=False),
        sa.Column("reason_category", sa.String(length=32), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("needs_attention", sa.String(length=300), nullable=True),
        sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cpts_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "mode IN ('in_practice', 'home_visit', 'teleconsultation')",
            name=op.f("ck_referrals_mode_known"),
        ),
        sa.CheckConstraint(
            "reason_category IN ('infection', 'acute_pain', 'minor_trauma', 'skin', 'respiratory', 'digestive', 'wound_care', 'musculoskeletal', 'other')",
            name=op.f("ck_referrals_reason_known"),
        ),
        sa.CheckConstraint(
            "status IN ('booked', 'cancelled', 'seen', 'no_show')",
            name=op.f("ck_referrals_status_known"),
        ),
        sa.CheckConstraint(
            "patient_birth_year BETWEEN 1900 AND 2100", name=op.f("ck_referrals_birth_year_range")
        ),
        sa.ForeignKeyConstraint(
            ["booked_by"],
            ["users.id"],
            name=op.f("fk_referrals_booked_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["cpts_id"], ["cpts.id"], name=op.f("fk_referrals_cpts_id_cpts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["pharmacy_id"],
            ["pharmacies.id"],
            name=op.f("fk_referrals_pharmacy_id_pharmacies"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["practitioner_id"],
            ["practitioners.id"],
            name=op.f("fk_referrals_practitioner_id_practitioners"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["slot_id"], ["slots.id"], name=op.f("fk_referrals_slot_id_slots"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
    )
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_referrals_cpts_id"), ["cpts_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_referrals_practitioner_id"), ["practitioner_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_referrals_slot_starts_at"), ["slot_starts_at"], unique=False
        )
        batch_op.create_index(
            "uq_referrals_idempotency", ["pharmacy_id", "idempotency_key"], unique=True
        )
        batch_op.create_index(
            "uq_referrals_one_active_per_slot",
            ["slot_id"],
            unique=True,
            sqlite_where=sa.text("status <> 'cancelled'"),
            postgresql_where=sa.text("status <> 'cancelled'"),
        )


def downgrade() -> None:
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_referrals_one_active_per_slot",
            sqlite_where=sa.text("status <> 'cancelled'"),
            postgresql_where=sa.text("status <> 'cancelled'"),
        )
        batch_op.drop_index("uq_referrals_idempotency")
        batch_op.drop_index(batch_op.f("ix_referrals_slot_starts_at"))
        batch_op.drop_index(batch_op.f("ix_referrals_practitioner_id"))
        batch_op.drop_index(batch_op.f("ix_referrals_cpts_id"))

    op.drop_table("referrals")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_cpts_id"))
        batch_op.drop_index(batch_op.f("ix_audit_log_at"))

    op.drop_table("audit_log")
    with op.batch_alter_table("slots", schema=None) as batch_op:
        batch_op.drop_index("uq_slots_shift_start")
        batch_op.drop_index("ix_slots_search")
        batch_op.drop_index(batch_op.f("ix_slots_practitioner_id"))
        batch_op.drop_index(batch_op.f("ix_slots_cpts_id"))

    op.drop_table("slots")
