"""In headless Chromium, on SQLite and PostgreSQL: a GP books a physio's slot for their
patient, then posts a request ("demande") that a physio accepts with "Accepter"; the GP
sees it accepted. Every page passes axe-core; screenshots when WEB_SCREENSHOTS is set."""

from datetime import timedelta

from playwright.sync_api import Browser, BrowserContext, Page, expect

from app.professions import Profession
from app.slots.search import slots_changed
from app.users.models import Role
from tests.app.care_request_scenarios import HOME_COMMUNE, visits_at_home
from tests.factories import make_open_slots, make_practitioner
from tests.web.browser import check_page
from tests.web.live import START, Live

PATIENT = {
    "Nom ou initiales": "B. L.",
    "Année de naissance": "2025",
    "Téléphone de rappel": "06 12 34 56 78",
}


def _signed_in(context: BrowserContext, live: Live, practitioner_id: int, email: str) -> Page:
    user = live.new_user(role=Role.practitioner, name=email, practitioner_id=practitioner_id)
    live.invite(user, email)
    page = context.new_page()
    page.goto(live.last_link(email))
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ma journée")
    return page


def _fill_patient(page: Page) -> None:
    for label, value in PATIENT.items():
        page.get_by_label(label).fill(value)
    page.get_by_label("Motif").select_option("respiratory")


def test_gp_books_a_physio_slot_then_a_physio_accepts_the_gps_request(
    browser: Browser, context: BrowserContext, live: Live, axe_source: str
) -> None:
    with live.sessions() as session:
        # this evening, after the GPs' slots the other browser tests book
        make_open_slots(
            session,
            cpts_id=live.cpts_id,
            count=2,
            first_start=START + timedelta(hours=7),
            profession=Profession.physio,
        )
        physio = make_practitioner(
            session, cpts_id=live.cpts_id, profession=Profession.physio, last_name="Kiné"
        )
        physio_id = physio.id
        visits_at_home(session, physio_id, HOME_COMMUNE)  # the request is a home visit there
        session.commit()
    slots_changed(live.cpts_id)
    gp = _signed_in(context, live, live.gp_ids[0], "dr.referent@cabinet.example")

    gp.get_by_role("link", name="Orienter un patient").click()
    gp.get_by_label("kinésithérapeute").check()
    gp.get_by_label("dans les 24 h").check()
    gp.get_by_role("button", name="Rechercher").click()
    expect(gp.get_by_text("Lefebvre").first).to_be_visible()
    check_page(gp, axe_source, "orienter-medecin")
    gp.get_by_role("link", name="Choisir").first.click()
    _fill_patient(gp)
    gp.get_by_role("button", name="Confirmer l'orientation").click()
    expect(gp.get_by_role("heading", level=1)).to_have_text("Orientation confirmée")
    expect(gp.get_by_role("region", name="À lire ou imprimer pour le patient")).to_contain_text(
        "kinésithérapeute"
    )
    check_page(gp, axe_source, "confirmation-medecin")

    gp.get_by_role("link", name="Demandes").click()
    gp.get_by_role("link", name="Nouvelle demande").click()
    gp.get_by_label("kinésithérapeute").check()
    gp.get_by_label("Acte ou compétence attendue").fill(
        "kinésithérapie respiratoire (bronchiolite)"
    )
    gp.get_by_label("Visite à domicile").check()
    gp.get_by_label("Commune du patient (code INSEE)").fill("6925")
    gp.get_by_label("aujourd'hui").check()
    _fill_patient(gp)
    gp.get_by_role("button", name="Envoyer la demande").click()
    expect(gp.get_by_text("Indiquez le code INSEE")).to_be_visible()
    check_page(gp, axe_source, "demande-erreur")
    gp.get_by_label("Commune du patient (code INSEE)").fill("69259")
    gp.get_by_role("button", name="Envoyer la demande").click()
    expect(gp.get_by_role("heading", level=1)).to_contain_text("en attente")
    check_page(gp, axe_source, "demande")

    physio_context = browser.new_context(viewport={"width": 360, "height": 800}, bypass_csp=True)
    try:
        _physio_accepts(physio_context, live, physio_id, axe_source)
    finally:
        physio_context.close()
    gp.goto(f"{live.url}/demandes")
    mine = gp.get_by_role("region", name="Mes demandes")
    expect(mine).to_contain_text("acceptée")
    check_page(gp, axe_source, "mes-demandes")


def _physio_accepts(context: BrowserContext, live: Live, physio_id: int, axe_source: str) -> None:
    physio_page = _signed_in(context, live, physio_id, "kine.garde@cabinet.example")
    physio_page.get_by_role("link", name="Demandes").click()
    offered = physio_page.get_by_role("region", name="Demandes en attente pour ma profession")
    expect(offered).to_contain_text("kinésithérapie respiratoire")
    expect(offered).not_to_contain_text("B. L.")
    check_page(physio_page, axe_source, "demandes-a-prendre")
    offered.get_by_role("button", name="Accepter").first.click()
    expect(physio_page.get_by_role("heading", level=1)).to_contain_text("acceptée")
    expect(physio_page.get_by_text("B. L.")).to_be_visible()
    check_page(physio_page, axe_source, "demande-acceptee")
