"""The delivery worker: claims due outbox rows, sends them, records the outcome.

Like the solve :class:`~app.rotations.jobs.JobRunner`, a row is claimed with an atomic
``UPDATE … WHERE status = 'pending'``, so several workers (API processes, ``cpts-snp
notifier``) never send the same row. The claim is committed before the network call and the
outcome after it; a row left ``sending`` by a worker that died goes back to ``pending`` once
its claim is older than ``LEASE``, so a restart never loses a notification. (A worker killed
between the send and the record may send that one row twice: webhooks carry
``X-SNP-Delivery`` for the receiver to drop the repeat.)

A failed attempt shows users only "delivery failed": what a server answered, or that nothing
listens at an address, stays in the logs, so notifications never serve to probe a network.
"""

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from app.base import utcnow
from app.care_requests.service import any_past_deadline, expire_open_requests
from app.config import Settings
from app.db import declare_write_intent
from app.messaging import service as messaging
from app.notifications import service
from app.notifications.delivery import (
    DeliveryError,
    Outgoing,
    PermanentDeliveryError,
    backoff,
    deliver,
)
from app.notifications.models import DeliveryStatus, Notification, NotificationChannel
from app.observability.metrics import DELIVERIES
from app.retention import purge_expired

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
REMINDER_EVERY = timedelta(minutes=5)
UNREAD_EVERY = timedelta(minutes=1)
EXPIRE_EVERY = timedelta(minutes=1)
PURGE_EVERY = timedelta(hours=1)
BATCH = 50

PENDING, SENDING = DeliveryStatus.pending.value, DeliveryStatus.sending.value
DELIVERY_FAILED = "delivery failed"


def write_reminders(sessions: sessionmaker[Session], *, now: datetime) -> int:
    """Write the reminders due at ``now`` (once per shift); returns how many rows."""
    with sessions() as session, session.begin():
        declare_write_intent(session)
        return service.enqueue_reminders(session, now=now)


def write_unread_notices(
    sessions: sessionmaker[Session], settings: Settings, *, now: datetime
) -> int:
    """Notify referral messages unread past the configured delay; returns how many rows."""
    delay = timedelta(minutes=settings.message_unread_delay_minutes)
    with sessions() as session, session.begin():
        declare_write_intent(session)
        return messaging.enqueue_unread_notices(session, now=now, delay=delay)


def expire_requests(sessions: sessionmaker[Session], *, now: datetime) -> int:
    """Expire the open requests past their deadline and write their requesters' notices
    (a write transaction only when one is due); returns how many expired."""
    with sessions() as session, session.begin():
        if not any_past_deadline(session, now):  # no write lock taken for nothing
            return 0
    with sessions() as session, session.begin():
        declare_write_intent(session)
        return expire_open_requests(session, now)


def purge(sessions: sessionmaker[Session], *, now: datetime) -> int:
    """Blank patient identities past their retention and drop old live events, as the
    workers' nightly task does; returns how many referrals and requests were purged."""
    with sessions() as session, session.begin():
        declare_write_intent(session)
        referrals, requests, _events = purge_expired(session, now=now)
        return referrals + requests


class NotificationWorker:
    """Delivers due notifications and writes tomorrow's reminders, in a background thread
    (:meth:`start`) or step by step (:meth:`run_pending`, for tests and the CLI)."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        settings: Settings,
        *,
        clock: Callable[[], datetime] = utcnow,
        poll_seconds: float = 1.0,
    ) -> None:
        self._sessions = session_factory
        self._settings = settings
        self._clock = clock
        self._poll = poll_seconds
        self._next_reminders: datetime | None = None
        self._next_unread: datetime | None = None
        self._next_expiry: datetime | None = None
        self._next_purge: datetime | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Run in a background thread until :meth:`stop`."""
        self._thread = threading.Thread(target=self.run_forever, name="notifier", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop after the current notification."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self._settings.smtp_timeout_seconds + 5)

    def run_forever(self) -> None:
        """The loop: reminders now and then, stale claims released, due rows delivered."""
        while not self._stop.is_set():
            try:
                self.write_reminders()
                self.write_unread_notices()
                self.expire_requests()
                self.purge()
                self.release_stale()
                self.run_pending()
            except Exception:
                logger.exception("notification worker iteration failed")
            self._stop.wait(self._poll)

    def write_reminders(self) -> int:
        """Write tomorrow's reminders, at most every ``REMINDER_EVERY``; returns how many."""
        now = self._clock()
        if self._next_reminders is not None and now < self._next_reminders:
            return 0
        written = write_reminders(self._sessions, now=now)
        self._next_reminders = now + REMINDER_EVERY
        return written

    def write_unread_notices(self) -> int:
        """Notify referral messages unread past the configured delay, at most every
        ``UNREAD_EVERY``; returns how many rows were written."""
        now = self._clock()
        if self._next_unread is not None and now < self._next_unread:
            return 0
        written = write_unread_notices(self._sessions, self._settings, now=now)
        self._next_unread = now + UNREAD_EVERY
        return written

    def expire_requests(self) -> int:
        """:func:`expire_requests`, at most every ``EXPIRE_EVERY``; returns how many
        expired."""
        now = self._clock()
        if self._next_expiry is not None and now < self._next_expiry:
            return 0
        self._next_expiry = now + EXPIRE_EVERY
        return expire_requests(self._sessions, now=now)

    def purge(self) -> int:
        """:func:`purge`, at most every ``PURGE_EVERY`` (in-process, so a lone SQLite
        service needs no outside cron); returns how many identities were blanked."""
        now = self._clock()
        if self._next_purge is not None and now < self._next_purge:
            return 0
        self._next_purge = now + PURGE_EVERY
        return purge(self._sessions, now=now)

    def run_pending(self, limit: int | None = None) -> int:
        """Deliver due rows (at most ``limit``), one attempt each; returns how many tried."""
        tried = 0
        while limit is None or tried < limit:
            notification_id = self._claim()
            if notification_id is None:
                break
            self._attempt(notification_id)
            tried += 1
        return tried

    def release_stale(self) -> int:
        """Put rows claimed longer than ``LEASE`` ago back in the queue; returns how many."""
        now = self._clock()
        with self._sessions() as session, session.begin():
            declare_write_intent(session)
            outcome = session.execute(
                update(Notification)
                .where(Notification.status == SENDING, Notification.claimed_at < now - LEASE)
                .values(status=PENDING, next_attempt_at=now, last_error="interrupted while sending")
            )
            return int(outcome.rowcount or 0)  # type: ignore[attr-defined]

    def _claim(self) -> int | None:
        now = self._clock()
        with self._sessions() as session, session.begin():
            declare_write_intent(session)
            due = session.scalars(
                select(Notification.id)
                .where(Notification.status == PENDING, Notification.next_attempt_at <= now)
                .order_by(Notification.next_attempt_at, Notification.id)
                .limit(BATCH)
            ).all()
            for notification_id in due:
                claimed = session.execute(
                    update(Notification)
                    .where(Notification.id == notification_id, Notification.status == PENDING)
                    .values(status=SENDING, claimed_at=now, attempts=Notification.attempts + 1)
                )
                if claimed.rowcount == 1:  # type: ignore[attr-defined]
                    return notification_id
        return None

    def _outgoing(self, notification_id: int) -> Outgoing:
        with self._sessions() as session:
            row = session.get_one(Notification, notification_id)
            return Outgoing.of(row, session.get_one(NotificationChannel, row.channel_id))

    def _attempt(self, notification_id: int) -> None:
        error: DeliveryError | None = None
        channel = "unknown"
        try:
            outgoing = self._outgoing(notification_id)
            channel = outgoing.kind.value
            deliver(outgoing, settings=self._settings, now=self._clock())
        except DeliveryError as exc:
            error = exc
        except Exception as exc:
            logger.exception("notification %s: unexpected delivery error", notification_id)
            error = DeliveryError(f"{type(exc).__name__}: {exc}")
        DELIVERIES.labels(channel, "sent" if error is None else "failed").inc()
        self._record(notification_id, error)

    def _record(self, notification_id: int, error: DeliveryError | None) -> None:
        now = self._clock()
        with self._sessions() as session, session.begin():
            declare_write_intent(session)
            row = session.get_one(Notification, notification_id)
            if row.status != SENDING:
                return
            row.claimed_at = None
            if error is None:
                row.status, row.sent_at, row.last_error = DeliveryStatus.sent.value, now, None
                return
            row.last_error = DELIVERY_FAILED
            final = isinstance(error, PermanentDeliveryError)
            if final or row.attempts >= self._settings.notify_max_attempts:
                row.status = DeliveryStatus.failed.value
                logger.warning("notification %s failed for good: %s", row.id, error)
                return
            logger.info("notification %s attempt %s failed: %s", row.id, row.attempts, error)
            row.status = PENDING
            row.next_attempt_at = now + backoff(
                row.attempts, base_seconds=self._settings.notify_retry_seconds
            )
