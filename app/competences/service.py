"""The catalogue (coordinator), declarations and zones (a practitioner or the coordinator)."""

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from app.auth import Principal
from app.competences.models import CatalogueItem, ItemKind, practitioner_items
from app.competences.schemas import CatalogueItemCreate, CatalogueItemUpdate, Declarations, Zones
from app.errors import Conflict, RuleViolation
from app.pagination import PageParams, paginate
from app.practitioners.models import Practitioner
from app.practitioners.service import get_practitioner_for
from app.professions import PROFESSION_LABELS
from app.slots.search import slots_changed
from app.tenancy import get_owned, owned


def list_items(
    session: Session,
    *,
    cpts_id: int,
    page: PageParams,
    kind: ItemKind | None = None,
    profession: str | None = None,
) -> tuple[list[CatalogueItem], int]:
    """A page of the catalogue, competences first, by profession then label."""
    query = owned(CatalogueItem, cpts_id).order_by(
        CatalogueItem.kind, CatalogueItem.profession, CatalogueItem.label, CatalogueItem.id
    )
    if kind is not None:
        query = query.where(CatalogueItem.kind == kind.value)
    if profession is not None:
        query = query.where(CatalogueItem.profession == profession)
    return paginate(session, query, page)


def get_item(session: Session, *, cpts_id: int, item_id: int) -> CatalogueItem:
    """One item of the CPTS's catalogue (404 otherwise)."""
    return get_owned(session, CatalogueItem, item_id, cpts_id=cpts_id)


def _ensure_label_free(
    session: Session, *, cpts_id: int, kind: str, label: str, exclude_id: int | None = None
) -> None:
    query = select(CatalogueItem.id).where(
        CatalogueItem.cpts_id == cpts_id, CatalogueItem.kind == kind, CatalogueItem.label == label
    )
    if exclude_id is not None:
        query = query.where(CatalogueItem.id != exclude_id)
    if session.scalar(query) is not None:
        raise Conflict(f"{kind} {label!r} is already in this CPTS's catalogue", field="label")


def create_item(session: Session, *, cpts_id: int, data: CatalogueItemCreate) -> CatalogueItem:
    """Add a competence or an equipment item; 409 if its label is taken for its kind."""
    if data.kind == ItemKind.competence and data.profession is None:
        raise RuleViolation("a competence needs its profession", field="profession")
    if data.kind == ItemKind.equipment and data.profession is not None:
        raise RuleViolation("equipment belongs to no profession", field="profession")
    _ensure_label_free(session, cpts_id=cpts_id, kind=data.kind.value, label=data.label)
    item = CatalogueItem(
        cpts_id=cpts_id,
        kind=data.kind.value,
        profession=data.profession.value if data.profession else None,
        label=data.label,
    )
    session.add(item)
    session.flush()
    return item


def update_item(
    session: Session, *, cpts_id: int, item_id: int, data: CatalogueItemUpdate
) -> CatalogueItem:
    """Rename an item; 409 if the new label is taken for its kind."""
    item = get_item(session, cpts_id=cpts_id, item_id=item_id)
    if data.label is not None:
        _ensure_label_free(
            session, cpts_id=cpts_id, kind=item.kind, label=data.label, exclude_id=item.id
        )
        item.label = data.label
    session.flush()
    slots_changed(cpts_id)
    return item


def delete_item(session: Session, *, cpts_id: int, item_id: int) -> None:
    """Remove an item from the catalogue and from every practitioner's declarations."""
    item = get_item(session, cpts_id=cpts_id, item_id=item_id)
    session.delete(item)
    session.flush()
    slots_changed(cpts_id)


def declared_items(
    session: Session, *, practitioner_ids: Iterable[int]
) -> dict[int, list[CatalogueItem]]:
    """The items each of ``practitioner_ids`` declares, by kind then label."""
    ids = list(practitioner_ids)
    found: dict[int, list[CatalogueItem]] = defaultdict(list)
    if not ids:
        return found
    rows = session.execute(
        select(practitioner_items.c.practitioner_id, CatalogueItem)
        .join(CatalogueItem, CatalogueItem.id == practitioner_items.c.item_id)
        .where(practitioner_items.c.practitioner_id.in_(ids))
        .order_by(CatalogueItem.kind, CatalogueItem.label, CatalogueItem.id)
    )
    for practitioner_id, item in rows:
        found[practitioner_id].append(item)
    return found


def _items_of(
    session: Session, *, practitioner: Practitioner, ids: list[int], kind: ItemKind, field: str
) -> list[CatalogueItem]:
    wanted = list(dict.fromkeys(ids))
    items = {
        item.id: item
        for item in session.scalars(
            owned(CatalogueItem, practitioner.cpts_id).where(CatalogueItem.id.in_(wanted))
        )
    }
    for index, item_id in enumerate(wanted):
        item = items.get(item_id)
        if item is None or item.kind != kind.value:
            raise RuleViolation(
                f"{kind.value} {item_id} is not in this CPTS's catalogue", field=f"{field}.{index}"
            )
        if item.profession is not None and item.profession != practitioner.profession:
            raise RuleViolation(
                f"{item.label!r} is a competence of {PROFESSION_LABELS[item.profession]}, "
                f"not of {PROFESSION_LABELS[practitioner.profession]}",
                field=f"{field}.{index}",
            )
    return [items[item_id] for item_id in wanted]


def read_declarations(
    session: Session, *, principal: Principal, practitioner_id: int
) -> tuple[Practitioner, list[CatalogueItem]]:
    """A practitioner's declared items (themself or the coordinator)."""
    practitioner = get_practitioner_for(
        session, principal=principal, practitioner_id=practitioner_id
    )
    return practitioner, declared_items(session, practitioner_ids=[practitioner.id])[
        practitioner.id
    ]


def declare(
    session: Session, *, principal: Principal, practitioner_id: int, data: Declarations
) -> tuple[Practitioner, list[CatalogueItem]]:
    """Replace a practitioner's competences and equipment (themself or the coordinator);
    every competence must be one of their profession (422 naming the item otherwise)."""
    practitioner = get_practitioner_for(
        session, principal=principal, practitioner_id=practitioner_id
    )
    items = _items_of(
        session,
        practitioner=practitioner,
        ids=data.competence_ids,
        kind=ItemKind.competence,
        field="competence_ids",
    ) + _items_of(
        session,
        practitioner=practitioner,
        ids=data.equipment_ids,
        kind=ItemKind.equipment,
        field="equipment_ids",
    )
    session.execute(
        delete(practitioner_items).where(practitioner_items.c.practitioner_id == practitioner.id)
    )
    if items:
        session.execute(
            insert(practitioner_items),
            [{"practitioner_id": practitioner.id, "item_id": item.id} for item in items],
        )
    session.flush()
    slots_changed(practitioner.cpts_id)
    return read_declarations(session, principal=principal, practitioner_id=practitioner.id)


def set_zones(
    session: Session, *, principal: Principal, practitioner_id: int, data: Zones
) -> Practitioner:
    """Replace a practitioner's home-visit zones (themself or the coordinator); a radius
    needs the practice's coordinates (422 naming ``radius_km`` otherwise)."""
    practitioner = get_practitioner_for(
        session, principal=principal, practitioner_id=practitioner_id
    )
    if data.radius_km is not None and practitioner.latitude is None:
        raise RuleViolation(
            "a radius is measured from the practice: give its latitude and longitude first",
            field="radius_km",
        )
    codes = [commune.insee_code for commune in data.communes]
    for index, code in enumerate(codes):
        if code in codes[:index]:
            raise RuleViolation(f"commune {code} is listed twice", field=f"communes.{index}")
    practitioner.zone_communes = [commune.model_dump() for commune in data.communes]
    practitioner.zone_radius_km = data.radius_km
    session.flush()
    slots_changed(practitioner.cpts_id)
    return practitioner
