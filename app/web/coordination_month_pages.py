"""The coordinator's home and month grid, and the shared planning ("planning partagé") that
every user of the CPTS can read."""

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.clock import NowDep
from app.db import SessionDep
from app.pagination import PageParams
from app.rotations import service as rotations
from app.rotations.models import RotationStatus, SwapOffer, SwapStatus
from app.rotations.service import VISIBLE_TO_ALL
from app.web.deps import CoordinatorPage, PageRoute, WebUser, WebUserDep
from app.web.month_grid import month_after, month_grid, parse_filter, parse_month
from app.web.templating import render
from app.web.views import zone_of

router = APIRouter(route_class=PageRoute, include_in_schema=False)

LIVE = (RotationStatus.draft.value, RotationStatus.published.value)
RECENT = PageParams(limit=12, offset=0)


def _this_month(session: Session, user: WebUser, now: datetime) -> str:
    return now.astimezone(zone_of(session, user.principal.cpts_id)).strftime("%Y-%m")


def _home(session: Session, user: WebUser, now: datetime) -> dict[str, Any]:
    cpts_id = user.principal.cpts_id
    this_month = parse_month(_this_month(session, user, now))
    recent, _ = rotations.list_rotations(
        session, principal=user.principal, status=None, page=RECENT
    )
    pending = session.scalar(
        select(func.count(SwapOffer.id)).where(
            SwapOffer.cpts_id == cpts_id, SwapOffer.status == SwapStatus.pending_approval.value
        )
    )
    return {
        "next_months": [this_month, month_after(this_month), month_after(month_after(this_month))],
        "rotations": recent,
        "pending_swaps": pending or 0,
    }


@router.get("/coordination")
async def home(
    request: Request, session: SessionDep, now: NowDep, user: CoordinatorPage
) -> HTMLResponse:
    """The coordinator's home: the months to build, the latest rotations, pending swaps."""
    context = await run_in_threadpool(_home, session, user, now)
    return render(request, "coordination_home.html", context)


def month_page_context(
    session: Session, request: Request, user: WebUser, month: str, statuses: tuple[str, ...]
) -> dict[str, Any]:
    """The grid of ``month`` (``YYYY-MM``) with the query string's filters applied."""
    cpts_id = user.principal.cpts_id
    wanted = parse_filter(
        session,
        cpts_id=cpts_id,
        profession=request.query_params.get("profession"),
        sector=request.query_params.get("secteur"),
    )
    grid = month_grid(
        session, cpts_id=cpts_id, first=parse_month(month), statuses=statuses, wanted=wanted
    )
    return {"grid": grid, "wanted": wanted, "error": ""}


@router.get("/coordination/mois")
async def this_month(session: SessionDep, now: NowDep, user: CoordinatorPage) -> RedirectResponse:
    """The month under way."""
    month = await run_in_threadpool(_this_month, session, user, now)
    return RedirectResponse(f"/coordination/mois/{month}", status_code=303)


@router.get("/coordination/mois/{month}")
async def coordinator_month(
    request: Request, session: SessionDep, user: CoordinatorPage, month: str
) -> HTMLResponse:
    """The month's grid of drafts and published rotations: shifts to open and change, gaps
    with their reason, and the rotation(s) to build."""
    context = await run_in_threadpool(month_page_context, session, request, user, month, LIVE)
    return render(request, "coordination_month.html", context)


@router.get("/planning")
async def shared_this_month(session: SessionDep, now: NowDep, user: WebUserDep) -> RedirectResponse:
    """The shared planning of the month under way."""
    month = await run_in_threadpool(_this_month, session, user, now)
    return RedirectResponse(f"/planning/{month}", status_code=303)


@router.get("/planning/{month}")
async def shared_month(
    request: Request, session: SessionDep, user: WebUserDep, month: str
) -> HTMLResponse:
    """The shared planning: the published month, read-only, for everyone in the CPTS."""
    context = await run_in_threadpool(
        month_page_context, session, request, user, month, VISIBLE_TO_ALL
    )
    return render(request, "planning_month.html", context)
