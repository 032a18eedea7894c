"""Open requests (*demandes*): when no slot fits, a pharmacy or a practitioner asks the
practitioners of a profession to take a patient; the first to accept gets them."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.base import Base, IdMixin, TenantMixin, TimestampMixin, UTCDateTime


class CareRequestStatus(StrEnum):
    """Open until accepted (once), cancelled by its requester, or expired at its deadline."""

    open = "open"
    accepted = "accepted"
    cancelled = "cancelled"
    expired = "expired"


class WishedDelay(StrEnum):
    """How soon the patient should be seen: today (until local midnight), within 24 or 48 h."""

    today = "today"
    within_24h = "24h"
    within_48h = "48h"


class CareRequest(IdMixin, TenantMixin, TimestampMixin, Base):
    """A request to the practitioners of a profession. Identity fields are blanked after the
    retention period (counted from the deadline); the anonymous record stays."""

    __tablename__ = "care_requests"
    __table_args__ = (
        CheckConstraint(
            "status IN ('open', 'accepted', 'cancelled', 'expired')", name="status_known"
        ),
        CheckConstraint("wished_delay IN ('today', '24h', '48h')", name="delay_known"),
        CheckConstraint(
            "(pharmacy_id IS NOT NULL AND requester_practitioner_id IS NULL)"
            " OR (pharmacy_id IS NULL AND requester_practitioner_id IS NOT NULL)",
            name="one_requester",
        ),
        CheckConstraint(
            "(status = 'accepted') = (accepted_by_practitioner_id IS NOT NULL)",
            name="accepted_has_acceptor",
        ),
        CheckConstraint("patient_birth_year BETWEEN 1900 AND 2100", name="birth_year_range"),
        CheckConstraint(
            "reason_category IN ('infection', 'acute_pain', 'minor_trauma', 'skin', "
            "'respiratory', 'digestive', 'wound_care', 'musculoskeletal', 'other')",
            name="reason_known",
        ),
        Index(
            "uq_care_requests_pharmacy_idempotency", "pharmacy_id", "idempotency_key", unique=True
        ),
        Index(
            "uq_care_requests_practitioner_idempotency",
            "requester_practitioner_id",
            "idempotency_key",
            unique=True,
        ),
        Index("ix_care_requests_cpts_profession_status", "cpts_id", "profession", "status"),
        Index("ix_care_requests_status_deadline", "status", "deadline"),
    )

    pharmacy_id: Mapped[int | None] = mapped_column(
        ForeignKey("pharmacies.id", ondelete="RESTRICT")
    )
    requester_practitioner_id: Mapped[int | None] = mapped_column(
        ForeignKey("practitioners.id", ondelete="RESTRICT"), index=True
    )
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    idempotency_key: Mapped[str] = mapped_column(String(128))
    request_fingerprint: Mapped[str] = mapped_column(String(64))
    profession: Mapped[str] = mapped_column(String(32))
    competence_id: Mapped[int | None] = mapped_column(
        ForeignKey("catalogue_items.id", ondelete="SET NULL")
    )
    act: Mapped[str] = mapped_column(String(200))
    equipment: Mapped[str | None] = mapped_column(String(200))
    equipment_id: Mapped[int | None] = mapped_column(
        ForeignKey("catalogue_items.id", ondelete="SET NULL")
    )
    home_visit: Mapped[bool]
    commune_insee: Mapped[str] = mapped_column(String(5))
    wished_delay: Mapped[str] = mapped_column(String(8))
    deadline: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16), default=CareRequestStatus.open.value)
    accepted_by_practitioner_id: Mapped[int | None] = mapped_column(
        ForeignKey("practitioners.id", ondelete="RESTRICT"), index=True
    )
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    patient_display_name: Mapped[str | None] = mapped_column(String(100))
    patient_phone: Mapped[str | None] = mapped_column(String(32))
    patient_birth_year: Mapped[int]
    reason_category: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(String(500))
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
