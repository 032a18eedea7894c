"""Feed tokens: the secret in a calendar subscription URL, stored hashed."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from app.base import Base, IdMixin, TenantMixin, UTCDateTime


class FeedKind(StrEnum):
    """A practitioner's own feed, or the coordinator's CPTS-wide feed."""

    practitioner = "practitioner"
    cpts = "cpts"


class FeedToken(IdMixin, TenantMixin, Base):
    """One feed URL's secret (SHA-256 only) and what the feed shows.

    A practitioner has at most one active token (issuing a new one revokes the old);
    CPTS-wide tokens carry optional profession and sector filters.
    """

    __tablename__ = "feed_tokens"
    __table_args__ = (
        CheckConstraint("kind IN ('practitioner', 'cpts')", name="kind_known"),
        CheckConstraint(
            "(kind = 'practitioner' AND practitioner_id IS NOT NULL"
            " AND profession IS NULL AND sector_id IS NULL)"
            " OR (kind = 'cpts' AND practitioner_id IS NULL)",
            name="kind_binding",
        ),
        Index(
            "uq_feed_tokens_one_active_per_practitioner",
            "practitioner_id",
            unique=True,
            sqlite_where=text("revoked_at IS NULL"),
            postgresql_where=text("revoked_at IS NULL"),
        ),
    )

    kind: Mapped[str] = mapped_column(String(16))
    practitioner_id: Mapped[int | None] = mapped_column(
        ForeignKey("practitioners.id", ondelete="CASCADE")
    )
    profession: Mapped[str | None] = mapped_column(String(32))
    sector_id: Mapped[int | None] = mapped_column(ForeignKey("sectors.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
