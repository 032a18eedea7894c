"""The directory in French for every role: who does what and where, searchable, on a map
drawn by the app (inline SVG, as the coordinator's territory map) and as a list."""

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from app.clock import NowDep
from app.competences.directory import DirectoryQuery, search_directory
from app.competences.models import ItemKind
from app.competences.schemas import INSEE_PATTERN
from app.competences.service import list_items
from app.db import SessionDep
from app.pagination import MAX_PAGE_SIZE, PageParams
from app.professions import Profession
from app.web.deps import PageRoute, WebUser, WebUserDep
from app.web.map_pages import LETTERS, Mark
from app.web.templating import render
from app.web.territory_map import HEIGHT, WIDTH, projection

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def _query(params: dict[str, str]) -> tuple[DirectoryQuery, list[str]]:
    """The search of the form's fields; a field that is not understood is ignored and told."""
    problems: list[str] = []
    profession = params.get("profession") or None
    if profession not in (None, *Profession):
        problems, profession = [*problems, "profession inconnue"], None
    competence = params.get("competence") or None
    competence_id = int(competence) if competence and competence.isdigit() else None
    commune = (params.get("commune") or "").strip().upper() or None
    if commune is not None and not INSEE_PATTERN.match(commune):
        problems, commune = [*problems, "code INSEE de la commune invalide (5 caractères)"], None
    q = (params.get("nom") or "").strip()[:100] or None
    query = DirectoryQuery(profession=profession, competence_id=competence_id, commune=commune, q=q)
    return query, problems


def _directory_page(
    session: Session, user: WebUser, now: datetime, params: dict[str, str]
) -> dict[str, Any]:
    query, problems = _query(params)
    entries, total = search_directory(
        session,
        principal=user.principal,
        query=query,
        page=PageParams(limit=MAX_PAGE_SIZE),
        now=now,
    )
    competences, _ = list_items(
        session,
        cpts_id=user.principal.cpts_id,
        page=PageParams(limit=MAX_PAGE_SIZE),
        kind=ItemKind.competence,
    )
    placed = [e for e in entries if e.latitude is not None and e.longitude is not None]
    to_xy = projection([(e.latitude, e.longitude) for e in placed])  # type: ignore[misc]
    marks = [
        Mark(
            *to_xy((e.latitude, e.longitude)),  # type: ignore[arg-type]
            e.profession.value if e.on_call_today else "other",
            LETTERS.get(e.profession.value, "?") if e.on_call_today else "",
            e.name,
        )
        for e in placed
    ]
    return {
        "entries": entries,
        "total": total,
        "competences": competences,
        "params": params,
        "problems": problems,
        "width": WIDTH,
        "height": HEIGHT,
        "marks": marks,
        "letters": LETTERS,
        "professions": list(Profession),
    }


@router.get("/annuaire")
async def directory(
    request: Request, session: SessionDep, now: NowDep, user: WebUserDep
) -> HTMLResponse:
    """The directory: practitioners by name with their competences, equipment, home-visit
    zones and modes, who is on call today, on a map and as a list (every role)."""
    params = dict(request.query_params)
    context = await run_in_threadpool(_directory_page, session, user, now, params)
    return render(request, "directory.html", context)
