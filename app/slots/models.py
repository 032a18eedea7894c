"""Bookable slots kept free inside on-call shifts."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.base import Base, IdMixin, TenantMixin, TimestampMixin, UTCDateTime


class SlotStatus(StrEnum):
    """Open to booking, booked by a referral, blocked (taken back by the practitioner), or
    withdrawn with its shift. "expired" is not stored: it is an open slot already begun."""

    open = "open"
    booked = "booked"
    blocked = "blocked"
    withdrawn = "withdrawn"


class Slot(IdMixin, TenantMixin, TimestampMixin, Base):
    """A time a practitioner on call keeps free for a patient referred by a pharmacist."""

    __tablename__ = "slots"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="time_order"),
        CheckConstraint(
            "status IN ('open', 'booked', 'blocked', 'withdrawn')", name="status_known"
        ),
        Index("ix_slots_search", "cpts_id", "status", "starts_at"),
        Index("uq_slots_shift_start", "shift_id", "starts_at", unique=True),
    )

    shift_id: Mapped[int] = mapped_column(ForeignKey("shifts.id", ondelete="CASCADE"))
    practitioner_id: Mapped[int] = mapped_column(
        ForeignKey("practitioners.id", ondelete="CASCADE"), index=True
    )
    profession: Mapped[str] = mapped_column(String(32))
    sector_id: Mapped[int | None] = mapped_column(ForeignKey("sectors.id", ondelete="SET NULL"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16), default=SlotStatus.open.value)
