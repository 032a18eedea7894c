"""Database engine, session factory and the per-request session dependency.

Every request's transaction commits before its answer leaves: the session dependency has
FastAPI's ``scope="function"``, so its exit code (the commit) runs once the route has
returned and before the response is sent. A commit that fails becomes the error answer.

Waiting is bounded everywhere: a request waits at most ``DB_WAIT_SECONDS`` for a pooled
connection, a write waits at most ``DB_WRITE_WAIT_SECONDS`` for its turn (SQLite: one
writer at a time per process; PostgreSQL: at most ``DB_POOL_SIZE`` concurrent writers) and
for the database's locks, behind at most ``DB_WRITE_QUEUE`` other writers; past that the
answer is 503 with ``Retry-After``.
"""

import asyncio
import weakref
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings
from app.errors import Unavailable, raises

WRITE_INTENT = "write_intent"
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SCHEMA = "current_schema"
"""``Connection.info`` key: the PostgreSQL schema the connection works in."""

EndpointT = TypeVar("EndpointT", bound=Callable[..., Any])
ResultT = TypeVar("ResultT")


SQLITE_SYNCHRONOUS = ("NORMAL", "FULL")


@dataclass(frozen=True)
class PoolLimits:
    """How many connections a process holds, how long a request waits for one, and (SQLite)
    how durable each commit is: ``FULL`` unless the deployment chose ``NORMAL``."""

    size: int = 5
    overflow: int = 10
    wait_seconds: float = 2.0
    write_wait_seconds: float = 5.0
    write_queue: int = 1000
    sqlite_synchronous: str = "FULL"

    @classmethod
    def from_settings(cls, settings: Settings) -> "PoolLimits":
        """The limits configured for this deployment."""
        return cls(
            size=settings.pool_size,
            overflow=settings.max_overflow,
            wait_seconds=settings.db_wait_seconds,
            write_wait_seconds=settings.db_write_wait_seconds,
            write_queue=settings.db_write_queue,
            sqlite_synchronous=settings.sqlite_synchronous,
        )


BACKGROUND_WRITE_WAIT_SECONDS = 120.0
"""How long background work (solve jobs, deliveries) waits for SQLite's one writer."""


def background_limits(limits: PoolLimits) -> PoolLimits:
    """Limits for background work on SQLite: nobody waits on its answer, so it queues for
    the write lock far longer than a request does, instead of failing a solve job with
    "database is locked" while requests are writing."""
    return replace(
        limits, write_wait_seconds=max(limits.write_wait_seconds, BACKGROUND_WRITE_WAIT_SECONDS)
    )


def normalise_url(url: str) -> str:
    """Use psycopg 3 for plain ``postgresql://`` URLs."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.removeprefix("postgres://")
    return url


def _sqlite_pragmas(
    busy_timeout_ms: int, synchronous: str, *, autocheckpoint: bool
) -> Callable[[Any, Any], None]:
    def enable(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, emit BEGIN: savepoints then work as documented.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        if not autocheckpoint:
            cursor.execute("PRAGMA wal_autocheckpoint=0")
        cursor.close()

    return enable


def _postgres_lock_timeout(lock_timeout_ms: int) -> Callable[[Any, Any], None]:
    def limit(dbapi_connection: Any, _record: Any) -> None:
        # A transaction waits this long for a row lock, then fails (answered 503).
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f"SET lock_timeout = {lock_timeout_ms}")
        dbapi_connection.commit()

    return limit


def _begin_sqlite_transaction(connection: Connection) -> None:
    # A writer takes SQLite's write lock up front: upgrading a read transaction later can
    # fail at once with "database is locked" when another writer got there first.
    immediate = connection.get_execution_options().get(WRITE_INTENT, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_engine(
    url: str,
    *,
    limits: PoolLimits | None = None,
    checkpoint_in_background: bool = False,
    **connect_args: Any,
) -> Engine:
    """Create an engine with bounded pool waits; SQLite gets WAL, foreign keys and a busy
    timeout, PostgreSQL a connect timeout and a lock timeout. SQLite with
    ``checkpoint_in_background``: commits never checkpoint the log, an
    ``app.checkpoints.WalCheckpointer`` must."""
    limits = limits or PoolLimits()
    url = normalise_url(url)
    wait_ms = int(limits.write_wait_seconds * 1000)
    pool = {
        "pool_size": limits.size,
        "max_overflow": limits.overflow,
        "pool_timeout": limits.wait_seconds,
    }
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, **connect_args}, **pool
        )
        if limits.sqlite_synchronous not in SQLITE_SYNCHRONOUS:
            raise ValueError(f"SQLite synchronous must be one of {SQLITE_SYNCHRONOUS}")
        pragmas = _sqlite_pragmas(
            wait_ms, limits.sqlite_synchronous, autocheckpoint=not checkpoint_in_background
        )
        event.listen(engine, "connect", pragmas)
        event.listen(engine, "begin", _begin_sqlite_transaction)
        return engine
    engine = create_engine(
        url,
        pool_pre_ping=True,
        connect_args={"connect_timeout": max(2, round(limits.wait_seconds)), **connect_args},
        **pool,
    )
    event.listen(engine, "connect", _postgres_lock_timeout(wait_ms))
    return engine


def connections_per_process(limits: PoolLimits) -> int:
    """Most PostgreSQL connections one API process opens: its pool at its peak, plus the
    listener that hears of revocations and relays live events (see ``app.revocation``)."""
    return limits.size + limits.overflow + 1


def check_connection_budget(url: str, *, limits: PoolLimits, processes: int) -> None:
    """Refuse to start ``processes`` API processes that could exceed PostgreSQL's
    ``max_connections`` (less the superuser reserve); SQLite needs no check."""
    if normalise_url(url).startswith("sqlite"):
        return
    engine = make_engine(url, limits=limits)
    try:
        with engine.connect() as conn:
            allowed = int(conn.exec_driver_sql("SHOW max_connections").scalar_one())
            reserved = int(conn.exec_driver_sql("SHOW superuser_reserved_connections").scalar_one())
    finally:
        engine.dispose()
    needed = processes * connections_per_process(limits)
    if needed > allowed - reserved:
        raise ValueError(
            f"{processes} process(es) x (DB_POOL_SIZE {limits.size} + DB_MAX_OVERFLOW "
            f"{limits.overflow} + 1 listener) = {needed} connections, but the server allows "
            f"{allowed - reserved} (max_connections {allowed} - {reserved} reserved): lower "
            "DB_POOL_SIZE / DB_MAX_OVERFLOW or the number of workers"
        )


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)


def is_sqlite(factory: sessionmaker[Session]) -> bool:
    """Whether a session factory talks to SQLite."""
    bind = factory.kw["bind"]
    return bool(bind.dialect.name == "sqlite")


def declare_write_intent(session: Session) -> None:
    """Tell the database this transaction will write (SQLite: BEGIN IMMEDIATE)."""
    session.connection(execution_options={WRITE_INTENT: True})


def writer_sessions(factory: sessionmaker[Session]) -> sessionmaker[Session]:
    """Sessions whose transaction is a writer's from its first statement (SQLite: BEGIN
    IMMEDIATE), begun in the thread that does the request's work rather than in a round
    trip of its own while the write lock is held. A factory bound to a connection (the
    tests' transaction) is returned as it is: its transaction has already begun."""
    bind = factory.kw["bind"]
    if not isinstance(bind, Engine):
        return factory
    return sessionmaker(**{**factory.kw, "bind": bind.execution_options(**{WRITE_INTENT: True})})


def current_schema(session: Session) -> str:
    """PostgreSQL: the schema the session's connection works in, asked once per connection
    (it comes with the connection's options and never changes)."""
    info = session.connection().info
    if SCHEMA not in info:
        info[SCHEMA] = str(session.scalar(text("SELECT current_schema()")))
    return str(info[SCHEMA])


def writes_on_read(endpoint: EndpointT) -> EndpointT:
    """Mark a GET route that writes (an audit row): its transaction is a writer's from the
    start, so the write can neither fail late on a lock nor be lost after the answer."""
    setattr(endpoint, WRITE_INTENT, True)
    return endpoint


class WriteGate:
    """At most ``capacity`` write transactions of this process at once, and at most
    ``max_waiting`` writers queued behind them; a writer waits at most ``wait_seconds`` for
    its turn. Past either bound the answer is 503 at once. Waiting happens on the event
    loop, so queued writers hold neither a thread nor a connection."""

    def __init__(self, capacity: int, wait_seconds: float, max_waiting: int) -> None:
        self.capacity = capacity
        self.wait_seconds = wait_seconds
        self.max_waiting = max_waiting
        self._waiting = 0
        self._by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore]
        self._by_loop = weakref.WeakKeyDictionary()

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Hold one writer's place for the duration of the block."""
        loop = asyncio.get_running_loop()
        semaphore = self._by_loop.setdefault(loop, asyncio.Semaphore(self.capacity))
        if semaphore.locked() and self._waiting >= self.max_waiting:
            raise Unavailable("too many writes are waiting for the database; retry shortly")
        self._waiting += 1
        try:
            async with asyncio.timeout(self.wait_seconds):
                await semaphore.acquire()
        except TimeoutError:
            raise Unavailable("the database is busy with other writes; retry shortly") from None
        finally:
            self._waiting -= 1
        try:
            yield
        finally:
            semaphore.release()


def write_gate(factory: sessionmaker[Session], limits: PoolLimits) -> WriteGate:
    """SQLite has one writer: one at a time per process; PostgreSQL: one per pooled connection."""
    capacity = 1 if is_sqlite(factory) else limits.size
    return WriteGate(capacity, limits.write_wait_seconds, limits.write_queue)


def route_writes(request: Request) -> bool:
    """Whether a request's transaction writes: any method but GET/HEAD/OPTIONS, and GET
    routes marked :func:`writes_on_read`."""
    if request.method not in READ_ONLY_METHODS:
        return True
    route = request.scope.get("route")
    return bool(getattr(getattr(route, "endpoint", None), WRITE_INTENT, False))


@raises(Unavailable)
async def get_session(request: Request) -> AsyncIterator[Session]:
    """One session per request, committed once before the answer is sent, rolled back on any
    error; a failed commit raises, so the client gets the error instead of a success.

    The session does its database work in worker threads; a request that never touches
    the database (say, a search served from a cache) costs no thread hop for it.
    """
    if not route_writes(request):
        async with _session(request.app.state.session_factory) as session:
            yield session
        return
    gate: WriteGate = request.app.state.write_gate
    async with gate.turn(), _session(request.app.state.writer_sessions) as session:
        yield session
    await request.app.state.principals.after_commit(session)


def read(factory: sessionmaker[Session], work: Callable[[Session], ResultT]) -> ResultT:
    """Run ``work`` in a short read transaction of its own, whose connection goes back to
    the pool at once (call it in a worker thread)."""
    with factory() as session, session.begin():
        return work(session)


async def read_then_write(request: Request, work: Callable[[Session], ResultT]) -> ResultT:
    """Run ``work`` on a session of its own and commit what it wrote, all in one worker
    thread, once the write gate gives this request its turn; the answer then waits, as
    :func:`get_session`'s do, until every process has heard of an auth change.

    ``work`` reads first and calls :func:`start_writing` before it writes: on SQLite its
    reads take no write lock, which is held only for the writes and the commit. For a busy
    route: one thread hop and one pooled connection for the whole request.
    """
    gate: WriteGate = request.app.state.write_gate
    async with gate.turn():
        session, result = await run_in_threadpool(
            _commit_work, request.app.state.session_factory, work
        )
    await request.app.state.principals.after_commit(session)
    return result


def start_writing(session: Session) -> None:
    """End the reads of a :func:`read_then_write` session and begin its writes. SQLite: the
    read transaction ends, and the next statement begins a writer's (BEGIN IMMEDIATE);
    what was read may have changed since, so the writes re-check what they rely on.
    PostgreSQL: the transaction goes on, its writes take their own row locks."""
    if session.get_bind().dialect.name == "sqlite":
        session.commit()
        declare_write_intent(session)


def _commit_work(
    factory: sessionmaker[Session], work: Callable[[Session], ResultT]
) -> tuple[Session, ResultT]:
    with factory() as session:  # closing rolls back what was not committed
        result = work(session)
        session.commit()
    return session, result


@asynccontextmanager
async def _session(factory: sessionmaker[Session]) -> AsyncIterator[Session]:
    session = factory()
    try:
        yield session
        if session.in_transaction():
            await run_in_threadpool(session.commit)
    except BaseException:
        await run_in_threadpool(session.rollback)
        raise
    finally:
        session.close()  # the transaction has ended: nothing left to release over the wire


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
