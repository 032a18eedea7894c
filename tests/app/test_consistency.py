"""Answers leave only after their transaction committed; patient identity only after its
audit row; a failed commit, a busy or a missing database is an honest error, never a
success already sent nor a 500."""

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, func, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from app.audit import AuditEntry
from app.base import utcnow
from app.config import Settings
from app.cpts.models import Cpts, Sector
from app.db import make_engine, make_session_factory
from app.main import create_app
from app.schema import upgrade
from app.users.models import Role
from tests.app.live import LiveDatabase, served
from tests.app.slot_scenarios import PATIENT
from tests.databases import BACKENDS, POSTGRES_URL, drop_database, fresh_database
from tests.factories import make_open_slots, make_pharmacy, make_territory, make_user_headers

TRIALS = 100
JOB_TRIALS = 12


def test_a_created_sector_is_readable_the_moment_its_201_arrives(live: LiveDatabase) -> None:
    with live.sessions() as session:
        headers = make_territory(session).headers
    with served(live) as base, httpx.Client(base_url=base, headers=headers) as api:
        missing = []
        for n in range(TRIALS):
            created = api.post("/v1/sectors", json={"name": f"Secteur {n}"})
            assert created.status_code == 201, created.text
            sector_id = created.json()["id"]
            if api.get(f"/v1/sectors/{sector_id}").status_code != 200:
                missing.append(sector_id)
        assert missing == []


def test_a_solve_job_is_readable_the_moment_its_202_arrives(live: LiveDatabase) -> None:
    with live.sessions() as session:
        headers = make_territory(session).headers
    with served(live) as base, httpx.Client(base_url=base, headers=headers) as api:
        unread = []
        for month in range(1, JOB_TRIALS + 1):
            period = {"period_start": f"2027-{month:02d}-01", "period_end": f"2027-{month:02d}-28"}
            rotation = api.post("/v1/rotations", json=period)
            assert rotation.status_code == 201, rotation.text
            solve = api.post(f"/v1/rotations/{rotation.json()['id']}/solve", json={})
            assert solve.status_code == 202, solve.text
            job = api.get(f"/v1/jobs/{solve.json()['id']}")
            if job.status_code != 200:
                unread.append(job.status_code)
        assert unread == []


@pytest.fixture(params=BACKENDS)
def committing_client(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[TestClient, Engine]]:
    """The API on a database of its own whose commits really commit (no test transaction)."""
    engine, schema = fresh_database(str(request.param), tmp_path)
    try:
        with engine.begin() as conn:
            upgrade(connection=conn)
        app = create_app(Settings(run_jobs=False), session_factory=make_session_factory(engine))
        with TestClient(app, raise_server_exceptions=False) as client:
            yield client, engine
    finally:
        drop_database(engine, schema)


def _fail_next_commit(engine: Engine, error: Exception) -> None:
    def fail(_conn: Any) -> None:
        event.remove(engine, "commit", fail)
        raise error

    event.listen(engine, "commit", fail)


def _locked() -> OperationalError:
    return OperationalError("COMMIT", {}, Exception("database is locked"))


@pytest.mark.parametrize(
    ("failure", "status"),
    [
        (_locked(), 503),
        (IntegrityError("COMMIT", {}, Exception("duplicate key")), 409),
    ],
    ids=["locked-503", "uniqueness-race-409"],
)
def test_a_commit_that_fails_is_the_answer_and_nothing_is_stored(
    committing_client: tuple[TestClient, Engine], failure: Exception, status: int
) -> None:
    client, engine = committing_client
    with make_session_factory(engine)() as session:
        headers = make_territory(session).headers
    _fail_next_commit(engine, failure)
    response = client.post("/v1/sectors", headers=headers, json={"name": "Nord"})
    assert response.status_code == status, response.text
    if status == 503:
        assert response.headers["Retry-After"] == "1"
        assert response.json()["error"]["code"] == "unavailable"
    with make_session_factory(engine)() as session:
        assert session.scalar(select(func.count()).select_from(Sector)) == 0


def _booked_referral(engine: Engine) -> tuple[int, dict[str, str]]:
    """A referral booked now; returns its id and the booking pharmacist's headers."""
    with make_session_factory(engine)() as session:
        territory = make_territory(session)
        cpts_id = territory.cpts.id
        slot_id = make_open_slots(
            session, cpts_id=cpts_id, count=1, first_start=utcnow() + timedelta(hours=2)
        )[0]
        pharmacy = make_pharmacy(session, cpts_id=cpts_id)
        pharmacist = make_user_headers(
            session, cpts_id=cpts_id, role=Role.pharmacist, pharmacy_id=pharmacy.id
        )
        session.commit()
    app = create_app(Settings(run_jobs=False), session_factory=make_session_factory(engine))
    body = {"slot_id": slot_id, "patient": PATIENT, "reason_category": "infection"}
    booked = TestClient(app).post(
        "/v1/referrals", headers={**pharmacist, "Idempotency-Key": "k"}, json=body
    )
    assert booked.status_code == 201, booked.text
    return booked.json()["id"], pharmacist


def _read_audits(engine: Engine, referral_id: int) -> int:
    with make_session_factory(engine)() as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.action == "read", AuditEntry.subject_id == referral_id)
            )
            or 0
        )


@pytest.mark.parametrize("path", ["/v1/referrals/{id}", "/v1/referrals"], ids=["read", "list"])
def test_patient_identity_never_leaves_when_its_audit_row_cannot_commit(
    committing_client: tuple[TestClient, Engine], path: str
) -> None:
    client, engine = committing_client
    referral_id, pharmacist = _booked_referral(engine)
    _fail_next_commit(engine, _locked())
    response = client.get(path.format(id=referral_id), headers=pharmacist)
    assert response.status_code == 503
    assert PATIENT["display_name"] not in response.text
    assert PATIENT["phone"] not in response.text
    assert _read_audits(engine, referral_id) == 0


def test_every_identity_read_under_a_concurrent_writer_has_its_audit_row(
    live: LiveDatabase,
) -> None:
    referral_id, pharmacist = _booked_referral(live.engine)
    stop = threading.Event()

    def keep_writing() -> None:
        writer = make_engine(live.url)
        try:
            while not stop.is_set():
                with writer.begin() as conn:
                    conn.execute(update(Cpts).values(name=Cpts.name))
        finally:
            writer.dispose()

    thread = threading.Thread(target=keep_writing)
    thread.start()
    statuses: list[int] = []
    try:
        with served(live) as base, httpx.Client(base_url=base, headers=pharmacist) as api:
            for _ in range(TRIALS):
                response = api.get(f"/v1/referrals/{referral_id}")
                statuses.append(response.status_code)
                if response.status_code != 200:
                    assert response.status_code == 503, response.text
                    assert "Retry-After" in response.headers
                    assert PATIENT["phone"] not in response.text
    finally:
        stop.set()
        thread.join(timeout=30)
    assert statuses.count(200) > 0
    assert _read_audits(live.engine, referral_id) == statuses.count(200)


def _gone_database_urls(tmp_path: Path) -> list[str]:
    empty_sqlite = tmp_path / "empty.db"
    make_engine(f"sqlite:///{empty_sqlite}").dispose()
    urls = [f"sqlite:///{empty_sqlite}"]
    if POSTGRES_URL:
        urls.append(f"{POSTGRES_URL}?options=-csearch_path%3Ddropped_schema_of_no_one")
        urls.append("postgresql+psycopg://postgres@127.0.0.1:1/unreachable")
    return urls


def test_api_calls_answer_503_when_the_database_is_gone(tmp_path: Path) -> None:
    for url in _gone_database_urls(tmp_path):
        app = create_app(Settings(database_url=url, run_jobs=False, db_wait_seconds=1.0))
        with TestClient(app, raise_server_exceptions=False) as client:
            headers = {"Authorization": "Bearer snp_whatever"}
            for method, path in (("GET", "/v1/me"), ("POST", "/v1/sectors")):
                response = client.request(method, path, headers=headers, json={"name": "Nord"})
                assert response.status_code == 503, (url, path, response.text)
                assert response.headers["Retry-After"] == "1"
            assert client.get("/readyz").status_code == 503


def test_an_identity_read_takes_the_write_lock_before_reading(
    committing_client: tuple[TestClient, Engine],
) -> None:
    client, engine = committing_client
    if engine.dialect.name != "sqlite":
        pytest.skip("the write lock taken up front is SQLite's BEGIN IMMEDIATE")
    referral_id, pharmacist = _booked_referral(engine)
    begins: list[str] = []

    def remember(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith("BEGIN"):
            begins.append(statement)
        elif "FROM referrals" in statement:
            begins.append("read the referral")

    event.listen(engine, "before_cursor_execute", remember)
    try:
        assert client.get(f"/v1/referrals/{referral_id}", headers=pharmacist).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", remember)
    # The caller's token is read in a short read transaction of its own (see app.auth),
    # before the request's transaction, which is a writer's from its first statement.
    assert begins[:3] == ["BEGIN", "BEGIN IMMEDIATE", "read the referral"]
    assert begins.count("BEGIN IMMEDIATE") == 1
