"""HTTP routes for rotations: create, solve (202 + job), read, shifts, publish."""

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from app.auth import Coordinator, CurrentUser
from app.db import SessionDep
from app.errors import Conflict, HardRuleBroken, NotFound, RuleViolation, error_responses
from app.pagination import Page, PageDep
from app.professions import Profession
from app.rotations import amendments, service
from app.rotations.models import JobKind, RotationStatus
from app.rotations.report import quality_report
from app.rotations.schemas import (
    ChangePublic,
    ChangeReason,
    GapPublic,
    JobPublic,
    QualityReport,
    RepairRequest,
    RotationCreate,
    RotationDetail,
    RotationPublic,
    ShiftAssign,
    ShiftLock,
    ShiftPublic,
    ShiftReplace,
    SolveRequest,
)
from app.types import CalendarDate, EntityId

router = APIRouter(prefix="/v1", tags=["rotations"])


@router.post(
    "/rotations",
    summary="Start a draft rotation",
    response_model=RotationPublic,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(Conflict),
)
def create_rotation(session: SessionDep, user: Coordinator, data: RotationCreate) -> RotationPublic:
    """Start a draft rotation for a period (coordinator)."""
    rotation = service.create_rotation(session, cpts_id=user.cpts_id, data=data)
    return RotationPublic.model_validate(rotation)


@router.get("/rotations", summary="List rotations", response_model=Page[RotationPublic])
def list_rotations(
    session: SessionDep, user: CurrentUser, page: PageDep, status: RotationStatus | None = None
) -> Page[RotationPublic]:
    """Rotations, latest first; practitioners and pharmacists see published ones only."""
    rows, total = service.list_rotations(session, principal=user, status=status, page=page)
    items = [RotationPublic.model_validate(r) for r in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get(
    "/rotations/{rotation_id}",
    summary="Read a rotation: figures, gaps, loads",
    response_model=RotationDetail,
    responses=error_responses(NotFound),
)
def read_rotation(session: SessionDep, user: CurrentUser, rotation_id: EntityId) -> RotationDetail:
    """Status, solver figures, gaps with their reasons and the load of every practitioner."""
    rotation = service.get_rotation(session, principal=user, rotation_id=rotation_id)
    job = service.latest_job(session, rotation_id=rotation.id)
    return RotationDetail(
        **RotationPublic.model_validate(rotation).model_dump(),
        gaps=[GapPublic.model_validate(g) for g in service.list_gaps(session, rotation=rotation)],
        loads=service.rotation_loads(session, rotation=rotation),
        latest_job=JobPublic.model_validate(job) if job else None,
    )


@router.delete(
    "/rotations/{rotation_id}",
    summary="Drop a draft rotation",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(NotFound, Conflict),
)
def delete_rotation(session: SessionDep, user: Coordinator, rotation_id: EntityId) -> None:
    """Drop a draft (coordinator)."""
    service.delete_rotation(session, principal=user, rotation_id=rotation_id)


@router.post(
    "/rotations/{rotation_id}/solve",
    summary="Solve a draft (background job)",
    response_model=JobPublic,
    status_code=status.HTTP_202_ACCEPTED,
    responses=error_responses(NotFound, Conflict),
)
def solve_rotation(
    session: SessionDep,
    user: Coordinator,
    rotation_id: EntityId,
    response: Response,
    data: SolveRequest | None = None,
) -> JobPublic:
    """Queue a solve of a draft; poll the returned job at ``/v1/jobs/{id}`` (coordinator)."""
    rotation = service.get_rotation(session, principal=user, rotation_id=rotation_id)
    if rotation.status != RotationStatus.draft.value:
        raise Conflict(f"rotation {rotation_id} is {rotation.status}: use repair instead")
    params = (data or SolveRequest()).model_dump()
    job = service.request_job(
        session, principal=user, rotation=rotation, kind=JobKind.solve, params=params
    )
    response.headers["Location"] = f"/v1/jobs/{job.id}"
    return JobPublic.model_validate(job)


@router.get(
    "/jobs/{job_id}",
    summary="Follow a solve or repair job",
    response_model=JobPublic,
    responses=error_responses(NotFound),
)
def read_job(session: SessionDep, user: Coordinator, job_id: EntityId) -> JobPublic:
    """A job's status, progress (share of the time limit used) and, once done, its figures."""
    return JobPublic.model_validate(service.get_job(session, cpts_id=user.cpts_id, job_id=job_id))


@router.post(
    "/rotations/{rotation_id}/publish",
    summary="Publish a solved draft",
    response_model=RotationPublic,
    responses=error_responses(NotFound, Conflict),
)
def publish_rotation(
    session: SessionDep, user: Coordinator, rotation_id: EntityId
) -> RotationPublic:
    """Publish a solved draft: practitioners see it, changes become recorded amendments."""
    rotation = service.publish_rotation(session, principal=user, rotation_id=rotation_id)
    return RotationPublic.model_validate(rotation)


@router.get(
    "/rotations/{rotation_id}/shifts",
    summary="List a rotation's shifts",
    response_model=Page[ShiftPublic],
    responses=error_responses(NotFound),
)
def list_shifts(
    session: SessionDep,
    user: CurrentUser,
    rotation_id: EntityId,
    page: PageDep,
    profession: Profession | None = None,
    sector_id: EntityId | None = None,
    practitioner_id: EntityId | None = None,
    day_from: Annotated[CalendarDate | None, Query(alias="from")] = None,
    day_to: Annotated[CalendarDate | None, Query(alias="to")] = None,
    include_cancelled: bool = False,
) -> Page[ShiftPublic]:
    """The rotation's shifts, filtered; times in the CPTS's timezone with their offset."""
    rotation = service.get_rotation(session, principal=user, rotation_id=rotation_id)
    items, total = service.list_shifts(
        session,
        rotation=rotation,
        page=page,
        profession=profession.value if profession else None,
        sector_id=sector_id,
        practitioner_id=practitioner_id,
        day_from=day_from,
        day_to=day_to,
        include_cancelled=include_cancelled,
    )
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.post(
    "/rotations/{rotation_id}/shifts",
    summary="Put a practitioner on call",
    response_model=ShiftPublic,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(NotFound, HardRuleBroken, RuleViolation),
)
def assign_shift(
    session: SessionDep, user: Coordinator, rotation_id: EntityId, data: ShiftAssign
) -> ShiftPublic:
    """Put a practitioner on call; 409 naming the hard rule it breaks unless forced."""
    shift = amendments.assign(session, principal=user, rotation_id=rotation_id, data=data)
    return service.shifts_public(session, [shift], cpts_id=user.cpts_id)[0]


@router.post(
    "/rotations/{rotation_id}/shifts/{shift_id}/cancel",
    summary="Cancel a shift",
    response_model=ShiftPublic,
    responses=error_responses(NotFound, HardRuleBroken, RuleViolation),
)
def cancel_shift(
    session: SessionDep,
    user: Coordinator,
    rotation_id: EntityId,
    shift_id: EntityId,
    data: ChangeReason,
) -> ShiftPublic:
    """Take a practitioner off a shift; the shift stays in the history, cancelled."""
    shift = amendments.unassign(
        session, principal=user, rotation_id=rotation_id, shift_id=shift_id, data=data
    )
    return service.shifts_public(session, [shift], cpts_id=user.cpts_id)[0]


@router.post(
    "/rotations/{rotation_id}/shifts/{shift_id}/replace",
    summary="Give a shift to another practitioner",
    response_model=ShiftPublic,
    responses=error_responses(NotFound, HardRuleBroken, RuleViolation),
)
def replace_shift(
    session: SessionDep,
    user: Coordinator,
    rotation_id: EntityId,
    shift_id: EntityId,
    data: ShiftReplace,
) -> ShiftPublic:
    """Give a shift to another practitioner; returns the new shift."""
    shift = amendments.replace(
        session, principal=user, rotation_id=rotation_id, shift_id=shift_id, data=data
    )
    return service.shifts_public(session, [shift], cpts_id=user.cpts_id)[0]


@router.patch(
    "/rotations/{rotation_id}/shifts/{shift_id}",
    summary="Lock or unlock a shift",
    response_model=ShiftPublic,
    responses=error_responses(NotFound, HardRuleBroken),
)
def lock_shift(
    session: SessionDep,
    user: Coordinator,
    rotation_id: EntityId,
    shift_id: EntityId,
    data: ShiftLock,
) -> ShiftPublic:
    """Lock a shift (solves and repairs keep it) or unlock it."""
    shift = amendments.set_locked(
        session, principal=user, rotation_id=rotation_id, shift_id=shift_id, locked=data.locked
    )
    return service.shifts_public(session, [shift], cpts_id=user.cpts_id)[0]


@router.post(
    "/rotations/{rotation_id}/repair",
    summary="Repair a published rotation (background job)",
    response_model=JobPublic,
    status_code=status.HTTP_202_ACCEPTED,
    responses=error_responses(NotFound, Conflict),
)
def repair_rotation(
    session: SessionDep,
    user: Coordinator,
    rotation_id: EntityId,
    response: Response,
    data: RepairRequest | None = None,
) -> JobPublic:
    """Re-solve a published rotation's future days after a new absence, changing as little
    as possible; the job's result lists exactly which shifts were cancelled and added."""
    job = service.request_repair(
        session, principal=user, rotation_id=rotation_id, data=data or RepairRequest()
    )
    response.headers["Location"] = f"/v1/jobs/{job.id}"
    return JobPublic.model_validate(job)


@router.get(
    "/rotations/{rotation_id}/changes",
    summary="A rotation's history",
    response_model=Page[ChangePublic],
    responses=error_responses(NotFound),
)
def list_changes(
    session: SessionDep, user: Coordinator, rotation_id: EntityId, page: PageDep
) -> Page[ChangePublic]:
    """Every recorded change of the rotation: publish, amendments, repairs, swaps."""
    rotation = service.get_rotation(session, principal=user, rotation_id=rotation_id)
    rows, total = service.list_changes(session, rotation=rotation, page=page)
    items = [ChangePublic.model_validate(r) for r in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get(
    "/rotations/{rotation_id}/report",
    summary="A rotation's quality report",
    response_model=QualityReport,
    responses=error_responses(NotFound),
)
def rotation_report(session: SessionDep, user: Coordinator, rotation_id: EntityId) -> QualityReport:
    """Coverage per profession and sector, load balance, preferences met."""
    rotation = service.get_rotation(session, principal=user, rotation_id=rotation_id)
    return quality_report(session, rotation=rotation)
