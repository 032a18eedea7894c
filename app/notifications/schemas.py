"""Notification channels as a user sets them, and notifications with their delivery status."""

from datetime import datetime
from typing import Annotated

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field

from app.notifications.models import ChannelKind, DeliveryStatus, Event
from app.types import Text

EmailAddress = Annotated[
    Text,
    Field(
        max_length=320,
        pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
        description="where e-mails go (an MSSanté address is best: it is a secure channel)",
    ),
]
WebhookSecret = Annotated[
    Text,
    Field(
        min_length=16,
        max_length=200,
        description="shared secret signing each call (X-SNP-Signature); never shown again",
    ),
]


class EmailChannelUpdate(BaseModel):
    """E-mail over SMTP."""

    model_config = ConfigDict(extra="forbid")

    address: EmailAddress
    enabled: bool = True


class WebhookChannelUpdate(BaseModel):
    """A JSON POST to the CPTS's own tool, signed with HMAC-SHA256."""

    model_config = ConfigDict(extra="forbid")

    url: AnyHttpUrl = Field(
        description="http(s) URL whose host resolves to public addresses only "
        "(not loopback, private, link-local…, unless the server allows a network)"
    )
    secret: WebhookSecret | None = Field(
        default=None, description="required the first time; omitted, the current one is kept"
    )
    enabled: bool = True


class ChannelsUpdate(BaseModel):
    """The caller's channels; a channel left out (or null) is turned off."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "email": {"address": "dr.martin@medecin.mssante.fr"},
                    "webhook": {
                        "url": "https://messagerie.cpts.example/hooks/snp",
                        "secret": "a-long-random-shared-secret",
                    },
                }
            ]
        },
    )

    email: EmailChannelUpdate | None = None
    webhook: WebhookChannelUpdate | None = None


class ChannelPublic(BaseModel):
    """One channel as its owner sees it (a webhook's secret is never returned)."""

    kind: ChannelKind
    target: str
    enabled: bool


class ChannelsPublic(BaseModel):
    """The caller's channels."""

    email: ChannelPublic | None
    webhook: ChannelPublic | None


class NotificationPublic(BaseModel):
    """A notification and how its delivery went."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 12,
                    "user_id": 7,
                    "event": "referral_booked",
                    "channel": "email",
                    "subject": "Nouveau patient orienté : mardi 12 janvier 2027 à 16:00",
                    "status": "sent",
                    "attempts": 1,
                    "next_attempt_at": "2027-01-12T14:10:00Z",
                    "sent_at": "2027-01-12T14:10:01Z",
                    "last_error": None,
                    "created_at": "2027-01-12T14:10:00Z",
                }
            ]
        },
    )

    id: int
    user_id: int
    event: Event
    channel: ChannelKind
    subject: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime
    sent_at: datetime | None
    last_error: str | None = Field(
        description='"delivery failed" after a failed attempt (details stay in the server logs)'
    )
    created_at: datetime
