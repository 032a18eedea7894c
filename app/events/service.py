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
from sqlalchemy import delete, event, insert, select, text
from sqlalchemy.orm import Session, SessionTransaction

from app.base import table_of, utcnow
from app.db import current_schema
from app.events.broadcast import BROADCASTER, Delivery
from app.events.models import StreamEvent

PENDING = "events_pending"
"""``session.info`` key: the events this transaction published, not yet pushed, each with
the (nested) transaction that wrote it."""
CHANNEL_PREFIX = "cpts_snp_events"
NOTIFY_PAYLOAD_LIMIT = 7000
"""PostgreSQL refuses a ``NOTIFY`` payload of 8000 bytes or more: ids go in chunks."""
RETENTION = timedelta(days=7)
"""Events older than this are purged (replays reach no further back)."""
INSERT = insert(table_of(StreamEvent)).returning(
    table_of(StreamEvent).c.id, sort_by_parameter_order=True
)


def publish(
    session: Session, *, cpts_id: int, user_ids: Iterable[int], kind: str, data: dict[str, Any]
) -> None:
    """Write one event per recipient user in the caller's transaction; delivered to their
    open streams after the commit (never before, never if it or the savepoint that wrote
    it rolls back). Written at once, in one statement, without the ORM's bookkeeping: a
    booking tells every pharmacist of its CPTS."""
    recipients = sorted(set(user_ids))
    if not recipients:
        return
    created_at = utcnow()
    rows = [
        {
            "cpts_id": cpts_id,
            "user_id": user_id,
            "kind": kind,
            "data": data,
            "created_at": created_at,
        }
        for user_id in recipients
    ]
    ids = session.scalars(INSERT, rows).all()
    written_in = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(PENDING, []).extend(
        (written_in, Delivery(id=event_id, user_id=user_id, kind=kind, data=data))
        for event_id, user_id in zip(ids, recipients, strict=True)
    )


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
    return [delivery for _, delivery in session.info.get(PENDING, [])]


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
    # Also at a savepoint's release (SQLAlchemy calls this hook then too): PostgreSQL keeps
    # the notice until the transaction commits, and drops it if that savepoint is undone.
    if PENDING not in session.info or session.get_bind().dialect.name != "postgresql":
        return
    deliveries = _kept(session)
    session.info.pop(PENDING)
    if not deliveries:
        return
    channel = channel_name(current_schema(session))
    for payload in _chunks([delivery.id for delivery in deliveries]):
        session.execute(
            text("SELECT pg_notify(:channel, :payload)"), {"channel": channel, "payload": payload}
        )


def _after_commit(session: Session) -> None:
    if PENDING not in session.info or session.in_nested_transaction():
        return  # nothing published, or a savepoint's release: the transaction goes on
    BROADCASTER.deliver(_kept(session))
    session.info.pop(PENDING)


def _within(transaction: SessionTransaction | None, ended: SessionTransaction) -> bool:
    """Whether ``transaction`` is ``ended`` or nested inside it."""
    while transaction is not None:
        if transaction is ended:
            return True
        transaction = transaction.parent
    return False


def _forget(session: Session, previous: SessionTransaction) -> None:
    if previous.parent is None:  # the whole transaction, not a savepoint, was rolled back
        session.info.pop(PENDING, None)
    elif PENDING in session.info:
        pending = session.info[PENDING]
        session.info[PENDING] = [(t, d) for t, d in pending if not _within(t, previous)]


event.listen(Session, "before_commit", _announce)
event.listen(Session, "after_commit", _after_commit)
event.listen(Session, "after_soft_rollback", _forget)
