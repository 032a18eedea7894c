"""What is deleted once kept long enough: patient identities and old live events."""

from datetime import datetime

from sqlalchemy.orm import Session

from app.care_requests.service import purge_identities as purge_requests
from app.events.service import purge_events
from app.referrals.service import purge_identities


def purge_expired(session: Session, *, now: datetime) -> tuple[int, int, int]:
    """Blank patient identity on referrals and open requests past their CPTS's retention
    and delete live events past theirs (``cpts-snp purge``, the workers' nightly task);
    returns how many referrals, requests and events."""
    return (
        purge_identities(session, now=now),
        purge_requests(session, now=now),
        purge_events(session, now=now),
    )
