"""The directory: the CPTS's active practitioners, what they do, where, and who is on call."""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.auth import Principal
from app.competences.models import ItemKind, practitioner_items
from app.competences.schemas import CatalogueItemPublic, DirectoryEntry, Zones
from app.competences.service import declared_items
from app.cpts.models import Cpts
from app.crud import matches_words
from app.pagination import PageParams
from app.practitioners.models import Practitioner
from app.rotations.models import Shift
from app.rotations.oncall import full_name, published_shifts
from app.slots.schemas import ConsultationMode
from app.slots.search import insee_codes, modes_of, zone_covers
from app.users.models import Role


@dataclass(frozen=True)
class DirectoryQuery:
    """What the directory is searched by; all optional, combined with AND. ``commune``
    or ``near`` keep the practitioners whose home-visit zone covers the patient."""

    profession: str | None = None
    competence_id: int | None = None
    equipment_id: int | None = None
    mode: ConsultationMode | None = None
    commune: str | None = None
    near: tuple[float, float] | None = None
    on_call_today: bool | None = None
    q: str | None = None


def on_call_today(session: Session, *, cpts_id: int, now: datetime) -> set[int]:
    """Practitioners with a published, active shift today (the CPTS's local day)."""
    today = now.astimezone(ZoneInfo(session.get_one(Cpts, cpts_id).timezone)).date()
    query = published_shifts(cpts_id).where(Shift.day == today)
    return set(session.scalars(query.with_only_columns(Shift.practitioner_id)))


def _selected(cpts_id: int, query: DirectoryQuery) -> Select[Practitioner]:
    rows = select(Practitioner).where(
        Practitioner.cpts_id == cpts_id, Practitioner.active.is_(True)
    )
    if query.profession is not None:
        rows = rows.where(Practitioner.profession == query.profession)
    for item_id in (query.competence_id, query.equipment_id):
        if item_id is not None:
            declaring = select(practitioner_items.c.practitioner_id).where(
                practitioner_items.c.item_id == item_id
            )
            rows = rows.where(Practitioner.id.in_(declaring))
    home = query.commune is not None or query.near is not None
    if query.mode == ConsultationMode.home_visit or home:
        rows = rows.where(Practitioner.home_visits.is_(True))
    if query.mode == ConsultationMode.teleconsultation:
        rows = rows.where(Practitioner.teleconsultation.is_(True))
    if query.q is not None:
        rows = rows.where(matches_words(query.q, Practitioner.first_name, Practitioner.last_name))
    return rows.order_by(Practitioner.last_name, Practitioner.first_name, Practitioner.id)


def _entry(
    practitioner: Practitioner,
    items: list[CatalogueItemPublic],
    *,
    on_call: bool,
    show_phone: bool,
) -> DirectoryEntry:
    return DirectoryEntry(
        id=practitioner.id,
        name=full_name(practitioner),
        profession=practitioner.profession,
        phone=practitioner.phone if show_phone or on_call else None,
        practice_address=practitioner.practice_address,
        latitude=practitioner.latitude,
        longitude=practitioner.longitude,
        sector_ids=[sector.id for sector in practitioner.sectors],
        modes=modes_of(practitioner),
        competences=[item for item in items if item.kind == ItemKind.competence],
        equipment=[item for item in items if item.kind == ItemKind.equipment],
        zones=Zones(communes=practitioner.zone_communes, radius_km=practitioner.zone_radius_km),
        on_call_today=on_call,
    )


def search_directory(
    session: Session,
    *,
    principal: Principal,
    query: DirectoryQuery,
    page: PageParams,
    now: datetime,
) -> tuple[list[DirectoryEntry], int]:
    """A page of the directory by name and how many entries match; pharmacists see a
    practitioner's phone only when they are on call today."""
    on_call = on_call_today(session, cpts_id=principal.cpts_id, now=now)
    found = [
        practitioner
        for practitioner in session.scalars(_selected(principal.cpts_id, query))
        if (query.on_call_today is None or (practitioner.id in on_call) == query.on_call_today)
        and (
            (query.commune is None and query.near is None)
            or zone_covers(
                practitioner,
                insee_codes(practitioner.zone_communes),
                commune=query.commune,
                position=query.near,
            )
        )
    ]
    shown = found[page.offset : page.offset + page.limit]
    items = declared_items(session, practitioner_ids=[p.id for p in shown])
    show_phone = principal.role != Role.pharmacist
    entries = [
        _entry(
            practitioner,
            [CatalogueItemPublic.model_validate(item) for item in items[practitioner.id]],
            on_call=practitioner.id in on_call,
            show_phone=show_phone,
        )
        for practitioner in shown
    ]
    return entries, len(found)
