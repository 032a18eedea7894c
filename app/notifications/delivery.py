"""Sending one notification: e-mail over SMTP, or a signed JSON POST to a webhook.

A webhook call carries ``X-SNP-Timestamp`` (Unix seconds) and ``X-SNP-Signature``, the
HMAC-SHA256 hex digest of ``f"{timestamp}.{body}"`` keyed with the channel's secret; the
receiver recomputes it over the raw body, compares in constant time and rejects old
timestamps. ``X-SNP-Delivery`` names the delivery: the same value on a retry. The webhook's
address is checked again, after resolution, right before the call (see ``webhook_targets``).

Errors carry details for the logs; what users see of a failed attempt is generic (see the
worker), so a delivery never tells them what answers at an address.
"""

import hashlib
import hmac
import json
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

import httpx

from app.config import Settings
from app.notifications import webhook_targets
from app.notifications.models import ChannelKind, Notification, NotificationChannel

USER_AGENT = "cpts-snp-notifier/1"


class DeliveryError(Exception):
    """This attempt failed; a later one may succeed."""


class PermanentDeliveryError(DeliveryError):
    """No retry can succeed (e.g. e-mail not configured, address refused)."""


@dataclass(frozen=True)
class Outgoing:
    """Everything needed to send one outbox row, read before the network call."""

    notification_id: int
    cpts_id: int
    kind: ChannelKind
    target: str
    secret: str | None
    enabled: bool
    event: str
    key: str
    subject: str
    body: str
    data: dict[str, Any]
    created_at: datetime

    @classmethod
    def of(cls, row: Notification, channel: NotificationChannel) -> "Outgoing":
        """The row and the channel it goes through (its current address and secret)."""
        return cls(
            notification_id=row.id,
            cpts_id=row.cpts_id,
            kind=ChannelKind(channel.kind),
            target=channel.target,
            secret=channel.secret,
            enabled=channel.enabled,
            event=row.event,
            key=row.idempotency_key,
            subject=row.subject,
            body=row.body,
            data=row.data,
            created_at=row.created_at,
        )


def backoff(attempts: int, *, base_seconds: float) -> timedelta:
    """Wait before the next try after ``attempts`` failures: base, 2 x base, 4 x base..."""
    return timedelta(seconds=base_seconds * 2 ** max(attempts - 1, 0))


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 hex of ``timestamp + "." + body`` with the channel's secret."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def webhook_body(outgoing: Outgoing) -> bytes:
    """The JSON document POSTed (no patient identity: see ``messages.py``)."""
    document = {
        "id": outgoing.notification_id,
        "event": outgoing.event,
        "idempotency_key": outgoing.key,
        "cpts_id": outgoing.cpts_id,
        "created_at": outgoing.created_at.isoformat(),
        "subject": outgoing.subject,
        "data": outgoing.data,
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def send_webhook(
    outgoing: Outgoing,
    *,
    now: datetime,
    timeout: float,
    allowed_networks: Sequence[webhook_targets.Network],
) -> None:
    """POST the signed document to the checked address; anything but a 2xx answer is a
    failed attempt, and an address that may not be called a final failure."""
    assert outgoing.secret is not None, "a webhook channel always has a secret"
    try:
        target = webhook_targets.check(outgoing.target, allowed=allowed_networks)
    except webhook_targets.UnresolvedTarget as exc:
        raise DeliveryError(f"webhook not called: {exc}") from exc
    except webhook_targets.RefusedTarget as exc:
        raise PermanentDeliveryError(f"webhook refused: {exc}") from exc
    body = webhook_body(outgoing)
    timestamp = str(int(now.timestamp()))
    headers = {
        "Host": target.host_header,
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "X-SNP-Event": outgoing.event,
        "X-SNP-Delivery": str(outgoing.notification_id),
        "X-SNP-Timestamp": timestamp,
        "X-SNP-Signature": sign(outgoing.secret, timestamp, body),
    }
    extensions = {"sni_hostname": target.sni_hostname} if target.sni_hostname else {}
    try:
        with (
            httpx.Client(timeout=timeout, trust_env=False, follow_redirects=False) as client,
            # Only the status matters: the answer's body is never read, so a receiver
            # cannot hold the worker by sending one slowly, past the timeout per read.
            client.stream(
                "POST", target.url, content=body, headers=headers, extensions=extensions
            ) as response,
        ):
            status = response.status_code
    except httpx.HTTPError as exc:
        raise DeliveryError(f"webhook unreachable: {type(exc).__name__}: {exc}") from exc
    if not 200 <= status < 300:
        raise DeliveryError(f"webhook answered HTTP {status}")


def email_message(outgoing: Outgoing, *, sender: str, now: datetime) -> EmailMessage:
    """The plain-text French e-mail."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = outgoing.target
    message["Subject"] = outgoing.subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(idstring=f"snp-{outgoing.notification_id}")
    message["Auto-Submitted"] = "auto-generated"
    message["X-SNP-Event"] = outgoing.event
    message.set_content(outgoing.body)
    return message


def _smtp_connection(settings: Settings) -> smtplib.SMTP:
    if not settings.smtp_host:
        raise PermanentDeliveryError("e-mail is not configured on this server (SMTP_HOST)")
    host, port, timeout = settings.smtp_host, settings.smtp_port, settings.smtp_timeout_seconds
    context = ssl.create_default_context()
    if settings.smtp_security == "tls":
        return smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
    connection = smtplib.SMTP(host, port, timeout=timeout)
    if settings.smtp_security == "starttls":
        connection.starttls(context=context)
    return connection


def send_email(outgoing: Outgoing, *, settings: Settings, now: datetime) -> None:
    """Hand the e-mail to the configured SMTP server (5xx refusals are final)."""
    message = email_message(outgoing, sender=settings.smtp_from, now=now)
    try:
        with _smtp_connection(settings) as smtp:
            if settings.smtp_username and settings.smtp_password:
                smtp.login(settings.smtp_username, settings.smtp_password.get_secret_value())
            smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        raise PermanentDeliveryError(f"recipient refused: {exc.recipients}") from exc
    except smtplib.SMTPResponseException as exc:
        final = PermanentDeliveryError if exc.smtp_code >= 500 else DeliveryError
        raise final(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}") from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(f"SMTP failed: {type(exc).__name__}: {exc}") from exc


def deliver(outgoing: Outgoing, *, settings: Settings, now: datetime) -> None:
    """Send through the row's channel; raises :class:`DeliveryError` on failure."""
    if not outgoing.enabled:
        raise PermanentDeliveryError("the channel was turned off before delivery")
    if outgoing.kind == ChannelKind.email:
        send_email(outgoing, settings=settings, now=now)
    else:
        send_webhook(
            outgoing,
            now=now,
            timeout=settings.webhook_timeout_seconds,
            allowed_networks=settings.webhook_allowed_networks,
        )
