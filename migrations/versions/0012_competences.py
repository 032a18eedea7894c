"""competences and equipment catalogue, practitioners' declarations and home-visit zones

Existing CPTS get the French seed catalogue here; new ones get it when they are created.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 12:30:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from app.competences.seed import seed_rows

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    items = op.create_table(
        "catalogue_items",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("profession", sa.String(length=32), nullable=True),
        sa.Column("label", sa.String(length=120), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cpts_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(kind = 'competence' AND profession IS NOT NULL) "
            "OR (kind = 'equipment' AND profession IS NULL)",
            name=op.f("ck_catalogue_items_kind_profession"),
        ),
        sa.ForeignKeyConstraint(
            ["cpts_id"],
            ["cpts.id"],
            name=op.f("fk_catalogue_items_cpts_id_cpts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalogue_items")),
        sa.UniqueConstraint(
            "cpts_id", "kind", "label", name=op.f("uq_catalogue_items_cpts_id_kind_label")
        ),
    )
    with op.batch_alter_table("catalogue_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_catalogue_items_cpts_id"), ["cpts_id"], unique=False)
    op.create_table(
        "practitioner_catalogue_items",
        sa.Column("practitioner_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["catalogue_items.id"],
            name=op.f("fk_practitioner_catalogue_items_item_id_catalogue_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["practitioner_id"],
            ["practitioners.id"],
            name=op.f("fk_practitioner_catalogue_items_practitioner_id_practitioners"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "practitioner_id", "item_id", name=op.f("pk_practitioner_catalogue_items")
        ),
    )
    with op.batch_alter_table("practitioner_catalogue_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_practitioner_catalogue_items_item_id"), ["item_id"], unique=False
        )
    with op.batch_alter_table("practitioners", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("zone_communes", sa.JSON(), nullable=False, server_default="[]")
        )
        batch_op.add_column(sa.Column("zone_radius_km", sa.Double(), nullable=True))
        batch_op.create_check_constraint("zone_radius_positive", "zone_radius_km > 0")
    now = datetime.now(UTC)
    cpts_ids = op.get_bind().scalars(sa.text("SELECT id FROM cpts ORDER BY id")).all()
    rows = [
        {**row, "created_at": now, "updated_at": now}
        for cpts_id in cpts_ids
        for row in seed_rows(cpts_id)
    ]
    if rows:
        op.bulk_insert(items, rows)


def downgrade() -> None:
    with op.batch_alter_table("practitioners", schema=None) as batch_op:
        batch_op.drop_constraint("zone_radius_positive", type_="check")
        batch_op.drop_column("zone_radius_km")
        batch_op.drop_column("zone_communes")
    op.drop_table("practitioner_catalogue_items")
    op.drop_table("catalogue_items")
