"""The events the pages already show, and who receives each (see ``app.events.service``)."""

from dataclasses import dataclass

from sqlalchemy import ColumnElement, bindparam, or_, select
from sqlalchemy.orm import Session

from app.events.service import publish
from app.referrals.models import Referral
from app.rotations.models import Job
from app.users.models import Role, User


def _active_users(session: Session, cpts_id: int, condition: ColumnElement[bool]) -> list[int]:
    query = select(User.id).where(User.cpts_id == cpts_id, User.active.is_(True), condition)
    return list(session.scalars(query))


BOOKING_AUDIENCE = select(User.id, User.practitioner_id).where(
    User.cpts_id == bindparam("cpts_id"),
    User.active.is_(True),
    or_(User.practitioner_id == bindparam("practitioner_id"), User.role == Role.pharmacist.value),
)


@dataclass(frozen=True)
class BookingAudience:
    """Who hears of a booking: the active users acting for the practitioner, and the
    CPTS's active pharmacists."""

    practitioner_users: tuple[int, ...]
    pharmacists: tuple[int, ...]


def booking_audience(session: Session, *, cpts_id: int, practitioner_id: int) -> BookingAudience:
    """The audience of a booking of this practitioner's slot, read before the booking's
    write transaction begins (in one query)."""
    wanted = {"cpts_id": cpts_id, "practitioner_id": practitioner_id}
    rows = session.execute(BOOKING_AUDIENCE, wanted).all()
    return BookingAudience(
        practitioner_users=tuple(user for user, practitioner in rows if practitioner is not None),
        pharmacists=tuple(user for user, practitioner in rows if practitioner is None),
    )


def referral_booked(session: Session, referral: Referral, *, audience: BookingAudience) -> None:
    """To the practitioner a patient was referred to: their slot is booked; to the CPTS's
    pharmacists: that slot is no longer open."""
    publish(
        session,
        cpts_id=referral.cpts_id,
        user_ids=audience.practitioner_users,
        kind="referral.booked",
        data={"referral_id": referral.id, "slot_id": referral.slot_id},
    )
    publish(
        session,
        cpts_id=referral.cpts_id,
        user_ids=audience.pharmacists,
        kind="slot.taken",
        data={"slot_id": referral.slot_id},
    )


def job_progress(session: Session, job_id: int) -> None:
    """To the CPTS's coordinators: a solve or repair job's status, progress and figures."""
    session.flush()
    job = session.get_one(Job, job_id, populate_existing=True)
    coordinators = _active_users(session, job.cpts_id, User.role == Role.coordinator.value)
    publish(
        session,
        cpts_id=job.cpts_id,
        user_ids=coordinators,
        kind="job.progress",
        data={
            "job_id": job.id,
            "status": job.status,
            "progress": job.progress,
            "result": job.result or {},
        },
    )
