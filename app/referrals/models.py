"""Referrals (orientations): a pharmacy or a practitioner books a slot for a patient."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from app.base import Base, IdMixin, TenantMixin, TimestampMixin, UTCDateTime


class ReferralStatus(StrEnum):
    """Booked, then seen or no-show (recorded by the practitioner), or cancelled."""

    booked = "booked"
    cancelled = "cancelled"
    seen = "seen"
    no_show = "no_show"


class ReasonCategory(StrEnum):
    """Why the patient needs a same-day appointment, in broad categories."""

    infection = "infection"
    acute_pain = "acute_pain"
    minor_trauma = "minor_trauma"
    skin = "skin"
    respiratory = "respiratory"
    digestive = "digestive"
    wound_care = "wound_care"
    musculoskeletal = "musculoskeletal"
    other = "other"


class Referral(IdMixin, TenantMixin, TimestampMixin, Base):
    """A patient sent to a slot by a pharmacy or by a practitioner (exactly one of the two).
    Identity fields are blanked after the retention period."""

    __tablename__ = "referrals"
    __table_args__ = (
        CheckConstraint(
            "status IN ('booked', 'cancelled', 'seen', 'no_show')", name="status_known"
        ),
        CheckConstraint(
            "mode IN ('in_practice', 'home_visit', 'teleconsultation')", name="mode_known"
        ),
        Index(
            "uq_referrals_one_active_per_slot",
            "slot_id",
            unique=True,
            sqlite_where=text("status <> 'cancelled'"),
            postgresql_where=text("status <> 'cancelled'"),
        ),
        CheckConstraint(
            "reason_category IN ('infection', 'acute_pain', 'minor_trauma', 'skin', "
            "'respiratory', 'digestive', 'wound_care', 'musculoskeletal', 'other')",
            name="reason_known",
        ),
        CheckConstraint("patient_birth_year BETWEEN 1900 AND 2100", name="birth_year_range"),
        Index("uq_referrals_idempotency", "pharmacy_id", "idempotency_key", unique=True),
        Index(
            "uq_referrals_practitioner_idempotency",
            "referrer_practitioner_id",
            "idempotency_key",
            unique=True,
        ),
        CheckConstraint(
            "(pharmacy_id IS NOT NULL AND referrer_practitioner_id IS NULL)"
            " OR (pharmacy_id IS NULL AND referrer_practitioner_id IS NOT NULL)",
            name="one_referrer",
        ),
        Index("ix_referrals_cpts_slot_starts_at", "cpts_id", "slot_starts_at"),
        Index("ix_referrals_pharmacy_slot_starts_at", "pharmacy_id", "slot_starts_at"),
    )

    slot_id: Mapped[int] = mapped_column(ForeignKey("slots.id", ondelete="RESTRICT"))
    pharmacy_id: Mapped[int | None] = mapped_column(
        ForeignKey("pharmacies.id", ondelete="RESTRICT")
    )
    referrer_practitioner_id: Mapped[int | None] = mapped_column(
        ForeignKey("practitioners.id", ondelete="RESTRICT"), index=True
    )
    practitioner_id: Mapped[int] = mapped_column(
        ForeignKey("practitioners.id", ondelete="RESTRICT"), index=True
    )
    booked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    idempotency_key: Mapped[str] = mapped_column(String(128))
    request_fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=ReferralStatus.booked.value)
    mode: Mapped[str] = mapped_column(String(24))
    profession: Mapped[str] = mapped_column(String(32))
    slot_starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    patient_display_name: Mapped[str | None] = mapped_column(String(100))
    patient_phone: Mapped[str | None] = mapped_column(String(32))
    patient_birth_year: Mapped[int]
    reason_category: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(String(500))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    outcome_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    needs_attention: Mapped[str | None] = mapped_column(String(300))
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
