"""What is deleted once kept long enough: patient identities and old live events."""

from datetime import datetime

from sqlalchemy.orm import Session

from app.events.service import purge_events
from app.referrals.service import purge_identities


def purge_expired(session: Session, *, now: datetime) -> tuple[int, int]:
    """Blank patient identity on referrals past their CPTS's retention and delete live
    events past theirs (``cpts-snp purge``, the workers' nightly task); returns how many
    referrals and events."""
    return purge_identities(session, now=now), purge_events(session, now=now)
