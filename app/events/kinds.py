"""The events the pages already show, and who receives each (see ``app.events.service``)."""

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from app.events.service import publish
from app.referrals.models import Referral
from app.rotations.models import Job
from app.users.models import Role, User


def _active_users(session: Session, cpts_id: int, condition: ColumnElement[bool]) -> list[int]:
    query = select(User.id).where(User.cpts_id == cpts_id, User.active.is_(True), condition)
    return list(session.scalars(query))


def referral_booked(session: Session, referral: Referral) -> None:
    """To the practitioner a patient was referred to: their slot is booked; to the CPTS's
    pharmacists: that slot is no longer open."""
    practitioners = _active_users(
        session, referral.cpts_id, User.practitioner_id == referral.practitioner_id
    )
    publish(
        session,
        cpts_id=referral.cpts_id,
        user_ids=practitioners,
        kind="referral.booked",
        data={"referral_id": referral.id, "slot_id": referral.slot_id},
    )
    pharmacists = _active_users(session, referral.cpts_id, User.role == Role.pharmacist.value)
    publish(
        session,
        cpts_id=referral.cpts_id,
        user_ids=pharmacists,
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
