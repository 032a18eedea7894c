"""Notification channels of each user, and the outbox of notifications to deliver."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.base import Base, IdMixin, TenantMixin, TimestampMixin, UTCDateTime, utcnow


class ChannelKind(StrEnum):
    """How a notification reaches its recipient."""

    email = "email"
    webhook = "webhook"


class Event(StrEnum):
    """What a notification tells."""

    referral_booked = "referral_booked"
    referral_cancelled = "referral_cancelled"
    rotation_published = "rotation_published"
    shift_changed = "shift_changed"
    shift_swapped = "shift_swapped"
    shift_repaired = "shift_repaired"
    shift_reminder = "shift_reminder"
    coverage_gap = "coverage_gap"
    invitation = "invitation"
    sign_in_link = "sign_in_link"
    message_unread = "message_unread"
    care_request_accepted = "care_request_accepted"
    care_request_expired = "care_request_expired"


class DeliveryStatus(StrEnum):
    """Waiting (maybe for a retry), being sent by a worker, delivered, or given up."""

    pending = "pending"
    sending = "sending"
    sent = "sent"
    failed = "failed"


class NotificationChannel(IdMixin, TenantMixin, TimestampMixin, Base):
    """One way of reaching a user: an e-mail address, or a webhook URL and its secret.

    A user has at most one channel of each kind; a channel turned off stays (disabled) so
    that the history of what was sent through it keeps its meaning.
    """

    __tablename__ = "notification_channels"
    __table_args__ = (
        CheckConstraint("kind IN ('email', 'webhook')", name="kind_known"),
        CheckConstraint("kind <> 'webhook' OR secret IS NOT NULL", name="webhook_secret"),
        Index("uq_notification_channels_user_kind", "user_id", "kind", unique=True),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str | None] = mapped_column(String(200))
    enabled: Mapped[bool] = mapped_column(default=True)


class Notification(IdMixin, TenantMixin, TimestampMixin, Base):
    """An outbox row: written in the event's own transaction, delivered by the worker.

    The rendered subject, body and webhook data are kept, so delivery needs no domain
    lookup. ``idempotency_key`` names the event instance; one row per key, recipient and
    channel, so an event notified twice is delivered once.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sending', 'sent', 'failed')", name="status_known"),
        Index(
            "uq_notifications_key_recipient_channel",
            "idempotency_key",
            "user_id",
            "channel_id",
            unique=True,
        ),
        Index("ix_notifications_due", "status", "next_attempt_at"),
        Index("ix_notifications_user_created", "user_id", "created_at"),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    channel_id: Mapped[int] = mapped_column(
        ForeignKey("notification_channels.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(16))
    event: Mapped[str] = mapped_column(String(32))
    idempotency_key: Mapped[str] = mapped_column(String(120))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.pending.value)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
