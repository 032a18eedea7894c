"""The coordinator's map of the territory, drawn by the app as inline SVG: sectors,
pharmacies, and who is on call now by profession, with the same content as lists."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from app.clock import NowDep
from app.cpts.models import Sector
from app.db import SessionDep
from app.pharmacies.models import Pharmacy
from app.practitioners.models import Practitioner
from app.rotations.oncall import on_call
from app.rotations.oncall_schemas import OnCallShift
from app.tenancy import owned
from app.web.deps import CoordinatorPage, PageRoute, WebUser
from app.web.templating import render
from app.web.territory_map import HEIGHT, WIDTH, XY, LatLon, projection, sector_shape

router = APIRouter(route_class=PageRoute, include_in_schema=False)

LETTERS = {"gp": "M", "physio": "K", "nurse": "I"}
"""The letter inside an on-call marker, so the profession is not told by colour alone."""


@dataclass(frozen=True)
class Mark:
    """A place on the map: ``kind`` is pharmacy, other (a practitioner not on call) or the
    profession of someone on call now."""

    x: float
    y: float
    kind: str
    letter: str
    label: str


def _where(row: Practitioner | Pharmacy) -> LatLon | None:
    if row.latitude is None or row.longitude is None:
        return None
    return (row.latitude, row.longitude)


def _sector_points(
    sectors: list[Sector],
    pharmacies: list[Pharmacy],
    people: list[Practitioner],
    to_xy: Callable[[LatLon], XY],
) -> dict[int, list[XY]]:
    """The places each sector holds: its pharmacies and the practitioners serving it."""
    held: dict[int, list[XY]] = {s.id: [] for s in sectors}
    for pharmacy in pharmacies:
        spot = _where(pharmacy)
        if spot and pharmacy.sector_id in held:
            held[pharmacy.sector_id].append(to_xy(spot))
    for practitioner in people:
        spot = _where(practitioner)
        if spot:
            for sector in practitioner.sectors:
                held[sector.id].append(to_xy(spot))
    return held


def _marks(
    pharmacies: list[Pharmacy],
    people: list[Practitioner],
    duties: list[OnCallShift],
    to_xy: Callable[[LatLon], XY],
) -> list[Mark]:
    """Practitioners not on call (underneath), pharmacies, then who is on call (on top)."""
    on_duty = {duty.practitioner_id for duty in duties}
    marks = [
        Mark(*to_xy(spot), "other", "", "")
        for p in people
        if p.id not in on_duty and (spot := _where(p))
    ]
    marks += [
        Mark(*to_xy(spot), "pharmacy", "", ph.name) for ph in pharmacies if (spot := _where(ph))
    ]
    by_id = {p.id: p for p in people}
    for duty in duties:
        spot = _where(by_id[duty.practitioner_id]) if duty.practitioner_id in by_id else None
        if spot:
            letter = LETTERS.get(duty.profession, "?")
            marks.append(Mark(*to_xy(spot), duty.profession, letter, duty.practitioner_name))
    return marks


def _map_page(session: Session, user: WebUser, now: datetime) -> dict[str, Any]:
    cpts_id = user.principal.cpts_id
    sectors = list(session.scalars(owned(Sector, cpts_id).order_by(Sector.name)))
    pharmacies = list(session.scalars(owned(Pharmacy, cpts_id).order_by(Pharmacy.name)))
    people = list(
        session.scalars(owned(Practitioner, cpts_id).where(Practitioner.active.is_(True)))
    )
    now_on_call = on_call(session, cpts_id=cpts_id, at=now)
    rows: list[Practitioner | Pharmacy] = [*pharmacies, *people]
    to_xy = projection([p for row in rows if (p := _where(row)) is not None])
    held = _sector_points(sectors, pharmacies, people, to_xy)
    marks = _marks(pharmacies, people, now_on_call.on_call, to_xy)
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "shapes": [shape for s in sectors if (shape := sector_shape(s.name, held[s.id]))],
        "marks": marks,
        "sectors": sectors,
        "pharmacies": pharmacies,
        "sector_names": {s.id: s.name for s in sectors},
        "on_call": now_on_call,
        "drawn": {p.id for p in people if _where(p)},  # active, with coordinates
        "letters": LETTERS,
    }


@router.get("/coordination/carte")
async def territory_map(
    request: Request, session: SessionDep, now: NowDep, user: CoordinatorPage
) -> HTMLResponse:
    """The territory drawn from coordinates: sectors, pharmacies, who is on call now."""
    context = await run_in_threadpool(_map_page, session, user, now)
    return render(request, "coord_map.html", context)
