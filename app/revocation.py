"""Immediate revocation across API processes, while valid tokens stay cached.

Each process caches the principal a token resolves to, so a known valid token costs no
database round trip. An entry is only trusted while the process's *freshness stamp* is
the one read before the entry was resolved from the database; any committed change to
users, API tokens or feed tokens (a revocation, a deactivation, a role change) changes
every process's stamp before the change's own answer is sent:

- SQLite (one host): the commit rewrites an *epoch file* beside the database, and every
  cached lookup reads that file (a few microseconds). A lookup after the answer reads the
  new epoch, misses the cache and resolves from the database, which already holds the
  change.
- PostgreSQL (many hosts): the change's transaction sends a ``NOTIFY``; every process runs
  a listener connection that bumps its stamp on each notification and acknowledges it.
  The changing request answers only once every listener connected to the database has
  acknowledged (at most ``ACK_WAIT_SECONDS``). A process whose listener is not connected
  has no stamp: it trusts no cache entry and resolves every token from the database.

The same listening connection also relays other channels' notices to their handlers (the
live events of ``app.events``), so that a process holds one listener, not one per concept.
"""

import logging
import os
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import event, text
from sqlalchemy.engine import URL
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, UOWTransaction

from app.db import current_schema
from app.feeds.models import FeedToken
from app.users.models import ApiToken, User

logger = logging.getLogger(__name__)

CHANGED = "auth_changed"
"""``session.info`` key: this transaction changed users or tokens."""
NOTICE = "auth_notice"
"""``session.info`` key: the channel and payload of the notice this commit sent (PostgreSQL)."""
WATCHED = (User, ApiToken, FeedToken)
ACK_WAIT_SECONDS = 2.0
RECONNECT_SECONDS = 1.0
LISTENER_NAME = "cpts-snp-auth"

Relay = tuple[Callable[[str], str], Callable[[psycopg.Connection[Any], str], None]]
"""A channel to relay: its name in a schema, and the handler of its notices' payloads."""


class Freshness:
    """No way to hear of changes: no cache entry is ever trusted."""

    def stamp(self) -> object | None:
        """The current stamp; ``None`` when no cache entry may be trusted now."""
        return None

    def after_commit(self, session: Session) -> None:
        """Called (in a worker thread) after a request's commit, before its answer."""

    def stop(self) -> None:
        """Release what :meth:`start`-like constructors acquired."""


class EpochFile(Freshness):
    """SQLite: a file beside the database, rewritten after every committed auth change."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def stamp(self) -> object | None:
        """The file's content (empty until the first change)."""
        try:
            return self.path.read_bytes()
        except FileNotFoundError:
            return b""


def epoch_path(database_file: str) -> Path:
    """Where the epoch file of a SQLite database lives."""
    return Path(database_file + "-auth-epoch")


def bump_epoch(path: Path) -> None:
    """Give the epoch file a fresh, never repeated content, atomically."""
    staging = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}")
    staging.write_bytes(secrets.token_bytes(16))
    staging.replace(path)


class NotifyListener(Freshness):
    """PostgreSQL: a thread listening for auth changes on its own connection."""

    def __init__(self, url: URL, relays: Sequence[Relay] = ()) -> None:
        self._relays = relays
        self._conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._generation = 0
        self._connected = False
        self._acks: dict[str, set[int]] = {}
        self._changed = threading.Condition()
        self._stop = threading.Event()
        self.channel = ""
        self._thread = threading.Thread(target=self._run, name="auth-listener", daemon=True)
        self._thread.start()

    def stamp(self) -> object | None:
        """The count of notifications (and reconnections) seen; ``None`` while disconnected."""
        with self._changed:
            return self._generation if self._connected else None

    def wait_connected(self, timeout: float) -> bool:
        """Block until the listener is connected (or the timeout passes)."""
        with self._changed:
            return self._changed.wait_for(lambda: self._connected, timeout)

    def after_commit(self, session: Session) -> None:
        """Answer only once every connected listener acknowledged this commit's notice."""
        notice = session.info.pop(NOTICE, None)
        if notice is None:
            return
        channel, payload = notice
        with session.get_bind().engine.connect() as conn:
            listeners = set(
                conn.scalars(
                    text(
                        "SELECT pid FROM pg_stat_activity"
                        " WHERE application_name = :name AND datname = current_database()"
                    ),
                    {"name": listener(channel)},
                )
            )
        deadline = time.monotonic() + ACK_WAIT_SECONDS
        with self._changed:
            acked = self._changed.wait_for(
                lambda: listeners <= self._acks.get(payload, set()),
                max(0.0, deadline - time.monotonic()),
            )
            self._acks.pop(payload, None)
        if not acked:
            logger.warning("an auth change was not acknowledged by every API process in time")

    def stop(self) -> None:
        """Stop listening."""
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._listen()
            except psycopg.Error as exc:
                logger.warning("auth listener disconnected (%s); caches off until it is back", exc)
            with self._changed:
                self._connected = False
                self._generation += 1
                self._changed.notify_all()
            self._stop.wait(RECONNECT_SECONDS)

    def _listen(self) -> None:
        with psycopg.connect(self._conninfo, autocommit=True) as conn:
            row = conn.execute("SELECT current_schema()").fetchone()
            schema = str(row[0]) if row else ""
            channel = channel_name(schema)
            conn.execute("SELECT set_config('application_name', %s, false)", (listener(channel),))
            conn.execute(f'LISTEN "{channel}"')
            conn.execute(f'LISTEN "{channel}_ack"')
            handlers = {name(schema): handle for name, handle in self._relays}
            for relayed in handlers:
                conn.execute(f'LISTEN "{relayed}"')
            with self._changed:
                self.channel = channel
                self._connected = True
                self._generation += 1
                self._changed.notify_all()
            while not self._stop.is_set():
                # The generator holds the connection: acknowledge only once it has returned.
                for notice in list(conn.notifies(timeout=0.5, stop_after=1)):
                    self._heard(conn, channel, notice, handlers)

    def _heard(
        self,
        conn: psycopg.Connection[Any],
        channel: str,
        notice: psycopg.Notify,
        handlers: dict[str, Callable[[psycopg.Connection[Any], str], None]],
    ) -> None:
        handle = handlers.get(notice.channel)
        if handle is not None:
            try:
                handle(conn, notice.payload)
            except Exception:  # one bad relay must not stop revocations from being heard
                logger.exception("relaying a notice of %s failed", notice.channel)
            return
        if notice.channel == channel:
            with self._changed:
                self._generation += 1
                self._changed.notify_all()
            conn.execute("SELECT pg_notify(%s, %s)", (f"{channel}_ack", notice.payload))
            return
        with self._changed:
            self._acks.setdefault(notice.payload, set()).add(notice.pid)
            self._changed.notify_all()


def channel_name(schema: str) -> str:
    """The notification channel of one schema (test runs share a database, not a schema)."""
    return f"cpts_snp_auth_{schema}"[:50]


def listener(channel: str) -> str:
    """The ``application_name`` a listener connection shows in ``pg_stat_activity``."""
    return f"{LISTENER_NAME}:{channel}"


def _watch_flush(session: Session, _context: UOWTransaction, _instances: Any) -> None:
    if any(isinstance(obj, WATCHED) for obj in (*session.dirty, *session.deleted)):
        session.info[CHANGED] = True


def _watch_bulk(state: ORMExecuteState) -> None:
    if (state.is_update or state.is_delete) and any(
        mapper.class_ in WATCHED for mapper in state.all_mappers
    ):
        state.session.info[CHANGED] = True


def _announce(session: Session) -> None:
    if session.get_bind().dialect.name != "postgresql" or session.in_nested_transaction():
        return
    session.flush()  # changes still pending are flushed here, after this hook would look
    if not session.info.get(CHANGED):
        return
    payload = secrets.token_hex(8)
    channel = channel_name(current_schema(session))
    session.execute(
        text("SELECT pg_notify(:channel, :payload)"), {"channel": channel, "payload": payload}
    )
    session.info[NOTICE] = (channel, payload)


def _after_commit(session: Session) -> None:
    if session.in_nested_transaction() or not session.info.pop(CHANGED, False):
        return  # a savepoint's release (the transaction goes on), or no auth change
    bind = session.get_bind()
    database = bind.engine.url.database if bind.dialect.name == "sqlite" else None
    if database and database != ":memory:":
        bump_epoch(epoch_path(database))


def _forget(session: Session, previous: SessionTransaction) -> None:
    if previous.parent is None:  # the whole transaction, not a savepoint, was rolled back
        session.info.pop(CHANGED, None)
        session.info.pop(NOTICE, None)


event.listen(Session, "before_flush", _watch_flush)
event.listen(Session, "do_orm_execute", _watch_bulk)
event.listen(Session, "before_commit", _announce)
event.listen(Session, "after_commit", _after_commit)
event.listen(Session, "after_soft_rollback", _forget)
