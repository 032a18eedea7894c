"""Absences and day preferences, managed by the practitioner themself or the coordinator."""

from datetime import date
from typing import TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.auth import Principal
from app.availability.models import Absence, Preference
from app.availability.schemas import AbsenceCreate, AbsenceUpdate, PreferenceCreate
from app.crud import apply_changes
from app.errors import Conflict, NotFound, RuleViolation
from app.pagination import PageParams, paginate
from app.practitioners.models import Practitioner
from app.practitioners.service import get_practitioner_for
from app.rotations.models import Rotation, RotationStatus, Shift, ShiftStatus
from app.tenancy import get_owned, label, owned

MAX_ABSENCE_DAYS = 366

ChildT = TypeVar("ChildT", Absence, Preference)


def reachable_practitioner(
    session: Session, *, principal: Principal, practitioner_id: int
) -> Practitioner:
    """The practitioner whose availability the caller may manage.

    404 if they are not in the caller's CPTS; 403 if the caller is a practitioner other
    than them (only the coordinator manages someone else's availability).
    """
    return get_practitioner_for(
        session,
        principal=principal,
        practitioner_id=practitioner_id,
        refusal="a practitioner may only manage their own absences and preferences",
    )


def _rows_of(model: type[ChildT], practitioner: Practitioner) -> Select[ChildT]:
    return owned(model, practitioner.cpts_id).where(model.practitioner_id == practitioner.id)


def _get_child(
    session: Session, model: type[ChildT], row_id: int, *, practitioner: Practitioner
) -> ChildT:
    row = get_owned(session, model, row_id, cpts_id=practitioner.cpts_id)
    if row.practitioner_id != practitioner.id:
        raise NotFound(f"{label(model)} {row_id} not found")
    return row


def _check_period(start: date, end: date) -> None:
    if end < start:
        raise RuleViolation("end_date must not be before start_date", field="end_date")
    if (end - start).days + 1 > MAX_ABSENCE_DAYS:
        raise RuleViolation(
            f"an absence lasts at most {MAX_ABSENCE_DAYS} days; declare longer ones in parts",
            field="end_date",
        )


def _refuse_overlap(
    session: Session, *, practitioner: Practitioner, start: date, end: date, exclude_id: int | None
) -> None:
    query = _rows_of(Absence, practitioner).where(
        Absence.start_date <= end, Absence.end_date >= start
    )
    if exclude_id is not None:
        query = query.where(Absence.id != exclude_id)
    clash = session.scalars(query.limit(1)).first()
    if clash is not None:
        raise Conflict(
            f"overlaps absence {clash.id} ({clash.start_date} to {clash.end_date}); "
            "change that one instead",
            field="start_date",
        )


def _refuse_locked_shifts(
    session: Session, *, practitioner: Practitioner, start: date, end: date
) -> None:
    """409 naming the practitioner's locked shifts in the period: solves and repairs keep a
    locked shift as it is, so the coordinator unlocks it before the absence is recorded."""
    query = (
        select(Shift)
        .join(Rotation, Rotation.id == Shift.rotation_id)
        .where(
            Shift.cpts_id == practitioner.cpts_id,
            Shift.practitioner_id == practitioner.id,
            Shift.status == ShiftStatus.active.value,
            Shift.locked.is_(True),
            Shift.day >= start,
            Shift.day <= end,
            Rotation.status != RotationStatus.archived.value,
        )
        .order_by(Shift.day, Shift.block, Shift.id)
    )
    locked = list(session.scalars(query))
    if locked:
        listed = ", ".join(f"shift {s.id} on {s.day} ({s.block})" for s in locked)
        raise Conflict(
            f"the absence covers locked on-call shifts: {listed}; "
            "the coordinator must unlock them first",
            field="start_date",
        )


def create_absence(session: Session, *, practitioner: Practitioner, data: AbsenceCreate) -> Absence:
    """Declare an absence; it must not overlap another of the same practitioner, nor one of
    their locked shifts."""
    _check_period(data.start_date, data.end_date)
    _refuse_overlap(
        session,
        practitioner=practitioner,
        start=data.start_date,
        end=data.end_date,
        exclude_id=None,
    )
    _refuse_locked_shifts(
        session, practitioner=practitioner, start=data.start_date, end=data.end_date
    )
    absence = Absence(
        cpts_id=practitioner.cpts_id, practitioner_id=practitioner.id, **data.model_dump()
    )
    session.add(absence)
    session.flush()
    return absence


def list_absences(
    session: Session,
    *,
    practitioner: Practitioner,
    start: date | None,
    end: date | None,
    page: PageParams,
) -> tuple[list[Absence], int]:
    """A page of the practitioner's absences by date, optionally those touching [start, end]."""
    if start is not None and end is not None and end < start:
        raise RuleViolation("'to' must not be before 'from'", field="to")
    query = _rows_of(Absence, practitioner).order_by(Absence.start_date, Absence.id)
    if start is not None:
        query = query.where(Absence.end_date >= start)
    if end is not None:
        query = query.where(Absence.start_date <= end)
    return paginate(session, query, page)


def get_absence(session: Session, *, practitioner: Practitioner, absence_id: int) -> Absence:
    """One absence of the practitioner (404 if it is someone else's)."""
    return _get_child(session, Absence, absence_id, practitioner=practitioner)


def update_absence(
    session: Session, *, practitioner: Practitioner, absence_id: int, data: AbsenceUpdate
) -> Absence:
    """Move, shorten, extend or re-word an absence; it must not cover a locked shift."""
    absence = get_absence(session, practitioner=practitioner, absence_id=absence_id)
    start = data.start_date or absence.start_date
    end = data.end_date or absence.end_date
    _check_period(start, end)
    _refuse_overlap(session, practitioner=practitioner, start=start, end=end, exclude_id=absence.id)
    _refuse_locked_shifts(session, practitioner=practitioner, start=start, end=end)
    apply_changes(absence, data)
    session.flush()
    return absence


def delete_absence(session: Session, *, practitioner: Practitioner, absence_id: int) -> None:
    """Withdraw an absence."""
    session.delete(get_absence(session, practitioner=practitioner, absence_id=absence_id))
    session.flush()


def create_preference(
    session: Session, *, practitioner: Practitioner, data: PreferenceCreate
) -> Preference:
    """Record a preferred or avoided weekday or date; one preference per weekday or date."""
    query = _rows_of(Preference, practitioner)
    if data.weekday is not None:
        field, query = "weekday", query.where(Preference.weekday == data.weekday)
    else:
        field, query = "day", query.where(Preference.day == data.day)
    clash = session.scalars(query.limit(1)).first()
    if clash is not None:
        raise Conflict(
            f"preference {clash.id} already covers this {field}; delete it first", field=field
        )
    preference = Preference(
        cpts_id=practitioner.cpts_id, practitioner_id=practitioner.id, **data.model_dump()
    )
    session.add(preference)
    session.flush()
    return preference


def list_preferences(
    session: Session, *, practitioner: Practitioner, page: PageParams
) -> tuple[list[Preference], int]:
    """A page of the practitioner's preferences: weekdays first, then dates."""
    query = _rows_of(Preference, practitioner).order_by(
        Preference.weekday.is_(None), Preference.weekday, Preference.day, Preference.id
    )
    return paginate(session, query, page)


def get_preference(
    session: Session, *, practitioner: Practitioner, preference_id: int
) -> Preference:
    """One preference of the practitioner (404 if it is someone else's)."""
    return _get_child(session, Preference, preference_id, practitioner=practitioner)


def delete_preference(session: Session, *, practitioner: Practitioner, preference_id: int) -> None:
    """Withdraw a preference."""
    session.delete(get_preference(session, practitioner=practitioner, preference_id=preference_id))
    session.flush()
