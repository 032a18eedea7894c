"""HTTP routes for the territory's settings and sectors."""

from fastapi import APIRouter, status

from app.auth import Coordinator, CurrentUser
from app.cpts import service
from app.cpts.models import Cpts
from app.cpts.schemas import (
    ProfessionSettings,
    SectorCreate,
    SectorPublic,
    SectorUpdate,
    SettingsPublic,
    SettingsUpdate,
)
from app.db import SessionDep
from app.errors import Conflict, NotFound, RuleViolation, error_responses
from app.pagination import Page, PageDep, SearchQuery
from app.types import EntityId

router = APIRouter(prefix="/v1", tags=["settings and sectors"])


def _settings_public(cpts: Cpts) -> SettingsPublic:
    return SettingsPublic(
        id=cpts.id,
        name=cpts.name,
        timezone=cpts.timezone,
        holiday_subdivision=cpts.holiday_subdivision,
        oncall_start=cpts.oncall_start,
        oncall_end=cpts.oncall_end,
        blocks=service.effective_blocks(cpts),
        min_notice_minutes=cpts.min_notice_minutes,
        retention_days=cpts.retention_days,
        min_rest_days=cpts.min_rest_days,
        allow_multiple_blocks_per_day=cpts.allow_multiple_blocks_per_day,
        swap_requires_approval=cpts.swap_requires_approval,
        reminder_time=cpts.reminder_time,
        professions=[ProfessionSettings.model_validate(s) for s in cpts.profession_settings],
    )


@router.get("/settings", summary="Read the CPTS settings", response_model=SettingsPublic)
def read_settings(session: SessionDep, user: CurrentUser) -> SettingsPublic:
    """The caller's CPTS settings: timezone, on-call window and blocks, slot rules."""
    return _settings_public(service.get_cpts(session, cpts_id=user.cpts_id))


@router.patch(
    "/settings",
    summary="Change the CPTS settings",
    response_model=SettingsPublic,
    responses=error_responses(RuleViolation),
)
def update_settings(session: SessionDep, user: Coordinator, data: SettingsUpdate) -> SettingsPublic:
    """Change the CPTS settings (coordinator)."""
    cpts = service.update_settings(session, cpts_id=user.cpts_id, data=data)
    return _settings_public(cpts)


@router.get("/sectors", summary="List sectors", response_model=Page[SectorPublic])
def list_sectors(
    session: SessionDep, user: CurrentUser, page: PageDep, q: SearchQuery = None
) -> Page[SectorPublic]:
    """The territory's sectors, by name, optionally those whose name has the words ``q``."""
    rows, total = service.list_sectors(session, cpts_id=user.cpts_id, page=page, q=q)
    items = [SectorPublic.model_validate(r) for r in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.post(
    "/sectors",
    summary="Add a sector",
    response_model=SectorPublic,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(Conflict),
)
def create_sector(session: SessionDep, user: Coordinator, data: SectorCreate) -> SectorPublic:
    """Add a sector (coordinator)."""
    sector = service.create_sector(session, cpts_id=user.cpts_id, data=data)
    return SectorPublic.model_validate(sector)


@router.get(
    "/sectors/{sector_id}",
    summary="Read a sector",
    response_model=SectorPublic,
    responses=error_responses(NotFound),
)
def read_sector(session: SessionDep, user: CurrentUser, sector_id: EntityId) -> SectorPublic:
    """One sector."""
    sector = service.get_sector(session, cpts_id=user.cpts_id, sector_id=sector_id)
    return SectorPublic.model_validate(sector)


@router.patch(
    "/sectors/{sector_id}",
    summary="Rename a sector or change its communes",
    response_model=SectorPublic,
    responses=error_responses(NotFound, Conflict),
)
def update_sector(
    session: SessionDep, user: Coordinator, sector_id: EntityId, data: SectorUpdate
) -> SectorPublic:
    """Rename a sector or change its communes (coordinator)."""
    sector = service.update_sector(session, cpts_id=user.cpts_id, sector_id=sector_id, data=data)
    return SectorPublic.model_validate(sector)


@router.delete(
    "/sectors/{sector_id}",
    summary="Remove a sector",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(NotFound),
)
def delete_sector(session: SessionDep, user: Coordinator, sector_id: EntityId) -> None:
    """Remove a sector and its coverage rules (coordinator)."""
    service.delete_sector(session, cpts_id=user.cpts_id, sector_id=sector_id)
