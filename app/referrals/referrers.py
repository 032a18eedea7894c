"""Who referred a patient (or posted a request), in words: a pharmacy, or a practitioner
(typically a GP)."""

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.french import PROFESSIONS
from app.pharmacies.models import Pharmacy
from app.practitioners.models import Practitioner
from app.referrals.models import Referral

Sender = tuple[int, int | None, int | None]
"""A row that names its sender: its id, its pharmacy's id, its practitioner's id."""


def sender_names(session: Session, senders: Sequence[Sender]) -> dict[int, str]:
    """Who sent each row, by row id: the pharmacy's name, or the practitioner's name and
    profession in French (``Claire Martin, médecin``)."""
    wanted = {pharmacy for _, pharmacy, _ in senders if pharmacy is not None}
    pharmacies = {
        p.id: p.name for p in session.scalars(select(Pharmacy).where(Pharmacy.id.in_(wanted)))
    }
    wanted = {practitioner for _, _, practitioner in senders if practitioner is not None}
    practitioners = {
        p.id: f"{p.first_name} {p.last_name}, {PROFESSIONS.get(p.profession, p.profession)}"
        for p in session.scalars(select(Practitioner).where(Practitioner.id.in_(wanted)))
    }
    return {
        row: pharmacies[pharmacy] if pharmacy is not None else practitioners[practitioner or 0]
        for row, pharmacy, practitioner in senders
    }


def referrer_names(session: Session, referrals: Sequence[Referral]) -> dict[int, str]:
    """Who referred each referral, by referral id (see :func:`sender_names`)."""
    return sender_names(
        session, [(r.id, r.pharmacy_id, r.referrer_practitioner_id) for r in referrals]
    )
