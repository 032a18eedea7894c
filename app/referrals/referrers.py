"""Who referred a patient, in words: a pharmacy, or a practitioner (typically a GP)."""

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.french import PROFESSIONS
from app.pharmacies.models import Pharmacy
from app.practitioners.models import Practitioner
from app.referrals.models import Referral


def referrer_names(session: Session, referrals: Sequence[Referral]) -> dict[int, str]:
    """Who referred each referral, by referral id: the pharmacy's name, or the referring
    practitioner's name and profession in French (``Claire Martin, médecin``)."""
    pharmacy_ids = {r.pharmacy_id for r in referrals if r.pharmacy_id is not None}
    practitioner_ids = {
        r.referrer_practitioner_id for r in referrals if r.referrer_practitioner_id is not None
    }
    pharmacies = {
        p.id: p.name for p in session.scalars(select(Pharmacy).where(Pharmacy.id.in_(pharmacy_ids)))
    }
    practitioners = {
        p.id: f"{p.first_name} {p.last_name}, {PROFESSIONS.get(p.profession, p.profession)}"
        for p in session.scalars(select(Practitioner).where(Practitioner.id.in_(practitioner_ids)))
    }
    names = {}
    for r in referrals:
        if r.pharmacy_id is not None:
            names[r.id] = pharmacies[r.pharmacy_id]
        elif r.referrer_practitioner_id is not None:
            names[r.id] = practitioners[r.referrer_practitioner_id]
    return names
