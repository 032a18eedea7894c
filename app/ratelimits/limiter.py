"""Rate limits shared by every process through the database, at no round trip per request.

Each process counts requests locally, per limit family, caller key (a digest of the token
or IP address) and fixed window (``RATE_LIMIT_WINDOW_SECONDS``, aligned on the epoch so
every process agrees on it). A background thread (:class:`LimitSync`) adds the process's
new counts to the ``rate_counts`` table every ``RATE_LIMIT_SYNC_SECONDS`` and reads back
the totals of the keys this process has seen. A request is refused with 429 when the last
known total plus what this process counted since reaches the budget; ``Retry-After`` is
the time left in the window.

The approximation: what other processes counted during the last sync interval is not yet
seen, so N processes under one caller let through at most the budget plus what they serve
in one interval; and, with fixed windows, a caller may spend a budget at the end of one
window and another at the start of the next. A database error only delays the counts (they
are kept for the next sync), never fails a request.
"""

import hashlib
import logging
import math
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from enum import StrEnum

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings
from app.db import declare_write_intent
from app.ratelimits.models import RateCount

logger = logging.getLogger(__name__)

READ_CHUNK = 500
"""Keys read back per query (well under every backend's bound-parameter limit)."""


class Family(StrEnum):
    """The kinds of requests limited, each with its own budget per caller and window."""

    search = "search"
    booking = "booking"
    messages = "messages"
    feeds = "feeds"


Counts = dict[tuple[str, str, int], int]
"""(family, key digest, window start) → requests."""


def caller_key(family: str, caller: str) -> str:
    """The stored key of a caller (a token or an IP address): a digest, never the caller."""
    return hashlib.sha256(f"{family}:{caller}".encode()).hexdigest()[:32]


class RateLimiter:
    """One process's view of the shared counts; :meth:`hit` decides from memory alone."""

    def __init__(
        self,
        budgets: Mapping[str, int],
        *,
        window_seconds: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.budgets = dict(budgets)
        self.window_seconds = window_seconds
        self._clock = clock
        self._pending: Counts = {}
        self._known: Counts = {}
        self._lock = threading.Lock()

    @classmethod
    def from_settings(
        cls, settings: Settings, *, clock: Callable[[], float] = time.time
    ) -> "RateLimiter":
        """The budgets configured for this deployment (0 turns a family's limit off)."""
        budgets: dict[str, int] = {
            Family.search: settings.rate_limit_search_per_token,
            Family.booking: settings.rate_limit_booking_per_token,
            Family.messages: settings.rate_limit_messages_per_token,
            Family.feeds: settings.rate_limit_feeds_per_ip,
        }
        return cls(budgets, window_seconds=settings.rate_limit_window_seconds, clock=clock)

    def _window_of(self, now: float) -> int:
        return int(now // self.window_seconds) * self.window_seconds

    def hit(self, family: str, caller: str) -> int | None:
        """Count one request of ``caller``; ``None`` if allowed, else the seconds to wait."""
        budget = self.budgets.get(family, 0)
        if budget <= 0:
            return None
        now = self._clock()
        window = self._window_of(now)
        entry = (family, caller_key(family, caller), window)
        with self._lock:
            pending = self._pending.get(entry, 0)
            if self._known.get(entry, 0) + pending >= budget:
                return max(1, math.ceil(window + self.window_seconds - now))
            self._pending[entry] = pending + 1
        return None

    def sync(self, factory: sessionmaker[Session]) -> None:
        """Add this process's new counts to the table and read back the current window's
        totals of the keys it has seen (an idle process touches no database)."""
        window = self._window_of(self._clock())
        with self._lock:
            pending, self._pending = self._pending, {}
            watched = {entry for entry in (*self._known, *pending) if entry[2] == window}
        if not pending and not watched:
            return
        try:
            with factory() as session, session.begin():
                if pending:
                    declare_write_intent(session)
                    _add_counts(session, pending)
                    stale = window - self.window_seconds
                    session.execute(delete(RateCount).where(RateCount.window_start < stale))
                totals = _read_totals(session, window, watched)
        except SQLAlchemyError:
            with self._lock:  # kept for the next sync
                for entry, count in pending.items():
                    self._pending[entry] = self._pending.get(entry, 0) + count
            raise
        with self._lock:
            self._known = totals


def _add_counts(session: Session, counts: Counts) -> None:
    """``count += n`` for each row, inserted when new (in key order: no deadlock between
    two processes adding the same keys)."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(RateCount)
    statement = statement.on_conflict_do_update(
        index_elements=[RateCount.family, RateCount.key, RateCount.window_start],
        set_={"count": RateCount.count + statement.excluded.count},
    )
    rows = [
        {"family": family, "key": key, "window_start": window, "count": count}
        for (family, key, window), count in sorted(counts.items())
    ]
    session.execute(statement, rows)


def _read_totals(session: Session, window: int, entries: Iterable[tuple[str, str, int]]) -> Counts:
    keys = sorted({key for _, key, _ in entries})
    totals: Counts = {}
    for start in range(0, len(keys), READ_CHUNK):
        rows = session.execute(
            select(RateCount.family, RateCount.key, RateCount.count).where(
                RateCount.window_start == window,
                RateCount.key.in_(keys[start : start + READ_CHUNK]),
            )
        )
        for family, key, count in rows:
            totals[family, key, window] = count
    return totals


class LimitSync:
    """The thread that runs :meth:`RateLimiter.sync` every ``interval`` seconds."""

    def __init__(
        self, limiter: RateLimiter, factory: sessionmaker[Session], *, interval: float
    ) -> None:
        self._limiter = limiter
        self._factory = factory
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rate-limit-sync", daemon=True)

    def start(self) -> None:
        """Start syncing in the background."""
        self._thread.start()

    def stop(self) -> None:
        """Sync once more (this process's last counts), then stop."""
        self._stop.set()
        self._thread.join(timeout=self._interval + 5)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self._sync_once()
        self._sync_once()

    def _sync_once(self) -> None:
        try:
            self._limiter.sync(self._factory)
        except SQLAlchemyError as exc:
            logger.warning("rate limits: counts not shared this time: %s", str(exc).split("\n")[0])
