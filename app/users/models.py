"""Users of the service and the API tokens they authenticate with."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.base import Base, IdMixin, TenantMixin, TimestampMixin, UTCDateTime


class Role(StrEnum):
    """What a user may do; each user belongs to exactly one CPTS."""

    coordinator = "coordinator"
    practitioner = "practitioner"
    pharmacist = "pharmacist"


class User(IdMixin, TenantMixin, TimestampMixin, Base):
    """A person using the API: a coordinator, a practitioner or a pharmacist."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(
            "(role = 'coordinator' AND practitioner_id IS NULL AND pharmacy_id IS NULL)"
            " OR (role = 'practitioner' AND practitioner_id IS NOT NULL AND pharmacy_id IS NULL)"
            " OR (role = 'pharmacist' AND pharmacy_id IS NOT NULL AND practitioner_id IS NULL)",
            name="role_binding",
        ),
    )

    role: Mapped[str] = mapped_column(String(32))
    display_name: Mapped[str] = mapped_column(String(200))
    practitioner_id: Mapped[int | None] = mapped_column(
        ForeignKey("practitioners.id", ondelete="CASCADE"), index=True
    )
    pharmacy_id: Mapped[int | None] = mapped_column(
        ForeignKey("pharmacies.id", ondelete="CASCADE"), index=True
    )
    active: Mapped[bool] = mapped_column(default=True)


class ApiToken(IdMixin, TenantMixin, Base):
    """A bearer token; only its SHA-256 hash is stored."""

    __tablename__ = "api_tokens"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(lazy="joined", innerjoin=True)
