"""Database engine, session factory and the per-request session dependency."""

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

WRITE_INTENT = "write_intent"
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def normalise_url(url: str) -> str:
    """Use psycopg 3 for plain ``postgresql://`` URLs."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.removeprefix("postgres://")
    return url


def _enable_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the sqlite3 module, emit BEGIN: savepoints then work as documented.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _begin_sqlite_transaction(connection: Connection) -> None:
    # A writer takes SQLite's write lock up front: upgrading a read transaction later can
    # fail at once with "database is locked" when another writer got there first.
    immediate = connection.get_execution_options().get(WRITE_INTENT, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_engine(url: str, **connect_args: Any) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, **connect_args})
        event.listen(engine, "connect", _enable_sqlite_pragmas)
        event.listen(engine, "begin", _begin_sqlite_transaction)
        return engine
    return create_engine(
        url, pool_pre_ping=True, pool_size=10, max_overflow=20, connect_args=connect_args
    )


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)


def declare_write_intent(session: Session) -> None:
    """Tell the database this transaction will write (SQLite: BEGIN IMMEDIATE)."""
    session.connection(execution_options={WRITE_INTENT: True})


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One session per request: committed once at the end, rolled back on any error.

    The session does its database work in worker threads; a request that never touches
    the database (say, a search served from a cache) costs no thread hop for it.
    """
    factory: sessionmaker[Session] = request.app.state.session_factory
    writes = request.method not in READ_ONLY_METHODS
    session = factory()
    try:
        if writes:
            await run_in_threadpool(declare_write_intent, session)
        yield session
        if session.in_transaction():
            await run_in_threadpool(session.commit)
        if writes:
            request.app.state.principals.clear()
    except Exception:
        await run_in_threadpool(session.rollback)
        raise
    finally:
        session.close()  # the transaction has ended: nothing left to release over the wire


SessionDep = Annotated[Session, Depends(get_session)]
