"""HTTP route of the live event stream (bearer token or the pages' session cookie)."""

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials
from sqlalchemy.orm import Session, sessionmaker

from app.auth import Principal, bearer_scheme, hash_token, token_principal
from app.base import utcnow
from app.errors import Unauthorized, error_responses
from app.events.broadcast import StreamsFull, TooManyStreams
from app.events.stream import Check, Limits, events, open_stream
from app.signin import service as signin
from app.types import MAX_ID
from app.web.deps import SESSION_COOKIE

router = APIRouter(tags=["events"])

EXAMPLE = """retry: 3000
: connected

id: 41
event: referral.booked
data: {"referral_id":12,"slot_id":208}

: keep-alive

id: 42
event: job.progress
data: {"job_id":3,"status":"running","progress":0.5,"result":{"parts_done":2}}

"""

DESCRIPTION = f"""Server-Sent Events (`text/event-stream`) of the caller's events, live.

Authenticate with `Authorization: Bearer <token>` or, from the web pages, the session
cookie. Each event comes as `id: <id>`, `event: <kind>`, `data: <JSON>` and a blank line;
ids increase. A client that reconnects with the `Last-Event-ID` header (browsers send it
by themselves) or `?last_event_id=` first receives, from the database, every event of
theirs with a greater id (kept 7 days), then the live ones. A comment line
(`: keep-alive`) comes at least every keep-alive interval (15 s by default); at each, the
token or session is checked again and the stream ends once it is revoked or signed out.

Kinds: `referral.booked` `{{"referral_id", "slot_id"}}` to the practitioner booked;
`slot.taken` `{{"slot_id"}}` to the CPTS's pharmacists; `job.progress`
`{{"job_id", "status", "progress", "result"}}` to the CPTS's coordinators;
`message.posted` and `message.read` (messaging). Events never carry patient identity nor
message text: fetch those through the API.

At most a few streams per user (429 with `Retry-After` past it) and a cap per process
(503 with `Retry-After`).

Example:

```
{EXAMPLE}```
"""

STREAM_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"text/event-stream": {"example": EXAMPLE}},
        "description": "The stream of events, until the client leaves or its credential ends",
    },
    **error_responses(Unauthorized, TooManyStreams, StreamsFull),
}


def _session_principal(
    factory: sessionmaker[Session], secret: str, idle: timedelta
) -> Principal | None:
    with factory() as session:
        found = signin.resolve_session(session, secret=secret, now=utcnow(), idle=idle)
        return None if found is None else signin.principal_of(found[1])


def _checker(request: Request, credentials: HTTPAuthorizationCredentials | None) -> Check:
    """How this request's credential is resolved, now and at each keep-alive."""
    state = request.app.state
    factory = state.session_factory
    if credentials is not None:
        token_hash = hash_token(credentials.credentials)

        async def by_token() -> Principal | None:
            try:
                return await run_in_threadpool(
                    token_principal, state.principals, factory, token_hash
                )
            except Unauthorized:
                return None

        return by_token
    secret = request.cookies.get(SESSION_COOKIE)
    if not secret:
        raise Unauthorized("missing bearer token in the Authorization header (or session cookie)")
    idle = timedelta(hours=state.settings.session_idle_hours)

    async def by_cookie() -> Principal | None:
        return await run_in_threadpool(_session_principal, factory, secret, idle)

    return by_cookie


@router.get(
    "/v1/events",
    summary="Stream my events live (Server-Sent Events)",
    description=DESCRIPTION,
    response_class=StreamingResponse,
    responses=STREAM_RESPONSES,
)
async def stream_events(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    last_event_id: Annotated[
        int | None,
        Query(ge=0, le=MAX_ID, description="Replay my events after this id, then go live"),
    ] = None,
    last_event_id_header: Annotated[
        int | None,
        Header(
            alias="Last-Event-ID",
            ge=0,
            le=MAX_ID,
            description="Sent by browsers when they reconnect",
        ),
    ] = None,
) -> StreamingResponse:
    """Open the caller's event stream (see the description for the format)."""
    check = _checker(request, credentials)
    principal = await check()
    if principal is None:
        raise Unauthorized("unknown, revoked or inactive token, or ended session")
    settings = request.app.state.settings
    limits = Limits(
        keepalive_seconds=settings.events_keepalive_seconds,
        per_user=settings.events_streams_per_user,
        per_process=settings.events_streams_per_process,
    )
    stream = open_stream(principal, limits)
    after_id = last_event_id_header if last_event_id_header is not None else last_event_id
    return StreamingResponse(
        events(request, stream, after_id, check, limits),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
