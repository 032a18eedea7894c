"""The events table: what each user's open streams receive, kept for replays."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.base import Base, IdMixin, TenantMixin, UTCDateTime, utcnow


class StreamEvent(IdMixin, TenantMixin, Base):
    """One event for one recipient; ids increase, so ``Last-Event-ID`` replays by id.

    ``data`` never carries patient identity nor message text: a page fetches those
    through the audited API.
    """

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_user_id_id", "user_id", "id"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
