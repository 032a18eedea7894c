"""Pharmacies: registration, their sector, who may read them."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth import Principal
from app.cpts.service import get_sectors
from app.crud import apply_changes, ensure_paired, ensure_unique, matches_words
from app.errors import Conflict, Forbidden
from app.pagination import PageParams, paginate
from app.pharmacies.models import Pharmacy
from app.pharmacies.schemas import PharmacyCreate, PharmacyFilters, PharmacyUpdate
from app.referrals.models import Referral
from app.tenancy import get_owned, owned
from app.users.models import Role


def _check_sector(session: Session, *, cpts_id: int, sector_id: int | None) -> None:
    if sector_id is not None:
        get_sectors(session, cpts_id=cpts_id, sector_ids=[sector_id], field="sector_id")


def create_pharmacy(session: Session, *, cpts_id: int, data: PharmacyCreate) -> Pharmacy:
    """Register a pharmacy; FINESS is unique in a territory, the sector must be its own."""
    ensure_unique(session, Pharmacy, cpts_id=cpts_id, field="finess", value=data.finess)
    _check_sector(session, cpts_id=cpts_id, sector_id=data.sector_id)
    pharmacy = Pharmacy(cpts_id=cpts_id, **data.model_dump())
    ensure_paired(pharmacy, "latitude", "longitude")
    session.add(pharmacy)
    session.flush()
    return pharmacy


def list_pharmacies(
    session: Session, *, cpts_id: int, filters: PharmacyFilters, page: PageParams
) -> tuple[list[Pharmacy], int]:
    """A page of the territory's pharmacies matching ``filters``, by name."""
    query = owned(Pharmacy, cpts_id).order_by(Pharmacy.name, Pharmacy.id)
    if filters.sector_id is not None:
        query = query.where(Pharmacy.sector_id == filters.sector_id)
    if filters.q is not None:
        query = query.where(matches_words(filters.q, Pharmacy.name, Pharmacy.address))
    return paginate(session, query, page)


def get_pharmacy(session: Session, *, cpts_id: int, pharmacy_id: int) -> Pharmacy:
    """One pharmacy of the territory (404 if it belongs to another)."""
    return get_owned(session, Pharmacy, pharmacy_id, cpts_id=cpts_id)


def get_pharmacy_for(session: Session, *, principal: Principal, pharmacy_id: int) -> Pharmacy:
    """A pharmacy as ``principal`` may see it: the coordinator any, a pharmacist only
    their own (403 for another of the territory, 404 for another territory's)."""
    pharmacy = get_pharmacy(session, cpts_id=principal.cpts_id, pharmacy_id=pharmacy_id)
    if principal.role != Role.coordinator and principal.pharmacy_id != pharmacy.id:
        raise Forbidden("pharmacists may only see their own pharmacy")
    return pharmacy


def update_pharmacy(
    session: Session, *, cpts_id: int, pharmacy_id: int, data: PharmacyUpdate
) -> Pharmacy:
    """Change a pharmacy's identity, contact details, coordinates or sector."""
    pharmacy = get_pharmacy(session, cpts_id=cpts_id, pharmacy_id=pharmacy_id)
    if data.finess is not None:
        ensure_unique(
            session,
            Pharmacy,
            cpts_id=cpts_id,
            field="finess",
            value=data.finess,
            exclude_id=pharmacy.id,
        )
    _check_sector(session, cpts_id=cpts_id, sector_id=data.sector_id)
    apply_changes(pharmacy, data)
    ensure_paired(pharmacy, "latitude", "longitude")
    session.flush()
    return pharmacy


def delete_pharmacy(session: Session, *, cpts_id: int, pharmacy_id: int) -> None:
    """Remove a pharmacy; its pharmacists' user accounts and tokens go with it. A pharmacy
    that has referred patients is kept (409): its referrals are part of the record."""
    pharmacy = get_pharmacy(session, cpts_id=cpts_id, pharmacy_id=pharmacy_id)
    if session.scalar(select(Referral.id).where(Referral.pharmacy_id == pharmacy.id).limit(1)):
        raise Conflict(f"pharmacy {pharmacy_id} has referrals and cannot be deleted")
    session.delete(pharmacy)
    session.flush()
