"""HTTP routes for the coordinator's indicators, CSV exports and monthly report."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import HTMLResponse

from app.auth import Coordinator
from app.clock import NowDep
from app.cpts.service import get_cpts
from app.db import SessionDep, writes_on_read
from app.errors import Forbidden, RuleViolation, error_responses
from app.stats import exports, service
from app.stats.exports import Separator
from app.stats.monthly import monthly_report
from app.stats.period import Period
from app.stats.schemas import StatsPublic
from app.types import CalendarDate, Month

router = APIRouter(prefix="/v1", tags=["stats"])

MonthParam = Annotated[Month, Query(examples=["2027-03"])]
SeparatorParam = Annotated[
    Separator, Query(description="semicolon: for French spreadsheets (decimal comma, BOM)")
]
ERRORS = error_responses(Forbidden, RuleViolation)
CSV_RESPONSES = {**ERRORS, 200: {"content": {"text/csv": {}}, "description": "UTF-8 CSV"}}


def period_of(
    session: SessionDep,
    user: Coordinator,
    first: Annotated[CalendarDate, Query(alias="from", description="first local date, inclusive")],
    to: Annotated[CalendarDate, Query(description="last local date, inclusive; not before from")],
) -> Period:
    """The ``from``..``to`` period in the caller's CPTS timezone (422 naming ``to`` if reversed)."""
    timezone = get_cpts(session, cpts_id=user.cpts_id).timezone
    return Period.between(first, to, timezone=timezone)


PeriodDep = Annotated[Period, Depends(period_of)]


def csv_response(text: str, filename: str) -> Response:
    """A CSV download: UTF-8 text named ``filename``."""
    return Response(
        content=text.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def span(period: Period) -> str:
    """``2027-03-01_2027-03-31``: a period in a file name."""
    return f"{period.first.isoformat()}_{period.last.isoformat()}"


@router.get(
    "/stats", summary="Indicators of a period", response_model=StatsPublic, responses=ERRORS
)
def read_stats(
    session: SessionDep, user: Coordinator, now: NowDep, period: PeriodDep
) -> StatsPublic:
    """Coverage, on-call hours, slots and referrals of a period of local dates (coordinator).

    Anonymous. A rate whose denominator is 0 is 0.0; its denominator is given beside it.
    """
    cpts = get_cpts(session, cpts_id=user.cpts_id)
    return service.compute_stats(session, cpts=cpts, period=period, now=now)


@router.get(
    "/exports/oncall-hours.csv",
    summary="Export on-call hours of a month (CSV)",
    response_class=Response,
    responses=CSV_RESPONSES,
)
def export_oncall_hours(
    session: SessionDep,
    user: Coordinator,
    month: MonthParam,
    separator: SeparatorParam = Separator.comma,
) -> Response:
    """On-call hours per practitioner of a month, with RPPS and name (indemnification)."""
    cpts = get_cpts(session, cpts_id=user.cpts_id)
    text = exports.oncall_hours_csv(session, cpts=cpts, month=month, separator=separator)
    return csv_response(text, f"oncall-hours-{month}.csv")


@router.get(
    "/exports/referrals.csv",
    summary="Export referrals of a period (CSV)",
    response_class=Response,
    responses=CSV_RESPONSES,
)
@writes_on_read
def export_referrals(
    session: SessionDep,
    user: Coordinator,
    period: PeriodDep,
    separator: SeparatorParam = Separator.comma,
) -> Response:
    """Referrals whose slot starts in the period, without patient identity (audited)."""
    cpts = get_cpts(session, cpts_id=user.cpts_id)
    text = exports.referrals_csv(
        session, principal=user, cpts=cpts, period=period, separator=separator
    )
    return csv_response(text, f"referrals-{span(period)}.csv")


@router.get(
    "/exports/coverage-gaps.csv",
    summary="Export coverage gaps of a period (CSV)",
    response_class=Response,
    responses=CSV_RESPONSES,
)
def export_coverage_gaps(
    session: SessionDep,
    user: Coordinator,
    period: PeriodDep,
    separator: SeparatorParam = Separator.comma,
) -> Response:
    """Uncovered on-call blocks of published rotations in the period, with the reason."""
    cpts = get_cpts(session, cpts_id=user.cpts_id)
    text = exports.coverage_gaps_csv(session, cpts=cpts, period=period, separator=separator)
    return csv_response(text, f"coverage-gaps-{span(period)}.csv")


@router.get(
    "/reports/monthly",
    summary="Monthly report (HTML, in French)",
    response_class=HTMLResponse,
    responses=ERRORS,
)
def read_monthly_report(
    session: SessionDep, user: Coordinator, now: NowDep, month: MonthParam
) -> HTMLResponse:
    """A month's activity as an HTML page in French with two inline SVG charts."""
    cpts = get_cpts(session, cpts_id=user.cpts_id)
    return HTMLResponse(monthly_report(session, cpts=cpts, month=month, now=now))
