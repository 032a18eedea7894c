"""indexes for the national-size dataset: referrals by CPTS and by pharmacy, in slot order

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 12:30:00

`EXPLAIN (ANALYZE, BUFFERS)` on 800 CPTS (bench/national.py, README "Benchmarks"): the
coordinator's referral list, the monthly indicators and the pharmacy's referral list read
every referral of the CPTS (or the pharmacy) through a one-column index, then filtered and
sorted them; these indexes serve the slot-time range and order directly.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_referrals_cpts_slot_starts_at", "referrals", ["cpts_id", "slot_starts_at"])
    op.create_index(
        "ix_referrals_pharmacy_slot_starts_at", "referrals", ["pharmacy_id", "slot_starts_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_referrals_pharmacy_slot_starts_at", table_name="referrals")
    op.drop_index("ix_referrals_cpts_slot_starts_at", table_name="referrals")
