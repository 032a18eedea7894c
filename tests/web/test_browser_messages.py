"""Messages in headless Chromium against the live server, on SQLite and PostgreSQL: the
channel of the day says it takes no patient data and refuses a phone number in French.
Every page passes axe-core."""

from playwright.sync_api import BrowserContext, Page, expect

from app.users.models import Role
from tests.web.browser import check_page
from tests.web.live import Live


def _signed_in(context: BrowserContext, live: Live, *, email: str, heading: str) -> Page:
    page = context.new_page()
    page.goto(live.last_link(email))
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    return page


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
