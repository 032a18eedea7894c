"""Request and response shapes for absences and day preferences."""

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic.config import JsonDict

from app.types import CalendarDate, MultilineText

ABSENCE_EXAMPLE: JsonDict = {
    "start_date": "2026-12-21",
    "end_date": "2027-01-03",
    "reason": "holiday",
}


class AbsenceCreate(BaseModel):
    """Days, both ends included, on which the practitioner cannot be on call."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [ABSENCE_EXAMPLE]})

    start_date: CalendarDate
    end_date: CalendarDate = Field(description="Last day of the absence (included)")
    reason: MultilineText | None = Field(default=None, max_length=200)


class AbsenceUpdate(BaseModel):
    """Fields of an absence to change; the period is re-checked as a whole."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"end_date": "2027-01-05"}]}
    )

    start_date: CalendarDate | None = None
    end_date: CalendarDate | None = None
    reason: MultilineText | None = Field(default=None, max_length=200)


class AbsencePublic(BaseModel):
    """An absence as stored."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={"examples": [{"id": 5, "practitioner_id": 7, **ABSENCE_EXAMPLE}]},
    )

    id: int
    practitioner_id: int
    start_date: date
    end_date: date
    reason: str | None


class PreferenceKind(StrEnum):
    """Whether the practitioner would like, or would rather not, be on call that day."""

    prefer = "prefer"
    avoid = "avoid"


PREFERENCE_EXAMPLE: JsonDict = {"kind": "avoid", "weekday": 2, "day": None}


class PreferenceCreate(BaseModel):
    """A preferred or avoided weekday (0 = Monday … 6 = Sunday) or one date: exactly one."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                PREFERENCE_EXAMPLE,
                {"kind": "prefer", "weekday": None, "day": "2026-12-24"},
            ]
        },
    )

    kind: PreferenceKind
    weekday: int | None = Field(default=None, ge=0, le=6, description="0 = Monday … 6 = Sunday")
    day: CalendarDate | None = Field(default=None, validate_default=True)

    @field_validator("day")
    @classmethod
    def _weekday_xor_day(cls, day: date | None, info: ValidationInfo) -> date | None:
        if "weekday" not in info.data:  # weekday itself was invalid and is reported already
            return day
        if (info.data["weekday"] is None) == (day is None):
            raise ValueError("give exactly one of weekday (0 = Monday … 6 = Sunday) or day")
        return day


class PreferencePublic(BaseModel):
    """A preference as stored."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={"examples": [{"id": 9, "practitioner_id": 7, **PREFERENCE_EXAMPLE}]},
    )

    id: int
    practitioner_id: int
    kind: PreferenceKind
    weekday: int | None
    day: date | None
