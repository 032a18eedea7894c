"""The audit log of health-data access: every read and write of a referral (RGPD)."""

from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import JSON, ForeignKey, String, insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.auth import Principal
from app.base import Base, IdMixin, TenantMixin, UTCDateTime, table_of, utcnow


class AuditEntry(IdMixin, TenantMixin, Base):
    """Who read or wrote which referral, and when (health data: RGPD)."""

    __tablename__ = "audit_log"

    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(32))
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[int | None]
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


INSERT = insert(table_of(AuditEntry))


def record(
    session: Session,
    *,
    actor: Principal | None,
    cpts_id: int,
    action: str,
    subject_type: str,
    subject_id: int | None,
    details: dict[str, Any] | None = None,
) -> None:
    """Write one audit entry in the caller's transaction (never committed on its own), at
    once and without the ORM's bookkeeping: every read of a referral writes one."""
    entry = {
        "cpts_id": cpts_id,
        "at": utcnow(),
        "actor_user_id": actor.user_id if actor else None,
        "action": action,
        "subject_type": subject_type,
        "subject_id": subject_id,
        "details": details or {},
    }
    session.execute(INSERT, entry)


class Subject(Protocol):
    """A health-data row: a referral, a care request."""

    @property
    def id(self) -> int: ...

    @property
    def cpts_id(self) -> int: ...


def record_access(
    session: Session, *, actor: Principal | None, action: str, subject_type: str, subject: Subject
) -> None:
    """Audit one access (``action``: create, read, cancel...) to one row of ``subject_type``."""
    record(
        session,
        actor=actor,
        cpts_id=subject.cpts_id,
        action=action,
        subject_type=subject_type,
        subject_id=subject.id,
    )


def record_list(session: Session, *, actor: Principal, subject_type: str, ids: list[int]) -> None:
    """Audit one page of a list of health-data rows as one read of those rows."""
    record(
        session,
        actor=actor,
        cpts_id=actor.cpts_id,
        action="list",
        subject_type=subject_type,
        subject_id=None,
        details={f"{subject_type}_ids": ids},
    )
