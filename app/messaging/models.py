"""Messages of a referral's thread or of a CPTS's on-call channel of the day, and how far
each user has read each thread."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.base import Base, IdMixin, TenantMixin, UTCDateTime

REFERRAL_THREAD = "referral:"
CHANNEL_THREAD = "channel:"


class Message(IdMixin, TenantMixin, Base):
    """One short message. ``thread`` is ``referral:<id>`` or ``channel:<YYYY-MM-DD>``; a
    referral's messages carry its id and lose their text with its patient identity."""

    __tablename__ = "messages"
    __table_args__ = (
        CheckConstraint(
            "(referral_id IS NOT NULL AND thread LIKE 'referral:%') "
            "OR (referral_id IS NULL AND thread LIKE 'channel:%')",
            name="thread_kind",
        ),
        Index("ix_messages_cpts_thread", "cpts_id", "thread", "id"),
        Index("ix_messages_author_created", "author_user_id", "created_at"),
        Index("ix_messages_unreminded", "reminded_at", "created_at"),
    )

    thread: Mapped[str] = mapped_column(String(32))
    referral_id: Mapped[int | None] = mapped_column(
        ForeignKey("referrals.id", ondelete="CASCADE"), index=True
    )
    author_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    author_role: Mapped[str] = mapped_column(String(32))
    author_name: Mapped[str] = mapped_column(String(200))
    body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """When the unread-message check ran for it (referral threads; set once)."""


class ThreadRead(IdMixin, TenantMixin, Base):
    """The last message of a thread a user has read."""

    __tablename__ = "message_reads"
    __table_args__ = (Index("uq_message_reads_user_thread", "user_id", "thread", unique=True),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    thread: Mapped[str] = mapped_column(String(32))
    up_to: Mapped[int]
    read_at: Mapped[datetime] = mapped_column(UTCDateTime())
