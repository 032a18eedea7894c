"""Rotations: create, read, solve (as a job), publish, and their shifts, gaps and loads."""

from collections import Counter
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.auth import Principal
from app.base import utcnow
from app.cpts.models import Cpts
from app.errors import Conflict, NotFound
from app.notifications import service as notify
from app.pagination import PageParams, paginate
from app.practitioners.models import Practitioner
from app.rotations.models import (
    FairShare,
    Gap,
    Job,
    JobKind,
    JobStatus,
    Rotation,
    RotationChange,
    RotationStatus,
    Shift,
    ShiftStatus,
)
from app.rotations.schemas import LoadPublic, RepairRequest, RotationCreate, ShiftPublic
from app.rotations.solving import Calendar, broken_locks
from app.slots.service import sync_slots
from app.tasks.dispatch import dispatch_job
from app.tenancy import get_owned, owned
from app.users.models import Role

VISIBLE_TO_ALL = (RotationStatus.published.value, RotationStatus.archived.value)
ACTIVE_JOB = (JobStatus.queued.value, JobStatus.running.value)


def visible_rotations(principal: Principal) -> Select[Rotation]:
    """Rotations the caller may read: all of the CPTS for the coordinator, else published."""
    query = owned(Rotation, principal.cpts_id)
    if principal.role != Role.coordinator:
        query = query.where(Rotation.status.in_(VISIBLE_TO_ALL))
    return query


def get_rotation(session: Session, *, principal: Principal, rotation_id: int) -> Rotation:
    """A rotation the caller may read (404 otherwise)."""
    rotation = session.scalar(visible_rotations(principal).where(Rotation.id == rotation_id))
    if rotation is None:
        raise NotFound(f"rotation {rotation_id} not found")
    return rotation


def create_rotation(session: Session, *, cpts_id: int, data: RotationCreate) -> Rotation:
    """A draft for a period that no other live (draft or published) rotation overlaps."""
    overlapping = session.scalar(
        owned(Rotation, cpts_id).where(
            Rotation.status != RotationStatus.archived.value,
            Rotation.period_start <= data.period_end,
            Rotation.period_end >= data.period_start,
        )
    )
    if overlapping is not None:
        raise Conflict(
            f"rotation {overlapping.id} ({overlapping.period_start}..{overlapping.period_end}) "
            "already covers part of this period",
            field="period_start",
        )
    rotation = Rotation(cpts_id=cpts_id, period_start=data.period_start, period_end=data.period_end)
    session.add(rotation)
    session.flush()
    return rotation


def list_rotations(
    session: Session, *, principal: Principal, status: RotationStatus | None, page: PageParams
) -> tuple[list[Rotation], int]:
    """A page of the rotations the caller may read, latest period first."""
    query = visible_rotations(principal).order_by(Rotation.period_start.desc(), Rotation.id)
    if status is not None:
        query = query.where(Rotation.status == status.value)
    return paginate(session, query, page)


def delete_rotation(session: Session, *, principal: Principal, rotation_id: int) -> None:
    """Drop a draft; a published rotation is archived, never deleted."""
    rotation = get_rotation(session, principal=principal, rotation_id=rotation_id)
    if rotation.status != RotationStatus.draft.value:
        raise Conflict(f"rotation {rotation_id} is {rotation.status}: only drafts can be deleted")
    session.delete(rotation)
    session.flush()


def refuse_broken_locks(session: Session, *, rotation: Rotation, first_day: date | None) -> None:
    """409 naming every locked shift (from ``first_day`` on) that breaks a hard rule.

    A solve or repair keeps locked shifts as they are, so it cannot run while one of them
    breaks a rule (its practitioner left, changed sector or profession, the demand
    changed...): the coordinator unlocks it, or fixes the data, first.
    """
    broken = broken_locks(session, rotation=rotation, first_day=first_day)
    if broken:
        listed = "; ".join(
            f"shift {shift.id} ({shift.day}, {shift.block}): {violation}"
            for shift, violation in broken
        )
        raise Conflict(f"locked shifts break a hard rule; unlock them first: {listed}")


def request_job(
    session: Session,
    *,
    principal: Principal,
    rotation: Rotation,
    kind: JobKind,
    params: dict[str, Any],
) -> Job:
    """Queue a solve or repair; 409 while another one is queued or running for the rotation,
    or while a locked shift it would have to keep breaks a hard rule.

    A partial unique index backs the check, so two concurrent requests cannot both queue.
    """
    active = session.scalar(
        select(Job.id).where(Job.rotation_id == rotation.id, Job.status.in_(ACTIVE_JOB))
    )
    if active is not None:
        raise Conflict(f"job {active} is already queued or running for this rotation")
    first_day = params.get("first_day")
    refuse_broken_locks(
        session, rotation=rotation, first_day=date.fromisoformat(first_day) if first_day else None
    )
    job = Job(
        cpts_id=rotation.cpts_id,
        rotation_id=rotation.id,
        kind=kind.value,
        params=params,
        requested_by=principal.user_id,
    )
    try:
        with session.begin_nested():
            session.add(job)
    except IntegrityError:
        raise Conflict("another job was queued for this rotation at the same time") from None
    dispatch_job(session, job.id)
    return job


def get_job(session: Session, *, cpts_id: int, job_id: int) -> Job:
    """A job of the CPTS."""
    return get_owned(session, Job, job_id, cpts_id=cpts_id)


def latest_job(session: Session, *, rotation_id: int) -> Job | None:
    """The rotation's most recent job, if any."""
    query = select(Job).where(Job.rotation_id == rotation_id).order_by(Job.id.desc())
    return session.scalars(query.limit(1)).first()


def record_change(
    session: Session,
    *,
    rotation: Rotation,
    principal: Principal,
    kind: str,
    reason: str | None = None,
    forced: bool = False,
    details: dict[str, Any] | None = None,
) -> RotationChange:
    """Write one entry of the rotation's history: who, when, why, what."""
    change = RotationChange(
        cpts_id=rotation.cpts_id,
        rotation_id=rotation.id,
        kind=kind,
        actor_user_id=principal.user_id,
        at=utcnow(),
        reason=reason,
        forced=forced,
        details=details or {},
    )
    session.add(change)
    return change


def publish_rotation(session: Session, *, principal: Principal, rotation_id: int) -> Rotation:
    """Freeze a solved draft: practitioners see it; later changes are recorded amendments."""
    rotation = get_rotation(session, principal=principal, rotation_id=rotation_id)
    if rotation.status != RotationStatus.draft.value:
        raise Conflict(f"rotation {rotation_id} is {rotation.status}, not a draft")
    if rotation.solver_figures is None:
        raise Conflict(f"rotation {rotation_id} has not been solved yet")
    active = latest_job(session, rotation_id=rotation.id)
    if active is not None and active.status in ACTIVE_JOB:
        raise Conflict(f"job {active.id} is still running for this rotation")
    rotation.status = RotationStatus.published.value
    rotation.published_at = utcnow()
    record_change(session, rotation=rotation, principal=principal, kind="publish")
    session.flush()
    sync_slots(session, rotation=rotation)
    notify.rotation_published(session, rotation)
    return rotation


def list_shifts(
    session: Session,
    *,
    rotation: Rotation,
    page: PageParams,
    profession: str | None = None,
    sector_id: int | None = None,
    practitioner_id: int | None = None,
    day_from: date | None = None,
    day_to: date | None = None,
    include_cancelled: bool = False,
) -> tuple[list[ShiftPublic], int]:
    """A page of the rotation's shifts, in day and block order, filtered."""
    query = select(Shift).where(Shift.rotation_id == rotation.id)
    if not include_cancelled:
        query = query.where(Shift.status == ShiftStatus.active.value)
    filters = {
        Shift.profession: profession,
        Shift.sector_id: sector_id,
        Shift.practitioner_id: practitioner_id,
    }
    for column, value in filters.items():
        if value is not None:
            query = query.where(column == value)
    if day_from is not None:
        query = query.where(Shift.day >= day_from)
    if day_to is not None:
        query = query.where(Shift.day <= day_to)
    rows, total = paginate(session, query.order_by(Shift.day, Shift.block, Shift.id), page)
    return shifts_public(session, rows, cpts_id=rotation.cpts_id), total


def shifts_public(session: Session, shifts: list[Shift], *, cpts_id: int) -> list[ShiftPublic]:
    """Shifts with their practitioner's name and times in the CPTS's timezone."""
    zone = ZoneInfo(session.get_one(Cpts, cpts_id).timezone)
    ids = {s.practitioner_id for s in shifts}
    names = {
        p.id: f"{p.first_name} {p.last_name}"
        for p in session.scalars(select(Practitioner).where(Practitioner.id.in_(ids)))
    }
    return [
        ShiftPublic(
            id=s.id,
            rotation_id=s.rotation_id,
            practitioner_id=s.practitioner_id,
            practitioner_name=names[s.practitioner_id],
            profession=s.profession,
            sector_id=s.sector_id,
            day=s.day,
            block=s.block,
            starts_at=s.starts_at.astimezone(zone),
            ends_at=s.ends_at.astimezone(zone),
            locked=s.locked,
            status=ShiftStatus(s.status),
            sequence=s.sequence,
        )
        for s in shifts
    ]


def list_gaps(session: Session, *, rotation: Rotation) -> list[Gap]:
    """Uncovered demand of the rotation, by day."""
    query = select(Gap).where(Gap.rotation_id == rotation.id)
    return list(session.scalars(query.order_by(Gap.day, Gap.block, Gap.profession, Gap.id)))


def rotation_loads(session: Session, *, rotation: Rotation) -> list[LoadPublic]:
    """Every practitioner's weekday and weekend/holiday shifts against their fair share."""
    cpts = session.get_one(Cpts, rotation.cpts_id)
    calendar = Calendar.of(cpts, rotation.period_start, rotation.period_end)
    counts: Counter[tuple[int, bool]] = Counter()
    shifts = session.execute(
        select(Shift.practitioner_id, Shift.day).where(
            Shift.rotation_id == rotation.id, Shift.status == ShiftStatus.active.value
        )
    )
    for practitioner_id, day in shifts:
        counts[(practitioner_id, calendar.day_kind(day) != "weekday")] += 1
    shares = {
        f.practitioner_id: f
        for f in session.scalars(select(FairShare).where(FairShare.rotation_id == rotation.id))
    }
    ids = {pid for pid, _ in counts} | set(shares)
    practitioners = session.scalars(
        select(Practitioner)
        .where(Practitioner.id.in_(ids))
        .order_by(Practitioner.profession, Practitioner.id)
    )
    return [_load(p, counts, shares.get(p.id)) for p in practitioners]


def _load(
    practitioner: Practitioner, counts: Counter[tuple[int, bool]], share: FairShare | None
) -> LoadPublic:
    weekday, special = counts[(practitioner.id, False)], counts[(practitioner.id, True)]
    return LoadPublic(
        practitioner_id=practitioner.id,
        profession=practitioner.profession,
        fte=practitioner.fte,
        weekday_shifts=weekday,
        special_shifts=special,
        weekday_fair_share=share.weekday_fair_share if share else None,
        special_fair_share=share.special_fair_share if share else None,
        load_per_fte=round((weekday + special) / practitioner.fte, 3),
    )


def default_repair_day(session: Session, *, cpts_id: int) -> date:
    """Tomorrow in the CPTS's timezone: today's afternoon may already be under way."""
    zone = ZoneInfo(session.get_one(Cpts, cpts_id).timezone)
    return utcnow().astimezone(zone).date() + timedelta(days=1)


def request_repair(
    session: Session, *, principal: Principal, rotation_id: int, data: RepairRequest
) -> Job:
    """Queue a repair of a published rotation's days from ``from_day`` on."""
    rotation = get_rotation(session, principal=principal, rotation_id=rotation_id)
    if rotation.status != RotationStatus.published.value:
        raise Conflict(
            f"rotation {rotation_id} is {rotation.status}: only published ones are repaired"
        )
    first = max(
        data.from_day or default_repair_day(session, cpts_id=rotation.cpts_id),
        rotation.period_start,
    )
    if first > rotation.period_end:
        raise Conflict(f"rotation {rotation_id} has no day left from {first} on", field="from_day")
    params = {
        "time_limit_s": data.time_limit_s,
        "seed": data.seed,
        "first_day": first.isoformat(),
        "reason": data.reason,
    }
    return request_job(
        session, principal=principal, rotation=rotation, kind=JobKind.repair, params=params
    )


def list_changes(
    session: Session, *, rotation: Rotation, page: PageParams
) -> tuple[list[RotationChange], int]:
    """The rotation's history, oldest first."""
    query = select(RotationChange).where(RotationChange.rotation_id == rotation.id)
    return paginate(session, query.order_by(RotationChange.at, RotationChange.id), page)
