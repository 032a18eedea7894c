"""A published January 2027 rotation with slots, a pharmacy and its pharmacist."""

from dataclasses import dataclass
from datetime import date

import httpx
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.rotations.jobs import JobRunner
from app.users.models import Role
from tests.app.rotation_scenarios import Scenario, make_scenario, solved_rotation
from tests.factories import make_pharmacy, make_user_headers

PATIENT = {"display_name": "M. D.", "birth_year": 1984, "phone": "06 12 34 56 78"}


@dataclass(frozen=True)
class BookingScenario:
    """Who is who in the booking tests."""

    scenario: Scenario
    rotation_id: int
    pharmacist: dict[str, str]
    pharmacy_id: int

    @property
    def coordinator(self) -> dict[str, str]:
        """The coordinator's headers."""
        return self.scenario.territory.headers

    def practitioner_headers(self, session: Session, practitioner_id: int) -> dict[str, str]:
        """Headers of a user acting for that practitioner."""
        return make_user_headers(
            session,
            cpts_id=self.scenario.territory.cpts.id,
            role=Role.practitioner,
            practitioner_id=practitioner_id,
        )

    def other_pharmacist(self, session: Session) -> dict[str, str]:
        """Headers of another pharmacy of the same CPTS."""
        other = make_pharmacy(session, cpts_id=self.scenario.territory.cpts.id, name="Autre")
        return make_user_headers(
            session,
            cpts_id=self.scenario.territory.cpts.id,
            role=Role.pharmacist,
            pharmacy_id=other.id,
        )


def make_booking_scenario(
    client: TestClient, session: Session, runner: JobRunner
) -> BookingScenario:
    """Four GPs, one on call each weekday of January 2027, published, with slots."""
    scenario = make_scenario(session)
    rotation_id = solved_rotation(
        client, runner, scenario, start=date(2027, 1, 1), end=date(2027, 1, 31)
    )
    published = client.post(
        f"/v1/rotations/{rotation_id}/publish", headers=scenario.territory.headers
    )
    assert published.status_code == 200
    pharmacy = make_pharmacy(
        session, cpts_id=scenario.territory.cpts.id, sector_id=scenario.sector_id
    )
    pharmacist = make_user_headers(
        session, cpts_id=scenario.territory.cpts.id, role=Role.pharmacist, pharmacy_id=pharmacy.id
    )
    return BookingScenario(scenario, rotation_id, pharmacist, pharmacy.id)


def book(
    client: TestClient,
    booking: BookingScenario,
    slot_id: int,
    *,
    key: str = "key-1",
    headers: dict[str, str] | None = None,
    **extra: object,
) -> httpx.Response:
    """POST a referral for ``slot_id`` with a valid patient."""
    body = {"slot_id": slot_id, "patient": PATIENT, "reason_category": "infection", **extra}
    return client.post(
        "/v1/referrals",
        headers={**(headers or booking.pharmacist), "Idempotency-Key": key},
        json=body,
    )
