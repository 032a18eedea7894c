"""The coordinator's indicators and map through the test client: the embedded report, hours
per practitioner, CSV downloads identical to the API's exports, the territory drawn from
coordinates with who is on call now; other roles get the French 403 page."""

from datetime import UTC, datetime
from html import unescape

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit import AuditEntry
from app.pharmacies.models import Pharmacy
from app.practitioners.models import Practitioner
from app.rotations.jobs import JobRunner
from app.rotations.models import Shift
from app.users.models import Role
from app.web.territory_map import HEIGHT, WIDTH, convex_hull, projection, sector_shape
from tests.app.slot_scenarios import make_booking_scenario
from tests.conftest import FrozenClock
from tests.web.pages import signed_in_coordinator, signed_in_user

COORDINATES = [(45.6975, 4.8867), (45.7041, 4.8862), (45.6912, 4.8790), (45.7010, 4.8930)]


def test_indicators_embed_the_report_and_serve_the_api_csv_exports(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    booking = make_booking_scenario(client, session, job_runner)
    signed_in_coordinator(client, session, booking.scenario.territory)
    page = client.get("/coordination/indicateurs", params={"mois": "2027-01"})
    assert page.status_code == 200
    text = unescape(page.text)
    assert "Indicateurs de janvier 2027" in text and "Taux de couverture" in text
    assert text.count("<svg") == 2  # the report's two charts
    shifts = session.scalar(
        select(func.count()).select_from(Shift).where(Shift.rotation_id == booking.rotation_id)
    )
    assert f'<td class="n">{shifts * 6}</td>' in page.text  # total on-call hours: 6 h each
    assert client.get("/coordination/indicateurs").status_code == 200  # this month
    for path, api in (
        ("heures-astreinte.csv", "/v1/exports/oncall-hours.csv?month=2027-01"),
        ("trous-de-couverture.csv", "/v1/exports/coverage-gaps.csv?from=2027-01-01&to=2027-01-31"),
        ("orientations.csv", "/v1/exports/referrals.csv?from=2027-01-01&to=2027-01-31"),
    ):
        for separator, api_separator in (("virgule", "comma"), ("point-virgule", "semicolon")):
            download = client.get(
                f"/coordination/indicateurs/{path}",
                params={"mois": "2027-01", "separateur": separator},
            )
            assert download.status_code == 200, path
            assert download.headers["content-type"].startswith("text/csv")
            assert "attachment" in download.headers["content-disposition"]
            same = client.get(f"{api}&separator={api_separator}", headers=booking.coordinator)
            assert download.content == same.content, path
    hours = client.get("/coordination/indicateurs/heures-astreinte.csv", params={"mois": "2027-01"})
    assert hours.text.splitlines()[0] == "month,rpps,last_name,first_name,profession,shifts,hours"
    assert len(hours.text.splitlines()) == 1 + len(booking.scenario.gps)
    exports = session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "export")
    )
    assert exports == 4  # each referrals export is audited, the page's like the API's
    for bad in ("2027-13", "0000-01", "janvier"):
        refused = client.get("/coordination/indicateurs", params={"mois": bad})
        assert refused.status_code == 422 and "Demande invalide" in refused.text


def test_map_draws_sectors_pharmacies_and_who_is_on_call_now(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock
) -> None:
    booking = make_booking_scenario(client, session, job_runner)
    for gp, (lat, lon) in zip(booking.scenario.gps, COORDINATES, strict=True):
        gp.latitude, gp.longitude = lat, lon
    pharmacy = session.get_one(Pharmacy, booking.pharmacy_id)
    pharmacy.latitude, pharmacy.longitude = 45.7063, 4.8801
    session.commit()
    signed_in_coordinator(client, session, booking.scenario.territory)
    clock.now = datetime(2027, 1, 12, 14, 30, tzinfo=UTC)  # 15:30 in Paris, a Tuesday
    duty = session.scalars(
        select(Shift).where(Shift.day == clock.now.date(), Shift.starts_at <= clock.now)
    ).one()
    name = next(
        f"{g.first_name} {g.last_name}"
        for g in booking.scenario.gps
        if g.id == duty.practitioner_id
    )
    page = client.get("/coordination/carte")
    assert page.status_code == 200
    svg = page.text[
        page.text.index('<svg viewBox="0 0 800') : page.text.index(
            "</svg>", page.text.index("carte-titre")
        )
    ]
    assert svg.count('class="oncall-gp"') == 1 and f">{name}</text>" in svg
    assert svg.count('class="other"') == len(booking.scenario.gps) - 1
    assert svg.count('class="pharmacy"') == 1 and "<polygon" in svg
    listed = unescape(page.text[page.text.index("La carte en liste") :])
    assert f"<strong>{name}</strong>, médecin, Nord, de 14 h à 20 h" in listed
    on_duty = session.get_one(Practitioner, duty.practitioner_id)
    on_duty.latitude = on_duty.longitude = None
    session.commit()
    unplaced = unescape(client.get("/coordination/carte").text)
    assert 'class="oncall-gp"' not in unplaced.split("</svg>")[-2]
    assert "(sans coordonnées : absent de la carte)" in unplaced
    clock.now = datetime(2027, 1, 12, 8, 0, tzinfo=UTC)
    morning = unescape(client.get("/coordination/carte").text)
    assert "Personne n'est d'astreinte à cette heure." in morning
    assert "Prochaines astreintes" in morning


@pytest.mark.parametrize(
    "url",
    [
        "/coordination/carte",
        "/coordination/indicateurs",
        "/coordination/indicateurs/heures-astreinte.csv",
    ],
)
def test_a_practitioner_cannot_open_indicators_or_the_map(
    client: TestClient, session: Session, job_runner: JobRunner, clock: FrozenClock, url: str
) -> None:
    booking = make_booking_scenario(client, session, job_runner)
    signed_in_user(
        client,
        session,
        coordinator=booking.coordinator,
        cpts_id=booking.scenario.territory.cpts.id,
        role=Role.practitioner,
        email="dr@cabinet.example",
        practitioner_id=booking.scenario.gps[0].id,
    )
    page = client.get(url)
    assert page.status_code == 403 and "Accès refusé" in page.text


def test_projection_keeps_north_up_and_fits_the_map() -> None:
    to_xy = projection(COORDINATES)
    points = [to_xy(c) for c in COORDINATES]
    assert all(0 <= x <= WIDTH and 0 <= y <= HEIGHT for x, y in points)
    north, south = to_xy((45.7041, 4.8862)), to_xy((45.6912, 4.8790))
    assert north[1] < south[1] and north[0] > south[0]
    assert projection([])((45.0, 4.0)) == (WIDTH / 2, HEIGHT / 2)


def test_sector_outline_is_the_padded_convex_hull() -> None:
    square = [(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0), (5.0, 5.0)]
    assert sorted(convex_hull(square)) == sorted(square[:4])
    shape = sector_shape("Nord", square)
    assert shape is not None and shape.circle is None and len(shape.points.split()) == 4
    lone = sector_shape("Sud", [(100.0, 100.0)])
    assert lone is not None and lone.circle is not None and lone.circle[2] > 0
    assert sector_shape("Vide", []) is None
