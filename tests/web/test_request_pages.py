"""A GP's pages through the test client: booking a physio's slot on "Orienter un patient",
posting a request, a physio accepting it on "Demandes", losing the race, French errors."""

import re
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.care_requests.models import CareRequest
from app.professions import Profession
from app.referrals.models import Referral
from app.slots.models import Slot
from app.users.models import Role
from tests.app.care_request_scenarios import RequestScenario, make_request_scenario
from tests.conftest import FrozenClock
from tests.factories import make_open_slots
from tests.web.pages import csrf_of, signed_in_user

FIRST_SLOT = datetime(2027, 1, 12, 13, 0, tzinfo=UTC)  # 14:00 in Paris, the clock is 12:00
PATIENT_FORM = {
    "display_name": "M. D.",
    "birth_year": "1984",
    "phone": "06 12 34 56 78",
    "reason_category": "musculoskeletal",
}
REQUEST_FORM = {
    "profession": "physio",
    "act": "kinésithérapie respiratoire (bronchiolite)",
    "home_visit": "oui",
    "commune_insee": "69259",
    "wished_delay": "today",
    **PATIENT_FORM,
}
IDEM = re.compile(r'name="idem" value="([^"]+)"')
SLOT_LINK = re.compile(r'href="/orienter/creneaux/(\d+)\?')


def _sign_in(
    client: TestClient, session: Session, setup: RequestScenario, practitioner_id: int
) -> None:
    signed_in_user(
        client,
        session,
        coordinator=setup.coordinator,
        cpts_id=setup.cpts_id,
        role=Role.practitioner,
        email=f"dr{practitioner_id}@cab.example",
        practitioner_id=practitioner_id,
    )


def _form_fields(page: str) -> dict[str, str]:
    return {"csrf": csrf_of(page), "idem": IDEM.search(page).group(1)}  # type: ignore[union-attr]


def test_gp_books_a_physio_slot_from_the_counter_page(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    setup = make_request_scenario(session)
    slot_ids = make_open_slots(
        session,
        cpts_id=setup.cpts_id,
        count=2,
        first_start=FIRST_SLOT,
        profession=Profession.physio,
    )
    _sign_in(client, session, setup, setup.gp_id)
    found = client.get("/orienter", params={"profession": "physio", "quand": "24h"})
    assert found.status_code == 200 and "tous les secteurs" in found.text
    assert [int(s) for s in SLOT_LINK.findall(found.text)] == slot_ids
    form = client.get(f"/orienter/creneaux/{slot_ids[0]}?mode=&profession=physio&quand=24h")
    booked = client.post(
        "/orienter/reserver",
        data={**_form_fields(form.text), "slot_id": str(slot_ids[0]), **PATIENT_FORM},
        follow_redirects=False,
    )
    assert booked.status_code == 303, booked.text
    confirmation = client.get(booked.headers["location"])
    assert "Orientation confirmée" in confirmation.text and "kinésithérapeute" in confirmation.text
    referral = session.scalars(select(Referral)).one()
    assert referral.referrer_practitioner_id == setup.gp_id and referral.pharmacy_id is None
    assert session.get_one(Slot, slot_ids[0]).status == "booked"
    counter = client.get("/orienter")
    assert f"Orientation n° {referral.id}" in counter.text


def test_gp_posts_a_request_and_a_physio_accepts_it(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    setup = make_request_scenario(session)
    _sign_in(client, session, setup, setup.gp_id)
    form = client.get("/demandes/nouvelle?profession=physio")
    assert form.status_code == 200 and "Nouvelle demande" in form.text
    bad = client.post(
        "/demandes/nouvelle",
        data={**_form_fields(form.text), **REQUEST_FORM, "commune_insee": "123"},
    )
    assert bad.status_code == 422 and "code INSEE" in bad.text
    assert session.scalar(select(CareRequest)) is None
    posted = client.post(
        "/demandes/nouvelle",
        data={**_form_fields(form.text), **REQUEST_FORM},
        follow_redirects=False,
    )
    assert posted.status_code == 303, posted.text
    detail = client.get(posted.headers["location"])
    assert "en attente" in detail.text and "M. D." in detail.text
    _sign_in(client, session, setup, setup.physio_ids[0])
    listing = client.get("/demandes")
    assert "kinésithérapie respiratoire" in listing.text and "Accepter" in listing.text
    assert "M. D." not in listing.text
    request_id = session.scalars(select(CareRequest.id)).one()
    accepted = client.post(
        f"/demandes/{request_id}/accepter",
        data={"csrf": csrf_of(listing.text)},
        follow_redirects=False,
    )
    assert accepted.status_code == 303
    mine = client.get(f"/demandes/{request_id}")
    assert "acceptée" in mine.text and "M. D." in mine.text and "06 12 34 56 78" not in mine.text
    _sign_in(client, session, setup, setup.physio_ids[1])
    late = client.post(
        f"/demandes/{request_id}/accepter",
        data={"csrf": csrf_of(client.get("/demandes").text)},
    )
    assert late.status_code == 409 and "un confrère vient d&#39;accepter" in late.text
