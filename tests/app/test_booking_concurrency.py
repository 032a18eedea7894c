"""Many pharmacists booking the same slot at once, against a real server: one wins."""

import threading
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.clock import get_now
from app.config import Settings
from app.main import create_app
from app.referrals.models import Referral
from app.rotations.jobs import JobRunner
from app.rotations.solver_process import SolverProcess
from tests.app.slot_scenarios import PATIENT, make_booking_scenario
from tests.databases import BACKENDS, migrated_database
from tests.live import served_in_thread

ATTEMPTS = 24
NOW = datetime(2027, 1, 12, 11, 0, tzinfo=UTC)


@pytest.mark.parametrize("backend", BACKENDS)
def test_simultaneous_bookings_of_one_slot_make_exactly_one_referral(
    backend: str, tmp_path: Path, solver_process: SolverProcess
) -> None:
    with migrated_database(backend, tmp_path) as factory:
        app = create_app(Settings(run_jobs=False), session_factory=factory)
        app.dependency_overrides[get_now] = lambda: NOW
        with factory() as session:
            booking = make_booking_scenario(
                TestClient(app), session, JobRunner(factory, solver_process=solver_process)
            )
            session.commit()
        statuses = _race(app, booking.pharmacist)
        assert sorted(statuses) == [201] + [409] * (ATTEMPTS - 1), statuses
        with factory() as session:
            assert session.scalar(select(func.count()).select_from(Referral)) == 1


def _race(app: FastAPI, headers: dict[str, str]) -> list[int]:
    with served_in_thread(app) as base:
        slot_id = httpx.get(f"{base}/v1/slots", headers=headers).json()["items"][0]["slot_id"]
        return _book_all_at_once(base, headers, slot_id)


def _book_all_at_once(base: str, headers: dict[str, str], slot_id: int) -> list[int]:
    barrier = threading.Barrier(ATTEMPTS)
    statuses: list[int] = []
    body = {"slot_id": slot_id, "patient": PATIENT, "reason_category": "acute_pain"}

    def attempt(index: int) -> None:
        with httpx.Client(base_url=base, timeout=30) as client:
            barrier.wait()
            response = client.post(
                "/v1/referrals", headers={**headers, "Idempotency-Key": f"race-{index}"}, json=body
            )
            statuses.append(response.status_code)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(ATTEMPTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses
