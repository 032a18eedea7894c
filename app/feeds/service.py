"""Feed tokens: issue (rotating a practitioner's previous one), list, revoke, resolve."""

import secrets
from datetime import datetime

from sqlalchemy import Select, or_, select, update
from sqlalchemy.orm import Session

from app.auth import Principal, hash_token
from app.cpts.models import Sector
from app.errors import Forbidden, NotFound, RuleViolation
from app.feeds.models import FeedKind, FeedToken
from app.feeds.schemas import CptsFeedCreate
from app.pagination import PageParams, paginate
from app.practitioners.models import Practitioner
from app.practitioners.service import get_practitioner_for
from app.tenancy import get_owned, owned
from app.users.models import Role

FEED_TOKEN_PREFIX = "snpcal_"
FEED_PATHS = {FeedKind.practitioner: "practitioners", FeedKind.cpts: "cpts"}


def new_feed_secret() -> str:
    """A fresh feed secret (256 random bits, URL-safe); shown once, stored hashed."""
    return FEED_TOKEN_PREFIX + secrets.token_urlsafe(32)


def feed_links(base_url: str, *, kind: FeedKind, secret: str) -> tuple[str, str]:
    """The feed's ``http(s)://`` address and the same as ``webcal://`` (opens calendar apps)."""
    url = f"{base_url.rstrip('/')}/ical/{FEED_PATHS[kind]}/{secret}.ics"
    return url, "webcal://" + url.split("://", 1)[1]


def issue_practitioner_feed(
    session: Session, *, principal: Principal, practitioner_id: int, now: datetime
) -> tuple[FeedToken, str]:
    """A new personal feed token (the practitioner themself or the coordinator); the
    previous active one is revoked, so issuing again is how a leaked link is rotated."""
    practitioner = get_practitioner_for(
        session, principal=principal, practitioner_id=practitioner_id
    )
    session.execute(
        update(FeedToken)
        .where(FeedToken.practitioner_id == practitioner.id, FeedToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    token = FeedToken(
        cpts_id=practitioner.cpts_id,
        kind=FeedKind.practitioner.value,
        practitioner_id=practitioner.id,
    )
    return _store(session, token, now=now)


def issue_cpts_feed(
    session: Session, *, cpts_id: int, data: CptsFeedCreate, now: datetime
) -> tuple[FeedToken, str]:
    """A new CPTS-wide feed token, optionally limited to one profession and one sector."""
    if data.sector_id is not None:
        try:
            get_owned(session, Sector, data.sector_id, cpts_id=cpts_id)
        except NotFound:
            raise RuleViolation(
                f"unknown sector {data.sector_id} in this CPTS", field="sector_id"
            ) from None
    token = FeedToken(
        cpts_id=cpts_id,
        kind=FeedKind.cpts.value,
        profession=data.profession.value if data.profession else None,
        sector_id=data.sector_id,
    )
    return _store(session, token, now=now)


def _store(session: Session, token: FeedToken, *, now: datetime) -> tuple[FeedToken, str]:
    secret = new_feed_secret()
    token.token_hash = hash_token(secret)
    token.created_at = now
    session.add(token)
    session.flush()
    return token, secret


def visible_feed_tokens(principal: Principal) -> Select[FeedToken]:
    """Feed tokens the caller may see: all of the CPTS for the coordinator, else their own."""
    query = owned(FeedToken, principal.cpts_id)
    if principal.role != Role.coordinator:
        query = query.where(FeedToken.practitioner_id == principal.practitioner_id)
    return query


def list_feed_tokens(
    session: Session,
    *,
    principal: Principal,
    page: PageParams,
    practitioner_id: int | None = None,
    active: bool | None = None,
) -> tuple[list[FeedToken], int]:
    """A page of the feed tokens the caller may see, newest first, without secrets."""
    query = visible_feed_tokens(principal).order_by(FeedToken.id.desc())
    if practitioner_id is not None:
        query = query.where(FeedToken.practitioner_id == practitioner_id)
    if active is not None:
        revoked = FeedToken.revoked_at.is_not(None)
        query = query.where(~revoked if active else revoked)
    return paginate(session, query, page)


def revoke_feed_token(
    session: Session, *, principal: Principal, token_id: int, now: datetime
) -> FeedToken:
    """Revoke a feed: the coordinator any of the CPTS, a practitioner their own (403 else).
    The feed's URL answers 404 from then on."""
    token = session.scalar(owned(FeedToken, principal.cpts_id).where(FeedToken.id == token_id))
    if token is None:
        raise NotFound(f"feed token {token_id} not found")
    if principal.role != Role.coordinator and token.practitioner_id != principal.practitioner_id:
        raise Forbidden("practitioners may only revoke their own feed")
    if token.revoked_at is None:
        token.revoked_at = now
    session.flush()
    return token


def active_feed(session: Session, *, kind: FeedKind, secret: str) -> FeedToken:
    """The live token behind a feed URL; 404 alike for unknown, revoked or other-kind ones,
    and for the feed of a practitioner who was deactivated."""
    token = session.scalar(
        select(FeedToken)
        .outerjoin(Practitioner, Practitioner.id == FeedToken.practitioner_id)
        .where(
            FeedToken.token_hash == hash_token(secret),
            FeedToken.kind == kind.value,
            FeedToken.revoked_at.is_(None),
            or_(FeedToken.practitioner_id.is_(None), Practitioner.active.is_(True)),
        )
    )
    if token is None:
        raise NotFound("no such calendar feed (unknown or revoked link)")
    return token
