"""The coordinator's territory pages through the test client: practitioners (French field
errors, edit, deactivate, their page), pharmacies, sectors, coverage rules, users and
invitations; another CPTS's ids are 404 pages, other roles get the French 403 page, a form
without its CSRF token is refused."""

from datetime import date
from html import unescape

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import QueryParams

from app.availability.models import Absence
from app.coverage.models import CoverageRule
from app.cpts.models import Sector
from app.pagination import PageParams
from app.pharmacies.models import Pharmacy
from app.practitioners.models import Practitioner
from app.professions import Profession
from app.rotations.jobs import JobRunner
from app.users.models import Role, User
from app.web.admin_forms import Pager, every, page_of, pager
from tests.app.rotation_scenarios import make_scenario
from tests.app.slot_scenarios import book, make_booking_scenario
from tests.conftest import FrozenClock
from tests.factories import (
    make_pharmacy,
    make_practitioner,
    make_territory,
    valid_finess,
    valid_rpps,
)
from tests.web.pages import csrf_of, links_sent, signed_in_coordinator, signed_in_user

BAD_RPPS = "12345678901"


def _post(client: TestClient, url: str, data: dict[str, object], *, form_url: str | None = None):  # type: ignore[no-untyped-def]
    token = csrf_of(client.get(form_url or url).text)
    return client.post(url, data={"csrf": token, **data}, follow_redirects=False)


PRACTITIONER = {
    "first_name": "Claire",
    "last_name": "Lumière",
    "profession": "nurse",
    "max_shifts_per_month": "5",
    "max_shifts_per_week": "2",
    "fte": "0,8",
}


def test_practitioner_is_added_after_a_bad_rpps_is_fixed_then_edited_and_deactivated(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    scenario = make_scenario(session)
    signed_in_coordinator(client, session, scenario.territory)
    url = "/coordination/praticiens/nouveau"
    refused = _post(client, url, {**PRACTITIONER, "rpps": BAD_RPPS, "latitude": "45,7"})
    assert refused.status_code == 422
    assert 'id="rpps-error"' in refused.text
    assert "Ce numéro RPPS n'est pas valide" in unescape(refused.text)
    assert 'value="Lumière"' in refused.text  # what was typed stays
    assert session.scalar(select(Practitioner).where(Practitioner.last_name == "Lumière")) is None
    unpaired = _post(client, url, {**PRACTITIONER, "rpps": valid_rpps(), "latitude": "45,7"})
    assert unpaired.status_code == 422 and 'id="longitude-error"' in unpaired.text
    for sector in ("nord", "999999"):  # not an id; no such sector
        wrong = _post(client, url, {**PRACTITIONER, "rpps": valid_rpps(), "sector_ids": sector})
        assert wrong.status_code == 422 and 'id="sector_ids-error"' in wrong.text
    rpps = valid_rpps()
    added = _post(
        client,
        url,
        {**PRACTITIONER, "rpps": rpps, "sector_ids": str(scenario.sector_id), "home_visits": "1"},
    )
    assert added.status_code == 303, added.text
    practitioner = session.scalars(select(Practitioner).where(Practitioner.rpps == rpps)).one()
    assert practitioner.fte == 0.8 and practitioner.home_visits
    assert [s.id for s in practitioner.sectors] == [scenario.sector_id]
    assert added.headers["location"] == f"/coordination/praticiens/{practitioner.id}"
    again = _post(client, url, {**PRACTITIONER, "rpps": rpps})
    assert again.status_code == 409 or again.status_code == 422
    assert "déjà enregistré" in again.text
    edit = f"/coordination/praticiens/{practitioner.id}/modifier"
    form = client.get(edit)
    assert f'value="{rpps}"' in form.text and "checked" in form.text
    changed = _post(client, edit, {**PRACTITIONER, "rpps": rpps, "last_name": "Lumières"})
    assert changed.status_code == 303
    session.refresh(practitioner)
    assert practitioner.last_name == "Lumières" and practitioner.sectors == []
    listed = client.get("/coordination/praticiens", params={"q": "lumi"})
    assert "Lumières Claire" in listed.text and "Docteur0" not in listed.text
    page = f"/coordination/praticiens/{practitioner.id}"
    off = _post(client, f"{page}/desactiver", {}, form_url=page)
    assert off.status_code == 303
    session.refresh(practitioner)
    assert not practitioner.active
    inactive = client.get("/coordination/praticiens", params={"actifs": "non"})
    assert "Lumières Claire" in inactive.text
    on = _post(client, f"{page}/reactiver", {}, form_url=page)
    assert on.status_code == 303
    session.refresh(practitioner)
    assert practitioner.active


def test_practitioner_page_shows_load_absences_preferences_and_history(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    booking = make_booking_scenario(client, session, job_runner)
    gp = booking.scenario.gps[0]
    session.add(
        Absence(
            cpts_id=gp.cpts_id,
            practitioner_id=gp.id,
            start_date=date(2027, 2, 1),
            end_date=date(2027, 2, 3),
            reason="congrès",
        )
    )
    session.commit()
    signed_in_coordinator(client, session, booking.scenario.territory)
    page = client.get(f"/coordination/praticiens/{gp.id}")
    assert page.status_code == 200
    assert "Charge de janvier 2027" in page.text
    assert "Du lundi 1 février 2027 au mercredi 3 février 2027" in page.text
    assert "Historique des astreintes" in page.text and "assurée" in page.text
    assert "Prochaines astreintes" in page.text


def test_pharmacies_sectors_and_rules_are_managed_with_french_errors(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    scenario = make_scenario(session)
    signed_in_coordinator(client, session, scenario.territory)
    new = "/coordination/pharmacies/nouvelle"
    refused = _post(client, new, {"finess": "690000000", "name": "Pharmacie du Parc"})
    assert refused.status_code == 422 and 'id="finess-error"' in refused.text
    finess = valid_finess()
    added = _post(
        client,
        new,
        {"finess": finess, "name": "Pharmacie du Parc", "sector_id": scenario.sector_id},
    )
    assert added.status_code == 303
    pharmacy = session.scalars(select(Pharmacy).where(Pharmacy.finess == finess)).one()
    assert pharmacy.sector_id == scenario.sector_id
    listed = client.get("/coordination/pharmacies", params={"q": "parc"})
    assert "Pharmacie du Parc" in listed.text and "Nord" in listed.text
    edit = f"/coordination/pharmacies/{pharmacy.id}/modifier"
    assert f'value="{finess}"' in client.get(edit).text
    moved = _post(client, edit, {"finess": finess, "name": "Pharmacie du Grand Parc"})
    assert moved.status_code == 303
    session.refresh(pharmacy)
    assert pharmacy.name == "Pharmacie du Grand Parc" and pharmacy.sector_id is None
    removed = _post(
        client,
        f"/coordination/pharmacies/{pharmacy.id}/retirer",
        {},
        form_url="/coordination/pharmacies",
    )
    assert removed.status_code == 303
    assert session.scalar(select(Pharmacy.id).where(Pharmacy.id == pharmacy.id)) is None

    sectors = "/coordination/secteurs"
    duplicate = _post(client, sectors, {"name": "Nord"})
    assert duplicate.status_code == 422 and "Un secteur porte déjà ce nom." in duplicate.text
    assert (
        _post(client, sectors, {"name": "Sud", "communes": "Vénissieux, Saint-Fons"}).status_code
        == 303
    )
    south = session.scalars(select(Sector).where(Sector.name == "Sud")).one()
    assert south.communes == ["Vénissieux", "Saint-Fons"]
    assert "Saint-Fons" in client.get(sectors, params={"q": "sud"}).text
    renamed = _post(
        client,
        f"{sectors}/{south.id}/modifier",
        {"name": "Sud-Est", "communes": "Vénissieux"},
    )
    assert renamed.status_code == 303
    session.refresh(south)
    assert (south.name, south.communes) == ("Sud-Est", ["Vénissieux"])

    rules = "/coordination/regles"
    rule = {"day_kind": "sat", "profession": "physio", "sector_id": south.id, "required": "2"}
    assert _post(client, rules, rule).status_code == 303
    twice = _post(client, rules, rule)
    assert twice.status_code == 422 and "Une règle existe déjà" in unescape(twice.text)
    saturday = session.scalars(select(CoverageRule).where(CoverageRule.day_kind == "sat")).one()
    filtered = client.get(rules, params={"jour": "sat"})
    assert '<th scope="row">samedi</th>' in filtered.text
    assert '<th scope="row">lundi</th>' not in filtered.text
    wrong = _post(client, f"{rules}/{saturday.id}", {"required": "deux"}, form_url=rules)
    assert wrong.status_code == 422 and f'id="required-{saturday.id}-error"' in wrong.text
    assert (
        _post(client, f"{rules}/{saturday.id}", {"required": "3"}, form_url=rules).status_code
        == 303
    )
    session.refresh(saturday)
    assert saturday.required == 3
    assert _post(client, f"{rules}/{saturday.id}/supprimer", {}, form_url=rules).status_code == 303
    assert _post(client, f"{sectors}/{south.id}/supprimer", {}, form_url=sectors).status_code == 303
    assert session.scalar(select(Sector.id).where(Sector.id == south.id)) is None


def test_users_are_added_invited_renamed_and_deactivated(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    scenario = make_scenario(session)
    signed_in_coordinator(client, session, scenario.territory)
    gp = scenario.gps[0]
    users = "/coordination/utilisateurs"
    unbound = _post(client, users, {"role": "practitioner", "display_name": "Dr Sans"})
    assert unbound.status_code == 422 and 'id="practitioner_id-error"' in unbound.text
    added = _post(
        client, users, {"role": "practitioner", "display_name": "Dr Un", "practitioner_id": gp.id}
    )
    assert added.status_code == 303
    user = session.scalars(select(User).where(User.display_name == "Dr Un")).one()
    page = added.headers["location"]
    assert page == f"{users}/{user.id}"
    bad = _post(client, f"{page}/invitation", {"email": "pas-une-adresse"}, form_url=page)
    assert bad.status_code == 422 and 'id="email-error"' in bad.text
    assert links_sent(session, user_id=user.id) == []
    sent = _post(client, f"{page}/invitation", {"email": "dr.un@cabinet.example"}, form_url=page)
    assert sent.status_code == 303
    after = client.get(sent.headers["location"]).text
    assert "Invitation envoyée" in after
    assert f'<a href="/coordination/praticiens/{gp.id}">Claire {gp.last_name}</a>' in after
    assert len(links_sent(session, user_id=user.id)) == 1
    assert "Dr Un" in client.get(users, params={"q": "un", "role": "practitioner"}).text
    assert _post(client, page, {"display_name": "Dr Un Bis"}).status_code == 303
    assert _post(client, f"{page}/desactiver", {}, form_url=page).status_code == 303
    session.refresh(user)
    assert (user.display_name, user.active) == ("Dr Un Bis", False)
    refused = _post(client, f"{page}/invitation", {"email": "dr.un@cabinet.example"}, form_url=page)
    assert refused.status_code == 422 and "réactivez-le" in unescape(refused.text)


TERRITORY_PAGES = (
    "/coordination/praticiens",
    "/coordination/praticiens/nouveau",
    "/coordination/pharmacies",
    "/coordination/secteurs",
    "/coordination/regles",
    "/coordination/utilisateurs",
)


@pytest.mark.parametrize("role", [Role.practitioner, Role.pharmacist])
def test_other_roles_get_the_french_403_page(
    client: TestClient, session: Session, clock: FrozenClock, role: Role
) -> None:
    scenario = make_scenario(session)
    pharmacy = make_pharmacy(session, cpts_id=scenario.territory.cpts.id)
    signed_in_user(
        client,
        session,
        coordinator=scenario.territory.headers,
        cpts_id=scenario.territory.cpts.id,
        role=role,
        email="not.coord@example.org",
        practitioner_id=scenario.gps[0].id if role == Role.practitioner else None,
        pharmacy_id=pharmacy.id if role == Role.pharmacist else None,
    )
    for url in (*TERRITORY_PAGES, f"/coordination/praticiens/{scenario.gps[0].id}"):
        page = client.get(url)
        assert page.status_code == 403, url
        assert "Accès refusé" in page.text and "pas accessible avec votre compte" in unescape(
            page.text
        )


def test_another_cpts_ids_are_404_pages_and_forms_need_their_csrf_token(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    scenario = make_scenario(session)
    other = make_territory(session, name="CPTS Ailleurs")
    stranger = make_scenario(session, name="CPTS Loin")
    far_pharmacy = make_pharmacy(session, cpts_id=stranger.territory.cpts.id)
    session.commit()
    signed_in_coordinator(client, session, scenario.territory)
    far_user = session.scalars(select(User).where(User.cpts_id == other.cpts.id)).first()
    assert far_user is not None
    far_rule = session.scalars(
        select(CoverageRule).where(CoverageRule.cpts_id == stranger.territory.cpts.id)
    ).first()
    assert far_rule is not None
    for url in (
        f"/coordination/praticiens/{stranger.gps[0].id}",
        f"/coordination/praticiens/{stranger.gps[0].id}/modifier",
        f"/coordination/pharmacies/{far_pharmacy.id}/modifier",
        f"/coordination/secteurs/{stranger.sector_id}/modifier",
        f"/coordination/utilisateurs/{far_user.id}",
        "/coordination/praticiens/99999999999",
    ):
        page = client.get(url)
        assert page.status_code in (404, 422), url
        assert "Page introuvable" in page.text or "Demande invalide" in page.text, url
    token = csrf_of(client.get("/coordination/praticiens").text)
    for url in (
        f"/coordination/praticiens/{stranger.gps[0].id}/desactiver",
        f"/coordination/pharmacies/{far_pharmacy.id}/retirer",
        f"/coordination/regles/{far_rule.id}/supprimer",
        f"/coordination/utilisateurs/{far_user.id}/invitation",
    ):
        answer = client.post(url, data={"csrf": token, "email": "x@y.fr"})
        assert answer.status_code == 404 and "Page introuvable" in answer.text, url
    session.refresh(stranger.gps[0])
    assert stranger.gps[0].active
    mine = scenario.gps[0]
    for data in ({}, {"csrf": "not-the-token"}):
        refused = client.post(f"/coordination/praticiens/{mine.id}/desactiver", data=data)
        assert refused.status_code == 403 and "Formulaire expiré" in refused.text
    session.refresh(mine)
    assert mine.active


def test_practitioner_list_pages_by_fifty_and_keeps_its_filters(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    scenario = make_scenario(session)  # four GPs named Docteur0..3
    for n in range(50):
        make_practitioner(
            session,
            cpts_id=scenario.territory.cpts.id,
            profession=Profession.nurse,
            last_name=f"Inf{n:02d}",
        )
    signed_in_coordinator(client, session, scenario.territory)
    first = client.get("/coordination/praticiens")
    assert "54 praticiens" in first.text and "Page 1 sur 2" in first.text
    assert first.text.count('<th scope="row">') == 50
    second = client.get("/coordination/praticiens", params={"page": "2"})
    assert second.text.count('<th scope="row">') == 4 and "Page précédente" in second.text
    nurses = client.get("/coordination/praticiens", params={"profession": "nurse", "q": "inf4"})
    assert "10 praticiens" in nurses.text and "Page 1 sur" not in nurses.text
    for odd in ({"page": "-3"}, {"profession": "dentist"}, {"actifs": "peut-être"}):
        assert client.get("/coordination/praticiens", params=odd).status_code == 200
    assert client.get("/coordination/praticiens", params={"q": "a\x00b"}).status_code == 422


def test_a_pharmacy_that_referred_a_patient_is_kept_with_a_sentence(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    booking = make_booking_scenario(client, session, job_runner)
    slot_id = client.get("/v1/slots", headers=booking.pharmacist).json()["items"][0]["slot_id"]
    assert book(client, booking, slot_id).status_code == 201
    signed_in_coordinator(client, session, booking.scenario.territory)
    url = "/coordination/pharmacies"
    kept = _post(client, f"{url}/{booking.pharmacy_id}/retirer", {}, form_url=url)
    assert kept.status_code == 409
    assert "Cette pharmacie a déjà orienté des patients" in unescape(kept.text)
    assert session.get(Pharmacy, booking.pharmacy_id) is not None


def test_pager_keeps_the_filters_and_every_reads_all_pages() -> None:
    query = QueryParams("q=lumi%C3%A8re&profession=nurse&page=2")
    paging = pager(query, 2, 120)
    assert (paging.number, paging.pages) == (2, 3)
    assert paging.previous == "?q=lumi%C3%A8re&profession=nurse&page=1"
    assert paging.following == "?q=lumi%C3%A8re&profession=nurse&page=3"
    assert pager(query, 1, 3) == Pager(1, 1, "", "")
    assert page_of(QueryParams("page=3"))[0] == PageParams(limit=50, offset=100)
    assert page_of(QueryParams("page=0"))[1] == page_of(QueryParams("page=x"))[1] == 1
    rows = list(range(450))
    asked: list[int] = []

    def fetch(page: PageParams) -> tuple[list[int], int]:
        asked.append(page.offset)
        return rows[page.offset : page.offset + page.limit], len(rows)

    assert every(fetch) == rows and asked == [0, 200, 400]
