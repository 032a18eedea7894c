"""Request and response shapes for referrals: only what SPEC.md allows of a patient."""

import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from app.base import utcnow
from app.referrals.models import ReasonCategory, ReferralStatus
from app.slots.schemas import ConsultationMode, OfferedPractitioner
from app.types import EntityId, MultilineText, Text

PHONE_SEPARATORS = re.compile(r"[\s.\-()]")
PHONE_PATTERN = re.compile(r"^(0[1-9]\d{8}|\+[1-9]\d{7,14})$")


def _normalise_phone(value: str) -> str:
    compact = PHONE_SEPARATORS.sub("", value)
    if not PHONE_PATTERN.match(compact):
        raise ValueError(
            "must be a French number (10 digits starting with 0) "
            "or an international one (+ and 8 to 15 digits)"
        )
    return compact


def _plausible_birth_year(value: int) -> int:
    if not 1900 <= value <= utcnow().year:
        raise ValueError(f"must be between 1900 and {utcnow().year}")
    return value


PhoneNumber = Annotated[str, AfterValidator(_normalise_phone)]
BirthYear = Annotated[int, AfterValidator(_plausible_birth_year)]


class Patient(BaseModel):
    """Just what the practitioner needs to receive the patient, nothing more."""

    model_config = ConfigDict(extra="forbid")

    display_name: Text = Field(min_length=1, max_length=60, description="name or initials")
    birth_year: BirthYear
    phone: PhoneNumber = Field(description="callback number")


REFERRAL_EXAMPLE: JsonDict = {
    "slot_id": 412,
    "mode": "in_practice",
    "patient": {"display_name": "M. D.", "birth_year": 1984, "phone": "06 12 34 56 78"},
    "reason_category": "infection",
    "note": "Fièvre depuis 2 jours, douleur à la déglutition.",
}


class ReferralCreate(BaseModel):
    """Book ``slot_id`` for a patient (send an ``Idempotency-Key`` header); the caller's
    pharmacy, or the calling practitioner, is recorded as the referrer."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [REFERRAL_EXAMPLE]})

    slot_id: EntityId
    mode: ConsultationMode = ConsultationMode.in_practice
    patient: Patient
    reason_category: ReasonCategory
    note: MultilineText | None = Field(default=None, max_length=280)


class Outcome(StrEnum):
    """What happened, recorded by the practitioner."""

    seen = "seen"
    no_show = "no_show"


class OutcomeCreate(BaseModel):
    """The patient was seen, or did not come."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"outcome": "seen"}]})

    outcome: Outcome


class Appointment(BaseModel):
    """Where and when the patient is expected: what the pharmacist tells them."""

    practitioner: OfferedPractitioner
    starts_at_local: datetime = Field(description="start of the slot in the CPTS's local time")
    ends_at_local: datetime = Field(description="end of the slot in the CPTS's local time")
    timezone: str = Field(description="the CPTS's timezone, e.g. Europe/Paris")


APPOINTMENT_EXAMPLE: JsonDict = {
    "practitioner": {
        "id": 7,
        "name": "Claire Martin",
        "profession": "gp",
        "phone": "04 72 12 34 56",
        "practice_address": "12 avenue Jean Jaurès, Vénissieux",
    },
    "starts_at_local": "2027-01-12T16:30:00+01:00",
    "ends_at_local": "2027-01-12T16:45:00+01:00",
    "timezone": "Europe/Paris",
}


ANONYMOUS_EXAMPLE: JsonDict = {
    "id": 31,
    "slot_id": 412,
    "pharmacy_id": 2,
    "referrer_practitioner_id": None,
    "practitioner_id": 7,
    "profession": "gp",
    "mode": "in_practice",
    "status": "booked",
    "slot_starts_at": "2027-01-12T15:30:00Z",
    "reason_category": "infection",
    "created_at": "2027-01-12T14:10:00Z",
    "cancelled_at": None,
    "outcome_at": None,
    "needs_attention": None,
    **APPOINTMENT_EXAMPLE,
}


class ReferralAnonymous(Appointment):
    """A referral without any patient field (what the coordinator sees): no name, birth
    year, phone or note; but where and when the patient is expected."""

    model_config = ConfigDict(json_schema_extra={"examples": [ANONYMOUS_EXAMPLE]})

    id: int
    slot_id: int
    pharmacy_id: int | None = Field(description="the referring pharmacy, if a pharmacy referred")
    referrer_practitioner_id: int | None = Field(
        description="the referring practitioner (typically a GP), if a practitioner referred"
    )
    practitioner_id: int = Field(description="the practitioner the patient is referred to")
    profession: str
    mode: ConsultationMode
    status: ReferralStatus
    slot_starts_at: datetime
    reason_category: str
    created_at: datetime
    cancelled_at: datetime | None
    outcome_at: datetime | None
    needs_attention: str | None


class ReferralPublic(ReferralAnonymous):
    """A referral as whoever referred (pharmacy or practitioner) and the practitioner
    the patient is referred to see it.

    Name, phone and note are null once purged after the retention period; the birth year
    stays.
    """

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **ANONYMOUS_EXAMPLE,
                    "patient_display_name": "M. D.",
                    "patient_birth_year": 1984,
                    "patient_phone": "0612345678",
                    "note": "Fièvre depuis 2 jours.",
                }
            ]
        }
    )

    patient_display_name: str | None
    patient_birth_year: int
    patient_phone: str | None
    note: str | None


class PurgeResult(BaseModel):
    """How many referrals had their identity fields blanked."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"purged": 12}]})

    purged: int
