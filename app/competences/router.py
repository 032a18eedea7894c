"""HTTP routes for the catalogue of competences and equipment, declarations and zones."""

from typing import Annotated

from fastapi import APIRouter, Query, status

from app.auth import Coordinator, CoordinatorOrPractitioner, CurrentUser
from app.clock import NowDep
from app.competences import rules, service
from app.competences.directory import DirectoryQuery, search_directory
from app.competences.models import CatalogueItem, ItemKind
from app.competences.schemas import (
    CatalogueItemCreate,
    CatalogueItemPublic,
    CatalogueItemUpdate,
    CompetenceRuleCreate,
    CompetenceRulePublic,
    Declarations,
    DeclarationsPublic,
    DirectoryEntry,
    InseeCode,
    Zones,
    ZonesPublic,
)
from app.db import SessionDep
from app.errors import Conflict, Forbidden, NotFound, RuleViolation, error_responses
from app.pagination import Page, PageDep, SearchQuery
from app.practitioners.models import Practitioner
from app.practitioners.service import get_practitioner_for
from app.professions import Profession
from app.slots.router import parse_near
from app.slots.schemas import ConsultationMode
from app.types import EntityId

router = APIRouter(prefix="/v1", tags=["competences and zones"])


@router.get(
    "/catalogue", summary="List competences and equipment", response_model=Page[CatalogueItemPublic]
)
def list_catalogue(
    session: SessionDep,
    user: CurrentUser,
    page: PageDep,
    kind: ItemKind | None = None,
    profession: Profession | None = None,
) -> Page[CatalogueItemPublic]:
    """The CPTS's catalogue (every role): competences by profession, then equipment."""
    rows, total = service.list_items(
        session,
        cpts_id=user.cpts_id,
        page=page,
        kind=kind,
        profession=profession.value if profession else None,
    )
    items = [CatalogueItemPublic.model_validate(row) for row in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.post(
    "/catalogue",
    summary="Add a competence or equipment item",
    response_model=CatalogueItemPublic,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(Conflict, RuleViolation),
)
def create_catalogue_item(
    session: SessionDep, user: Coordinator, data: CatalogueItemCreate
) -> CatalogueItemPublic:
    """Add a competence (with its profession) or an equipment item (coordinator); 409 if
    the label is already used for that kind."""
    item = service.create_item(session, cpts_id=user.cpts_id, data=data)
    return CatalogueItemPublic.model_validate(item)


@router.patch(
    "/catalogue/{item_id}",
    summary="Rename a competence or equipment item",
    response_model=CatalogueItemPublic,
    responses=error_responses(NotFound, Conflict),
)
def update_catalogue_item(
    session: SessionDep, user: Coordinator, item_id: EntityId, data: CatalogueItemUpdate
) -> CatalogueItemPublic:
    """Rename an item (coordinator); declarations follow."""
    item = service.update_item(session, cpts_id=user.cpts_id, item_id=item_id, data=data)
    return CatalogueItemPublic.model_validate(item)


@router.delete(
    "/catalogue/{item_id}",
    summary="Remove a competence or equipment item",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(NotFound, Conflict),
)
def delete_catalogue_item(session: SessionDep, user: Coordinator, item_id: EntityId) -> None:
    """Remove an item (coordinator); practitioners who declared it no longer do."""
    service.delete_item(session, cpts_id=user.cpts_id, item_id=item_id)


def _declarations_public(
    practitioner: Practitioner, items: list[CatalogueItem]
) -> DeclarationsPublic:
    public = [CatalogueItemPublic.model_validate(item) for item in items]
    return DeclarationsPublic(
        practitioner_id=practitioner.id,
        competences=[item for item in public if item.kind == ItemKind.competence],
        equipment=[item for item in public if item.kind == ItemKind.equipment],
    )


@router.get(
    "/practitioners/{practitioner_id}/declarations",
    summary="Read a practitioner's competences and equipment",
    response_model=DeclarationsPublic,
    responses=error_responses(NotFound, Forbidden),
)
def read_declarations(
    session: SessionDep, user: CoordinatorOrPractitioner, practitioner_id: EntityId
) -> DeclarationsPublic:
    """A practitioner's declared competences and equipment (themself or the coordinator)."""
    practitioner, items = service.read_declarations(
        session, principal=user, practitioner_id=practitioner_id
    )
    return _declarations_public(practitioner, items)


@router.put(
    "/practitioners/{practitioner_id}/declarations",
    summary="Declare a practitioner's competences and equipment",
    response_model=DeclarationsPublic,
    responses=error_responses(NotFound, Forbidden, RuleViolation),
)
def declare(
    session: SessionDep,
    user: CoordinatorOrPractitioner,
    practitioner_id: EntityId,
    data: Declarations,
) -> DeclarationsPublic:
    """Replace a practitioner's competences and equipment (themself or the coordinator).
    Each id must be in the catalogue with the right kind, and each competence of the
    practitioner's profession: 422 naming the offending item otherwise."""
    practitioner, items = service.declare(
        session, principal=user, practitioner_id=practitioner_id, data=data
    )
    return _declarations_public(practitioner, items)


def _zones_public(practitioner: Practitioner) -> ZonesPublic:
    return ZonesPublic(
        practitioner_id=practitioner.id,
        communes=practitioner.zone_communes,
        radius_km=practitioner.zone_radius_km,
    )


@router.get(
    "/practitioners/{practitioner_id}/zones",
    summary="Read a practitioner's home-visit zones",
    response_model=ZonesPublic,
    responses=error_responses(NotFound, Forbidden),
)
def read_zones(
    session: SessionDep, user: CoordinatorOrPractitioner, practitioner_id: EntityId
) -> ZonesPublic:
    """The communes and radius a practitioner covers for home visits (themself or the
    coordinator)."""
    return _zones_public(
        get_practitioner_for(session, principal=user, practitioner_id=practitioner_id)
    )


@router.put(
    "/practitioners/{practitioner_id}/zones",
    summary="Set a practitioner's home-visit zones",
    response_model=ZonesPublic,
    responses=error_responses(NotFound, Forbidden, RuleViolation),
)
def set_zones(
    session: SessionDep, user: CoordinatorOrPractitioner, practitioner_id: EntityId, data: Zones
) -> ZonesPublic:
    """Replace the communes (INSEE code and name) and the radius around the practice a
    practitioner covers for home visits (themself or the coordinator); a radius needs the
    practice's coordinates."""
    practitioner = service.set_zones(
        session, principal=user, practitioner_id=practitioner_id, data=data
    )
    return _zones_public(practitioner)


@router.get(
    "/directory",
    summary="Search the directory of practitioners",
    response_model=Page[DirectoryEntry],
    responses=error_responses(RuleViolation),
)
def directory(
    session: SessionDep,
    user: CurrentUser,
    now: NowDep,
    page: PageDep,
    profession: Profession | None = None,
    competence_id: Annotated[EntityId | None, Query(description="Declares this competence")] = None,
    equipment_id: Annotated[EntityId | None, Query(description="Declares this equipment")] = None,
    mode: ConsultationMode | None = None,
    commune: Annotated[
        InseeCode | None, Query(description="Visits patients of this commune (INSEE code)")
    ] = None,
    near: Annotated[
        str | None, Query(description="latitude,longitude: visits patients at this position")
    ] = None,
    on_call_today: Annotated[bool | None, Query(description="On call today, or not")] = None,
    q: SearchQuery = None,
) -> Page[DirectoryEntry]:
    """The CPTS's active practitioners by name (every role): profession, competences,
    equipment, home-visit zones, modes and whether they are on call today. Pharmacists
    see a practitioner's phone only when the practitioner is on call today."""
    query = DirectoryQuery(
        profession=profession.value if profession else None,
        competence_id=competence_id,
        equipment_id=equipment_id,
        mode=mode,
        commune=commune,
        near=parse_near(near),
        on_call_today=on_call_today,
        q=q,
    )
    items, total = search_directory(session, principal=user, query=query, page=page, now=now)
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get(
    "/competence-rules",
    summary="List competence rules",
    response_model=list[CompetenceRulePublic],
)
def list_competence_rules(session: SessionDep, user: CurrentUser) -> list[CompetenceRulePublic]:
    """How many on-call practitioners with a competence each kind of day needs (every role)."""
    return [
        rules.rule_public(rule, item)
        for rule, item in rules.list_rules(session, cpts_id=user.cpts_id)
    ]


@router.post(
    "/competence-rules",
    summary="Ask for practitioners with a competence on call",
    response_model=CompetenceRulePublic,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(Conflict, RuleViolation),
)
def create_competence_rule(
    session: SessionDep, user: Coordinator, data: CompetenceRuleCreate
) -> CompetenceRulePublic:
    """Ask for at least ``required`` on-call practitioners declaring a competence in each
    block of a kind of day, in the listed months (coordinator). The solver meets it when
    some roster can; otherwise the rotation's gaps name the competence."""
    rule, item = rules.create_rule(session, cpts_id=user.cpts_id, data=data)
    return rules.rule_public(rule, item)


@router.delete(
    "/competence-rules/{rule_id}",
    summary="Remove a competence rule",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(NotFound),
)
def delete_competence_rule(session: SessionDep, user: Coordinator, rule_id: EntityId) -> None:
    """Remove a competence rule (coordinator)."""
    rules.delete_rule(session, cpts_id=user.cpts_id, rule_id=rule_id)
