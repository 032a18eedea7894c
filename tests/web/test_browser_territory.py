"""The coordinator's territory, indicators and map in headless Chromium against a live
server, on SQLite and PostgreSQL: a practitioner added after a bad RPPS is fixed, then
deactivated; a user invited by e-mail (caught by the SMTP catcher); the map with who is on
call now; the indicators with a CSV download. Every page passes axe-core."""

from datetime import timedelta
from itertools import count
from pathlib import Path

from playwright.sync_api import BrowserContext, Page, expect

from app.users.models import Role
from tests.factories import valid_rpps
from tests.web.browser import check_page
from tests.web.live import START, Live

_coordinators = count(1)


def _coordinator_page(context: BrowserContext, live: Live) -> Page:
    email = f"coordination{next(_coordinators)}@cpts.example"
    live.invite(live.new_user(role=Role.coordinator, name="Coordination"), email)
    page = context.new_page()
    page.goto(live.last_link(email))
    page.get_by_role("button", name="Se connecter").click()
    return page


def test_coordinator_manages_the_territory_and_invites_a_user(
    context: BrowserContext, live: Live, axe_source: str
) -> None:
    page = _coordinator_page(context, live)
    page.goto(f"{live.url}/coordination/praticiens")
    expect(page.get_by_role("heading", level=1)).to_have_text("Praticiens")
    expect(page.get_by_role("link", name="Martin Claire")).to_be_visible()
    check_page(page, axe_source, "coordination-praticiens")
    page.get_by_role("link", name="Ajouter un praticien").click()
    page.get_by_label("Numéro RPPS").fill("12345678901")
    page.get_by_label("Prénom").fill("Inès")
    page.get_by_label("Nom", exact=True).fill("Garnier")
    page.get_by_label("Profession").select_option("physio")
    page.get_by_label("Nord").check()
    page.get_by_role("button", name="Ajouter le praticien").click()
    rpps = page.get_by_label("Numéro RPPS")
    expect(rpps).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#rpps-error")).to_contain_text("Ce numéro RPPS n'est pas valide")
    expect(page.get_by_label("Prénom")).to_have_value("Inès")
    check_page(page, axe_source, "coordination-praticien-erreur")
    rpps.fill(valid_rpps())
    page.get_by_role("button", name="Ajouter le praticien").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Inès Garnier")
    expect(page.get_by_text("kinésithérapeute · RPPS")).to_be_visible()
    page.goto(f"{live.url}/coordination/praticiens")
    page.get_by_role("link", name="Martin Claire").click()
    expect(page.get_by_role("heading", name="Charge de janvier 2027")).to_be_visible()
    history = page.get_by_role("table", name="dernières astreintes")
    expect(history.get_by_role("cell", name="assurée").first).to_be_visible()
    check_page(page, axe_source, "coordination-praticien")
    for path, heading, name in (
        ("pharmacies", "Pharmacies", "coordination-pharmacies"),
        ("secteurs", "Secteurs", "coordination-secteurs"),
        ("regles", "Règles de couverture", "coordination-regles"),
    ):
        page.goto(f"{live.url}/coordination/{path}")
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        check_page(page, axe_source, name)
    page.goto(f"{live.url}/coordination/utilisateurs")
    adding = page.get_by_role("region", name="Ajouter un utilisateur")
    adding.get_by_label("Rôle", exact=True).select_option("practitioner")
    adding.get_by_label("Nom affiché").fill("Inès Garnier")
    adding.get_by_label("Praticien du compte").select_option(label="Garnier Inès")
    check_page(page, axe_source, "coordination-utilisateurs")
    page.get_by_role("button", name="Ajouter l'utilisateur").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Inès Garnier")
    email = "ines.garnier@kine.example"
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_role("button", name="Envoyer l'invitation").click()
    expect(page.get_by_role("status")).to_contain_text("Invitation envoyée")
    check_page(page, axe_source, "coordination-utilisateur")
    assert "/connexion/lien/" in live.last_link(email)  # delivered to the SMTP catcher
    page.goto(f"{live.url}/coordination/praticiens?q=garnier")
    page.get_by_role("link", name="Garnier Inès").click()
    page.get_by_role("button", name="Désactiver").click()
    expect(page.get_by_text("désactivé", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Réactiver")).to_be_visible()


def test_map_shows_who_is_on_call_and_indicators_download_a_csv(
    context: BrowserContext, live: Live, axe_source: str
) -> None:
    page = _coordinator_page(context, live)
    live.clock.now = START + timedelta(hours=3)  # 15:00 in Paris, in the afternoon's shift
    try:
        on_call = live.api.get(
            "/v1/on-call", headers=live.coordinator, params={"at": live.clock.now.isoformat()}
        ).json()["on_call"]
        assert on_call, "the published rotation has someone on call on Tuesday afternoon"
        page.goto(f"{live.url}/coordination/carte")
        expect(page.get_by_role("heading", level=1)).to_have_text("Carte du territoire")
        figure = page.get_by_role("img", name="Carte du territoire")
        for duty in on_call:
            expect(figure.locator("text.name", has_text=duty["practitioner_name"])).to_be_visible()
            expect(page.locator("li", has_text=duty["practitioner_name"]).first).to_be_visible()
        expect(figure.locator("text.name", has_text="Pharmacie de la Gare")).to_be_visible()
        expect(figure.locator("polygon.sector")).to_have_count(1)
        check_page(page, axe_source, "coordination-carte")
    finally:
        live.clock.now = START
    page.goto(f"{live.url}/coordination/indicateurs?mois=2027-01")
    expect(page.get_by_role("heading", level=1)).to_have_text("Indicateurs de janvier 2027")
    expect(page.get_by_role("img", name="Couverture des astreintes par jour")).to_be_visible()
    expect(page.get_by_role("row", name="Martin Claire")).to_be_visible()
    check_page(page, axe_source, "coordination-indicateurs")
    with page.expect_download() as waiting:
        page.locator("li", has_text="Heures d'astreinte").get_by_role(
            "link", name="virgule", exact=True
        ).click()
    download = waiting.value
    assert download.suggested_filename == "oncall-hours-2027-01.csv"
    lines = Path(download.path()).read_text(encoding="utf-8").splitlines()
    assert lines[0] == "month,rpps,last_name,first_name,profession,shifts,hours"
    assert any(",Martin,Claire,gp," in line for line in lines[1:])
