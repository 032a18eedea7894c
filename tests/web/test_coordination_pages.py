"""The coordinator's console through the test client: the month grid and the shared
planning, building a draft, changing shifts with the rules in French, absence and repair,
swaps; and the error paths (bad month, CSRF, another CPTS's ids, a practitioner)."""

import re
from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.availability.models import Absence
from app.base import utcnow
from app.coverage.models import CoverageRule
from app.rotations.jobs import JobRunner
from app.rotations.models import Job, Rotation, RotationChange, Shift, ShiftStatus, SwapOffer
from app.users.models import Role
from tests.app.slot_scenarios import BookingScenario, make_booking_scenario
from tests.conftest import FrozenClock
from tests.factories import make_territory, make_user_headers
from tests.web.pages import csrf_of, signed_in_coordinator, signed_in_practitioner


def _shifts(session: Session, rotation_id: int) -> list[Shift]:
    query = select(Shift).where(
        Shift.rotation_id == rotation_id, Shift.status == ShiftStatus.active.value
    )
    return list(session.scalars(query.order_by(Shift.day, Shift.id)))


def _set_job(session: Session, job_id: int, **values: object) -> None:
    """Put a job in the state the runner gives it while solving (the runner is not running)."""
    session.execute(update(Job).where(Job.id == job_id).values(**values))
    session.commit()


def _post(client: TestClient, page: str, action: str, **data: str) -> object:
    form = client.get(page)
    assert form.status_code == 200, form.text
    return client.post(action, data={"csrf": csrf_of(form.text), **data}, follow_redirects=False)


def test_month_grid_names_who_is_on_call_and_marks_weekends_and_holidays(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    booking = make_booking_scenario(client, session, job_runner)
    signed_in_coordinator(client, session, booking.scenario.territory)
    assert client.get("/", follow_redirects=False).headers["location"] == "/coordination"
    home = client.get("/coordination")
    assert home.status_code == 200 and 'href="/coordination/mois/2027-01"' in home.text
    links = set(re.findall(r'href="(/[^"]*)"', home.text))
    assert {"/coordination/praticiens", "/coordination/carte", "/planning"} <= links
    for link in links - {"/static/web/style.css", "/static/web/console.css"}:
        assert client.get(link).status_code == 200, link  # no broken link on the home page
    month = client.get("/coordination/mois/2027-01")
    assert month.status_code == 200
    shifts = _shifts(session, booking.rotation_id)
    for shift in shifts:
        assert f'href="/coordination/gardes/{shift.id}"' in month.text
    assert month.text.count('<tr class="holiday">') == 1  # 1 January
    assert month.text.count('<tr class="weekend">') == 10
    filtered = client.get("/coordination/mois/2027-01", params={"profession": "nurse"})
    assert filtered.status_code == 200 and "/coordination/gardes/" not in filtered.text
    session.add(
        CoverageRule(
            cpts_id=booking.scenario.territory.cpts.id,
            day_kind="mon",
            profession="nurse",
            sector_id=None,
            required=1,
        )
    )
    session.commit()
    sector = {"secteur": str(booking.scenario.sector_id)}
    by_sector = client.get("/coordination/mois/2027-01", params=sector)
    assert by_sector.text.count("/coordination/gardes/") == len(shifts)
    assert "Territoire" in by_sector.text  # territory-wide columns serve every sector
    shared = client.get("/planning/2027-01")
    assert shared.status_code == 200 and "/coordination/gardes/" not in shared.text
    assert shared.text.count('class="who"') == len(shifts)


def test_draft_of_a_month_is_created_solved_reported_and_published(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    booking = make_booking_scenario(client, session, job_runner)
    signed_in_coordinator(client, session, booking.scenario.territory)
    created = _post(client, "/coordination/mois/2027-02", "/coordination/mois/2027-02/brouillon")
    assert created.status_code == 303  # type: ignore[attr-defined]
    page = created.headers["location"]  # type: ignore[attr-defined]
    rotation_id = int(page.rsplit("/", 1)[1])
    again = _post(client, "/coordination/mois/2027-02", "/coordination/mois/2027-02/brouillon")
    assert again.status_code == 409 and "Construire" in again.text  # type: ignore[attr-defined]
    too_long = _post(client, page, f"{page}/calcul", time_limit_s="900")
    assert too_long.status_code == 422  # type: ignore[attr-defined]
    solving = _post(client, page, f"{page}/calcul", time_limit_s="20")
    job_page = solving.headers["location"]  # type: ignore[attr-defined]
    waiting = client.get(job_page)
    assert 'data-refresh="2"' in waiting.text and "En file d&#39;attente" in waiting.text
    job_id = int(job_page.rsplit("/", 1)[1])
    so_far = {"parts": 5, "parts_covered": 3, "parts_done": 1, "uncovered": 2}
    _set_job(session, job_id, status="running", progress=0.4, started_at=utcnow(), result=so_far)
    running = client.get(job_page)
    assert "Calcul en cours" in running.text and 'value="40"' in running.text
    assert re.search(
        r"couvertes au mieux</dt><dd>3 sur 5.*terminées.*?<dd>1 sur 5", running.text, re.S
    )
    assert "non couverts jusqu'ici</dt><dd>2</dd>" in running.text
    assert re.search(r"Depuis \d+ s", running.text) and 'data-refresh="2"' in running.text
    _set_job(session, job_id, status="queued", progress=0.0, started_at=None, result=None)
    assert job_runner.run_pending() == 1
    done = client.get(job_page)
    assert "data-refresh" not in done.text and "Terminé" in done.text
    assert "Résultat" in done.text and "jusqu'ici" not in done.text
    report = client.get(page)
    assert "Rapport de qualité" in report.text and "Couverture" in report.text
    first = _shifts(session, rotation_id)[0]
    locked = _post(
        client,
        f"/coordination/gardes/{first.id}",
        f"/coordination/gardes/{first.id}/verrou",
        locked="1",
    )
    assert locked.status_code == 303  # type: ignore[attr-defined]
    resolve = _post(client, page, f"{page}/calcul", time_limit_s="20")
    assert resolve.status_code == 303  # type: ignore[attr-defined]
    assert job_runner.run_pending() == 1
    session.expire_all()
    assert session.get_one(Shift, first.id).status == ShiftStatus.active.value
    published = _post(client, page, f"{page}/publication")
    assert published.status_code == 303  # type: ignore[attr-defined]
    session.expire_all()
    assert session.get_one(Rotation, rotation_id).status == "published"
    shared = client.get("/planning/2027-02")
    assert shared.text.count('class="who"') == len(_shifts(session, rotation_id)) > 0


def test_replacement_breaking_a_rule_is_refused_in_french_then_forced(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    booking = make_booking_scenario(client, session, job_runner)
    signed_in_coordinator(client, session, booking.scenario.territory)
    shift = next(s for s in _shifts(session, booking.rotation_id) if s.day > date(2027, 1, 13))
    other = next(g for g in booking.scenario.gps if g.id != shift.practitioner_id)
    session.add(
        Absence(
            cpts_id=other.cpts_id,
            practitioner_id=other.id,
            start_date=shift.day,
            end_date=shift.day,
        )
    )
    session.commit()
    url = f"/coordination/gardes/{shift.id}"
    page = client.get(url)
    assert "est absent·e le" in page.text  # the excluded colleague, and why
    refused = _post(client, url, f"{url}/remplacement", practitioner_id=str(other.id))
    assert refused.status_code == 409  # type: ignore[attr-defined]
    name = f"{other.first_name} {other.last_name}"
    assert f"{name} est absent·e le" in refused.text  # type: ignore[attr-defined]
    assert "(règle : disponibilité)" in refused.text  # type: ignore[attr-defined]
    no_reason = _post(client, url, f"{url}/remplacement", practitioner_id=str(other.id), force="1")
    assert no_reason.status_code == 422  # type: ignore[attr-defined]
    forced = _post(
        client,
        url,
        f"{url}/remplacement",
        practitioner_id=str(other.id),
        force="1",
        reason="seul volontaire",
    )
    assert forced.status_code == 303  # type: ignore[attr-defined]
    history = client.get(f"/coordination/plannings/{booking.rotation_id}/historique")
    assert "seul volontaire" in history.text and "forcé" in history.text
    assert f"Règle passée outre : {name} est absent·e" in history.text


def test_absence_then_repair_shows_what_changed_per_person(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    booking = make_booking_scenario(client, session, job_runner)
    signed_in_coordinator(client, session, booking.scenario.territory)
    shift = next(s for s in _shifts(session, booking.rotation_id) if s.day > date(2027, 1, 14))
    recorded = _post(
        client,
        "/coordination/absences",
        "/coordination/absences",
        practitioner_id=str(shift.practitioner_id),
        start_date=shift.day.isoformat(),
        end_date=shift.day.isoformat(),
        reason="malade",
    )
    assert recorded.status_code == 201  # type: ignore[attr-defined]
    assert "Réparer ce planning" in recorded.text  # type: ignore[attr-defined]
    action = f"/coordination/plannings/{booking.rotation_id}/reparation"
    repair = client.post(
        action,
        data={
            "csrf": csrf_of(recorded.text),  # type: ignore[attr-defined]
            "from_day": shift.day.isoformat(),
            "reason": "absence",
        },
        follow_redirects=False,
    )
    assert repair.status_code == 303
    assert job_runner.run_pending() == 1
    changes = client.get(repair.headers["location"])
    assert "Ce que la réparation a changé" in changes.text
    assert f"garde annulée : {_french(shift.day)}" in changes.text
    assert changes.text.count("garde ajoutée") >= 1


def _french(day: date) -> str:
    from app.french import french_day

    return french_day(day)


def test_error_paths_are_french_pages(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    booking = make_booking_scenario(client, session, job_runner)
    other = make_territory(session, name="CPTS Ailleurs")
    session.commit()
    signed_in_coordinator(client, session, booking.scenario.territory)
    for bad in ("2027-13", "février", "99999-01"):
        page = client.get(f"/coordination/mois/{bad}")
        assert page.status_code == 404 and "Page introuvable" in page.text
    foreign_rotation = session.scalar(select(Rotation.id).order_by(Rotation.id.desc()))
    assert foreign_rotation is not None
    rotation_of_other = client.post(
        "/v1/rotations",
        headers=other.headers,
        json={"period_start": "2027-03-01", "period_end": "2027-03-31"},
    ).json()["id"]
    for url in (
        f"/coordination/plannings/{rotation_of_other}",
        "/coordination/gardes/999999",
        "/coordination/calculs/999999",
        "/coordination/mois/2027-01?secteur=999999",
    ):
        page = client.get(url)
        assert page.status_code == 404 and "Page introuvable" in page.text, url
    no_csrf = client.post("/coordination/mois/2027-02/brouillon", data={})
    assert no_csrf.status_code == 403 and "Formulaire expiré" in no_csrf.text
    assert (
        session.scalar(select(Rotation.id).where(Rotation.period_start == date(2027, 2, 1))) is None
    )


def test_practitioner_cannot_open_coordinator_pages_but_reads_the_shared_planning(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    booking = make_booking_scenario(client, session, job_runner)
    signed_in_practitioner(client, session, booking, booking.scenario.gps[0].id)
    for url in ("/coordination", "/coordination/mois/2027-01", "/coordination/absences"):
        page = client.get(url)
        assert page.status_code == 403 and "Accès refusé" in page.text
    shared = client.get("/planning/2027-01")
    assert shared.status_code == 200 and "Planning partagé de janvier 2027" in shared.text
    assert re.search(r"Docteur\d", shared.text)
    assert session.scalar(select(Job.id).where(Job.kind == "repair")) is None
    assert session.scalar(select(RotationChange.id).where(RotationChange.forced)) is None


def _taken_offer(client: TestClient, session: Session, booking: BookingScenario) -> int:
    """A future shift offered by its holder and taken by a colleague, awaiting approval."""
    headers = booking.coordinator
    approval = client.patch("/v1/settings", headers=headers, json={"swap_requires_approval": True})
    assert approval.status_code == 200
    shift = next(s for s in _shifts(session, booking.rotation_id) if s.day > date(2027, 1, 14))
    cpts_id = booking.scenario.territory.cpts.id
    holder = make_user_headers(
        session, cpts_id=cpts_id, role=Role.practitioner, practitioner_id=shift.practitioner_id
    )
    offer = client.post("/v1/swap-offers", headers=holder, json={"shift_id": shift.id})
    assert offer.status_code == 201, offer.text
    for gp in booking.scenario.gps:
        taker = make_user_headers(
            session, cpts_id=cpts_id, role=Role.practitioner, practitioner_id=gp.id
        )
        taken = client.post(f"/v1/swap-offers/{offer.json()['id']}/accept", headers=taker)
        if taken.status_code == 200:
            return int(offer.json()["id"])
    raise AssertionError("no colleague could take the shift")


def test_coordinator_approves_one_swap_and_rejects_another(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    booking = make_booking_scenario(client, session, job_runner)
    signed_in_coordinator(client, session, booking.scenario.territory)
    first = _taken_offer(client, session, booking)
    page = client.get("/coordination/echanges")
    assert f'action="/coordination/echanges/{first}/approbation"' in page.text
    approved = _post(
        client, "/coordination/echanges", f"/coordination/echanges/{first}/approbation"
    )
    assert approved.status_code == 303  # type: ignore[attr-defined]
    again = _post(client, "/coordination/echanges", f"/coordination/echanges/{first}/approbation")
    assert again.status_code == 409  # type: ignore[attr-defined]
    assert "Cet échange n&#39;est plus possible" in again.text  # type: ignore[attr-defined]
    second = _taken_offer(client, session, booking)
    rejected = _post(client, "/coordination/echanges", f"/coordination/echanges/{second}/refus")
    assert rejected.status_code == 303  # type: ignore[attr-defined]
    session.expire_all()
    assert session.get_one(SwapOffer, first).status == "done"
    assert session.get_one(SwapOffer, second).status == "rejected"
    assert "Aucun échange n'attend votre accord" in client.get("/coordination/echanges").text


def test_cancelled_shift_leaves_a_gap_that_the_coordinator_fills(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    booking = make_booking_scenario(client, session, job_runner)
    signed_in_coordinator(client, session, booking.scenario.territory)
    shifts = _shifts(session, booking.rotation_id)
    shift = next(s for s in shifts if s.day == date(2027, 1, 20))
    url = f"/coordination/gardes/{shift.id}"
    cancelled = _post(client, url, f"{url}/annulation", reason="congé imprévu")
    assert cancelled.status_code == 303  # type: ignore[attr-defined]
    month = client.get("/coordination/mois/2027-01")
    gap_link = re.search(r'href="(/coordination/plannings/\d+/affecter\?[^"]+)"', month.text)
    assert gap_link and "jour=2027-01-20" in gap_link.group(1)
    assert 'title="4 médecins généralistes du secteur Nord' in month.text
    form_url = gap_link.group(1).replace("&amp;", "&")
    action = form_url.split("?")[0]
    fields = dict(pair.split("=") for pair in form_url.split("?")[1].split("&"))
    day_before = next(s for s in shifts if s.day == date(2027, 1, 19))
    refused = _post(
        client, form_url, action, **fields, practitioner_id=str(day_before.practitioner_id)
    )
    assert refused.status_code == 409  # type: ignore[attr-defined]
    assert "(règle : repos entre deux gardes)" in refused.text  # type: ignore[attr-defined]
    holder = str(shift.practitioner_id)  # back on call, breaking no rule
    filled = _post(client, form_url, action, **fields, practitioner_id=holder, locked="1")
    assert filled.status_code == 303  # type: ignore[attr-defined]
    month = client.get("/coordination/mois/2027-01")
    assert "Non couvert" not in month.text and "verrouillée" in month.text
    foreign = client.get(form_url.replace("jour=2027-01-20", "jour=2027-03-20"))
    assert foreign.status_code == 404  # a day outside the planning
