"""The CPTS (tenant), its per-profession settings and its sectors."""

from datetime import time

from sqlalchemy import JSON, CheckConstraint, String, Time, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.base import Base, IdMixin, TenantMixin, TimestampMixin


class Cpts(IdMixin, TimestampMixin, Base):
    """One territory and its on-call organisation: the tenant of every other row."""

    __tablename__ = "cpts"
    __table_args__ = (
        CheckConstraint("oncall_start < oncall_end", name="window_order"),
        CheckConstraint("min_notice_minutes >= 0", name="notice_not_negative"),
        CheckConstraint("retention_days >= 1", name="retention_positive"),
        CheckConstraint("min_rest_days >= 0", name="rest_not_negative"),
    )

    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Paris")
    holiday_subdivision: Mapped[str | None] = mapped_column(String(8))
    oncall_start: Mapped[time] = mapped_column(Time(), default=time(14, 0))
    oncall_end: Mapped[time] = mapped_column(Time(), default=time(20, 0))
    blocks: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    min_notice_minutes: Mapped[int] = mapped_column(default=30)
    retention_days: Mapped[int] = mapped_column(default=30)
    min_rest_days: Mapped[int] = mapped_column(default=1, server_default="1")
    allow_multiple_blocks_per_day: Mapped[bool] = mapped_column(
        default=False, server_default=false()
    )
    swap_requires_approval: Mapped[bool] = mapped_column(default=False, server_default=false())
    reminder_time: Mapped[time] = mapped_column(
        Time(), default=time(8, 0), server_default="08:00:00"
    )

    profession_settings: Mapped[list["ProfessionSetting"]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by="ProfessionSetting.profession"
    )


class ProfessionSetting(IdMixin, TenantMixin, Base):
    """Slot length and number of slots kept free per shift, for one profession."""

    __tablename__ = "profession_settings"
    __table_args__ = (
        UniqueConstraint("cpts_id", "profession"),
        CheckConstraint("slot_minutes BETWEEN 5 AND 240", name="slot_minutes_range"),
        CheckConstraint("free_slots_per_shift BETWEEN 0 AND 48", name="free_slots_range"),
    )

    profession: Mapped[str] = mapped_column(String(32))
    slot_minutes: Mapped[int]
    free_slots_per_shift: Mapped[int]


class Sector(IdMixin, TenantMixin, TimestampMixin, Base):
    """A group of communes inside the territory, so patients stay close to home."""

    __tablename__ = "sectors"
    __table_args__ = (UniqueConstraint("cpts_id", "name"),)

    name: Mapped[str] = mapped_column(String(120))
    communes: Mapped[list[str]] = mapped_column(JSON, default=list)
