"""Request and response shapes for open requests: only what SPEC.md allows of a patient."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from app.care_requests.models import CareRequestStatus, WishedDelay
from app.competences.schemas import InseeCode
from app.professions import Profession
from app.referrals.models import ReasonCategory
from app.referrals.schemas import Patient
from app.types import EntityId, MultilineText, Text

CARE_REQUEST_EXAMPLE: JsonDict = {
    "profession": "physio",
    "act": "kinésithérapie respiratoire (bronchiolite)",
    "equipment": None,
    "equipment_id": None,
    "home_visit": True,
    "commune_insee": "69259",
    "wished_delay": "today",
    "patient": {"display_name": "Bébé L.", "birth_year": 2026, "phone": "06 12 34 56 78"},
    "reason_category": "respiratory",
    "note": "Nourrisson de 8 mois, encombrement bronchique.",
}


class CareRequestCreate(BaseModel):
    """Ask the practitioners of ``profession`` to take a patient (send an
    ``Idempotency-Key`` header). The deadline follows from ``wished_delay``: the end of
    today in the CPTS's timezone, or 24 / 48 hours from now."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [CARE_REQUEST_EXAMPLE]}
    )

    profession: Profession
    competence_id: EntityId | None = Field(
        default=None,
        description="a competence of the CPTS's catalogue for this profession: then only "
        "the practitioners who declared it see the request",
    )
    act: Text = Field(
        min_length=1, max_length=200, description="the act or competence needed, in words"
    )
    equipment: Text | None = Field(default=None, min_length=1, max_length=200)
    equipment_id: EntityId | None = Field(
        default=None,
        description="an equipment item of the CPTS's catalogue: then only the practitioners "
        "who declared it see the request",
    )
    home_visit: bool = Field(
        default=False,
        description="a home visit: then only the practitioners who visit at home and list "
        "``commune_insee`` among their zone's communes see the request",
    )
    commune_insee: InseeCode = Field(description="INSEE code of the patient's commune")
    wished_delay: WishedDelay
    patient: Patient
    reason_category: ReasonCategory
    note: MultilineText | None = Field(default=None, max_length=280)


ANONYMOUS_EXAMPLE: JsonDict = {
    "id": 5,
    "pharmacy_id": None,
    "requester_practitioner_id": 7,
    "requester_name": "Claire Martin, médecin",
    "profession": "physio",
    "competence_id": None,
    "act": "kinésithérapie respiratoire (bronchiolite)",
    "equipment": None,
    "equipment_id": None,
    "home_visit": True,
    "commune_insee": "69259",
    "wished_delay": "today",
    "deadline": "2027-01-12T23:00:00Z",
    "status": "open",
    "accepted_by_practitioner_id": None,
    "accepted_at": None,
    "closed_at": None,
    "patient_birth_year": 2026,
    "reason_category": "respiratory",
    "created_at": "2027-01-12T10:05:00Z",
}


class CareRequestAnonymous(BaseModel):
    """A request without the patient's name, phone or note: what the practitioners it is
    offered to (before they accept) and the coordinator see. ``status`` is ``expired`` as
    soon as the deadline has passed, even before the sweep records it."""

    model_config = ConfigDict(json_schema_extra={"examples": [ANONYMOUS_EXAMPLE]})

    id: int
    pharmacy_id: int | None = Field(description="the requesting pharmacy, if a pharmacy asked")
    requester_practitioner_id: int | None = Field(
        description="the requesting practitioner, if a practitioner asked"
    )
    requester_name: str = Field(description="the pharmacy's or the practitioner's name")
    profession: str
    competence_id: int | None
    act: str
    equipment: str | None
    equipment_id: int | None
    home_visit: bool
    commune_insee: str
    wished_delay: WishedDelay
    deadline: datetime
    status: CareRequestStatus
    accepted_by_practitioner_id: int | None
    accepted_at: datetime | None
    closed_at: datetime | None = Field(description="when it was cancelled or expired")
    patient_birth_year: int
    reason_category: str
    created_at: datetime


class CareRequestPublic(CareRequestAnonymous):
    """A request as its requester and the practitioner who accepted it see it. Name, phone
    and note are null once purged after the retention period."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **ANONYMOUS_EXAMPLE,
                    "status": "accepted",
                    "accepted_by_practitioner_id": 12,
                    "accepted_at": "2027-01-12T10:20:00Z",
                    "patient_display_name": "Bébé L.",
                    "patient_phone": "0612345678",
                    "note": "Nourrisson de 8 mois, encombrement bronchique.",
                }
            ]
        }
    )

    patient_display_name: str | None
    patient_phone: str | None
    note: str | None
