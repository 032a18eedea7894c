"""Rotations, their shifts and gaps, solve jobs, swap offers and the change history."""

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from app.base import Base, IdMixin, TenantMixin, TimestampMixin, UTCDateTime


class RotationStatus(StrEnum):
    """Drafted, then published (amended only by recorded changes), then archived."""

    draft = "draft"
    published = "published"
    archived = "archived"


class ShiftStatus(StrEnum):
    """A cancelled shift stays in the history (and in calendar feeds) with this status."""

    active = "active"
    cancelled = "cancelled"


class JobStatus(StrEnum):
    """Lifecycle of a background solve."""

    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"


class JobKind(StrEnum):
    """A full solve of a draft, or a repair of a published rotation's future days."""

    solve = "solve"
    repair = "repair"


class SwapStatus(StrEnum):
    """A shift offered by its holder, taken by a colleague, possibly approved."""

    open = "open"
    pending_approval = "pending_approval"
    done = "done"
    rejected = "rejected"
    withdrawn = "withdrawn"


class Rotation(IdMixin, TenantMixin, TimestampMixin, Base):
    """The on-call planning of one period (inclusive dates) and the last solve's figures."""

    __tablename__ = "rotations"
    __table_args__ = (
        CheckConstraint("period_end >= period_start", name="period_order"),
        CheckConstraint("status IN ('draft', 'published', 'archived')", name="status_known"),
    )

    period_start: Mapped[date]
    period_end: Mapped[date]
    status: Mapped[str] = mapped_column(String(16), default=RotationStatus.draft.value)
    solver_figures: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Shift(IdMixin, TenantMixin, TimestampMixin, Base):
    """One practitioner on call for one block of one day; instants stored in UTC."""

    __tablename__ = "shifts"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="time_order"),
        CheckConstraint("status IN ('active', 'cancelled')", name="status_known"),
        Index(
            "uq_shifts_active_practitioner_block",
            "practitioner_id",
            "day",
            "block",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
        Index("ix_shifts_rotation_day", "rotation_id", "day"),
        Index("ix_shifts_cpts_starts_at", "cpts_id", "starts_at"),
    )

    rotation_id: Mapped[int] = mapped_column(ForeignKey("rotations.id", ondelete="CASCADE"))
    practitioner_id: Mapped[int] = mapped_column(
        ForeignKey("practitioners.id", ondelete="RESTRICT"), index=True
    )
    profession: Mapped[str] = mapped_column(String(32))
    sector_id: Mapped[int | None] = mapped_column(ForeignKey("sectors.id", ondelete="SET NULL"))
    day: Mapped[date]
    block: Mapped[str] = mapped_column(String(16))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    locked: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(16), default=ShiftStatus.active.value)
    sequence: Mapped[int] = mapped_column(default=0)


class Gap(IdMixin, TenantMixin, Base):
    """Demand the rotation leaves uncovered, with the reason in the data's terms."""

    __tablename__ = "rotation_gaps"

    rotation_id: Mapped[int] = mapped_column(
        ForeignKey("rotations.id", ondelete="CASCADE"), index=True
    )
    day: Mapped[date]
    block: Mapped[str] = mapped_column(String(16))
    profession: Mapped[str] = mapped_column(String(32))
    sector_id: Mapped[int | None] = mapped_column(ForeignKey("sectors.id", ondelete="CASCADE"))
    missing: Mapped[int]
    reason: Mapped[str] = mapped_column(Text)


class FairShare(IdMixin, TenantMixin, Base):
    """A practitioner's fair share of a rotation, carried into the next period's fairness."""

    __tablename__ = "rotation_fair_shares"
    __table_args__ = (Index("uq_fair_share", "rotation_id", "practitioner_id", unique=True),)

    rotation_id: Mapped[int] = mapped_column(ForeignKey("rotations.id", ondelete="CASCADE"))
    practitioner_id: Mapped[int] = mapped_column(
        ForeignKey("practitioners.id", ondelete="CASCADE"), index=True
    )
    weekday_fair_share: Mapped[float]
    special_fair_share: Mapped[float]


class Job(IdMixin, TenantMixin, TimestampMixin, Base):
    """A background solve or repair; at most one queued or running per rotation."""

    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name="status_known"),
        CheckConstraint("kind IN ('solve', 'repair')", name="kind_known"),
        Index(
            "uq_jobs_one_active_per_rotation",
            "rotation_id",
            unique=True,
            sqlite_where=text("status IN ('queued', 'running')"),
            postgresql_where=text("status IN ('queued', 'running')"),
        ),
        Index("ix_jobs_status", "status"),
    )

    rotation_id: Mapped[int] = mapped_column(ForeignKey("rotations.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.queued.value)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    progress: Mapped[float] = mapped_column(default=0.0)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class RotationChange(IdMixin, TenantMixin, Base):
    """One recorded change to a rotation: who, when, why, and which shifts moved."""

    __tablename__ = "rotation_changes"

    rotation_id: Mapped[int] = mapped_column(
        ForeignKey("rotations.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str | None] = mapped_column(Text)
    forced: Mapped[bool] = mapped_column(default=False)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class SwapOffer(IdMixin, TenantMixin, TimestampMixin, Base):
    """A shift its holder offers to a colleague of the same profession."""

    __tablename__ = "swap_offers"
    __table_args__ = (
        CheckConstraint(
            "status IN ('open', 'pending_approval', 'done', 'rejected', 'withdrawn')",
            name="status_known",
        ),
    )

    shift_id: Mapped[int] = mapped_column(ForeignKey("shifts.id", ondelete="CASCADE"), index=True)
    offered_by: Mapped[int] = mapped_column(ForeignKey("practitioners.id", ondelete="CASCADE"))
    taken_by: Mapped[int | None] = mapped_column(ForeignKey("practitioners.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(24), default=SwapStatus.open.value)
    note: Mapped[str | None] = mapped_column(String(500))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
