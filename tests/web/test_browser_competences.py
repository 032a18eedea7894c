"""The catalogue and "Mes compétences et zones" in headless Chromium against a live server,
on SQLite and PostgreSQL: the coordinator adds an item and removes it after the
confirmation; a practitioner sees an error beside the field, then saves. Both pages pass
axe-core (screenshots with WEB_SCREENSHOTS)."""

from playwright.sync_api import BrowserContext, expect

from app.users.models import Role
from tests.web.browser import check_page
from tests.web.live import Live


def test_the_coordinator_adds_and_removes_a_catalogue_item(
    context: BrowserContext, live: Live, axe_source: str
) -> None:
    email = "catalogue@cpts.example"
    live.invite(live.new_user(role=Role.coordinator, name="Coordination"), email)
    page = context.new_page()
    page.goto(live.last_link(email))
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("link", name="Catalogue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Catalogue des compétences et équipements"
    )
    check_page(page, axe_source, "coordination-catalogue")
    page.get_by_label("Profession (compétence)").select_option("nurse")
    page.get_by_label("Nom", exact=True).fill("Soins palliatifs")
    page.get_by_role("button", name="Ajouter", exact=True).click()
    page.get_by_role("link", name="Supprimer Soins palliatifs").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Supprimer « Soins palliatifs » ?")
    page.get_by_role("button", name="Supprimer définitivement").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Catalogue des compétences et équipements"
    )
    expect(page.get_by_text("Soins palliatifs")).to_have_count(0)


def test_a_practitioner_sets_competences_and_zones(
    context: BrowserContext, live: Live, axe_source: str
) -> None:
    email = "zones@cab.example"
    user = live.new_user(role=Role.practitioner, name="Dr Martin", practitioner_id=live.gp_ids[0])
    live.invite(user, email)
    page = context.new_page()
    page.goto(live.last_link(email))
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("link", name="Mes compétences et zones").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes compétences et zones")
    page.get_by_label("ECG", exact=True).check()
    page.get_by_label("Ondes de choc").check()
    page.get_by_label("Communes").fill("69259 Vénissieux\n6919 Saint-Fons")
    page.get_by_label("Rayon autour du cabinet, en km").fill("3")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("#communes-error")).to_contain_text("Ligne 2")
    expect(page.get_by_label("ECG", exact=True)).to_be_checked()
    check_page(page, axe_source, "competences-zones-erreur")
    page.get_by_label("Communes").fill("69259 Vénissieux\n69199 Saint-Fons")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("status")).to_contain_text("Enregistré")
    expect(page.get_by_label("Communes")).to_have_value("69259 Vénissieux\n69199 Saint-Fons")
    check_page(page, axe_source, "competences-zones")
