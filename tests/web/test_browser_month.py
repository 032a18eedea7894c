"""The coordinator's month in headless Chromium against the live server, on SQLite and
PostgreSQL: draft → solve (progress seen, the page refreshing itself) → a gap shown with its
reason → publish; a replacement refused with the rule's sentence, then forced with a reason
and found in the history; an absence and its repair showing what changed; a practitioner
refused the console but reading the shared planning. Every page passes axe-core."""

from collections.abc import Iterator
from datetime import date

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import select

from app.french import french_day
from app.practitioners.models import Practitioner
from app.rotations.jobs import JobRunner
from app.rotations.models import Rotation, Shift, ShiftStatus
from app.rotations.solver_process import SolverProcess
from app.users.models import Role
from tests.web.browser import check_page
from tests.web.live import Live

EVERYONE_AWAY = date(2027, 2, 10)
"""Every GP is absent that day: the solver leaves a gap and says why."""
MARTIN_AWAY = date(2027, 2, 16)
"""Dr Martin is absent that day: giving him that day's shift breaks the availability rule."""


@pytest.fixture
def runner(live: Live, solver_process: SolverProcess) -> Iterator[JobRunner]:
    """Runs the live server's queued solves when the test says so."""
    yield JobRunner(live.sessions, solver_process=solver_process)


def _absent(live: Live, practitioner_id: int, day: date) -> None:
    answer = live.api.post(
        f"/v1/practitioners/{practitioner_id}/absences",
        headers=live.coordinator,
        json={"start_date": day.isoformat(), "end_date": day.isoformat(), "reason": "congés"},
    )
    assert answer.status_code == 201, answer.text


def _signed_in(context: BrowserContext, live: Live, role: Role, email: str, **ids: int) -> Page:
    user = live.new_user(role=role, name=email, **ids)
    live.invite(user, email)
    page = context.new_page()
    page.goto(live.last_link(email))
    page.get_by_role("button", name="Se connecter").click()
    return page


def _martin(live: Live) -> Practitioner:
    with live.sessions() as session:
        found = session.scalars(
            select(Practitioner).where(
                Practitioner.cpts_id == live.cpts_id, Practitioner.last_name == "Martin"
            )
        ).one()
        session.expunge(found)
        return found


def _february_shift(live: Live, day: date) -> Shift:
    with live.sessions() as session:
        found = session.scalars(
            select(Shift)
            .join(Rotation, Rotation.id == Shift.rotation_id)
            .where(
                Rotation.cpts_id == live.cpts_id,
                Shift.day == day,
                Shift.status == ShiftStatus.active.value,
            )
        ).one()
        session.expunge(found)
        return found


def _build_and_publish(page: Page, runner: JobRunner, axe_source: str) -> None:
    """Draft → solve (progress seen) → report → gap with its reason → publish."""
    page.get_by_role("link", name="Février 2027").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Planning de février 2027")
    page.get_by_role("button", name="Créer le brouillon de février 2027").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Planning du lundi 1 février")
    check_page(page, axe_source, "coordination-brouillon")
    page.get_by_label("Durée maximale du calcul (secondes)").fill("20")
    page.get_by_role("button", name="Lancer le calcul").click()
    status = page.get_by_role("status")
    expect(status).to_contain_text("En file d'attente")
    expect(page.get_by_role("progressbar", name="Avancement du calcul")).to_be_visible()
    check_page(page, axe_source, "coordination-calcul")
    assert runner.run_pending() == 1
    expect(status).to_contain_text("Terminé")  # the page refreshed itself
    page.get_by_role("link", name="Voir le rapport de qualité et publier").click()
    expect(page.get_by_role("heading", name="Rapport de qualité")).to_be_visible()
    gap = page.locator(".gap-item").filter(has_text=french_day(EVERYONE_AWAY))
    expect(gap).to_contain_text("4 médecins généralistes du secteur Nord : 4 absent·es")
    check_page(page, axe_source, "coordination-rapport")
    page.get_by_role("link", name="grille de février 2027").click()
    summary = page.locator("tr", has_text="mer. 10").get_by_text("Non couvert")
    summary.click()
    expect(page.locator("tr", has_text="mer. 10").locator("details p")).to_have_text(
        "4 médecins généralistes du secteur Nord : 4 absent·es"
    )
    check_page(page, axe_source, "coordination-mois")
    page.locator("tr", has_text="mer. 10").get_by_role("link", name="Affecter quelqu'un").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Affecter une garde le mercredi 10 février 2027"
    )
    check_page(page, axe_source, "coordination-affecter")
    page.get_by_role("link", name="retour au mois").click()
    page.get_by_role("link", name="Construire le planning du lundi 1 février 2027").click()
    page.get_by_role("button", name="Publier le planning").click()
    expect(page.get_by_text("publié", exact=True)).to_be_visible()


def _refused_then_forced(page: Page, live: Live, axe_source: str) -> None:
    martin = _martin(live)
    shift = _february_shift(live, MARTIN_AWAY)
    page.goto(f"{live.url}/coordination/mois/2027-02")
    page.locator("tr", has_text="mar. 16").get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Garde du mardi 16 février 2027")
    check_page(page, axe_source, "coordination-garde")
    page.get_by_role("radio", name=f"{martin.first_name} Martin —").check()
    page.get_by_role("button", name="Remplacer").click()
    sentence = f"{martin.first_name} Martin est absent·e le mardi 16 février 2027"
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text(f"{sentence} (règle : disponibilité).")
    check_page(page, axe_source, "coordination-garde-refus")
    page.get_by_role("radio", name=f"{martin.first_name} Martin —").check()
    page.get_by_label("Passer outre les règles (avec le motif)").first.check()
    page.locator("#replace-reason").fill("seul volontaire joignable")
    page.get_by_role("button", name="Remplacer").click()
    expect(page.locator("main p").first).to_contain_text(f"{martin.first_name} Martin")
    page.get_by_role("link", name="historique du planning").click()
    entry = page.get_by_role("listitem").filter(has_text="seul volontaire joignable")
    expect(entry).to_contain_text("Remplacement")
    expect(entry).to_contain_text("forcé")
    expect(entry).to_contain_text(f"Règle passée outre : {sentence}")
    check_page(page, axe_source, "coordination-historique")
    assert _february_shift(live, MARTIN_AWAY).practitioner_id == martin.id != shift.practitioner_id


def _absence_and_repair(page: Page, live: Live, runner: JobRunner, axe_source: str) -> None:
    day = date(2027, 2, 18)
    shift = _february_shift(live, day)
    with live.sessions() as session:
        holder = session.get_one(Practitioner, shift.practitioner_id)
        name = f"{holder.first_name} {holder.last_name}"
    page.get_by_role("link", name="Absences").click()
    page.get_by_label("Praticien").select_option(str(holder.id))
    page.get_by_label("Premier jour").fill(day.isoformat())
    page.get_by_label("Dernier jour").fill(day.isoformat())
    page.get_by_label("Motif (facultatif)").fill("arrêt maladie")
    page.get_by_role("button", name="Enregistrer l'absence").click()
    expect(page.get_by_role("heading", name="Absence enregistrée")).to_be_visible()
    check_page(page, axe_source, "coordination-absence")
    page.get_by_role("button", name="Réparer ce planning").click()
    assert runner.run_pending() == 1
    changes = page.get_by_role("region", name="Ce que la réparation a changé")
    person = changes.get_by_role("listitem").filter(has_text=name).first
    expect(person).to_contain_text("garde annulée : jeudi 18 février 2027")
    expect(changes).to_contain_text("garde ajoutée : jeudi 18 février 2027")
    check_page(page, axe_source, "coordination-reparation")


def test_coordinator_builds_changes_and_repairs_the_month(
    context: BrowserContext, live: Live, runner: JobRunner, axe_source: str
) -> None:
    for gp_id in live.gp_ids:
        _absent(live, gp_id, EVERYONE_AWAY)
    _absent(live, _martin(live).id, MARTIN_AWAY)
    page = _signed_in(context, live, Role.coordinator, "coordination@cpts.example")
    expect(page.get_by_role("heading", level=1)).to_have_text("Coordination")
    check_page(page, axe_source, "coordination")
    _build_and_publish(page, runner, axe_source)
    _refused_then_forced(page, live, axe_source)
    _absence_and_repair(page, live, runner, axe_source)
    page.get_by_role("link", name="Échanges").click()
    expect(page.get_by_text("Aucun échange n'attend votre accord.")).to_be_visible()
    check_page(page, axe_source, "coordination-echanges")


def test_practitioner_is_refused_the_console_and_reads_the_shared_planning(
    context: BrowserContext, live: Live, axe_source: str
) -> None:
    page = _signed_in(
        context, live, Role.practitioner, "dr.dubois@cab.example", practitioner_id=live.gp_ids[2]
    )
    response = page.goto(f"{live.url}/coordination/mois/2027-01")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Accès refusé")
    check_page(page, axe_source, "coordination-refusee")
    page.get_by_role("link", name="Planning partagé").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Planning partagé de janvier 2027")
    expect(page.get_by_role("region", name="Planning de janvier 2027")).to_contain_text("Martin")
    assert page.get_by_role("link", name="Martin").count() == 0  # read-only
    page.set_viewport_size({"width": 360, "height": 800})
    check_page(page, axe_source, "planning-partage")
