"""HTTP routes: feed tokens under ``/v1`` (bearer auth) and the feeds under ``/ical``
(no bearer: the secret token in the URL is the credential)."""

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from app.auth import Coordinator, CoordinatorOrPractitioner, hash_token
from app.clock import NowDep
from app.db import SessionDep, read
from app.errors import Forbidden, NotFound, RuleViolation, Unavailable, error_responses
from app.feeds import content, service
from app.feeds.cache import FeedCache, changes_seen, rendered
from app.feeds.conditional import MEDIA_TYPE, calendar_response
from app.feeds.ical import FeedCalendar
from app.feeds.models import FeedKind, FeedToken
from app.feeds.schemas import CptsFeedCreate, FeedTokenIssued, FeedTokenPublic
from app.pagination import Page, PageDep
from app.professions import Profession
from app.ratelimits.deps import per_ip
from app.ratelimits.limiter import Family
from app.types import EntityId

router = APIRouter(tags=["calendar feeds"])
EndpointT = TypeVar("EndpointT", bound=Callable[..., Any])

FEED_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {MEDIA_TYPE: {}}, "description": "The iCalendar feed"},
    304: {"description": "The client's copy (ETag or Last-Modified) is current"},
    **error_responses(NotFound, Unavailable),
}


def feed_route(path: str, *, summary: str) -> Callable[[EndpointT], EndpointT]:
    """Serve ``path`` on GET and HEAD (calendar apps probe with HEAD), each its own operation."""

    def register(endpoint: EndpointT) -> EndpointT:
        for method, prefix in ((router.get, ""), (router.head, "Headers only: ")):
            method(
                path,
                summary=prefix + summary,
                response_class=Response,
                responses=FEED_RESPONSES,
                dependencies=[Depends(per_ip(Family.feeds))],
            )(endpoint)
        return endpoint

    return register


def _issued(request: Request, token: FeedToken, secret: str) -> FeedTokenIssued:
    url, webcal_url = service.feed_links(
        request.app.state.settings.public_base_url, kind=FeedKind(token.kind), secret=secret
    )
    public = FeedTokenPublic.model_validate(token).model_dump()
    return FeedTokenIssued(**public, token=secret, url=url, webcal_url=webcal_url)


@router.post(
    "/v1/practitioners/{practitioner_id}/feed-tokens",
    summary="Issue a practitioner's calendar feed",
    response_model=FeedTokenIssued,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(NotFound, Forbidden),
)
def issue_practitioner_feed(
    request: Request,
    session: SessionDep,
    user: CoordinatorOrPractitioner,
    now: NowDep,
    practitioner_id: EntityId,
) -> FeedTokenIssued:
    """A personal calendar feed (the practitioner themself, or the coordinator). The secret
    and links are in this response only; the practitioner's previous feed link stops working."""
    token, secret = service.issue_practitioner_feed(
        session, principal=user, practitioner_id=practitioner_id, now=now
    )
    return _issued(request, token, secret)


@router.post(
    "/v1/feed-tokens/cpts",
    summary="Issue a CPTS-wide calendar feed",
    response_model=FeedTokenIssued,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(RuleViolation),
)
def issue_cpts_feed(
    request: Request, session: SessionDep, user: Coordinator, now: NowDep, data: CptsFeedCreate
) -> FeedTokenIssued:
    """A CPTS-wide on-call feed, optionally of one profession and one sector (coordinator)."""
    token, secret = service.issue_cpts_feed(session, cpts_id=user.cpts_id, data=data, now=now)
    return _issued(request, token, secret)


@router.get("/v1/feed-tokens", summary="List calendar feeds", response_model=Page[FeedTokenPublic])
def list_feed_tokens(
    session: SessionDep,
    user: CoordinatorOrPractitioner,
    page: PageDep,
    practitioner_id: EntityId | None = None,
    active: bool | None = None,
) -> Page[FeedTokenPublic]:
    """Feed tokens without secrets: the coordinator's whole CPTS, a practitioner's own."""
    rows, total = service.list_feed_tokens(
        session, principal=user, page=page, practitioner_id=practitioner_id, active=active
    )
    items = [FeedTokenPublic.model_validate(r) for r in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.delete(
    "/v1/feed-tokens/{token_id}",
    summary="Revoke a calendar feed",
    response_model=FeedTokenPublic,
    responses=error_responses(NotFound, Forbidden),
)
def revoke_feed_token(
    session: SessionDep, user: CoordinatorOrPractitioner, now: NowDep, token_id: EntityId
) -> FeedTokenPublic:
    """Revoke a feed; its URL answers 404 from then on."""
    token = service.revoke_feed_token(session, principal=user, token_id=token_id, now=now)
    return FeedTokenPublic.model_validate(token)


async def _cached_feed(
    request: Request, render_feed: Callable[[Session], tuple[int, FeedCalendar]], key: str
) -> Response:
    """Answer from the process's rendered copy of the feed, or render it in a worker thread,
    in a read transaction of its own (reading the freshness stamp and change count first,
    so a change meanwhile voids it): a feed served from the cache opens no session."""
    cache: FeedCache = request.app.state.feeds
    freshness = request.app.state.principals.freshness
    feed = cache.get(key, freshness)
    if feed is None:
        async with cache.rendering(key):
            feed = cache.get(key, freshness)
            if feed is None:
                stamp, seen = freshness.stamp(), changes_seen()
                factory = request.app.state.session_factory
                feed = rendered(*await run_in_threadpool(read, factory, render_feed))
                cache.put(key, feed, stamp=stamp, seen=seen)
    return calendar_response(request, feed)


@feed_route("/ical/practitioners/{token}.ics", summary="A practitioner's calendar (iCal)")
async def practitioner_feed(request: Request, now: NowDep, token: str) -> Response:
    """A practitioner's on-call shifts and referred patients (without identity), as iCal."""

    def render_feed(session: Session) -> tuple[int, FeedCalendar]:
        feed = service.active_feed(session, kind=FeedKind.practitioner, secret=token)
        base_url = request.app.state.settings.public_base_url
        calendar = content.practitioner_calendar(
            session, token=feed, now=now, public_base_url=base_url
        )
        return feed.cpts_id, calendar

    return await _cached_feed(request, render_feed, f"practitioner:{hash_token(token)}")


@feed_route("/ical/cpts/{token}.ics", summary="The CPTS's on-call calendar (iCal)")
async def cpts_feed(
    request: Request,
    now: NowDep,
    token: str,
    profession: Annotated[Profession | None, Query()] = None,
    sector_id: Annotated[EntityId | None, Query()] = None,
) -> Response:
    """The CPTS's on-call shifts within the token's filters, narrowed by the query's."""

    def render_feed(session: Session) -> tuple[int, FeedCalendar]:
        feed = service.active_feed(session, kind=FeedKind.cpts, secret=token)
        calendar = content.cpts_calendar(
            session,
            token=feed,
            now=now,
            public_base_url=request.app.state.settings.public_base_url,
            profession=profession,
            sector_id=sector_id,
        )
        return feed.cpts_id, calendar

    key = f"cpts:{hash_token(token)}:{profession.value if profession else ''}:{sector_id or ''}"
    return await _cached_feed(request, render_feed, key)
