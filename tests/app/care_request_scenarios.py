"""A CPTS with a requesting GP, a pharmacy, physios and a nurse, for the open-request tests."""

from dataclasses import dataclass
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.practitioners.models import Practitioner
from app.professions import Profession
from app.users.models import Role
from tests.app.slot_scenarios import PATIENT
from tests.factories import (
    make_pharmacy_with_headers,
    make_practitioner,
    make_territory,
    make_user_headers,
)

HOME_COMMUNE = {"insee_code": "69259", "name": "Vénissieux"}
"""Where ``REQUEST``'s patient lives: the scenario's physios and nurse visit there."""

REQUEST = {
    "profession": "physio",
    "act": "kinésithérapie respiratoire (bronchiolite)",
    "home_visit": True,
    "commune_insee": "69259",
    "wished_delay": "24h",
    "patient": PATIENT,
    "reason_category": "respiratory",
    "note": "Nourrisson de 8 mois",
}


@dataclass(frozen=True)
class RequestScenario:
    """Who is who in the open-request tests."""

    cpts_id: int
    coordinator: dict[str, str]
    gp_id: int
    gp: dict[str, str]
    pharmacist: dict[str, str]
    physio_ids: list[int]
    physios: list[dict[str, str]]
    nurse: dict[str, str]


def practitioner_with_headers(
    session: Session, *, cpts_id: int, profession: Profession, last_name: str
) -> tuple[int, dict[str, str]]:
    """A practitioner of ``profession`` and the headers of the user acting for them."""
    practitioner = make_practitioner(
        session, cpts_id=cpts_id, profession=profession, last_name=last_name
    )
    headers = make_user_headers(
        session, cpts_id=cpts_id, role=Role.practitioner, practitioner_id=practitioner.id
    )
    return practitioner.id, headers


def visits_at_home(session: Session, practitioner_id: int, *communes: dict[str, str]) -> None:
    """The practitioner visits patients at home in exactly ``communes`` (none: no zone)."""
    practitioner = session.get_one(Practitioner, practitioner_id)
    practitioner.home_visits = True
    practitioner.zone_communes = list(communes)
    session.flush()


def make_request_scenario(
    session: Session, *, physios: int = 2, name: str = "CPTS Demandes"
) -> RequestScenario:
    """A GP and a pharmacy who ask, ``physios`` physios and a nurse who may answer."""
    territory = make_territory(session, name=name)
    cpts_id = territory.cpts.id
    gp_id, gp = practitioner_with_headers(
        session, cpts_id=cpts_id, profession=Profession.gp, last_name="Généraliste"
    )
    _, pharmacist = make_pharmacy_with_headers(session, cpts_id=cpts_id)
    answering = [
        practitioner_with_headers(
            session, cpts_id=cpts_id, profession=Profession.physio, last_name=f"Kiné{n}"
        )
        for n in range(physios)
    ]
    nurse_id, nurse = practitioner_with_headers(
        session, cpts_id=cpts_id, profession=Profession.nurse, last_name="Infirmière"
    )
    for practitioner_id in [*(p for p, _ in answering), nurse_id]:
        visits_at_home(session, practitioner_id, HOME_COMMUNE)
    session.commit()
    return RequestScenario(
        cpts_id=cpts_id,
        coordinator=territory.headers,
        gp_id=gp_id,
        gp=gp,
        pharmacist=pharmacist,
        physio_ids=[p for p, _ in answering],
        physios=[h for _, h in answering],
        nurse=nurse,
    )


def post_request(
    client: TestClient | httpx.Client,
    headers: dict[str, str],
    *,
    key: str = "request-1",
    **changes: Any,
) -> httpx.Response:
    """POST an open request (``REQUEST`` with ``changes``)."""
    return client.post(
        "/v1/care-requests",
        headers={**headers, "Idempotency-Key": key},
        json={**REQUEST, **changes},
    )
