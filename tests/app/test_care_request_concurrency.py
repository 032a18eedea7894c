"""Fifty physios accepting one open request at once, against a real server: one wins."""

import threading
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.audit import AuditEntry
from app.care_requests.models import CareRequest
from app.clock import get_now
from app.config import Settings
from app.main import create_app
from tests.app.care_request_scenarios import make_request_scenario, post_request
from tests.databases import BACKENDS, migrated_database
from tests.live import served_in_thread

ATTEMPTS = 50
SATURATED = (429, 503)
NOW = datetime(2027, 1, 12, 11, 0, tzinfo=UTC)


@pytest.mark.parametrize("backend", BACKENDS)
def test_fifty_simultaneous_acceptances_make_exactly_one_winner(
    backend: str, tmp_path: Path
) -> None:
    with migrated_database(backend, tmp_path) as factory:
        app = create_app(Settings(run_jobs=False), session_factory=factory)
        app.dependency_overrides[get_now] = lambda: NOW
        with factory() as session:
            setup = make_request_scenario(session, physios=ATTEMPTS)
            session.commit()
        posted = post_request(TestClient(app), setup.gp)
        assert posted.status_code == 201, posted.text
        with served_in_thread(app) as base:
            statuses = _accept_all_at_once(base, setup.physios, posted.json()["id"])
        assert sorted(statuses) == [200] + [409] * (ATTEMPTS - 1), statuses
        with factory() as session:
            request = session.get_one(CareRequest, posted.json()["id"])
            assert request.status == "accepted"
            assert request.accepted_by_practitioner_id in setup.physio_ids
            accepts = select(func.count()).where(
                AuditEntry.subject_type == "care_request", AuditEntry.action == "accept"
            )
            assert session.scalar(accepts) == 1


def _accept_all_at_once(base: str, physios: list[dict[str, str]], request_id: int) -> list[int]:
    """Every physio accepts at the same instant; one answered 429/503 (saturated) tries
    again at once, so each ends with the answer to their acceptance itself."""
    barrier = threading.Barrier(len(physios))
    statuses: list[int] = []

    def attempt(headers: dict[str, str]) -> None:
        with httpx.Client(base_url=base, timeout=30) as client:
            barrier.wait()
            response = client.post(f"/v1/care-requests/{request_id}/accept", headers=headers)
            while response.status_code in SATURATED:
                assert "Retry-After" in response.headers
                response = client.post(f"/v1/care-requests/{request_id}/accept", headers=headers)
            statuses.append(response.status_code)

    threads = [threading.Thread(target=attempt, args=(h,)) for h in physios]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses
