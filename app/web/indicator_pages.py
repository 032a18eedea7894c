"""The coordinator's indicators of a month: the monthly report embedded, the month's
on-call hours per practitioner, and the CSV exports downloaded with the page's session.

The API serves the same CSV files to a bearer token (``/v1/exports/…``); these routes
answer the signed-in coordinator with the same export functions."""

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import QueryParams

from app.clock import NowDep
from app.cpts.models import Cpts
from app.cpts.service import get_cpts
from app.db import SessionDep, writes_on_read
from app.errors import RuleViolation
from app.stats import exports
from app.stats.exports import Separator
from app.stats.monthly import month_title, report_sections
from app.stats.period import Period
from app.stats.router import csv_response, span
from app.stats.service import oncall_hours
from app.types import Month
from app.web.deps import CoordinatorPage, PageRoute, WebUser
from app.web.templating import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

MONTH = TypeAdapter(Month)
SEPARATORS = {"virgule": Separator.comma, "point-virgule": Separator.semicolon}


def _month(query: QueryParams, cpts: Cpts, now: datetime) -> Period:
    """The month of ``?mois=YYYY-MM`` (this month when absent); a French 422 page otherwise."""
    default = f"{now.astimezone(ZoneInfo(cpts.timezone)):%Y-%m}"
    try:
        month = MONTH.validate_python(query.get("mois") or default)
    except ValidationError:
        raise RuleViolation("must be a month written YYYY-MM", field="mois") from None
    return Period.month(month, timezone=cpts.timezone)


def _separator(query: QueryParams) -> Separator:
    return SEPARATORS.get(query.get("separateur", ""), Separator.comma)


def _page(session: Session, user: WebUser, query: QueryParams, now: datetime) -> dict[str, Any]:
    cpts = get_cpts(session, cpts_id=user.principal.cpts_id)
    period = _month(query, cpts, now)
    hours = oncall_hours(session, cpts_id=cpts.id, period=period)
    first = period.first
    return {
        "title": month_title(period),
        "month": f"{first:%Y-%m}",
        "previous": f"{first.year - (first.month == 1)}-{(first.month - 2) % 12 + 1:02d}",
        "following": f"{first.year + first.month // 12}-{first.month % 12 + 1:02d}",
        "report": report_sections(session, cpts=cpts, period=period, now=now),
        "hours": hours,
        "total_hours": round(sum(h.hours for h in hours), 2),
    }


@router.get("/coordination/indicateurs")
async def indicators(
    request: Request, session: SessionDep, now: NowDep, user: CoordinatorPage
) -> HTMLResponse:
    """A month's indicators: the report, on-call hours per practitioner, CSV downloads."""
    context = await run_in_threadpool(_page, session, user, request.query_params, now)
    return render(request, "coord_indicators.html", context)


Export = Callable[[Session, WebUser, Cpts, Period, Separator], tuple[str, str]]
"""One CSV export of a month: its text and its file name."""


def _download(
    session: Session, user: WebUser, query: QueryParams, now: datetime, export: Export
) -> Response:
    cpts = get_cpts(session, cpts_id=user.principal.cpts_id)
    text, filename = export(session, user, cpts, _month(query, cpts, now), _separator(query))
    return csv_response(text, filename)


def _oncall_hours(
    session: Session, _user: WebUser, cpts: Cpts, period: Period, separator: Separator
) -> tuple[str, str]:
    month = f"{period.first:%Y-%m}"
    text = exports.oncall_hours_csv(session, cpts=cpts, month=month, separator=separator)
    return text, f"oncall-hours-{month}.csv"


def _referrals(
    session: Session, user: WebUser, cpts: Cpts, period: Period, separator: Separator
) -> tuple[str, str]:
    text = exports.referrals_csv(
        session, principal=user.principal, cpts=cpts, period=period, separator=separator
    )
    return text, f"referrals-{span(period)}.csv"


def _gaps(
    session: Session, _user: WebUser, cpts: Cpts, period: Period, separator: Separator
) -> tuple[str, str]:
    text = exports.coverage_gaps_csv(session, cpts=cpts, period=period, separator=separator)
    return text, f"coverage-gaps-{span(period)}.csv"


@router.get("/coordination/indicateurs/heures-astreinte.csv")
async def oncall_hours_download(
    request: Request, session: SessionDep, now: NowDep, user: CoordinatorPage
) -> Response:
    """The month's on-call hours per practitioner (CSV), as ``/v1/exports/oncall-hours.csv``."""
    query = request.query_params
    return await run_in_threadpool(_download, session, user, query, now, _oncall_hours)


@router.get("/coordination/indicateurs/orientations.csv")
@writes_on_read
async def referrals_download(
    request: Request, session: SessionDep, now: NowDep, user: CoordinatorPage
) -> Response:
    """The month's referrals without patient identity (CSV, audited), as
    ``/v1/exports/referrals.csv``."""
    query = request.query_params
    return await run_in_threadpool(_download, session, user, query, now, _referrals)


@router.get("/coordination/indicateurs/trous-de-couverture.csv")
async def gaps_download(
    request: Request, session: SessionDep, now: NowDep, user: CoordinatorPage
) -> Response:
    """The month's uncovered on-call blocks with their reason (CSV), as
    ``/v1/exports/coverage-gaps.csv``."""
    query = request.query_params
    return await run_in_threadpool(_download, session, user, query, now, _gaps)
