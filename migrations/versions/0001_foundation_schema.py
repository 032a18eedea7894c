"""foundation schema

Revision ID: 0001
Revises:
Create Date: 2026-11-25 04:52:19.760529
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cpts",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("holiday_subdivision", sa.String(length=8), nullable=True),
        sa.Column("oncall_start", sa.Time(), nullable=False),
        sa.Column("oncall_end", sa.Time(), nullable=False),
        sa.Column("blocks", sa.JSON(), nullable=False),
        sa.Column("min_notice_minutes", sa.Integer(), nullable=False),
        sa.Column("retention_days", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("min_notice_minutes >= 0", name=op.f("ck_cpts_notice_not_negative")),
        sa.CheckConstraint("oncall_start < oncall_end", name=op.f("ck_cpts_window_order")),
        sa.CheckConstraint("retention_days >= 1", name=op.f("ck_cpts_retention_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cpts")),
    )
    op.create_table(
        "practitioners",
        sa.Column("rpps", sa.String(length=11), nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("profession", sa.String(length=32), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("practice_address", sa.String(length=300), nullable=True),
        sa.Column("latitude", sa.Double(), nullable=True),
        sa.Column("longitude", sa.Double(), nullable=True),
        sa.Column("home_visits", sa.Boolean(), nullable=False),
        sa.Column("teleconsultation", sa.Boolean(), nullable=False),
        sa.Column("max_shifts_per_month", sa.Integer(), nullable=False),
        sa.Column("max_shifts_per_week", sa.Integer(), nullable=False),
        sa.Column("fte", sa.Double(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cpts_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "profession IN ('gp', 'physio', 'nurse')",
            name=op.f("ck_practitioners_profession_known"),
        ),
        sa.CheckConstraint("fte > 0 AND fte <= 1", name=op.f("ck_practitioners_fte_range")),
        sa.CheckConstraint(
            "latitude BETWEEN -90 AND 90", name=op.f("ck_practitioners_latitude_range")
        ),
        sa.CheckConstraint(
            "longitude BETWEEN -180 AND 180", name=op.f("ck_practitioners_longitude_range")
        ),
        sa.CheckConstraint(
            "max_shifts_per_month >= 0", name=op.f("ck_practitioners_max_month_not_negative")
        ),
        sa.CheckConstraint(
            "max_shifts_per_week >= 0", name=op.f("ck_practitioners_max_week_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["cpts_id"], ["cpts.id"], name=op.f("fk_practitioners_cpts_id_cpts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practitioners")),
        sa.UniqueConstraint("cpts_id", "rpps", name=op.f("uq_practitioners_cpts_id_rpps")),
    )
    with op.batch_alter_table("practitioners", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_practitioners_cpts_id"), ["cpts_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_practitioners_profession"), ["profession"], unique=False
        )

    op.create_table(
        "profession_settings",
        sa.Column("profession", sa.String(length=32), nullable=False),
        sa.Column("slot_minutes", sa.Integer(), nullable=False),
        sa.Column("free_slots_per_shift", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cpts_id", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "free_slots_per_shift BETWEEN 0 AND 48",
            name=op.f("ck_profession_settings_free_slots_range"),
        ),
        sa.CheckConstraint(
            "slot_minutes BETWEEN 5 AND 240", name=op.f("ck_profession_settings_slot_minutes_range")
        ),
        sa.ForeignKeyConstraint(
            ["cpts_id"],
            ["cpts.id"],
            name=op.f("fk_profession_settings_cpts_id_cpts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_profession_settings")),
        sa.UniqueConstraint(
            "cpts_id", "profession", name=op.f("uq_profession_settings_cpts_id_profession")
        ),
    )
    with op.batch_alter_table("profession_settings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_profession_settings_cpts_id"), ["cpts_id"], unique=False
        )

    op.create_table(
        "sectors",
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("communes", sa.JSON(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cpts_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cpts_id"], ["cpts.id"], name=op.f("fk_sectors_cpts_id_cpts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sectors")),
        sa.UniqueConstraint("cpts_id", "name", name=op.f("uq_sectors_cpts_id_name")),
    )
    with op.batch_alter_table("sectors", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sectors_cpts_id"), ["cpts_id"], unique=False)

    op.create_table(
        "absences",
        sa.Column("practitioner_id", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cpts_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("end_date >= start_date", name=op.f("ck_absences_date_order")),
        sa.ForeignKeyConstraint(
            ["cpts_id"], ["cpts.id"], name=op.f("fk_absences_cpts_id_cpts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["practitioner_id"],
            ["practitioners.id"],
            name=op.f("fk_absences_practitioner_id_practitioners"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_absences")),
    )
    with op.batch_alter_table("absences", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_absences_cpts_id"), ["cpts_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_absences_practitioner_id"), ["practitioner_id"], unique=False
        )

    op.create_table(
        "coverage_rules",
        sa.Column("day_kind", sa.String(length=8), nullable=False),
        sa.Column("profession", sa.String(length=32), nullable=False),
        sa.Column("sector_id", sa.Integer(), nullable=True),
        sa.Column("required", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cpts_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "day_kind IN ('mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun', 'holiday')",
            name=op.f("ck_coverage_rules_day_kind_known"),
        ),
        sa.CheckConstraint("required >= 0", name=op.f("ck_coverage_rules_required_not_negative")),
        sa.ForeignKeyConstraint(
            ["cpts_id"],
            ["cpts.id"],
            name=op.f("fk_coverage_rules_cpts_id_cpts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sector_id"],
            ["sectors.id"],
            name=op.f("fk_coverage_rules_sector_id_sectors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coverage_rules")),
    )
    with op.batch_alter_table("coverage_rules", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_coverage_rules_cpts_id"), ["cpts_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_coverage_rules_sector_id"), ["sector_id"], unique=False
        )
    # One rule per scope; NULL sector (whole territory) must collide too, on both backends.
    op.create_index(
        "uq_coverage_rules_scope",
        "coverage_rules",
        ["cpts_id", "day_kind", "profession", sa.text("coalesce(sector_id, 0)")],
        unique=True,
    )

    op.create_table(
        "pharmacies",
        sa.Column("finess", sa.String(length=9), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("latitude", sa.Double(), nullable=True),
        sa.Column("longitude", sa.Double(), nullable=True),
        sa.Column("sector_id", sa.Integer(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cpts_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "latitude BETWEEN -90 AND 90", name=op.f("ck_pharmacies_latitude_range")
        ),
        sa.CheckConstraint(
            "longitude BETWEEN -180 AND 180", name=op.f("ck_pharmacies_longitude_range")
        ),
        sa.ForeignKeyConstraint(
            ["cpts_id"], ["cpts.id"], name=op.f("fk_pharmacies_cpts_id_cpts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["sector_id"],
            ["sectors.id"],
            name=op.f("fk_pharmacies_sector_id_sectors"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pharmacies")),
        sa.UniqueConstraint("cpts_id", "finess", name=op.f("uq_pharmacies_cpts_id_finess")),
    )
    with op.batch_alter_table("pharmacies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pharmacies_cpts_id"), ["cpts_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_pharmacies_sector_id"), ["sector_id"], unique=False)

    op.create_table(
        "practitioner_sectors",
        sa.Column("practitioner_id", sa.Integer(), nullable=False),
        sa.Column("sector_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["practitioner_id"],
            ["practitioners.id"],
            name=op.f("fk_practitioner_sectors_practitioner_id_practitioners"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sector_id"],
            ["sectors.id"],
            name=op.f("fk_practitioner_sectors_sector_id_sectors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "practitioner_id", "sector_id", name=op.f("pk_practitioner_sectors")
        ),
    )
    op.create_table(
        "preferences",
        sa.Column("practitioner_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=True),
        sa.Column("day", sa.Date(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cpts_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('prefer', 'avoid')", name=op.f("ck_preferences_kind_known")),
        sa.CheckConstraint(
            "(weekday IS NULL) <> (day IS NULL)", name=op.f("ck_preferences_weekday_xor_day")
        ),
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name=op.f("ck_preferences_weekday_range")),
        sa.ForeignKeyConstraint(
            ["cpts_id"], ["cpts.id"], name=op.f("fk_preferences_cpts_id_cpts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["practitioner_id"],
            ["practitioners.id"],
            name=op.f("fk_preferences_practitioner_id_practitioners"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_preferences")),
    )
    with op.batch_alter_table("preferences", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_preferences_cpts_id"), ["cpts_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_preferences_practitioner_id"), ["practitioner_id"], unique=False
        )

    op.create_table(
        "users",
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("practitioner_id", sa.Integer(), nullable=True),
        sa.Column("pharmacy_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cpts_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(role = 'coordinator' AND practitioner_id IS NULL AND pharmacy_id IS NULL) OR (role = 'practitioner' AND practitioner_id IS NOT NULL AND pharmacy_id IS NULL) OR (role = 'pharmacist' AND pharmacy_id IS NOT NULL AND practitioner_id IS NULL)",
            name=op.f("ck_users_role_binding"),
        ),
        sa.ForeignKeyConstraint(
            ["cpts_id"], ["cpts.id"], name=op.f("fk_users_cpts_id_cpts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["pharmacy_id"],
            ["pharmacies.id"],
            name=op.f("fk_users_pharmacy_id_pharmacies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["practitioner_id"],
            ["practitioners.id"],
            name=op.f("fk_users_practitioner_id_practitioners"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_users_cpts_id"), ["cpts_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_users_pharmacy_id"), ["pharmacy_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_users_practitioner_id"), ["practitioner_id"], unique=False
        )

    op.create_table(
        "api_tokens",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cpts_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cpts_id"], ["cpts.id"], name=op.f("fk_api_tokens_cpts_id_cpts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_tokens_cpts_id"), ["cpts_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_api_tokens_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_tokens_user_id"))
        batch_op.drop_index(batch_op.f("ix_api_tokens_cpts_id"))

    op.drop_table("api_tokens")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_practitioner_id"))
        batch_op.drop_index(batch_op.f("ix_users_pharmacy_id"))
        batch_op.drop_index(batch_op.f("ix_users_cpts_id"))

    op.drop_table("users")
    with op.batch_alter_table("preferences", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_preferences_practitioner_id"))
        batch_op.drop_index(batch_op.f("ix_preferences_cpts_id"))

    op.drop_table("preferences")
    op.drop_table("practitioner_sectors")
    with op.batch_alter_table("pharmacies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pharmacies_sector_id"))
        batch_op.drop_index(batch_op.f("ix_pharmacies_cpts_id"))

    op.drop_table("pharmacies")
    op.drop_index("uq_coverage_rules_scope", table_name="coverage_rules")
    with op.batch_alter_table("coverage_rules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coverage_rules_sector_id"))
        batch_op.drop_index(batch_op.f("ix_coverage_rules_cpts_id"))

    op.drop_table("coverage_rules")
    with op.batch_alter_table("absences", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_absences_practitioner_id"))
        batch_op.drop_index(batch_op.f("ix_absences_cpts_id"))

    op.drop_table("absences")
    with op.batch_alter_table("sectors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sectors_cpts_id"))

    op.drop_table("sectors")
    with op.batch_alter_table("profession_settings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_profession_settings_cpts_id"))

    op.drop_table("profession_settings")
    with op.batch_alter_table("practitioners", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_practitioners_profession"))
        batch_op.drop_index(batch_op.f("ix_practitioners_cpts_id"))

    op.drop_table("practitioners")
    op.drop_table("cpts")
