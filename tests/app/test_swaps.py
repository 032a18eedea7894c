"""Swap offers through the HTTP API: offer, accept, approval, rules, roles and tenancy."""

from dataclasses import dataclass
from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

import solver
from app.professions import Profession
from app.rotations.jobs import JobRunner
from app.rotations.models import Rotation, Shift
from app.rotations.solving import as_assignment, build_input
from app.users.models import Role
from tests.app.rotation_scenarios import Scenario, make_scenario, solved_rotation
from tests.conftest import FrozenClock
from tests.factories import make_pharmacy_with_headers, make_practitioner, make_user_headers

JANUARY = (date(2027, 1, 1), date(2027, 1, 31))


@dataclass(frozen=True)
class Swap:
    """A published January, a shift after the frozen clock, its holder and a free taker."""

    scenario: Scenario
    rotation_id: int
    shift: dict
    offerer: dict[str, str]
    taker_id: int
    taker: dict[str, str]

    @property
    def coordinator(self) -> dict[str, str]:
        return self.scenario.territory.headers


def _shifts(client: TestClient, headers: dict[str, str], rotation_id: int) -> list[dict]:
    url = f"/v1/rotations/{rotation_id}/shifts?limit=200"
    return list(client.get(url, headers=headers).json()["items"])


def _free_on(shifts: list[dict], scenario: Scenario, day: date) -> int:
    """A GP with no shift in the week of ``day`` nor the day before or after it."""
    monday = day - timedelta(days=day.weekday())
    near = {monday + timedelta(days=n) for n in range(-1, 8)}
    busy = {s["practitioner_id"] for s in shifts if date.fromisoformat(s["day"]) in near}
    return next(gp.id for gp in scenario.gps if gp.id not in busy)


def _practitioner_headers(session: Session, scenario: Scenario, practitioner_id: int) -> dict:
    headers = make_user_headers(
        session,
        cpts_id=scenario.territory.cpts.id,
        role=Role.practitioner,
        practitioner_id=practitioner_id,
    )
    session.commit()
    return headers


def _swap(
    client: TestClient, session: Session, runner: JobRunner, *, approval: bool = False
) -> Swap:
    scenario = make_scenario(session, gps=8, name="CPTS Swap")
    rotation_id = solved_rotation(client, runner, scenario, start=JANUARY[0], end=JANUARY[1])
    headers = scenario.territory.headers
    assert client.post(f"/v1/rotations/{rotation_id}/publish", headers=headers).status_code == 200
    if approval:
        settings = client.patch(
            "/v1/settings", headers=headers, json={"swap_requires_approval": True}
        )
        assert settings.status_code == 200, settings.text
    shifts = _shifts(client, headers, rotation_id)
    shift = next(s for s in shifts if s["day"] == "2027-01-20")
    taker_id = _free_on(shifts, scenario, date(2027, 1, 20))
    return Swap(
        scenario=scenario,
        rotation_id=rotation_id,
        shift=shift,
        offerer=_practitioner_headers(session, scenario, shift["practitioner_id"]),
        taker_id=taker_id,
        taker=_practitioner_headers(session, scenario, taker_id),
    )


def _offer(client: TestClient, swap: Swap) -> dict:
    response = client.post(
        "/v1/swap-offers",
        headers=swap.offerer,
        json={"shift_id": swap.shift["id"], "note": "mariage"},
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def _holder_on_the_day(client: TestClient, swap: Swap) -> int:
    day = swap.shift["day"]
    url = f"/v1/rotations/{swap.rotation_id}/shifts?from={day}&to={day}"
    items = client.get(url, headers=swap.coordinator).json()["items"]
    assert len(items) == 1
    return int(items[0]["practitioner_id"])


def _change_kinds(client: TestClient, swap: Swap) -> list[str]:
    url = f"/v1/rotations/{swap.rotation_id}/changes"
    return [c["kind"] for c in client.get(url, headers=swap.coordinator).json()["items"]]


def _checker_violations(session: Session, rotation_id: int) -> list[solver.Violation]:
    rotation = session.get_one(Rotation, rotation_id)
    instance = build_input(session, rotation=rotation).instance
    shifts = session.scalars(
        select(Shift).where(Shift.rotation_id == rotation_id, Shift.status == "active")
    )
    return solver.check(instance, [as_assignment(s) for s in shifts])


def test_swap_without_approval_moves_the_shift_at_once(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    swap = _swap(client, session, job_runner)
    offer = _offer(client, swap)
    assert offer["status"] == "open" and offer["offered_by"] == swap.shift["practitioner_id"]
    assert offer["shift"]["starts_at"] == "2027-01-20T14:00:00+01:00"
    listed = client.get("/v1/swap-offers?status=open", headers=swap.taker).json()
    assert [o["id"] for o in listed["items"]] == [offer["id"]]

    accepted = client.post(f"/v1/swap-offers/{offer['id']}/accept", headers=swap.taker)

    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "done"
    assert accepted.json()["taken_by"] == swap.taker_id
    assert accepted.json()["decided_by"] is None
    assert _holder_on_the_day(client, swap) == swap.taker_id
    assert _change_kinds(client, swap) == ["publish", "swap_offer", "swap"]
    history = client.get(
        f"/v1/rotations/{swap.rotation_id}/changes", headers=swap.coordinator
    ).json()["items"]
    assert history[-1]["reason"] == f"swap offer {offer['id']}: mariage"
    assert history[-1]["details"]["cancelled_shift_ids"] == [swap.shift["id"]]
    assert _checker_violations(session, swap.rotation_id) == []


def test_swap_with_approval_moves_only_when_the_coordinator_approves(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    swap = _swap(client, session, job_runner, approval=True)
    offer = _offer(client, swap)

    accepted = client.post(f"/v1/swap-offers/{offer['id']}/accept", headers=swap.taker)

    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "pending_approval"
    assert _holder_on_the_day(client, swap) == swap.shift["practitioner_id"]
    taker_approving = client.post(f"/v1/swap-offers/{offer['id']}/approve", headers=swap.taker)
    assert taker_approving.status_code == 403
    approved = client.post(
        f"/v1/swap-offers/{offer['id']}/approve",
        headers=swap.coordinator,
        json={"reason": "vu avec les deux"},
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "done"
    assert approved.json()["decided_by"] == swap.scenario.territory.coordinator.id
    assert _holder_on_the_day(client, swap) == swap.taker_id
    assert _change_kinds(client, swap) == ["publish", "swap_offer", "swap_accept", "swap"]
    again = client.post(f"/v1/swap-offers/{offer['id']}/approve", headers=swap.coordinator)
    assert again.status_code == 409


def test_rejected_swap_leaves_the_shift_with_its_holder(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    swap = _swap(client, session, job_runner, approval=True)
    offer = _offer(client, swap)
    assert client.post(f"/v1/swap-offers/{offer['id']}/accept", headers=swap.taker).is_success

    rejected = client.post(
        f"/v1/swap-offers/{offer['id']}/reject", headers=swap.coordinator, json={"reason": "non"}
    )

    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert _holder_on_the_day(client, swap) == swap.shift["practitioner_id"]
    assert _change_kinds(client, swap)[-1] == "swap_reject"
    retaken = client.post(f"/v1/swap-offers/{offer['id']}/accept", headers=swap.taker)
    assert retaken.status_code == 409
    assert "rejected" in retaken.json()["error"]["message"]


def test_approval_rechecks_the_rules_at_that_moment(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    swap = _swap(client, session, job_runner, approval=True)
    offer = _offer(client, swap)
    assert client.post(f"/v1/swap-offers/{offer['id']}/accept", headers=swap.taker).is_success
    absence = {"start_date": swap.shift["day"], "end_date": swap.shift["day"]}
    url = f"/v1/practitioners/{swap.taker_id}/absences"
    assert client.post(url, headers=swap.taker, json=absence).status_code == 201

    approved = client.post(f"/v1/swap-offers/{offer['id']}/approve", headers=swap.coordinator)

    assert approved.status_code == 409
    assert "availability" in approved.json()["error"]["message"]
    assert _holder_on_the_day(client, swap) == swap.shift["practitioner_id"]


def test_accepting_on_a_day_of_absence_is_409_naming_availability(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    swap = _swap(client, session, job_runner)
    offer = _offer(client, swap)
    absence = {"start_date": "2027-01-19", "end_date": "2027-01-21", "reason": "congés"}
    url = f"/v1/practitioners/{swap.taker_id}/absences"
    assert client.post(url, headers=swap.coordinator, json=absence).status_code == 201

    refused = client.post(f"/v1/swap-offers/{offer['id']}/accept", headers=swap.taker)

    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "hard_rule_violated"
    assert "availability" in refused.json()["error"]["message"]
    still = client.get(f"/v1/swap-offers/{offer['id']}", headers=swap.offerer).json()
    assert still["status"] == "open" and still["taken_by"] is None
    assert _holder_on_the_day(client, swap) == swap.shift["practitioner_id"]


def test_offers_are_for_own_future_shifts_once(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    swap = _swap(client, session, job_runner)
    shifts = _shifts(client, swap.coordinator, swap.rotation_id)
    someone_elses = next(s for s in shifts if s["practitioner_id"] != swap.shift["practitioner_id"])
    past = next(s for s in shifts if s["day"] == "2027-01-05")
    past_headers = _practitioner_headers(session, swap.scenario, past["practitioner_id"])
    _offer(client, swap)

    cases = [
        (swap.offerer, someone_elses["id"], 403),
        (swap.coordinator, swap.shift["id"], 403),
        (past_headers, past["id"], 409),
        (swap.offerer, swap.shift["id"], 409),
        (swap.offerer, 999_999, 404),
    ]
    for headers, shift_id, expected in cases:
        response = client.post("/v1/swap-offers", headers=headers, json={"shift_id": shift_id})
        assert response.status_code == expected, (shift_id, response.text)
    assert (
        "already started"
        in client.post(
            "/v1/swap-offers", headers=past_headers, json={"shift_id": past["id"]}
        ).json()["error"]["message"]
    )


def test_taker_must_be_another_practitioner_of_the_same_profession(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    swap = _swap(client, session, job_runner)
    offer = _offer(client, swap)
    nurse = make_practitioner(
        session, cpts_id=swap.scenario.territory.cpts.id, profession=Profession.nurse
    )
    nurse_headers = _practitioner_headers(session, swap.scenario, nurse.id)
    url = f"/v1/swap-offers/{offer['id']}/accept"

    own = client.post(url, headers=swap.offerer)
    other_profession = client.post(url, headers=nurse_headers)
    coordinator = client.post(url, headers=swap.coordinator)

    assert own.status_code == 409 and "your own" in own.json()["error"]["message"]
    assert other_profession.status_code == 422
    assert "only be taken by a gp" in other_profession.json()["error"]["message"]
    assert coordinator.status_code == 403
    nurse_list = client.get("/v1/swap-offers", headers=nurse_headers).json()
    assert nurse_list["total"] == 0
    assert client.get(f"/v1/swap-offers/{offer['id']}", headers=nurse_headers).status_code == 404


def test_only_the_offerer_withdraws_an_open_offer(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    swap = _swap(client, session, job_runner)
    offer = _offer(client, swap)
    url = f"/v1/swap-offers/{offer['id']}/withdraw"

    assert client.post(url, headers=swap.taker).status_code == 403
    withdrawn = client.post(url, headers=swap.offerer)

    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    assert client.post(url, headers=swap.offerer).status_code == 409
    accept = client.post(f"/v1/swap-offers/{offer['id']}/accept", headers=swap.taker)
    assert accept.status_code == 409
    again = client.post(
        "/v1/swap-offers", headers=swap.offerer, json={"shift_id": swap.shift["id"]}
    )
    assert again.status_code == 201, "a withdrawn offer frees the shift for a new one"


def test_list_filters_by_status_and_rotation_and_the_coordinator_sees_all(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    swap = _swap(client, session, job_runner)
    offer = _offer(client, swap)
    rotation = swap.rotation_id
    queries = {
        f"/v1/swap-offers?rotation_id={rotation}": 1,
        f"/v1/swap-offers?rotation_id={rotation + 1000}": 0,
        "/v1/swap-offers?status=open": 1,
        "/v1/swap-offers?status=done": 0,
    }
    for url, total in queries.items():
        assert client.get(url, headers=swap.coordinator).json()["total"] == total, url
    page = client.get("/v1/swap-offers?limit=1", headers=swap.offerer).json()
    assert page["limit"] == 1 and page["items"][0]["id"] == offer["id"]
    assert client.get("/v1/swap-offers?status=nope", headers=swap.taker).status_code == 422


def test_swaps_stay_inside_their_cpts_and_pharmacists_have_no_say(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    swap = _swap(client, session, job_runner)
    offer = _offer(client, swap)
    elsewhere = make_scenario(session, name="CPTS Ailleurs")
    stranger = _practitioner_headers(session, elsewhere, elsewhere.gps[0].id)
    _, pharmacist = make_pharmacy_with_headers(session, cpts_id=swap.scenario.territory.cpts.id)

    assert client.get(f"/v1/swap-offers/{offer['id']}", headers=stranger).status_code == 404
    assert client.post(f"/v1/swap-offers/{offer['id']}/accept", headers=stranger).status_code == 404
    stolen = client.post("/v1/swap-offers", headers=stranger, json={"shift_id": swap.shift["id"]})
    assert stolen.status_code == 404
    approve = f"/v1/swap-offers/{offer['id']}/approve"
    assert client.post(approve, headers=elsewhere.territory.headers).status_code == 404
    assert client.get("/v1/swap-offers", headers=stranger).json()["total"] == 0
    assert client.get("/v1/swap-offers", headers=pharmacist).status_code == 403
    taken = client.post(f"/v1/swap-offers/{offer['id']}/accept", headers=pharmacist)
    assert taken.status_code == 403
