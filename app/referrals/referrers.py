"""Who referred a patient (or posted a request), in words: a pharmacy, or a practitioner
(typically a GP)."""

from collections.abc import Sequence

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from app.french import PROFESSIONS
from app.pharmacies.models import Pharmacy
from app.practitioners.models import Practitioner
from app.referrals.models import Referral

PHARMACY_NAMES = select(Pharmacy.id, Pharmacy.name).where(
    Pharmacy.id.in_(bindparam("ids", expanding=True))
)
PRACTITIONER_NAMES = select(
    Practitioner.id, Practitioner.first_name, Practitioner.last_name, Practitioner.profession
).where(Practitioner.id.in_(bindparam("ids", expanding=True)))

Sender = tuple[int, int | None, int | None]
"""A row that names its sender: its id, its pharmacy's id, its practitioner's id."""


def sender_names(session: Session, senders: Sequence[Sender]) -> dict[int, str]:
    """Who sent each row, by row id: the pharmacy's name, or the practitioner's name and
    profession in French (``Claire Martin, médecin``)."""
    pharmacies: dict[int, str] = {}
    if wanted := sorted({pharmacy for _, pharmacy, _ in senders if pharmacy is not None}):
        names = session.execute(PHARMACY_NAMES, {"ids": wanted})
        pharmacies = {pharmacy_id: name for pharmacy_id, name in names}
    practitioners: dict[int, str] = {}
    if wanted := sorted({p for _, _, p in senders if p is not None}):
        practitioners = {
            practitioner_id: f"{first} {last}, {PROFESSIONS.get(profession, profession)}"
            for practitioner_id, first, last, profession in session.execute(
                PRACTITIONER_NAMES, {"ids": wanted}
            )
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
