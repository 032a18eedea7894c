"""Publishing events: rows written in the caller's transaction, pushed after its commit.

- SQLite (one process): the commit hands the rows to this process's broadcaster.
- PostgreSQL (many processes): the transaction sends a ``NOTIFY`` carrying the new ids;
  PostgreSQL delivers it only if the transaction commits, to the listener of every API
  process (see ``app.revocation.NotifyListener``), which reads the rows and hands them to
  its own broadcaster.

Nothing is pushed for a transaction (or a savepoint) that rolls back.
"""

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

import psycopg
from sqlalchemy import delete, event, inspect, select, text
from sqlalchemy.orm import Session

from app.events.broadcast import BROADCASTER, Delivery
from app.events.models import StreamEvent

PENDING = "events_pending"
"""``session.info`` key: the events this transaction published, not yet pushed."""
CHANNEL_PREFIX = "cpts_snp_events"
NOTIFY_PAYLOAD_LIMIT = 7000
"""PostgreSQL refuses a ``NOTIFY`` payload of 8000 bytes or more: ids go in chunks."""
RETENTION = timedelta(days=7)
"""Events older than this are purged (replays reach no further back)."""


def publish(
    session: Session, *, cpts_id: int, user_ids: Iterable[int], kind: str, data: dict[str, Any]
) -> None:
    """Queue one event per recipient user in the caller's transaction; delivered to their
    open streams after the commit (never before, never if it rolls back)."""
    rows = [
        StreamEvent(cpts_id=cpts_id, user_id=user_id, kind=kind, data=data)
        for user_id in sorted(set(user_ids))
    ]
    if not rows:
        return
    session.add_all(rows)
    session.flush()
    session.info.setdefault(PENDING, []).extend((row, _delivery(row)) for row in rows)


def events_after(session: Session, user_id: int, after_id: int) -> list[Delivery]:
    """The user's events with an id greater than ``after_id``, oldest first (a replay)."""
    rows = session.scalars(
        select(StreamEvent)
        .where(StreamEvent.user_id == user_id, StreamEvent.id > after_id)
        .order_by(StreamEvent.id)
    )
    return [_delivery(row) for row in rows]


def purge_events(session: Session, *, now: datetime) -> int:
    """Delete the events older than the retention period; returns how many."""
    result = session.execute(delete(StreamEvent).where(StreamEvent.created_at < now - RETENTION))
    return int(getattr(result, "rowcount", 0) or 0)


def channel_name(schema: str) -> str:
    """The notification channel of one schema's events."""
    return f"{CHANNEL_PREFIX}_{schema}"[:50]


def relay_notice(conn: psycopg.Connection[Any], payload: str) -> None:
    """Listener side (PostgreSQL): read the events a notice names and push them."""
    ids = [int(part) for part in payload.split(",") if part]
    rows = conn.execute(
        "SELECT id, user_id, kind, data FROM events WHERE id = ANY(%s)", (ids,)
    ).fetchall()
    BROADCASTER.deliver(Delivery(id=r[0], user_id=r[1], kind=r[2], data=r[3]) for r in rows)


def _delivery(row: StreamEvent) -> Delivery:
    return Delivery(id=row.id, user_id=row.user_id, kind=row.kind, data=row.data)


def _kept(session: Session) -> list[Delivery]:
    """The events still part of the transaction (a rolled-back savepoint drops its own)."""
    return [delivery for row, delivery in session.info.get(PENDING, []) if inspect(row).persistent]


def _chunks(ids: Sequence[int]) -> Iterable[str]:
    """Comma-separated ids, in payloads under PostgreSQL's limit."""
    chunk = ""
    for event_id in ids:
        if len(chunk) + len(str(event_id)) >= NOTIFY_PAYLOAD_LIMIT:
            yield chunk
            chunk = ""
        chunk = f"{chunk},{event_id}" if chunk else str(event_id)
    if chunk:
        yield chunk


def _announce(session: Session) -> None:
    if PENDING not in session.info or session.get_bind().dialect.name != "postgresql":
        return
    deliveries = _kept(session)
    if not deliveries:
        return
    channel = channel_name(str(session.scalar(text("SELECT current_schema()"))))
    for payload in _chunks([delivery.id for delivery in deliveries]):
        session.execute(
            text("SELECT pg_notify(:channel, :payload)"), {"channel": channel, "payload": payload}
        )


def _after_commit(session: Session) -> None:
    if PENDING not in session.info:
        return
    deliveries = _kept(session)
    session.info.pop(PENDING, None)
    if session.get_bind().dialect.name != "postgresql":
        BROADCASTER.deliver(deliveries)


def _forget(session: Session, previous: Any) -> None:
    if previous.parent is None:  # the whole transaction, not a savepoint, was rolled back
        session.info.pop(PENDING, None)


event.listen(Session, "before_commit", _announce)
event.listen(Session, "after_commit", _after_commit)
event.listen(Session, "after_soft_rollback", _forget)
