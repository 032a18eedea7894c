"""Messages in headless Chromium against the live server, on SQLite and PostgreSQL: the
pharmacist and the practitioner, in two browser contexts, exchange messages about a referral
and each sees the other's appear without reloading (events stream → page script → audited
fragment); the channel of the day says it takes no patient data and refuses a phone number
in French. Every page passes axe-core."""

from playwright.sync_api import Browser, BrowserContext, Page, expect

from app.users.models import Role
from tests.web.browser import check_page
from tests.web.live import Live


def _signed_in(context: BrowserContext, live: Live, *, email: str, heading: str) -> Page:
    page = context.new_page()
    page.goto(live.last_link(email))
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    return page


def _context(browser: Browser) -> BrowserContext:
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="fr-FR", bypass_csp=True
    )
    context.set_default_timeout(15_000)
    return context


def _mark_loaded(page: Page) -> None:
    """Leave a mark in the page: it survives live updates, not a reload."""
    page.evaluate("window.snpNotReloaded = true")


def _not_reloaded(page: Page) -> bool:
    return bool(page.evaluate("window.snpNotReloaded === true"))


def test_pharmacist_and_practitioner_exchange_messages_live(
    browser: Browser, live: Live, axe_source: str
) -> None:
    offer = live.api.get("/v1/slots", headers=live.pharmacist).json()["items"][0]
    referral = live.book(offer["slot_id"], patient="J. L.", reason="infection")
    pharmacist = live.new_user(
        role=Role.pharmacist, name="Pharmacie de la Gare", pharmacy_id=live.pharmacy_id
    )
    live.invite(pharmacist, "comptoir@gare.example")
    doctor = live.new_user(
        role=Role.practitioner, name="Dr Messages", practitioner_id=offer["practitioner"]["id"]
    )
    live.invite(doctor, "dr.messages@cabinet.example")
    counter_context, doctor_context = _context(browser), _context(browser)
    try:
        counter = _signed_in(
            counter_context, live, email="comptoir@gare.example", heading="Orienter un patient"
        )
        counter.goto(f"{live.url}/orientations/{referral['id']}")
        office = _signed_in(
            doctor_context, live, email="dr.messages@cabinet.example", heading="Ma journée"
        )
        office.goto(f"{live.url}/praticien/patients/{referral['id']}")
        check_page(office, axe_source, "praticien-patient")
        _mark_loaded(office)
        expect(office.locator("html[data-events=open]")).to_have_count(1)

        counter.get_by_label("Votre message").fill("Le patient aura dix minutes de retard.")
        counter.get_by_role("button", name="Envoyer").click()
        expect(counter.get_by_text("dix minutes de retard")).to_be_visible()
        expect(office.get_by_text("dix minutes de retard")).to_be_visible()
        assert _not_reloaded(office)

        _mark_loaded(counter)
        office.get_by_label("Votre message").fill("Bien noté, je le prends à 16 h 15.")
        office.get_by_role("button", name="Envoyer").click()
        expect(counter.get_by_text("je le prends à 16 h 15")).to_be_visible()
        assert _not_reloaded(counter)
        check_page(counter, axe_source, "orientation-messages")
    finally:
        counter_context.close()
        doctor_context.close()


def test_channel_of_the_day_says_no_patient_data(
    context: BrowserContext, live: Live, axe_source: str
) -> None:
    user = live.new_user(role=Role.pharmacist, name="Canal", pharmacy_id=live.pharmacy_id)
    live.invite(user, "canal@gare.example")
    page = _signed_in(context, live, email="canal@gare.example", heading="Orienter un patient")
    page.get_by_role("link", name="Canal du jour").click()
    expect(page.get_by_text("Aucune donnée patient sur ce canal.")).to_be_visible()
    page.get_by_label("Votre message").fill("Rappeler Mme X au 06 11 22 33 44")
    page.get_by_role("button", name="Envoyer").click()
    expect(page.get_by_text("Pas d'identité de patient sur le canal")).to_be_visible()
    check_page(page, axe_source, "canal")
    page.get_by_label("Votre message").fill("Pharmacie de la Gare ouverte jusqu'à 20 h.")
    page.get_by_role("button", name="Envoyer").click()
    expect(page.get_by_text("ouverte jusqu'à 20 h")).to_be_visible()
