"""Rendered feeds kept per process, so a calendar app's poll costs no database round trip.

A year's feed takes milliseconds of queries and rendering, and every subscriber of a CPTS
polls it; the rendered body, its ETag and Last-Modified are kept per feed URL for
``FEED_CACHE_TTL_SECONDS``. An entry is dropped at once when this process commits a change
to anything its CPTS's feeds show, and is trusted only while the process's auth freshness stamp is
unchanged (see ``app.revocation``, which also watches feed tokens): a revoked feed link is
refused by every process as soon as its revocation is answered. A change committed through
another process shows in its feed within ``FEED_CACHE_TTL_SECONDS``, well inside the hour that the
feed's ``Cache-Control`` already lets calendar apps keep their copy.
"""

import asyncio
import hashlib
import itertools
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from app.base import table_of
from app.cpts.models import Cpts, Sector
from app.feeds.ical import FeedCalendar, render
from app.feeds.models import FeedToken
from app.pharmacies.models import Pharmacy
from app.practitioners.models import Practitioner
from app.referrals.models import Referral
from app.revocation import Freshness
from app.rotations.models import Rotation, Shift

FEED_CACHE_TTL_SECONDS = 60.0
FEED_CACHE_SIZE = 1_000
SHOWN = (Cpts, Sector, Rotation, Shift, Referral, Practitioner, Pharmacy, FeedToken)
"""What feeds show. Not slots: a feed shows shifts and referrals, and a booked slot keeps
its times; so a booking's bulk update of its slot drops only its own CPTS's feeds (through
its referral), not every CPTS's."""
SHOWN_TABLES = frozenset(table_of(model) for model in SHOWN)
CHANGED = "feed_content_changed"
"""``session.info`` key: the CPTS ids whose feeds this transaction changed (``ALL``: any)."""
ALL = 0

_changes = itertools.count(1)
_last_change: dict[int, int] = {}
"""The number of this process's latest committed change to each CPTS's feeds (``ALL``:
to every CPTS's, after a bulk update)."""
_latest = 0
_counting = threading.Lock()


def changes_seen() -> int:
    """How many changes this process has committed so far: read before rendering."""
    return _latest


def _changed_since(cpts_id: int, seen: int) -> bool:
    return max(_last_change.get(cpts_id, 0), _last_change.get(ALL, 0)) > seen


@dataclass(frozen=True)
class RenderedFeed:
    """A feed's body and validators, and the CPTS it belongs to."""

    cpts_id: int
    body: bytes
    etag: str
    last_modified: datetime


def rendered(cpts_id: int, calendar: FeedCalendar) -> RenderedFeed:
    """Render a calendar once, with its ETag and Last-Modified (second precision, UTC)."""
    body = render(calendar).encode()
    return RenderedFeed(
        cpts_id=cpts_id,
        body=body,
        etag=f'"{hashlib.sha256(body).hexdigest()[:32]}"',
        last_modified=calendar.last_modified.astimezone(UTC).replace(microsecond=0),
    )


@dataclass(frozen=True)
class _Entry:
    feed: RenderedFeed
    stamp: object
    seen: int
    taken_at: float


class FeedCache:
    """Rendered feeds by URL (see the module docstring)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._entries: dict[str, _Entry] = {}
        self._rendering: dict[str, asyncio.Lock] = {}
        self._lock = threading.Lock()

    def get(self, key: str, freshness: Freshness) -> RenderedFeed | None:
        """The feed rendered for ``key``, if nothing it shows may have changed since."""
        entry = self._entries.get(key)
        if entry is None or entry.stamp != freshness.stamp():
            return None
        if self._clock() - entry.taken_at >= FEED_CACHE_TTL_SECONDS:
            return None
        return None if _changed_since(entry.feed.cpts_id, entry.seen) else entry.feed

    def put(self, key: str, feed: RenderedFeed, *, stamp: object | None, seen: int) -> None:
        """Keep a feed rendered from data read after ``stamp`` and ``seen`` were."""
        if stamp is None:
            return
        with self._lock:
            if len(self._entries) >= FEED_CACHE_SIZE:
                self._entries.clear()
            self._entries[key] = _Entry(feed, stamp, seen, self._clock())

    @asynccontextmanager
    async def rendering(self, key: str) -> AsyncIterator[None]:
        """One render of a feed at a time: the requests that missed it meanwhile wait for
        it, then find it in the cache, instead of all reading the database at once."""
        lock = self._rendering.setdefault(key, asyncio.Lock())
        try:
            async with lock:
                yield
        finally:
            if not lock.locked() and self._rendering.get(key) is lock:
                del self._rendering[key]


def _cpts_of(obj: object) -> int:
    owner = obj.id if isinstance(obj, Cpts) else getattr(obj, "cpts_id", None)
    return int(owner) if owner else ALL  # not known before its first flush: any CPTS


def _watch_flush(session: Session, _context: UOWTransaction, _instances: Any) -> None:
    changed = (*session.new, *session.dirty, *session.deleted)
    touched = {_cpts_of(obj) for obj in changed if isinstance(obj, SHOWN)}
    if touched:
        session.info.setdefault(CHANGED, set()).update(touched)


def _watch_bulk(state: ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    if any(mapper.class_ in SHOWN for mapper in state.all_mappers):
        touched = {ALL}
    elif getattr(state.statement, "table", None) in SHOWN_TABLES:  # written without the ORM
        touched = _inserted_cpts(state.parameters) if state.is_insert else {ALL}
    else:
        return
    state.session.info.setdefault(CHANGED, set()).update(touched)


def _inserted_cpts(parameters: Any) -> set[int]:
    """The CPTS ids of the rows an INSERT's parameters name (``ALL`` for a row naming none)."""
    rows = parameters if isinstance(parameters, list) else [parameters or {}]
    return {int(row.get("cpts_id") or ALL) for row in rows}


def _after_commit(session: Session) -> None:
    global _latest
    if session.in_nested_transaction():
        return  # a savepoint's release: its changes count when the transaction commits
    touched = session.info.pop(CHANGED, set())
    if not touched:
        return
    with _counting:
        _latest = next(_changes)
        for cpts_id in touched:
            _last_change[cpts_id] = _latest


def _forget(session: Session, previous: Any) -> None:
    if previous.parent is None:
        session.info.pop(CHANGED, None)


event.listen(Session, "before_flush", _watch_flush)
event.listen(Session, "do_orm_execute", _watch_bulk)
event.listen(Session, "after_commit", _after_commit)
event.listen(Session, "after_soft_rollback", _forget)
