"""care requests: open requests to the practitioners of a profession, first to accept wins

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "care_requests",
        sa.Column("pharmacy_id", sa.Integer(), nullable=True),
        sa.Column("requester_practitioner_id", sa.Integer(), nullable=True),
        sa.Column("requested_by", sa.Integer(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=128), nullable=False),
        sa.Column("request_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("profession", sa.String(length=32), nullable=False),
        sa.Column("competence_id", sa.Integer(), nullable=True),
        sa.Column("act", sa.String(length=200), nullable=False),
        sa.Column("equipment", sa.String(length=200), nullable=True),
        sa.Column("home_visit", sa.Boolean(), nullable=False),
        sa.Column("commune_insee", sa.String(length=5), nullable=False),
        sa.Column("wished_delay", sa.String(length=8), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("accepted_by_practitioner_id", sa.Integer(), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("patient_display_name", sa.String(length=100), nullable=True),
        sa.Column("patient_phone", sa.String(length=32), nullable=True),
        sa.Column("patient_birth_year", sa.Integer(), nullable=False),
        sa.Column("reason_category", sa.String(length=32), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cpts_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('open', 'accepted', 'cancelled', 'expired')",
            name=op.f("ck_care_requests_status_known"),
        ),
        sa.CheckConstraint(
            "wished_delay IN ('today', '24h', '48h')", name=op.f("ck_care_requests_delay_known")
        ),
        sa.CheckConstraint(
            "(pharmacy_id IS NOT NULL AND requester_practitioner_id IS NULL)"
            " OR (pharmacy_id IS NULL AND requester_practitioner_id IS NOT NULL)",
            name=op.f("ck_care_requests_one_requester"),
        ),
        sa.CheckConstraint(
            "(status = 'accepted') = (accepted_by_practitioner_id IS NOT NULL)",
            name=op.f("ck_care_requests_accepted_has_acceptor"),
        ),
        sa.CheckConstraint(
            "patient_birth_year BETWEEN 1900 AND 2100",
            name=op.f("ck_care_requests_birth_year_range"),
        ),
        sa.CheckConstraint(
            "reason_category IN ('infection', 'acute_pain', 'minor_trauma', 'skin', "
            "'respiratory', 'digestive', 'wound_care', 'musculoskeletal', 'other')",
            name=op.f("ck_care_requests_reason_known"),
        ),
        sa.ForeignKeyConstraint(
            ["accepted_by_practitioner_id"],
            ["practitioners.id"],
            name=op.f("fk_care_requests_accepted_by_practitioner_id_practitioners"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["competence_id"],
            ["catalogue_items.id"],
            name=op.f("fk_care_requests_competence_id_catalogue_items"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["cpts_id"], ["cpts.id"], name=op.f("fk_care_requests_cpts_id_cpts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["pharmacy_id"],
            ["pharmacies.id"],
            name=op.f("fk_care_requests_pharmacy_id_pharmacies"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"],
            ["users.id"],
            name=op.f("fk_care_requests_requested_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["requester_practitioner_id"],
            ["practitioners.id"],
            name=op.f("fk_care_requests_requester_practitioner_id_practitioners"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_requests")),
    )
    with op.batch_alter_table("care_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_care_requests_cpts_id"), ["cpts_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_care_requests_requester_practitioner_id"),
            ["requester_practitioner_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_care_requests_accepted_by_practitioner_id"),
            ["accepted_by_practitioner_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_care_requests_cpts_profession_status",
            ["cpts_id", "profession", "status"],
            unique=False,
        )
        batch_op.create_index(
            "ix_care_requests_status_deadline", ["status", "deadline"], unique=False
        )
        batch_op.create_index(
            "uq_care_requests_pharmacy_idempotency",
            ["pharmacy_id", "idempotency_key"],
            unique=True,
        )
        batch_op.create_index(
            "uq_care_requests_practitioner_idempotency",
            ["requester_practitioner_id", "idempotency_key"],
            unique=True,
        )


def downgrade() -> None:
    op.drop_table("care_requests")
