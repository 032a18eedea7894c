"""End to end in headless Chromium against a live server, on SQLite and PostgreSQL: sign-in
by invitation and by e-mailed link, the pharmacist's booking (with the mouse, with the
keyboard only, and losing a race), the practitioner's day, CSRF and tenant checks. Every
page visited passes axe-core without a serious or critical violation."""

import re
from datetime import datetime, timedelta

from playwright.sync_api import Browser, BrowserContext, Page, expect

from app.users.models import Role
from tests.web.browser import check_page
from tests.web.live import START, Live

PATIENT = {
    "Nom ou initiales": "M. D.",
    "Année de naissance": "1984",
    "Téléphone de rappel": "06 12 34 56 78",
}


def _pharmacist_page(context: BrowserContext, live: Live, email: str) -> Page:
    user = live.new_user(role=Role.pharmacist, name=email, pharmacy_id=live.pharmacy_id)
    live.invite(user, email)
    page = context.new_page()
    page.goto(live.last_link(email))
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Orienter un patient")
    return page


def _search(page: Page, axe_source: str | None = None) -> None:
    page.get_by_label("dans les 24 h").check()
    page.get_by_role("button", name="Rechercher").click()
    expect(
        page.get_by_role("heading", name="Créneaux libres, les plus proches d'abord")
    ).to_be_visible()
    if axe_source:
        check_page(page, axe_source, "orienter-resultats")


def _fill_patient(page: Page) -> None:
    for label, value in PATIENT.items():
        page.get_by_label(label).fill(value)
    page.get_by_label("Motif").select_option("infection")


def test_invitation_then_link_sign_in_with_emails_caught_by_smtp(
    context: BrowserContext, live: Live, axe_source: str
) -> None:
    email = "lea.invitee@pharma.example"
    user = live.new_user(role=Role.pharmacist, name="Léa Invitée", pharmacy_id=live.pharmacy_id)
    live.invite(user, email)
    invitation = live.last_link(email)
    page = context.new_page()
    page.goto(invitation)
    check_page(page, axe_source, "lien-connexion")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Orienter un patient")
    check_page(page, axe_source, "orienter")
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Connexion")
    check_page(page, axe_source, "connexion")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_role("button", name="Recevoir un lien de connexion").click()
    expect(page.get_by_role("status")).to_contain_text("un lien de connexion vient d'y être envoyé")
    check_page(page, axe_source, "connexion-envoye")
    link = live.last_link(email)
    assert link != invitation
    page.goto(link)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Orienter un patient")
    page.get_by_role("link", name="Mes sessions").click()
    expect(page.get_by_text("Cet appareil")).to_be_visible()
    check_page(page, axe_source, "mes-sessions")


def test_reused_and_expired_links_are_refused(
    context: BrowserContext, live: Live, axe_source: str
) -> None:
    email = "reuse@pharma.example"
    user = live.new_user(role=Role.pharmacist, name="Réemploi", pharmacy_id=live.pharmacy_id)
    live.invite(user, email)
    page = context.new_page()
    used = live.last_link(email)
    page.goto(used)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Orienter un patient")
    context.clear_cookies()
    page.goto(used)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Lien expiré ou déjà utilisé")
    check_page(page, axe_source, "lien-refuse")
    page.goto(f"{live.url}/connexion")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_role("button", name="Recevoir un lien de connexion").click()
    late = live.last_link(email)
    live.clock.now = START + timedelta(minutes=16)
    try:
        page.goto(late)
        page.get_by_role("button", name="Se connecter").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Lien expiré ou déjà utilisé")
    finally:
        live.clock.now = START


def test_pharmacist_books_a_slot_and_sees_the_confirmation(
    context: BrowserContext, live: Live, axe_source: str
) -> None:
    page = _pharmacist_page(context, live, "booker@pharma.example")
    _search(page, axe_source)
    page.get_by_role("link", name="Choisir").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Orienter le patient")
    check_page(page, axe_source, "patient")
    _fill_patient(page)
    page.get_by_label("Note courte (facultative)").fill("Fièvre depuis deux jours")
    page.get_by_role("button", name="Confirmer l'orientation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Orientation confirmée")
    confirmation = page.get_by_role("region", name="À lire ou imprimer pour le patient")
    expect(confirmation).to_contain_text("mardi 12 janvier 2027 à")
    expect(confirmation).to_contain_text("médecin")
    expect(confirmation).to_contain_text("Référence")
    check_page(page, axe_source, "confirmation")
    page.get_by_role("link", name="Orienter un autre patient").click()
    expect(page.get_by_role("heading", name="Orientations du jour")).to_be_visible()
    expect(page.get_by_text("réservé").first).to_be_visible()


def test_two_browsers_race_for_one_slot_and_the_loser_gets_three_others(
    browser: Browser, context: BrowserContext, live: Live, axe_source: str
) -> None:
    first = _pharmacist_page(context, live, "racer1@pharma.example")
    other_context = browser.new_context(viewport={"width": 360, "height": 800}, bypass_csp=True)
    try:
        second = _pharmacist_page(other_context, live, "racer2@pharma.example")
        for page in (first, second):
            _search(page)
            page.get_by_role("link", name="Choisir").first.click()
            _fill_patient(page)
        second.get_by_label("Nom ou initiales").fill("J. P.")
        first.get_by_role("button", name="Confirmer l'orientation").click()
        expect(first.get_by_role("heading", level=1)).to_have_text("Orientation confirmée")
        second.get_by_role("button", name="Confirmer l'orientation").click()
        expect(second.get_by_role("alert")).to_contain_text(
            "Ce créneau vient d'être pris par quelqu'un d'autre."
        )
        alternatives = second.get_by_role("group", name="Créneaux suivants").get_by_role("radio")
        expect(alternatives).to_have_count(3)
        expect(second.get_by_label("Nom ou initiales")).to_have_value("J. P.")
        expect(second.get_by_label("Téléphone de rappel")).to_have_value("06 12 34 56 78")
        expect(second.get_by_label("Motif")).to_have_value("infection")
        check_page(second, axe_source, "creneau-pris")
        alternatives.first.check()
        second.get_by_role("button", name="Confirmer l'orientation").click()
        expect(second.get_by_role("heading", level=1)).to_have_text("Orientation confirmée")
    finally:
        other_context.close()


def _tab_to(page: Page, name: str, limit: int = 40) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate("() => document.activeElement.innerText || ''")
        if focused.strip().startswith(name):
            return
    raise AssertionError(f"{name!r} never got the focus")


def test_keyboard_only_booking(context: BrowserContext, live: Live) -> None:
    page = _pharmacist_page(context, live, "keys@pharma.example")
    _tab_to(page, "Rechercher")
    page.keyboard.press("Enter")
    expect(
        page.get_by_role("heading", name="Créneaux libres, les plus proches d'abord")
    ).to_be_visible()
    _tab_to(page, "Choisir")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Orienter le patient")
    _tab_to(page, "Aller au contenu")
    page.keyboard.press("Enter")  # the skip link moves the focus to the page's content
    for field, value in (
        ("mode", None),
        ("display_name", "M. D."),
        ("birth_year", "1984"),
        ("phone", "06 12 34 56 78"),
    ):
        page.keyboard.press("Tab")
        assert page.evaluate("() => document.activeElement.id") == field
        if value:
            page.keyboard.type(value)
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "reason_category"
    page.keyboard.press("ArrowDown")  # the first reason category
    _tab_to(page, "Confirmer")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Orientation confirmée")
    expect(page.get_by_role("region", name="À lire ou imprimer pour le patient")).to_contain_text(
        "M. D."
    )


def test_practitioner_records_an_outcome_and_blocks_a_slot(
    context: BrowserContext, live: Live, axe_source: str
) -> None:
    offer = live.api.get("/v1/slots", headers=live.pharmacist).json()["items"][0]
    live.book(offer["slot_id"], patient="R. T.", reason="wound_care")
    email = "dr.day@cabinet.example"
    user = live.new_user(
        role=Role.practitioner, name="Dr Jour", practitioner_id=offer["practitioner"]["id"]
    )
    live.invite(user, email)
    page = context.new_page()
    page.set_viewport_size({"width": 360, "height": 800})
    page.goto(live.last_link(email))
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ma journée")
    expect(page.get_by_text("R. T.")).to_be_visible()
    expect(page.get_by_role("button", name="Patient vu")).to_have_count(0)
    check_page(page, axe_source, "praticien")
    live.clock.now = datetime.fromisoformat(offer["starts_at"]) + timedelta(minutes=5)
    try:
        page.reload()
        patient = page.get_by_role("listitem").filter(has_text="R. T.")
        patient.get_by_role("button", name="Patient vu").click()
        expect(patient).to_contain_text("patient vu")
        slot = page.get_by_role("listitem").filter(has_text="libre").first
        slot.get_by_role("button", name="Bloquer").click()
        expect(page.get_by_text("bloqué").first).to_be_visible()
        expect(page.get_by_role("button", name="Rouvrir").first).to_be_visible()
    finally:
        live.clock.now = START


def test_the_practitioners_day_shows_a_new_referral_without_a_reload(
    context: BrowserContext, live: Live
) -> None:
    offer = live.api.get("/v1/slots", headers=live.pharmacist).json()["items"][0]
    email = "dr.direct@cabinet.example"
    user = live.new_user(
        role=Role.practitioner, name="Dr Direct", practitioner_id=offer["practitioner"]["id"]
    )
    live.invite(user, email)
    page = context.new_page()
    page.goto(live.last_link(email))
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ma journée")
    expect(page.locator("html[data-events=open]")).to_have_count(1)
    page.evaluate("window.notReloaded = true")
    live.book(offer["slot_id"], patient="L. V.", reason="infection")
    expect(page.get_by_role("listitem").filter(has_text="L. V.")).to_be_visible()
    assert page.evaluate("window.notReloaded") is True


def test_a_post_without_csrf_token_is_refused(context: BrowserContext, live: Live) -> None:
    page = _pharmacist_page(context, live, "csrf@pharma.example")
    answer = page.request.post(f"{live.url}/deconnexion", form={"x": "1"})
    assert answer.status == 403 and "Formulaire expiré" in answer.text()
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Orienter un patient")


def test_another_cpts_ids_answer_404_in_pages_as_in_the_api(
    context: BrowserContext, live: Live, axe_source: str
) -> None:
    offer = live.api.get("/v1/slots", headers=live.pharmacist).json()["items"][-1]
    referral = live.book(offer["slot_id"], patient="A. B.", reason="skin")
    email = "stranger@loin.example"
    user = live.new_user(
        role=Role.pharmacist,
        name="Loin",
        cpts_id=live.other_cpts_id,
        pharmacy_id=live.other_pharmacy_id,
    )
    live.invite(user, email, coordinator=live.other_coordinator)
    page = context.new_page()
    page.goto(live.last_link(email))
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Orienter un patient")
    for path in (f"/orientations/{referral['id']}", f"/orienter/creneaux/{offer['slot_id']}"):
        response = page.goto(f"{live.url}{path}")
        assert response is not None and response.status == 404
        expect(page.get_by_role("heading", level=1)).to_have_text("Page introuvable")
    check_page(page, axe_source, "introuvable")


def test_practitioner_planning_pages_on_a_phone(
    context: BrowserContext, live: Live, axe_source: str
) -> None:
    email = "dr.planning@cabinet.example"
    user = live.new_user(role=Role.practitioner, name="Dr Planning", practitioner_id=live.gp_ids[1])
    live.invite(user, email)
    page = context.new_page()
    page.set_viewport_size({"width": 360, "height": 800})
    page.goto(live.last_link(email))
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("link", name="Mes astreintes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes astreintes de janvier 2027")
    check_page(page, axe_source, "astreintes")
    page.get_by_role("link", name="Mes créneaux").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Mes créneaux libres du")
    check_page(page, axe_source, "creneaux-libres")
    page.get_by_role("link", name="Disponibilités").click()
    page.get_by_label("Premier jour").fill("2027-02-01")
    page.get_by_label("Dernier jour").fill("2027-02-03")
    page.get_by_role("button", name="Déclarer l'absence").click()
    expect(page.get_by_text("Du lundi 1 février 2027 au mercredi 3 février 2027")).to_be_visible()
    check_page(page, axe_source, "disponibilites")
    page.get_by_role("link", name="Agenda").click()
    page.get_by_role("button", name="Obtenir mon lien d'agenda").click()
    expect(page.get_by_label("Pour un téléphone ou un agenda de bureau (webcal)")).to_have_value(
        re.compile(r"^webcal://127\.0\.0\.1:\d+/ical/")
    )
    check_page(page, axe_source, "agenda")
    page.get_by_role("link", name="Échanges").click()
    page.get_by_label("Message aux collègues (facultatif)").fill("congrès")
    page.get_by_role("button", name="Proposer à l'échange").click()
    expect(page.get_by_text("congrès")).to_be_visible()
    check_page(page, axe_source, "echanges")
