"""The booking's path: it reads first, without the write lock; one conditional write then
takes the slot, re-checking what may have changed since; the answer comes from what was
read, in a handful of statements, on SQLite and PostgreSQL alike."""

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, func, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from app.audit import AuditEntry
from app.clock import get_now
from app.config import Settings
from app.events.models import StreamEvent
from app.main import create_app
from app.practitioners.models import Practitioner
from app.referrals import booking
from app.referrals.models import Referral
from app.rotations.models import Rotation, RotationStatus, Shift, ShiftStatus
from app.slots.models import Slot, SlotStatus
from app.users.models import Role
from tests.app.slot_scenarios import PATIENT
from tests.databases import BACKENDS, migrated_database
from tests.factories import make_open_slots, make_pharmacy, make_territory, make_user_headers

NOW = datetime(2027, 1, 12, 11, 0, tzinfo=UTC)


@dataclass
class Bookable:
    """A served app on a real database (real commits), with open slots and a pharmacist."""

    client: TestClient
    sessions: sessionmaker[Session]
    pharmacist: dict[str, str]
    slots: list[int]

    @property
    def engine(self) -> Engine:
        """The database's engine."""
        bind = self.sessions.kw["bind"]
        assert isinstance(bind, Engine)
        return bind

    def book(self, slot_id: int, *, key: str = "once", mode: str = "in_practice") -> Any:
        """POST one booking of ``slot_id``."""
        body = {"slot_id": slot_id, "mode": mode, "patient": PATIENT, "reason_category": "skin"}
        headers = {**self.pharmacist, "Idempotency-Key": key}
        return self.client.post("/v1/referrals", headers=headers, json=body)


@pytest.fixture(params=BACKENDS)
def bookable(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Bookable]:
    """Three open slots two hours ahead of the API's frozen clock, and a pharmacist."""
    with migrated_database(str(request.param), tmp_path) as sessions:
        with sessions() as session:
            cpts_id = make_territory(session).cpts.id
            slots = make_open_slots(
                session, cpts_id=cpts_id, count=3, first_start=NOW + timedelta(hours=2)
            )
            pharmacy = make_pharmacy(session, cpts_id=cpts_id)
            pharmacist = make_user_headers(
                session, cpts_id=cpts_id, role=Role.pharmacist, pharmacy_id=pharmacy.id
            )
            session.commit()
        app = create_app(Settings(run_jobs=False), session_factory=sessions)
        app.dependency_overrides[get_now] = lambda: NOW
        with TestClient(app, raise_server_exceptions=False) as client:
            yield Bookable(client, sessions, pharmacist, slots)


def _after_the_reads(
    monkeypatch: pytest.MonkeyPatch, meanwhile: Callable[[booking.Booking], None]
) -> None:
    """Run ``meanwhile`` once the booking has read what it needs, before it writes."""
    prepare = booking.prepare

    def prepared(session: Session, **kwargs: Any) -> booking.Booking:
        done = prepare(session, **kwargs)
        meanwhile(done)
        return done

    monkeypatch.setattr(booking, "prepare", prepared)


def _write_lock_free(bookable: Bookable, slot_id: int) -> bool:
    """Whether another connection could write at once: SQLite's write lock, PostgreSQL's
    lock on the slot's row, both free."""
    engine = bookable.engine
    if engine.dialect.name == "sqlite":
        assert engine.url.database
        other = sqlite3.connect(engine.url.database, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
        except sqlite3.OperationalError:
            return False
        finally:
            other.close()
        return True
    with engine.connect() as conn:
        conn.exec_driver_sql("SET lock_timeout = '1ms'")
        try:
            conn.execute(text("SELECT id FROM slots WHERE id = :id FOR UPDATE"), {"id": slot_id})
        except DBAPIError:
            return False
        conn.rollback()
    return True


def test_a_booking_reads_without_holding_the_write_lock(
    bookable: Bookable, monkeypatch: pytest.MonkeyPatch
) -> None:
    free: list[bool] = []
    _after_the_reads(
        monkeypatch, lambda done: free.append(_write_lock_free(bookable, done.slot.slot_id))
    )
    response = bookable.book(bookable.slots[0])
    assert response.status_code == 201, response.text
    assert free == [True]


def _block(sessions: sessionmaker[Session], slot_id: int) -> None:
    with sessions() as session:
        session.execute(update(Slot).where(Slot.id == slot_id).values(status=SlotStatus.blocked))
        session.commit()


def _cancel_shift(sessions: sessionmaker[Session], slot_id: int) -> None:
    with sessions() as session:
        shift_id = session.get_one(Slot, slot_id).shift_id
        session.execute(
            update(Shift).where(Shift.id == shift_id).values(status=ShiftStatus.cancelled)
        )
        session.commit()


def _archive_rotation(sessions: sessionmaker[Session], slot_id: int) -> None:
    with sessions() as session:
        shift = session.get_one(Shift, session.get_one(Slot, slot_id).shift_id)
        session.execute(
            update(Rotation)
            .where(Rotation.id == shift.rotation_id)
            .values(status=RotationStatus.archived)
        )
        session.commit()


def _stop_home_visits(sessions: sessionmaker[Session], slot_id: int) -> None:
    with sessions() as session:
        practitioner_id = session.get_one(Slot, slot_id).practitioner_id
        session.execute(
            update(Practitioner).where(Practitioner.id == practitioner_id).values(home_visits=False)
        )
        session.commit()


@pytest.mark.parametrize(
    "change",
    [_block, _cancel_shift, _archive_rotation, _stop_home_visits],
    ids=lambda c: c.__name__,
)
def test_a_change_committed_between_the_reads_and_the_write_loses_the_slot(
    bookable: Bookable,
    monkeypatch: pytest.MonkeyPatch,
    change: Callable[[sessionmaker[Session], int], None],
) -> None:
    slot_id = bookable.slots[0]
    with bookable.sessions() as session:
        practitioner_id = session.get_one(Slot, slot_id).practitioner_id
        session.get_one(Practitioner, practitioner_id).home_visits = True
        session.commit()
    _after_the_reads(monkeypatch, lambda _done: change(bookable.sessions, slot_id))
    response = bookable.book(slot_id, mode="home_visit")
    assert response.status_code == 409, response.text
    assert response.json()["error"]["code"] == "slot_taken"
    with bookable.sessions() as session:
        for written in (Referral, AuditEntry, StreamEvent):
            assert session.scalar(select(func.count()).select_from(written)) == 0, written
        assert session.get_one(Slot, slot_id).status != SlotStatus.booked


def test_the_answer_is_what_reading_the_referral_back_shows(bookable: Bookable) -> None:
    booked = bookable.book(bookable.slots[1])
    assert booked.status_code == 201, booked.text
    read = bookable.client.get(f"/v1/referrals/{booked.json()['id']}", headers=bookable.pharmacist)
    assert read.status_code == 200, read.text
    assert booked.json() == read.json()


@contextmanager
def _statements(engine: Engine) -> Iterator[list[str]]:
    """The statements run on ``engine`` while the block runs."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _verb_and_table(statement: str) -> tuple[str, str]:
    words = statement.replace('"', "").split()
    verb = words[0]
    table = words[2] if verb in ("INSERT", "DELETE") else words[1]
    if verb == "SELECT":
        table = words[words.index("FROM") + 1]
    return verb, table


def test_a_booking_reads_three_times_writes_four_times_and_reads_nothing_back(
    bookable: Bookable,
) -> None:
    # A budget, so that a read added to every booking (or its answer read back) shows here.
    bookkeeping = ("BEGIN", "SAVEPOINT", "RELEASE", "SELECT 1", "SELECT current_schema")
    with _statements(bookable.engine) as seen:
        response = bookable.book(bookable.slots[2])
    assert response.status_code == 201, response.text
    booking_statements = [
        _verb_and_table(s)
        for s in seen
        if not s.startswith(bookkeeping) and "pg_notify" not in s and "api_tokens" not in s
    ]
    assert booking_statements == [
        ("SELECT", "slots"),
        ("SELECT", "users"),
        ("SELECT", "pharmacies"),
        ("UPDATE", "slots"),
        ("INSERT", "referrals"),
        ("INSERT", "audit_log"),
        ("INSERT", "events"),
    ], seen
