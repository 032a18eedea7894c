"""Patient identity is kept for the CPTS's retention period only (SPEC.md, RGPD): the one
way to blank it on referrals and open requests, audited, the anonymous record kept (the
purge itself, with old live events, is ``app.retention.purge_expired``)."""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session

from app import audit
from app.auth import Principal
from app.cpts.models import Cpts

IDENTITY_FIELDS = ("patient_display_name", "patient_phone", "note")


def blank_identities(
    session: Session,
    *,
    model: type[Any],
    reference: InstrumentedAttribute[datetime],
    subject_type: str,
    now: datetime,
    cpts_id: int | None,
    actor: Principal | None,
) -> list[int]:
    """Blank name, phone and note of the ``model`` rows whose ``reference`` instant is older
    than their CPTS's retention period (all CPTS, or ``cpts_id``); one audit entry per CPTS.
    Returns the ids of the rows purged."""
    purged: list[int] = []
    territories = select(Cpts) if cpts_id is None else select(Cpts).where(Cpts.id == cpts_id)
    for cpts in session.scalars(territories):
        due = session.scalars(
            select(model).where(
                model.cpts_id == cpts.id,
                reference < now - timedelta(days=cpts.retention_days),
                model.purged_at.is_(None),
            )
        ).all()
        for row in due:
            for field in IDENTITY_FIELDS:
                setattr(row, field, None)
            row.purged_at = now
        if due:
            audit.record(
                session,
                actor=actor,
                cpts_id=cpts.id,
                action="purge",
                subject_type=subject_type,
                subject_id=None,
                details={f"{subject_type}_ids": [row.id for row in due]},
            )
        purged.extend(row.id for row in due)
    session.flush()
    return purged
