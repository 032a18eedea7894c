"""Keyword-only factories that arrange data through the services, for tests."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import count

from httpx import Response
from sqlalchemy.orm import Session

from app.cpts.models import Cpts, Sector
from app.cpts.schemas import CptsCreate
from app.cpts.service import create_cpts
from app.identifiers import with_luhn_key
from app.pharmacies.models import Pharmacy
from app.practitioners.models import Practitioner
from app.professions import Profession
from app.rotations.models import Rotation, RotationStatus, Shift
from app.slots.models import Slot
from app.users.models import Role, User
from app.users.schemas import UserCreate
from app.users.service import create_user, issue_token

_serial = count(1)


@dataclass(frozen=True)
class Territory:
    """A CPTS and the headers of its first coordinator."""

    cpts: Cpts
    coordinator: User
    headers: dict[str, str]


def bearer(secret: str) -> dict[str, str]:
    """Authorization header for a token."""
    return {"Authorization": f"Bearer {secret}"}


def make_user_headers(
    session: Session,
    *,
    cpts_id: int,
    role: Role,
    practitioner_id: int | None = None,
    pharmacy_id: int | None = None,
) -> dict[str, str]:
    """A user of ``role`` with a fresh token; returns its Authorization header."""
    user = create_user(
        session,
        cpts_id=cpts_id,
        data=UserCreate(
            role=role,
            display_name=f"{role.value} {next(_serial)}",
            practitioner_id=practitioner_id,
            pharmacy_id=pharmacy_id,
        ),
    )
    _, secret = issue_token(session, user=user, label="test")
    return bearer(secret)


def make_territory(
    session: Session, *, name: str = "CPTS Test", timezone: str = "Europe/Paris"
) -> Territory:
    """A CPTS with default settings and one coordinator token."""
    cpts = create_cpts(session, data=CptsCreate(name=name, timezone=timezone))
    coordinator = create_user(
        session,
        cpts_id=cpts.id,
        data=UserCreate(role=Role.coordinator, display_name=f"Coordinator of {name}"),
    )
    _, secret = issue_token(session, user=coordinator, label="test")
    session.commit()
    return Territory(cpts=cpts, coordinator=coordinator, headers=bearer(secret))


def valid_rpps(serial: int | None = None) -> str:
    """A well-formed RPPS number (10 digits and a Luhn key)."""
    body = f"1{(serial if serial is not None else next(_serial)):09d}"
    return with_luhn_key(body)


def valid_finess(serial: int | None = None, *, department: str = "69") -> str:
    """A well-formed FINESS number for ``department`` (digits, or 2A/2B)."""
    body = f"{(serial if serial is not None else next(_serial)):06d}"
    digits = with_luhn_key(("20" if department in ("2A", "2B") else department) + body)
    return department + body + digits[-1]


def make_sector(session: Session, *, cpts_id: int, name: str) -> Sector:
    """A sector of the CPTS."""
    sector = Sector(cpts_id=cpts_id, name=name, communes=[])
    session.add(sector)
    session.commit()
    return sector


def make_practitioner(
    session: Session,
    *,
    cpts_id: int,
    profession: Profession = Profession.gp,
    last_name: str = "Martin",
    sectors: list[Sector] | None = None,
) -> Practitioner:
    """An active full-time practitioner with a valid RPPS."""
    practitioner = Practitioner(
        cpts_id=cpts_id,
        rpps=valid_rpps(),
        first_name="Claire",
        last_name=last_name,
        profession=profession.value,
        sectors=sectors or [],
    )
    session.add(practitioner)
    session.commit()
    return practitioner


def make_pharmacy(
    session: Session,
    *,
    cpts_id: int,
    name: str = "Pharmacie du Centre",
    sector_id: int | None = None,
) -> Pharmacy:
    """A pharmacy with a valid FINESS."""
    pharmacy = Pharmacy(cpts_id=cpts_id, finess=valid_finess(), name=name, sector_id=sector_id)
    session.add(pharmacy)
    session.commit()
    return pharmacy


def make_practitioner_with_headers(
    session: Session, *, cpts_id: int, last_name: str = "Martin"
) -> tuple[Practitioner, dict[str, str]]:
    """A practitioner and the Authorization header of the user acting for them."""
    practitioner = make_practitioner(session, cpts_id=cpts_id, last_name=last_name)
    headers = make_user_headers(
        session, cpts_id=cpts_id, role=Role.practitioner, practitioner_id=practitioner.id
    )
    session.commit()
    return practitioner, headers


def make_pharmacy_with_headers(
    session: Session, *, cpts_id: int, name: str = "Pharmacie du Centre"
) -> tuple[Pharmacy, dict[str, str]]:
    """A pharmacy and the Authorization header of a pharmacist working there."""
    pharmacy = make_pharmacy(session, cpts_id=cpts_id, name=name)
    headers = make_user_headers(
        session, cpts_id=cpts_id, role=Role.pharmacist, pharmacy_id=pharmacy.id
    )
    session.commit()
    return pharmacy, headers


def first_field_error(response: Response) -> dict[str, str]:
    """The first ``{field, message}`` of an API error response."""
    fields: list[dict[str, str]] = response.json()["error"]["fields"]
    return fields[0]


def make_open_slots(
    session: Session,
    *,
    cpts_id: int,
    count: int,
    first_start: datetime,
    profession: Profession = Profession.gp,
) -> list[int]:
    """``count`` open slots of a new practitioner of ``profession``, one minute apart from
    ``first_start``, in one active shift of a published rotation (bookable at once when
    ``first_start`` is soon enough)."""
    practitioner = make_practitioner(
        session, cpts_id=cpts_id, profession=profession, last_name="Lefebvre"
    )
    day = first_start.date()
    rotation = Rotation(
        cpts_id=cpts_id,
        period_start=day,
        period_end=day,
        status=RotationStatus.published.value,
        published_at=first_start,
    )
    session.add(rotation)
    session.flush()
    shift = Shift(
        cpts_id=cpts_id,
        rotation_id=rotation.id,
        practitioner_id=practitioner.id,
        profession=practitioner.profession,
        day=day,
        block="burst",
        starts_at=first_start,
        ends_at=first_start + timedelta(minutes=count + 15),
    )
    session.add(shift)
    session.flush()
    slots = [
        Slot(
            cpts_id=cpts_id,
            shift_id=shift.id,
            practitioner_id=practitioner.id,
            profession=practitioner.profession,
            starts_at=first_start + timedelta(minutes=n),
            ends_at=first_start + timedelta(minutes=n + 15),
        )
        for n in range(count)
    ]
    session.add_all(slots)
    session.commit()
    return [slot.id for slot in slots]
