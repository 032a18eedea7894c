"""join the feed-token and notification branches into one history

Revision ID: 0007
Revises: 0004, 0006w
Create Date: 2026-12-03 10:10:00
"""

from collections.abc import Sequence

revision: str = "0007"
down_revision: str | tuple[str, ...] | None = ("0004", "0006w")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing to change: this revision only makes the two branches one head."""


def downgrade() -> None:
    """Nothing to undo."""
