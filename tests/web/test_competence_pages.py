"""The catalogue page (coordinator: add, rename, remove after a confirmation) and "Mes
compétences et zones" (a practitioner, or the coordinator for them): French errors beside
the field, nothing written when one is refused."""

import re
from html import unescape

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.users.models import Role
from tests.app.rotation_scenarios import make_scenario
from tests.web.pages import csrf_of, signed_in_coordinator, signed_in_user


def _item_id(client: TestClient, headers: dict[str, str], label: str) -> int:
    items = client.get("/v1/catalogue?limit=200", headers=headers).json()["items"]
    return next(int(item["id"]) for item in items if item["label"] == label)


def test_the_coordinator_adds_renames_and_removes_catalogue_items(
    client: TestClient, session: Session
) -> None:
    scenario = make_scenario(session)
    headers = scenario.territory.headers
    signed_in_coordinator(client, session, scenario.territory)
    page = client.get("/coordination/catalogue")
    assert page.status_code == 200
    text = unescape(page.text)
    assert "Compétences : Kinésithérapeutes" in text and "Lombalgie aiguë" in text
    assert 'href="/coordination/catalogue"' in text, "in the coordinator's navigation"
    csrf = csrf_of(page.text)
    added = client.post(
        "/coordination/catalogue",
        data={"csrf": csrf, "kind": "competence", "profession": "physio", "label": "Drainage"},
        follow_redirects=False,
    )
    assert added.status_code == 303
    twice = client.post(
        "/coordination/catalogue",
        data={"csrf": csrf, "kind": "competence", "profession": "nurse", "label": "Drainage"},
    )
    assert twice.status_code == 422
    assert "Ce nom est déjà au catalogue pour ce type." in unescape(twice.text)
    equipment = client.post(
        "/coordination/catalogue",
        data={"csrf": csrf, "kind": "equipment", "profession": "gp", "label": "Tensiomètre"},
    )
    assert equipment.status_code == 422
    assert "un équipement n'en a aucune" in unescape(equipment.text)
    drainage = _item_id(client, headers, "Drainage")
    renamed = client.post(
        f"/coordination/catalogue/{drainage}/renommer",
        data={"csrf": csrf, "label": "Drainage lymphatique"},
        follow_redirects=False,
    )
    assert renamed.status_code == 303
    empty = client.post(
        f"/coordination/catalogue/{drainage}/renommer", data={"csrf": csrf, "label": ""}
    )
    assert empty.status_code == 422 and "Indiquez un nom" in unescape(empty.text)
    confirm = client.get(f"/coordination/catalogue/{drainage}/supprimer")
    assert "Supprimer « Drainage lymphatique » ?" in unescape(confirm.text)
    assert "Aucun praticien ne l'a déclaré." in unescape(confirm.text)
    assert _item_id(client, headers, "Drainage lymphatique") == drainage, "asked, not removed"
    removed = client.post(
        f"/coordination/catalogue/{drainage}/supprimer",
        data={"csrf": csrf_of(confirm.text)},
        follow_redirects=False,
    )
    assert removed.status_code == 303
    assert "Drainage" not in client.get("/coordination/catalogue").text
    assert client.get(f"/coordination/catalogue/{drainage}/supprimer").status_code == 404


def test_a_practitioner_declares_competences_and_zones_all_or_nothing(
    client: TestClient, session: Session
) -> None:
    scenario = make_scenario(session)
    headers = scenario.territory.headers
    gp = scenario.gps[0]
    signed_in_user(
        client,
        session,
        coordinator=headers,
        cpts_id=scenario.territory.cpts.id,
        role=Role.practitioner,
        email="dr@cab.example",
        practitioner_id=gp.id,
    )
    page = client.get("/praticien/competences")
    assert page.status_code == 200
    text = unescape(page.text)
    assert "Mes compétences et zones" in text and "ECG" in text
    assert "Lombalgie aiguë" not in text, "only the practitioner's profession's competences"
    assert client.get("/coordination/catalogue").status_code == 403
    csrf = csrf_of(page.text)
    ecg, shock = _item_id(client, headers, "ECG"), _item_id(client, headers, "Ondes de choc")
    saved = client.post(
        "/praticien/competences",
        data={
            "csrf": csrf,
            "item_ids": [str(ecg), str(shock)],
            "communes": "69259 Vénissieux\n\n69199 ; Saint-Fons",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    declared = client.get(f"/v1/practitioners/{gp.id}/declarations", headers=headers).json()
    assert [c["label"] for c in declared["competences"]] == ["ECG"]
    assert [e["label"] for e in declared["equipment"]] == ["Ondes de choc"]
    zones = client.get(f"/v1/practitioners/{gp.id}/zones", headers=headers).json()
    assert zones["communes"] == [
        {"insee_code": "69259", "name": "Vénissieux"},
        {"insee_code": "69199", "name": "Saint-Fons"},
    ]
    shown = unescape(client.get("/praticien/competences?enregistre=1").text)
    assert "Enregistré" in shown and "69199 Saint-Fons" in shown
    lumbago = _item_id(client, headers, "Lombalgie aiguë")
    for form, field, message in [
        ({"communes": "6925 Vénissieux"}, "communes", "Ligne 1 : Une commune par ligne"),
        ({"communes": "69259 Vénissieux\n69259 Vénissieux"}, "communes", "écrite deux fois"),
        ({"radius_km": "0"}, "radius_km", "plus grand que 0"),
        ({"radius_km": "beaucoup"}, "radius_km", "plus grand que 0"),
        ({"radius_km": "5"}, "radius_km", "la latitude et la longitude manquent"),
        ({"item_ids": [str(lumbago)]}, "competence_ids", "pas de cette profession"),
        ({"item_ids": ["abc"]}, "competence_ids", "Choisissez des compétences"),
    ]:
        refused = client.post("/praticien/competences", data={"csrf": csrf, **form})
        assert refused.status_code == 422, form
        body = unescape(refused.text)
        assert re.search(f'id="{field}-error">[^<]*{re.escape(message)}', body), (form, body)
    after = client.get(f"/v1/practitioners/{gp.id}/declarations", headers=headers).json()
    assert after == declared, "nothing written on a refused form"
    assert client.get(f"/v1/practitioners/{gp.id}/zones", headers=headers).json() == zones


def test_the_coordinator_opens_a_practitioners_competences_and_zones(
    client: TestClient, session: Session
) -> None:
    scenario = make_scenario(session)
    headers = scenario.territory.headers
    gp = scenario.gps[1]
    client.patch(
        f"/v1/practitioners/{gp.id}", headers=headers, json={"latitude": 45.7, "longitude": 4.88}
    )
    signed_in_coordinator(client, session, scenario.territory)
    admin = client.get(f"/coordination/praticiens/{gp.id}")
    assert f'href="/coordination/praticiens/{gp.id}/competences"' in admin.text
    page = client.get(f"/coordination/praticiens/{gp.id}/competences")
    assert page.status_code == 200
    assert "Compétences et zones de" in unescape(page.text)
    saved = client.post(
        f"/coordination/praticiens/{gp.id}/competences",
        data={"csrf": csrf_of(page.text), "radius_km": "2,5"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert saved.headers["location"].startswith(f"/coordination/praticiens/{gp.id}/competences")
    zones = client.get(f"/v1/practitioners/{gp.id}/zones", headers=headers).json()
    assert zones["radius_km"] == 2.5 and zones["communes"] == []
    assert client.get("/praticien/competences").status_code == 403
