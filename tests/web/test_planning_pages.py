"""The practitioner's planning pages through the test client: the month, free-slot times,
absences and preferences, the calendar link, offering and taking a shift."""

import re
from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.availability.models import Absence, Preference
from app.rotations.jobs import JobRunner
from app.rotations.models import Shift, SwapOffer
from app.slots.models import Slot
from tests.app.slot_scenarios import BookingScenario, make_booking_scenario
from tests.conftest import FrozenClock
from tests.web.pages import csrf_of, signed_in_practitioner


def _future_shift(session: Session, practitioner_id: int) -> Shift:
    shift = session.scalars(
        select(Shift)
        .where(Shift.practitioner_id == practitioner_id, Shift.day > date(2027, 1, 13))
        .order_by(Shift.starts_at)
    ).first()
    assert shift is not None
    return shift


def test_month_lists_my_afternoons_and_draws_the_grid(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    booking = make_booking_scenario(client, session, job_runner)
    gp = booking.scenario.gps[0]
    signed_in_practitioner(client, session, booking, gp.id)
    page = client.get("/praticien/astreintes", params={"mois": "2027-01"})
    assert page.status_code == 200 and "Mes astreintes de janvier 2027" in page.text
    mine = session.scalars(select(Shift).where(Shift.practitioner_id == gp.id)).all()
    assert page.text.count('class="tag"') == len(mine) > 0
    assert 'href="/praticien/astreintes?mois=2027-02"' in page.text
    assert 'href="/praticien/astreintes?mois=2026-12"' in page.text
    empty = client.get("/praticien/astreintes", params={"mois": "2027-03"})
    assert "Aucune astreinte ce mois-ci" in empty.text
    garbage = client.get("/praticien/astreintes", params={"mois": "99999-99"})
    assert garbage.status_code == 200 and "janvier 2027" in garbage.text


def test_practitioner_chooses_the_times_of_free_slots(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    booking = make_booking_scenario(client, session, job_runner)
    gp = booking.scenario.gps[0]
    signed_in_practitioner(client, session, booking, gp.id)
    shift = _future_shift(session, gp.id)
    url = f"/praticien/astreintes/{shift.id}/creneaux"
    form = client.get(url)
    assert form.status_code == 200
    saved = client.post(
        url, data={"csrf": csrf_of(form.text), "starts": "15:00, 18h30"}, follow_redirects=False
    )
    assert saved.status_code == 303
    open_slots = session.scalars(
        select(Slot).where(Slot.shift_id == shift.id, Slot.status == "open")
    ).all()
    assert sorted(f"{s.starts_at:%H:%M}" for s in open_slots) == ["14:00", "17:30"]  # UTC
    for wrong in ("quinze heures", "12:00"):
        refused = client.post(url, data={"csrf": csrf_of(form.text), "starts": wrong})
        assert refused.status_code == 422 and 'id="starts-error"' in refused.text
        assert f'value="{wrong}"' in refused.text
    other = _future_shift(session, booking.scenario.gps[1].id)
    assert client.get(f"/praticien/astreintes/{other.id}/creneaux").status_code == 404


def test_absences_and_preferences_are_declared_with_french_errors(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    booking = make_booking_scenario(client, session, job_runner)
    gp = booking.scenario.gps[0]
    signed_in_practitioner(client, session, booking, gp.id)
    page = client.get("/praticien/disponibilites")
    token = csrf_of(page.text)
    absence = {"csrf": token, "start_date": "2027-02-01", "end_date": "2027-02-05"}
    assert (
        client.post("/praticien/absences", data=absence, follow_redirects=False).status_code == 303
    )
    listed = client.get("/praticien/disponibilites").text
    assert "Du lundi 1 février 2027 au vendredi 5 février 2027" in listed
    overlap = client.post("/praticien/absences", data={**absence, "start_date": "2027-02-03"})
    assert overlap.status_code == 422 and "chevauche une absence" in overlap.text
    backwards = client.post(
        "/praticien/absences",
        data={**absence, "start_date": "2027-03-05", "end_date": "2027-03-01"},
    )
    assert (
        backwards.status_code == 422 and "Le dernier jour doit suivre le premier" in backwards.text
    )
    missing = client.post("/praticien/absences", data={"csrf": token, "end_date": "2027-03-01"})
    assert missing.status_code == 422 and "Indiquez le premier jour" in missing.text
    preference = {"csrf": token, "kind": "avoid", "weekday": "4"}
    assert client.post("/praticien/preferences", data=preference).status_code == 200
    assert "Le vendredi : à éviter" in client.get("/praticien/disponibilites").text
    assert session.scalars(select(Absence).where(Absence.practitioner_id == gp.id)).all()
    assert (
        len(session.scalars(select(Preference).where(Preference.practitioner_id == gp.id)).all())
        == 1
    )


def test_calendar_link_is_shown_once_and_a_new_one_replaces_it(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    booking = make_booking_scenario(client, session, job_runner)
    signed_in_practitioner(client, session, booking, booking.scenario.gps[0].id)
    page = client.get("/praticien/agenda")
    assert "Obtenir mon lien d&#39;agenda" in page.text
    issued = client.post("/praticien/agenda", data={"csrf": csrf_of(page.text)})
    https = re.search(r'id="https" readonly value="([^"]+)"', issued.text).group(1)  # type: ignore[union-attr]
    webcal = re.search(r'id="webcal" readonly value="([^"]+)"', issued.text).group(1)  # type: ignore[union-attr]
    assert webcal == "webcal://" + https.split("://", 1)[1]
    path = "/" + https.split("/", 3)[3]
    feed = client.get(path)
    assert feed.status_code == 200 and "BEGIN:VCALENDAR" in feed.text
    client.post("/praticien/agenda", data={"csrf": csrf_of(page.text)})
    assert client.get(path).status_code == 404


def _swappable(session: Session, booking: BookingScenario) -> tuple[Shift, int]:
    """A future shift and a colleague who may take it under the hard rules (no afternoon
    the day before or after, under the weekly and monthly maxima)."""
    shifts = session.scalars(select(Shift).where(Shift.status == "active")).all()
    for shift in sorted(shifts, key=lambda s: s.starts_at):
        if shift.day <= date(2027, 1, 13):
            continue
        for gp in booking.scenario.gps:
            days = [s.day for s in shifts if s.practitioner_id == gp.id]
            near = any(abs((d - shift.day).days) <= 1 for d in days)
            week = sum(d.isocalendar()[1] == shift.day.isocalendar()[1] for d in days)
            if gp.id != shift.practitioner_id and not near and week < 2 and len(days) < 6:
                return shift, gp.id
    raise AssertionError("no swappable shift in the scenario")


def test_a_shift_offered_by_one_is_taken_by_a_colleague(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    booking = make_booking_scenario(client, session, job_runner)
    shift, taker_id = _swappable(session, booking)
    giver_id = shift.practitioner_id
    signed_in_practitioner(client, session, booking, giver_id)
    page = client.get("/praticien/echanges")
    offered = client.post(
        "/praticien/echanges",
        data={"csrf": csrf_of(page.text), "shift_id": str(shift.id), "note": "mariage"},
        follow_redirects=False,
    )
    assert offered.status_code == 303
    offer = session.scalars(select(SwapOffer).where(SwapOffer.shift_id == shift.id)).one()
    colleague = TestClient(client.app, raise_server_exceptions=False)
    signed_in_practitioner(colleague, session, booking, taker_id)
    listing = colleague.get("/praticien/echanges")
    assert "mariage" in listing.text and f"/praticien/echanges/{offer.id}/accepter" in listing.text
    taken = colleague.post(
        f"/praticien/echanges/{offer.id}/accepter", data={"csrf": csrf_of(listing.text)}
    )
    assert taken.status_code == 200 and "échangé" in taken.text
    session.expire_all()
    offer = session.get_one(SwapOffer, offer.id)
    assert offer.taken_by == taker_id and offer.status == "done"
    moved = session.scalars(
        select(Shift.practitioner_id).where(
            Shift.day == shift.day, Shift.status == "active", Shift.block == shift.block
        )
    ).all()
    assert moved == [taker_id]
    again = client.post(
        f"/praticien/echanges/{offer.id}/accepter", data={"csrf": csrf_of(page.text)}
    )
    assert again.status_code == 409 and "Échange impossible" in again.text
