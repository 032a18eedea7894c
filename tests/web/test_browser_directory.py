"""The directory page in headless Chromium against a live server, on SQLite and
PostgreSQL: a coordinator searches it by profession and competence; the page passes
axe-core (screenshots with WEB_SCREENSHOTS)."""

from playwright.sync_api import BrowserContext, expect

from app.users.models import Role
from tests.web.browser import check_page
from tests.web.live import Live


def test_the_directory_is_searched_by_profession_and_competence(
    context: BrowserContext, live: Live, axe_source: str
) -> None:
    email = "annuaire@cpts.example"
    live.invite(live.new_user(role=Role.coordinator, name="Coordination"), email)
    page = context.new_page()
    page.goto(live.last_link(email))
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("link", name="Annuaire").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Annuaire des professionnels")
    expect(page.get_by_role("img", name="Carte des professionnels trouvés")).to_be_visible()
    check_page(page, axe_source, "annuaire")
    page.get_by_label("Profession", exact=True).select_option("physio")
    page.get_by_label("Compétence", exact=True).select_option(index=1)
    page.get_by_role("button", name="Rechercher").click()
    expect(page.get_by_text("Aucun professionnel ne correspond à cette recherche.")).to_be_visible()
    page.get_by_label("Commune du patient (code INSEE, visites à domicile)").fill("2C123")
    page.get_by_role("button", name="Rechercher").click()
    expect(page.get_by_role("alert")).to_contain_text("code INSEE de la commune invalide")
