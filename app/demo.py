"""A realistic demo territory (Vénissieux-size) to try the service on a fresh machine.

Seeding leaves a published rotation from today to four weeks ahead, solved here and now,
so a pharmacist's search finds slots at once; every run revokes the tokens the previous
run printed and prints fresh ones.
"""

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

import solver
from app.auth import Principal
from app.availability.models import Absence, Preference
from app.competences.models import CatalogueItem, practitioner_items
from app.coverage.models import CoverageRule
from app.cpts.models import Cpts, Sector
from app.cpts.schemas import CptsCreate
from app.cpts.service import create_cpts
from app.identifiers import with_luhn_key
from app.pharmacies.models import Pharmacy
from app.practitioners.models import Practitioner
from app.professions import Profession
from app.rotations.models import Rotation, RotationStatus
from app.rotations.schemas import RotationCreate
from app.rotations.service import create_rotation, publish_rotation
from app.rotations.solving import build_input, store_solution
from app.tenancy import owned
from app.users.models import ApiToken, Role, User
from app.users.schemas import UserCreate
from app.users.service import create_user, issue_token

DEMO_NAME = "CPTS Démo Vénissieux"
DEMO_TIMEZONE = "Europe/Paris"
TOKEN_LABEL = "seed-demo"
PUBLISHED_AHEAD = timedelta(weeks=4)
SOLVE = solver.SolverConfig(time_limit_s=10.0, seed=0)
CENTRE = (45.6975, 4.8867)
SECTORS = {
    "Nord": ["Vénissieux Nord", "Saint-Fons"],
    "Centre": ["Vénissieux Centre", "Parilly"],
    "Sud": ["Vénissieux Sud", "Feyzin", "Corbas"],
}
SECTOR_COMMUNES = {
    "Nord": [("69259", "Vénissieux"), ("69199", "Saint-Fons")],
    "Centre": [("69259", "Vénissieux"), ("69029", "Bron")],
    "Sud": [("69259", "Vénissieux"), ("69276", "Feyzin"), ("69273", "Corbas")],
}
"""The INSEE codes home visits cover, by sector."""
HOME_RADIUS_KM = 3.0
HEADCOUNT = {Profession.gp: 40, Profession.physio: 30, Profession.nurse: 50}
WEEKDAY_DEMAND = {Profession.gp: 1, Profession.physio: 1, Profession.nurse: 1}
PHARMACY_COUNT = 12
FIRST_NAMES = [
    "Camille",
    "Léa",
    "Manon",
    "Chloé",
    "Inès",
    "Sarah",
    "Julie",
    "Emma",
    "Lucie",
    "Claire",
    "Hugo",
    "Lucas",
    "Louis",
    "Nathan",
    "Thomas",
    "Paul",
    "Arthur",
    "Jules",
    "Karim",
    "Yanis",
    "Sofiane",
    "Amina",
    "Nadia",
    "Mehdi",
    "Élodie",
    "Pierre",
    "Sophie",
]
LAST_NAMES = [
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefebvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
    "Morel",
    "Girard",
    "Benali",
    "Haddad",
    "Nguyen",
    "Mercier",
    "Boyer",
    "Blanc",
    "Guerin",
    "Faure",
    "Rousseau",
    "Chevalier",
    "Perrin",
    "Gauthier",
    "Lopez",
]


@dataclass(frozen=True)
class DemoTokens:
    """Clear tokens to try the API as each role."""

    cpts_id: int
    coordinator: str
    practitioner: str
    pharmacist: str


def _near(rng: random.Random) -> tuple[float, float]:
    return (
        round(CENTRE[0] + rng.uniform(-0.03, 0.03), 5),
        round(CENTRE[1] + rng.uniform(-0.04, 0.04), 5),
    )


def _practitioner(
    rng: random.Random, *, cpts_id: int, serial: int, profession: Profession, sector: Sector
) -> Practitioner:
    latitude, longitude = _near(rng)
    return Practitioner(
        cpts_id=cpts_id,
        rpps=with_luhn_key(f"10{serial:08d}"),
        first_name=rng.choice(FIRST_NAMES),
        last_name=rng.choice(LAST_NAMES),
        profession=profession.value,
        phone=f"04 72 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
        practice_address=f"{rng.randint(1, 120)} avenue Jean Jaurès, {sector.communes[0]}",
        latitude=latitude,
        longitude=longitude,
        home_visits=profession != Profession.physio and rng.random() < 0.4,
        teleconsultation=profession == Profession.gp and rng.random() < 0.5,
        max_shifts_per_month=rng.choice([4, 5, 6]),
        max_shifts_per_week=2,
        fte=rng.choice([1.0, 1.0, 1.0, 0.8, 0.5]),
        sectors=[sector],
    )


def _practitioners(rng: random.Random, cpts_id: int, sectors: list[Sector]) -> list[Practitioner]:
    rows = []
    serial = 1
    for profession, headcount in HEADCOUNT.items():
        for index in range(headcount):
            rows.append(
                _practitioner(
                    rng,
                    cpts_id=cpts_id,
                    serial=serial,
                    profession=profession,
                    sector=sectors[index % len(sectors)],
                )
            )
            serial += 1
    return rows


def _declarations(
    session: Session, cpts_id: int, practitioners: list[Practitioner]
) -> list[dict[str, int]]:
    """Each practitioner declares one or two competences of their profession and,
    one in three, an equipment item; home visitors cover their sector's communes (and
    half of them 3 km around the practice). A random draw of its own keeps the rest of
    the demo as it was."""
    rng = random.Random(cpts_id)
    catalogue = list(session.scalars(owned(CatalogueItem, cpts_id).order_by(CatalogueItem.id)))
    rows = []
    for practitioner in practitioners:
        own = [item for item in catalogue if item.profession == practitioner.profession]
        chosen = rng.sample(own, k=rng.choice([1, 2]))
        if rng.random() < 1 / 3:
            chosen.append(rng.choice([item for item in catalogue if item.profession is None]))
        rows += [{"practitioner_id": practitioner.id, "item_id": item.id} for item in chosen]
        if practitioner.home_visits:
            communes = SECTOR_COMMUNES[practitioner.sectors[0].name]
            practitioner.zone_communes = [{"insee_code": c, "name": n} for c, n in communes]
            practitioner.zone_radius_km = HOME_RADIUS_KM if rng.random() < 0.5 else None
    return rows


def _pharmacies(rng: random.Random, cpts_id: int, sectors: list[Sector]) -> list[Pharmacy]:
    rows = []
    for index in range(PHARMACY_COUNT):
        sector = sectors[index % len(sectors)]
        latitude, longitude = _near(rng)
        rows.append(
            Pharmacy(
                cpts_id=cpts_id,
                finess=with_luhn_key(f"69{index + 1:06d}"),
                name=f"Pharmacie {rng.choice(LAST_NAMES)} {sector.name}",
                address=f"{rng.randint(1, 80)} rue de la République, {sector.communes[0]}",
                phone=f"04 78 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
                latitude=latitude,
                longitude=longitude,
                sector_id=sector.id,
            )
        )
    return rows


def _coverage_rules(cpts_id: int, sectors: list[Sector]) -> list[CoverageRule]:
    rules = []
    for sector in sectors:
        for day_kind in ("mon", "tue", "wed", "thu", "fri"):
            for profession, required in WEEKDAY_DEMAND.items():
                rules.append(
                    CoverageRule(
                        cpts_id=cpts_id,
                        day_kind=day_kind,
                        profession=profession.value,
                        sector_id=sector.id,
                        required=required,
                    )
                )
        rules.extend(
            CoverageRule(
                cpts_id=cpts_id, day_kind=day_kind, profession="gp", sector_id=sector.id, required=1
            )
            for day_kind in ("sat", "sun", "holiday")
        )
    return rules


def _availability(
    rng: random.Random, cpts_id: int, practitioners: list[Practitioner], today: date
) -> list[Absence | Preference]:
    rows: list[Absence | Preference] = []
    for practitioner in practitioners:
        if rng.random() < 0.3:
            start = today + timedelta(days=rng.randint(0, 20))  # within the published weeks
            rows.append(
                Absence(
                    cpts_id=cpts_id,
                    practitioner_id=practitioner.id,
                    start_date=start,
                    end_date=start + timedelta(days=rng.randint(0, 9)),
                    reason=rng.choice(["congés", "formation", None]),
                )
            )
        if rng.random() < 0.4:
            rows.append(
                Preference(
                    cpts_id=cpts_id,
                    practitioner_id=practitioner.id,
                    kind=rng.choice(["prefer", "avoid"]),
                    weekday=rng.randint(0, 4),
                )
            )
    return rows


def _tokens(session: Session, cpts_id: int) -> DemoTokens:
    """Revoke the tokens earlier runs printed, then issue one per role."""
    session.execute(
        update(ApiToken)
        .where(
            ApiToken.cpts_id == cpts_id,
            ApiToken.label == TOKEN_LABEL,
            ApiToken.revoked_at.is_(None),
        )
        .values(revoked_at=datetime.now(UTC))
    )
    users = {
        role: session.scalars(
            select(User).where(User.cpts_id == cpts_id, User.role == role.value).order_by(User.id)
        ).first()
        for role in Role
    }
    secrets = {}
    for role, user in users.items():
        assert user is not None, f"demo territory has no {role.value} user"
        secrets[role] = issue_token(session, user=user, label=TOKEN_LABEL)[1]
    return DemoTokens(
        cpts_id=cpts_id,
        coordinator=secrets[Role.coordinator],
        practitioner=secrets[Role.practitioner],
        pharmacist=secrets[Role.pharmacist],
    )


def _create_territory(session: Session, rng: random.Random, today: date) -> Cpts:
    cpts = create_cpts(session, data=CptsCreate(name=DEMO_NAME, timezone=DEMO_TIMEZONE))
    sectors = [Sector(cpts_id=cpts.id, name=n, communes=c) for n, c in SECTORS.items()]
    session.add_all(sectors)
    session.flush()
    practitioners = _practitioners(rng, cpts.id, sectors)
    pharmacies = _pharmacies(rng, cpts.id, sectors)
    session.add_all([*practitioners, *pharmacies, *_coverage_rules(cpts.id, sectors)])
    session.flush()
    session.add_all(_availability(rng, cpts.id, practitioners, today))
    declared = _declarations(session, cpts.id, practitioners)
    session.execute(insert(practitioner_items), declared)
    for role, target in (
        (Role.coordinator, {}),
        (Role.practitioner, {"practitioner_id": practitioners[0].id}),
        (Role.pharmacist, {"pharmacy_id": pharmacies[0].id}),
    ):
        create_user(
            session,
            cpts_id=cpts.id,
            data=UserCreate(role=role, display_name=f"Démo {role.value}", **target),
        )
    return cpts


def unplanned_days(session: Session, *, cpts_id: int, today: date) -> tuple[date, date] | None:
    """The days from ``today`` to four weeks ahead that no live rotation plans yet (from the
    end of those already under way to the start of the next), or None when none is left."""
    last = today + PUBLISHED_AHEAD
    live = session.scalars(
        owned(Rotation, cpts_id)
        .where(
            Rotation.status != RotationStatus.archived.value,
            Rotation.period_end >= today,
            Rotation.period_start <= last,
        )
        .order_by(Rotation.period_start)
    ).all()
    first = today
    for rotation in live:
        if rotation.period_start <= first:
            first = max(first, rotation.period_end + timedelta(days=1))
    for rotation in live:
        if rotation.period_start >= first:
            last = min(last, rotation.period_start - timedelta(days=1))
    return (first, last) if first <= last else None


def _publish_coming_weeks(session: Session, *, cpts_id: int, today: date) -> None:
    """Solve and publish a rotation for the coming days no rotation plans yet."""
    days = unplanned_days(session, cpts_id=cpts_id, today=today)
    if days is None:
        return
    coordinator = session.scalars(
        select(User)
        .where(User.cpts_id == cpts_id, User.role == Role.coordinator.value)
        .order_by(User.id)
    ).first()
    assert coordinator is not None, "demo territory has no coordinator"
    principal = Principal(coordinator.id, cpts_id, Role.coordinator, None, None)
    rotation = create_rotation(
        session, cpts_id=cpts_id, data=RotationCreate(period_start=days[0], period_end=days[1])
    )
    solve_input = build_input(session, rotation=rotation)
    result = solver.solve(solve_input.instance, SOLVE)
    store_solution(session, rotation=rotation, solve_input=solve_input, result=result)
    publish_rotation(session, principal=principal, rotation_id=rotation.id)


def demo_today() -> date:
    """Today in the demo territory's timezone."""
    return datetime.now(UTC).astimezone(ZoneInfo(DEMO_TIMEZONE)).date()


def seed_demo(session: Session, *, today: date, seed: int = 69200) -> DemoTokens:
    """Create the demo territory once (later calls reuse it), make sure a published rotation
    covers today and the next four weeks, revoke the previous demo tokens and issue fresh
    ones."""
    cpts = session.scalar(select(Cpts).where(Cpts.name == DEMO_NAME))
    if cpts is None:
        cpts = _create_territory(session, random.Random(seed), today)
    _publish_coming_weeks(session, cpts_id=cpts.id, today=today)
    return _tokens(session, cpts.id)
