"""Building a month: create the draft, solve it and watch the job, read the quality report,
publish; the rotation's history."""

from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from app.base import utcnow
from app.cpts.models import Sector
from app.db import SessionDep
from app.errors import DomainError
from app.pagination import MAX_PAGE_SIZE, PageParams
from app.rotations import service as rotations
from app.rotations.models import (
    Job,
    JobKind,
    JobStatus,
    Rotation,
    RotationStatus,
    Shift,
    ShiftStatus,
)
from app.rotations.report import quality_report
from app.rotations.schemas import RotationCreate, SolveRequest
from app.types import EntityId
from app.web.coordination_month_pages import LIVE, month_page_context
from app.web.deps import CoordinatorPage, PageRoute, SignedForm, WebUser
from app.web.forms import text
from app.web.month_grid import month_after, parse_month
from app.web.refusals import refusal, stored_rule_sentences
from app.web.templating import render
from app.web.views import practitioner_names, zone_of

router = APIRouter(route_class=PageRoute, include_in_schema=False)

ALL = PageParams(limit=MAX_PAGE_SIZE, offset=0)
REFRESH_SECONDS = 2
FAIR_BAND = 1.0
"""A practitioner within this many shifts of their fair share is not listed apart."""


def _create_draft(request: Request, session: Session, user: WebUser, month: str) -> Response:
    first = parse_month(month)
    data = RotationCreate(period_start=first, period_end=month_after(first) - timedelta(days=1))
    try:
        rotation = rotations.create_rotation(session, cpts_id=user.principal.cpts_id, data=data)
    except DomainError:
        session.rollback()
        context = month_page_context(session, request, user, month, LIVE)
        context["error"] = (
            "Un planning couvre déjà une partie de ce mois : ouvrez-le ci-dessous, ou "
            "supprimez son brouillon avant d'en créer un pour le mois entier."
        )
        return render(request, "coordination_month.html", context, status=409)
    return RedirectResponse(f"/coordination/plannings/{rotation.id}", status_code=303)


@router.post("/coordination/mois/{month}/brouillon")
async def create_draft(
    request: Request, session: SessionDep, user: CoordinatorPage, month: str, _form: SignedForm
) -> Response:
    """Start the draft rotation of a whole month."""
    return await run_in_threadpool(_create_draft, request, session, user, month)


def _rotation(session: Session, user: WebUser, rotation_id: int) -> Rotation:
    return rotations.get_rotation(session, principal=user.principal, rotation_id=rotation_id)


def _sector_names(session: Session, cpts_id: int) -> dict[int | None, str]:
    rows = session.execute(select(Sector.id, Sector.name).where(Sector.cpts_id == cpts_id))
    names: dict[int | None, str] = {sector_id: name for sector_id, name in rows}
    names[None] = "Territoire"
    return names


def _report(session: Session, rotation: Rotation) -> dict[str, Any]:
    """The quality report in the page's terms: coverage, fairness against fair shares,
    preferences met, overloaded people."""
    report = quality_report(session, rotation=rotation)
    loads = rotations.rotation_loads(session, rotation=rotation)
    names = practitioner_names(
        session, cpts_id=rotation.cpts_id, ids={load.practitioner_id for load in loads}
    )
    apart: list[dict[str, Any]] = []
    for load in loads:
        if load.weekday_fair_share is None or load.special_fair_share is None:
            continue
        share = load.weekday_fair_share + load.special_fair_share
        held = load.weekday_shifts + load.special_shifts
        if abs(held - share) >= FAIR_BAND:
            row = {"load": load, "name": names[load.practitioner_id], "share": share}
            apart.append({**row, "deviation": abs(held - share)})
    apart.sort(key=lambda row: -row["deviation"])
    overloaded = {pid for figure in report.balance for pid in figure.overloaded_practitioner_ids}
    return {
        "report": report,
        "apart": apart,
        "fair": len(loads) - len(apart),
        "overloaded": sorted(names.get(pid, f"n° {pid}") for pid in overloaded),
    }


def _rotation_page(
    session: Session, user: WebUser, rotation_id: int, *, error: list[str], time_limit: str
) -> dict[str, Any]:
    rotation = _rotation(session, user, rotation_id)
    job = rotations.latest_job(session, rotation_id=rotation.id)
    shifts = session.scalar(
        select(func.count(Shift.id)).where(
            Shift.rotation_id == rotation.id, Shift.status == ShiftStatus.active.value
        )
    )
    months = []
    first = rotation.period_start.replace(day=1)
    while first <= rotation.period_end:
        months.append(first)
        first = month_after(first)
    solved = rotation.solver_figures is not None
    return {
        "rotation": rotation,
        "job": job,
        "active": job is not None and job.status in rotations.ACTIVE_JOB,
        "shift_count": shifts or 0,
        "grid_months": months,
        "gaps": rotations.list_gaps(session, rotation=rotation),
        "sector_names": _sector_names(session, rotation.cpts_id),
        "quality": _report(session, rotation) if solved else None,
        "error": error,
        "time_limit": time_limit,
        "refresh": REFRESH_SECONDS,
    }


@router.get("/coordination/plannings/{rotation_id}")
async def rotation_page(
    request: Request, session: SessionDep, user: CoordinatorPage, rotation_id: EntityId
) -> HTMLResponse:
    """A rotation: its job under way, figures, quality report, gaps; solve and publish."""
    context = await run_in_threadpool(
        _rotation_page, session, user, rotation_id, error=[], time_limit="10"
    )
    return render(request, "coordination_rotation.html", context)


SOLVE_REFUSAL = (
    "Le calcul n'a pas pu être lancé : un calcul est déjà en cours pour ce planning, ou il "
    "n'est plus un brouillon."
)
PUBLISH_REFUSAL = (
    "Publication impossible : le brouillon doit avoir été calculé, sans calcul en cours."
)


def _solve(
    request: Request, session: Session, user: WebUser, rotation_id: int, form: FormData
) -> Response:
    time_limit = text(form, "time_limit_s")
    try:
        params = SolveRequest.model_validate({"time_limit_s": time_limit or 10.0})
    except ValidationError:
        message = ["Indiquez une durée de calcul entre 1 et 300 secondes."]
        context = _rotation_page(session, user, rotation_id, error=message, time_limit=time_limit)
        return render(request, "coordination_rotation.html", context, status=422)
    rotation = _rotation(session, user, rotation_id)
    if rotation.status != RotationStatus.draft.value:
        context = _rotation_page(
            session, user, rotation_id, error=[SOLVE_REFUSAL], time_limit=time_limit
        )
        return render(request, "coordination_rotation.html", context, status=409)
    try:
        job = rotations.request_job(
            session,
            principal=user.principal,
            rotation=rotation,
            kind=JobKind.solve,
            params=params.model_dump(),
        )
    except DomainError as refused:
        words = refusal(
            session, cpts_id=user.principal.cpts_id, error=refused, otherwise=SOLVE_REFUSAL
        )
        context = _rotation_page(session, user, rotation_id, error=words, time_limit=time_limit)
        return render(request, "coordination_rotation.html", context, status=409)
    return RedirectResponse(f"/coordination/calculs/{job.id}", status_code=303)


@router.post("/coordination/plannings/{rotation_id}/calcul")
async def solve(
    request: Request,
    session: SessionDep,
    user: CoordinatorPage,
    rotation_id: EntityId,
    form: SignedForm,
) -> Response:
    """Start (or restart) the solve of a draft; the job's page follows it."""
    return await run_in_threadpool(_solve, request, session, user, rotation_id, form)


def _publish(request: Request, session: Session, user: WebUser, rotation_id: int) -> Response:
    try:
        rotations.publish_rotation(session, principal=user.principal, rotation_id=rotation_id)
    except DomainError as refused:
        words = refusal(
            session, cpts_id=user.principal.cpts_id, error=refused, otherwise=PUBLISH_REFUSAL
        )
        context = _rotation_page(session, user, rotation_id, error=words, time_limit="10")
        return render(request, "coordination_rotation.html", context, status=409)
    return RedirectResponse(f"/coordination/plannings/{rotation_id}", status_code=303)


@router.post("/coordination/plannings/{rotation_id}/publication")
async def publish(
    request: Request,
    session: SessionDep,
    user: CoordinatorPage,
    rotation_id: EntityId,
    _form: SignedForm,
) -> Response:
    """Publish a solved draft: practitioners and pharmacies see it."""
    return await run_in_threadpool(_publish, request, session, user, rotation_id)


def _changed_shifts(session: Session, cpts_id: int, job: Job) -> list[dict[str, Any]]:
    """A repair's changes per person: the shifts each one lost and gained."""
    changes = (job.result or {}).get("changes") or {}
    people: dict[int, dict[str, list[Any]]] = {}
    for kind in ("cancelled", "added"):
        for row in changes.get(kind, []):
            mine = people.setdefault(row["practitioner_id"], {"cancelled": [], "added": []})
            mine[kind].append({**row, "day": date.fromisoformat(row["day"])})
    names = practitioner_names(session, cpts_id=cpts_id, ids=set(people))
    return sorted(
        ({"name": names.get(pid, f"n° {pid}"), **moves} for pid, moves in people.items()),
        key=lambda row: row["name"],
    )


def _job_page(session: Session, user: WebUser, job_id: int) -> dict[str, Any]:
    """The job's page; its times are the job runner's (the server's clock)."""
    job = rotations.get_job(session, cpts_id=user.principal.cpts_id, job_id=job_id)
    rotation = _rotation(session, user, job.rotation_id)
    started = job.started_at
    active = job.status in rotations.ACTIVE_JOB
    done = job.status == JobStatus.done.value
    return {
        "job": job,
        "rotation": rotation,
        "active": active,
        "percent": round(100 * job.progress),
        "elapsed": round((utcnow() - started).total_seconds())
        if started and job.finished_at is None
        else None,
        "time_limit": job.params.get("time_limit_s"),
        "live": None if done else job.result,
        "figures": job.result if done else rotation.solver_figures,
        "changed": _changed_shifts(session, rotation.cpts_id, job)
        if job.kind == JobKind.repair.value
        else [],
        "sector_names": _sector_names(session, rotation.cpts_id),
        "refresh": REFRESH_SECONDS,
    }


@router.get("/coordination/calculs/{job_id}")
async def job_page(
    request: Request, session: SessionDep, user: CoordinatorPage, job_id: EntityId
) -> HTMLResponse:
    """A solve or repair job: progress while it runs (the page refreshes itself), then the
    figures, and for a repair exactly which shifts were cancelled and added, per person."""
    context = await run_in_threadpool(_job_page, session, user, job_id)
    return render(request, "coordination_job.html", context)


def _history(session: Session, user: WebUser, rotation_id: int) -> dict[str, Any]:
    rotation = _rotation(session, user, rotation_id)
    changes, _ = rotations.list_changes(session, rotation=rotation, page=ALL)
    shift_ids = {
        sid
        for change in changes
        for key in ("added_shift_ids", "cancelled_shift_ids")
        for sid in change.details.get(key, [])
    }
    shifts = (
        {s.id: s for s in session.scalars(select(Shift).where(Shift.id.in_(shift_ids)))}
        if shift_ids
        else {}
    )
    names = practitioner_names(
        session, cpts_id=rotation.cpts_id, ids={s.practitioner_id for s in shifts.values()}
    )
    rules = {
        change.id: stored_rule_sentences(
            session, cpts_id=rotation.cpts_id, stored=change.details.get("broken_rules", [])
        )
        for change in changes
        if change.forced
    }
    return {
        "rotation": rotation,
        "changes": changes,
        "shifts": shifts,
        "names": names,
        "rules": rules,
        "zone": zone_of(session, rotation.cpts_id),
    }


@router.get("/coordination/plannings/{rotation_id}/historique")
async def history(
    request: Request, session: SessionDep, user: CoordinatorPage, rotation_id: EntityId
) -> HTMLResponse:
    """Every recorded change of a rotation: who, when, why, forced or not, which shifts."""
    context = await run_in_threadpool(_history, session, user, rotation_id)
    return render(request, "coordination_history.html", context)
