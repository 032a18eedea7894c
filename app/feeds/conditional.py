"""Serving a feed over HTTP: ETag and Last-Modified, 304 when the client is up to date,
and HEAD. Calendar apps poll every hour, so most answers should be an empty 304."""

from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response

from app.feeds.cache import RenderedFeed

MEDIA_TYPE = "text/calendar"  # Starlette appends "; charset=utf-8"
CACHE_CONTROL = "private, max-age=3600"


def calendar_response(request: Request, feed: RenderedFeed) -> Response:
    """The rendered feed, a 304 if the client's copy is current, or headers only for HEAD."""
    headers = {
        "ETag": feed.etag,
        "Last-Modified": format_datetime(feed.last_modified, usegmt=True),
        "Cache-Control": CACHE_CONTROL,
    }
    if not_modified(request.headers, etag=feed.etag, last_modified=feed.last_modified):
        return Response(status_code=304, headers=headers)
    if request.method == "HEAD":
        headers["Content-Length"] = str(len(feed.body))
        return Response(media_type=MEDIA_TYPE, headers=headers)
    return Response(feed.body, media_type=MEDIA_TYPE, headers=headers)


def not_modified(headers: Headers, *, etag: str, last_modified: datetime) -> bool:
    """RFC 9110 13.2.2: If-None-Match decides when present, else If-Modified-Since."""
    if_none_match = headers.get("if-none-match")
    if if_none_match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in tags or etag in tags
    since = http_date(headers.get("if-modified-since"))
    return since is not None and last_modified <= since


def http_date(value: str | None) -> datetime | None:
    """An HTTP date as an aware UTC instant; None when absent or malformed."""
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
