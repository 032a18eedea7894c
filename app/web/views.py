"""Small reads the pages share: the CPTS's timezone, today's bounds, practitioners by id."""

from collections.abc import Iterable
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth import Principal
from app.cpts.models import Cpts
from app.pagination import MAX_PAGE_SIZE, PageParams
from app.practitioners.models import Practitioner
from app.referrals import service as referrals
from app.referrals.models import Referral


def zone_of(session: Session, cpts_id: int) -> ZoneInfo:
    """The CPTS's timezone, in which every time is shown."""
    return ZoneInfo(session.scalars(select(Cpts.timezone).where(Cpts.id == cpts_id)).one())


def local_day(now: datetime, zone: ZoneInfo, *, days: int = 1) -> tuple[datetime, datetime]:
    """From local midnight today to local midnight ``days`` later, as instants."""
    today = now.astimezone(zone).date()
    start = datetime.combine(today, time(), zone)
    return start, datetime.combine(today + timedelta(days=days), time(), zone)


def practitioners_by_id(
    session: Session, *, cpts_id: int, ids: Iterable[int]
) -> dict[int, Practitioner]:
    """The CPTS's practitioners with these ids."""
    wanted = set(ids)
    if not wanted:
        return {}
    rows = session.scalars(
        select(Practitioner).where(Practitioner.cpts_id == cpts_id, Practitioner.id.in_(wanted))
    )
    return {p.id: p for p in rows}


def practitioner_names(session: Session, *, cpts_id: int, ids: Iterable[int]) -> dict[int, str]:
    """``Claire Martin`` by id, for the CPTS's practitioners with these ids (names only)."""
    wanted = set(ids)
    if not wanted:
        return {}
    rows = session.execute(
        select(Practitioner.id, Practitioner.first_name, Practitioner.last_name).where(
            Practitioner.cpts_id == cpts_id, Practitioner.id.in_(wanted)
        )
    )
    return {pid: f"{first} {last}" for pid, first, last in rows}


def todays_referrals(
    session: Session, *, principal: Principal, now: datetime, zone: ZoneInfo
) -> list[Referral]:
    """The caller's referrals whose slot is today (local time), audited as a read."""
    since, until = local_day(now, zone)
    rows, _ = referrals.list_referrals(
        session,
        principal=principal,
        page=PageParams(limit=MAX_PAGE_SIZE, offset=0),
        status=None,
        since=since,
        until=until,
        needs_attention=None,
    )
    return rows
