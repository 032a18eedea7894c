"""Absences and day preferences declared by practitioners."""

from datetime import date

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.base import Base, IdMixin, TenantMixin, TimestampMixin


class Absence(IdMixin, TenantMixin, TimestampMixin, Base):
    """Days (inclusive range) on which a practitioner cannot be on call."""

    __tablename__ = "absences"
    __table_args__ = (CheckConstraint("end_date >= start_date", name="date_order"),)

    practitioner_id: Mapped[int] = mapped_column(
        ForeignKey("practitioners.id", ondelete="CASCADE"), index=True
    )
    start_date: Mapped[date]
    end_date: Mapped[date]
    reason: Mapped[str | None] = mapped_column(String(200))


class Preference(IdMixin, TenantMixin, TimestampMixin, Base):
    """A weekday or a date the practitioner prefers, or would rather avoid, for on-call."""

    __tablename__ = "preferences"
    __table_args__ = (
        CheckConstraint("kind IN ('prefer', 'avoid')", name="kind_known"),
        CheckConstraint("(weekday IS NULL) <> (day IS NULL)", name="weekday_xor_day"),
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
    )

    practitioner_id: Mapped[int] = mapped_column(
        ForeignKey("practitioners.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(8))
    weekday: Mapped[int | None]
    day: Mapped[date | None]
