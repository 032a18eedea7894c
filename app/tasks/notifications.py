"""Notification delivery, reminders, unread-message notices and the expiry of open
requests as periodic tasks.

Each tick is one task whatever the number of workers (procrastinate defers a periodic task
once per tick). Reminders are written every five minutes: each CPTS gets them from its own
local reminder hour on (``app.notifications.service.enqueue_reminders``), once per shift.
"""

from datetime import UTC, datetime

from procrastinate import JobContext

from app.notifications.worker import (
    NotificationWorker,
    expire_requests,
    write_reminders,
    write_unread_notices,
)
from app.tasks.app import queue
from app.tasks.runtime import runtime_of

DELIVERY_CRON = "* * * * * */10"
REMINDERS_CRON = "*/5 * * * *"
UNREAD_CRON = "* * * * *"
EXPIRY_CRON = "* * * * *"


def at(timestamp: int) -> datetime:
    """The UTC time of a periodic task's tick."""
    return datetime.fromtimestamp(timestamp, UTC)


@queue.periodic(cron=DELIVERY_CRON)
@queue.task(name="deliver_notifications", pass_context=True)
def deliver_notifications(context: JobContext, timestamp: int) -> int:
    """Release claims of dead senders, then send every due notification; how many tried."""
    runtime = runtime_of(context)
    sender = NotificationWorker(runtime.sessions, runtime.settings)
    sender.release_stale()
    return sender.run_pending()


@queue.periodic(cron=REMINDERS_CRON)
@queue.task(name="write_reminders", pass_context=True)
def reminders(context: JobContext, timestamp: int) -> int:
    """Write the shift reminders due at the tick; returns how many."""
    return write_reminders(runtime_of(context).sessions, now=at(timestamp))


@queue.periodic(cron=UNREAD_CRON)
@queue.task(name="write_unread_notices", pass_context=True)
def unread_notices(context: JobContext, timestamp: int) -> int:
    """Notify referral messages left unread too long at the tick; returns how many."""
    runtime = runtime_of(context)
    return write_unread_notices(runtime.sessions, runtime.settings, now=at(timestamp))


@queue.periodic(cron=EXPIRY_CRON)
@queue.task(name="expire_open_requests", pass_context=True)
def expire_open_requests(context: JobContext, timestamp: int) -> int:
    """Expire the open requests past their deadline at the tick and tell each requester
    once; returns how many."""
    return expire_requests(runtime_of(context).sessions, now=at(timestamp))
