"""Who an open request is offered to: the CPTS's active practitioners of its profession who
declared its competence and its equipment item (when it names them) and, for a home visit,
whom the slot search offers for a home visit in its commune. Listing, reading, accepting
and the live events all follow this one rule."""

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from app.care_requests.models import CareRequest
from app.competences.models import practitioner_items
from app.practitioners.models import Practitioner
from app.slots.schemas import ConsultationMode
from app.slots.search import insee_codes, modes_of, zone_covers


def reaches(practitioner: Practitioner, commune: str) -> bool:
    """Whether ``GET /v1/slots?mode=home_visit&commune=...`` would offer the practitioner:
    they visit at home and their zone covers the commune. The patient is known by commune
    only, so only the listed communes count; a radius alone covers no commune."""
    return ConsultationMode.home_visit in modes_of(practitioner) and zone_covers(
        practitioner, insee_codes(practitioner.zone_communes), commune=commune, position=None
    )


def offered_to(session: Session, request: CareRequest) -> list[int]:
    """The ids of the practitioners the request is offered to."""
    query = select(Practitioner).where(
        Practitioner.cpts_id == request.cpts_id,
        Practitioner.profession == request.profession,
        Practitioner.active.is_(True),
    )
    for item_id in (request.competence_id, request.equipment_id):
        if item_id is not None:
            declared = select(practitioner_items.c.practitioner_id).where(
                practitioner_items.c.item_id == item_id
            )
            query = query.where(Practitioner.id.in_(declared))
    return [
        practitioner.id
        for practitioner in session.scalars(query)
        if not request.home_visit or reaches(practitioner, request.commune_insee)
    ]


def offered_requests(session: Session, practitioner: Practitioner) -> ColumnElement[bool]:
    """The requests offered to ``practitioner``, as a condition on ``CareRequest`` (the
    home-visit communes they reach are decided by ``reaches``, among those requested)."""
    declared = select(practitioner_items.c.item_id).where(
        practitioner_items.c.practitioner_id == practitioner.id
    )
    requested = session.scalars(
        select(CareRequest.commune_insee)
        .distinct()
        .where(
            CareRequest.cpts_id == practitioner.cpts_id,
            CareRequest.profession == practitioner.profession,
            CareRequest.home_visit.is_(True),
        )
    )
    reached = [commune for commune in requested if reaches(practitioner, commune)]
    return and_(
        CareRequest.profession == practitioner.profession,
        or_(CareRequest.competence_id.is_(None), CareRequest.competence_id.in_(declared)),
        or_(CareRequest.equipment_id.is_(None), CareRequest.equipment_id.in_(declared)),
        or_(CareRequest.home_visit.is_(False), CareRequest.commune_insee.in_(reached)),
    )
