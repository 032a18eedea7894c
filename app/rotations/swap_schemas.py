"""Request and response shapes for swap offers between practitioners."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from app.rotations.models import SwapStatus
from app.rotations.schemas import ShiftPublic
from app.types import EntityId, MultilineText


class SwapOfferCreate(BaseModel):
    """One of the caller's own future shifts, offered to colleagues of their profession."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"shift_id": 81, "note": "family event that afternoon"}]},
    )

    shift_id: EntityId
    note: MultilineText | None = Field(default=None, max_length=500)


class SwapDecision(BaseModel):
    """Why the coordinator approves or rejects a taken offer (optional)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "checked with both"}]}
    )

    reason: MultilineText | None = Field(default=None, max_length=500)


class SwapOfferPublic(BaseModel):
    """An offer, the shift it concerns and every step so far (who took it, who decided)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 3,
                    "rotation_id": 2,
                    "shift": {
                        "id": 81,
                        "rotation_id": 2,
                        "practitioner_id": 7,
                        "practitioner_name": "Claire Martin",
                        "profession": "gp",
                        "sector_id": 1,
                        "day": "2027-01-14",
                        "block": "14:00-20:00",
                        "starts_at": "2027-01-14T14:00:00+01:00",
                        "ends_at": "2027-01-14T20:00:00+01:00",
                        "locked": False,
                        "status": "active",
                        "sequence": 0,
                    },
                    "offered_by": 7,
                    "taken_by": 9,
                    "status": "pending_approval",
                    "note": "family event that afternoon",
                    "decided_by": None,
                    "created_at": "2027-01-10T09:00:00Z",
                    "updated_at": "2027-01-10T11:30:00Z",
                }
            ]
        }
    )

    id: int
    rotation_id: int
    shift: ShiftPublic
    offered_by: int
    taken_by: int | None
    status: SwapStatus
    note: str | None
    decided_by: int | None
    created_at: datetime
    updated_at: datetime
