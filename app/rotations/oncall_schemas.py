"""Response shapes for who is on call (and next), and for replacement suggestions."""

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict
from pydantic.config import JsonDict

from app.rotations.schemas import ShiftPublic

ON_CALL_SHIFT_EXAMPLE: JsonDict = {
    "shift_id": 81,
    "rotation_id": 2,
    "practitioner_id": 7,
    "practitioner_name": "Claire Martin",
    "phone": "+33 4 72 00 00 00",
    "profession": "gp",
    "sector_id": 1,
    "sector_name": "Nord",
    "day": "2027-03-28",
    "block": "14:00-20:00",
    "starts_at": "2027-03-28T14:00:00+02:00",
    "ends_at": "2027-03-28T20:00:00+02:00",
}


class OnCallShift(BaseModel):
    """A practitioner on call for one block, with how to reach them; local times."""

    shift_id: int
    rotation_id: int
    practitioner_id: int
    practitioner_name: str
    phone: str | None
    profession: str
    sector_id: int | None
    sector_name: str | None
    day: date
    block: str
    starts_at: datetime
    ends_at: datetime


class OnCallPublic(BaseModel):
    """Who is on call at ``at`` and, per profession and sector, who comes next."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "at": "2027-03-28T15:00:00+02:00",
                    "on_call": [ON_CALL_SHIFT_EXAMPLE],
                    "next": [
                        {
                            **ON_CALL_SHIFT_EXAMPLE,
                            "shift_id": 82,
                            "day": "2027-03-29",
                            "starts_at": "2027-03-29T14:00:00+02:00",
                            "ends_at": "2027-03-29T20:00:00+02:00",
                        }
                    ],
                }
            ]
        }
    )

    at: datetime
    on_call: list[OnCallShift]
    next: list[OnCallShift]


class Suggestion(BaseModel):
    """An eligible replacement and the figures it is ranked by."""

    practitioner_id: int
    practitioner_name: str
    days_since_previous: int | None
    days_until_next: int | None
    rest_days: int | None
    active_shifts: int
    fte: float
    load_per_fte: float


class Excluded(BaseModel):
    """A colleague who cannot take the shift, and the hard rules it would break."""

    practitioner_id: int
    practitioner_name: str
    broken_rules: list[str]


class SuggestionsPublic(BaseModel):
    """Replacements for a shift: most rest around the day first, then least loaded."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "shift": {"id": 81, "day": "2027-01-14", "block": "14:00-20:00"},
                    "suggestions": [
                        {
                            "practitioner_id": 9,
                            "practitioner_name": "Paul Durand",
                            "days_since_previous": 6,
                            "days_until_next": 8,
                            "rest_days": 6,
                            "active_shifts": 3,
                            "fte": 1.0,
                            "load_per_fte": 3.0,
                        }
                    ],
                    "excluded": [
                        {
                            "practitioner_id": 11,
                            "practitioner_name": "Anne Petit",
                            "broken_rules": ["availability: 11 on 2027-01-14: absent"],
                        }
                    ],
                }
            ]
        }
    )

    shift: ShiftPublic
    suggestions: list[Suggestion]
    excluded: list[Excluded]
