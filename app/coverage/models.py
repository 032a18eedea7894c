"""Coverage rules: how many practitioners of a profession are needed on a kind of day."""

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from app.base import Base, IdMixin, TenantMixin, TimestampMixin

DAY_KINDS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun", "holiday")


class CoverageRule(IdMixin, TenantMixin, TimestampMixin, Base):
    """Practitioners of ``profession`` needed in each on-call block of a ``day_kind``.

    ``sector_id`` NULL means the whole territory. Public holidays use ``day_kind='holiday'``
    and need no practitioner unless a rule says so.
    """

    __tablename__ = "coverage_rules"
    __table_args__ = (
        CheckConstraint(
            "day_kind IN ('mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun', 'holiday')",
            name="day_kind_known",
        ),
        CheckConstraint("required >= 0", name="required_not_negative"),
        Index(
            "uq_coverage_rules_scope",
            "cpts_id",
            "day_kind",
            "profession",
            text("coalesce(sector_id, 0)"),
            unique=True,
        ),
    )

    day_kind: Mapped[str] = mapped_column(String(8))
    profession: Mapped[str] = mapped_column(String(32))
    sector_id: Mapped[int | None] = mapped_column(
        ForeignKey("sectors.id", ondelete="CASCADE"), index=True
    )
    required: Mapped[int]
