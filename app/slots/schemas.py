"""Response shapes for slots and the pharmacist's slot search."""

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from app.slots.models import SlotStatus
from app.types import WallClockTime


class ConsultationMode(StrEnum):
    """The three kinds of appointment the national SAS platform uses."""

    in_practice = "in_practice"
    home_visit = "home_visit"
    teleconsultation = "teleconsultation"


class OfferedPractitioner(BaseModel):
    """What the pharmacist tells the patient about who will see them."""

    id: int
    name: str
    profession: str
    phone: str | None
    practice_address: str | None


class SlotOffer(BaseModel):
    """An open slot found by the search; times in the CPTS's timezone."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "slot_id": 412,
                    "starts_at": "2027-01-12T16:00:00+01:00",
                    "ends_at": "2027-01-12T16:15:00+01:00",
                    "profession": "gp",
                    "sector_id": 1,
                    "modes": ["in_practice", "home_visit"],
                    "distance_km": 1.8,
                    "practitioner": {
                        "id": 7,
                        "name": "Dr Claire Martin",
                        "profession": "gp",
                        "phone": "04 72 12 34 56",
                        "practice_address": "12 avenue Jean Jaurès, Vénissieux",
                    },
                }
            ]
        }
    )

    slot_id: int
    starts_at: datetime
    ends_at: datetime
    profession: str
    sector_id: int | None
    modes: list[ConsultationMode]
    distance_km: float | None
    practitioner: OfferedPractitioner


class SlotPublic(BaseModel):
    """A slot as its practitioner or the coordinator sees it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 412,
                    "shift_id": 81,
                    "practitioner_id": 7,
                    "profession": "gp",
                    "sector_id": 1,
                    "starts_at": "2027-01-12T16:00:00+01:00",
                    "ends_at": "2027-01-12T16:15:00+01:00",
                    "status": "open",
                    "expired": False,
                }
            ]
        }
    )

    id: int
    shift_id: int
    practitioner_id: int
    profession: str
    sector_id: int | None
    starts_at: datetime
    ends_at: datetime
    status: SlotStatus
    expired: bool


class SlotTimes(BaseModel):
    """Local start times of the free slots a practitioner keeps in one shift."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"starts": ["15:00", "18:30"]}]}
    )

    starts: list[WallClockTime] = Field(min_length=1, max_length=48)
