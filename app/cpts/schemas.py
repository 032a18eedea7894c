"""Request and response shapes for CPTS settings and sectors."""

from datetime import time
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from app.crud import NotNull
from app.professions import Profession
from app.types import Text, WallClockTime

FRANCE_SUBDIVISIONS = frozenset(holidays.country_holidays("FR").subdivisions)


def _check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown IANA timezone {value!r} (e.g. 'Europe/Paris')") from None
    return value


def _check_subdivision(value: str | None) -> str | None:
    if value is not None and value not in FRANCE_SUBDIVISIONS:
        known = ", ".join(sorted(FRANCE_SUBDIVISIONS))
        raise ValueError(f"unknown French holiday subdivision {value!r}; known: {known}")
    return value


TimezoneName = Annotated[str, AfterValidator(_check_timezone)]
HolidaySubdivision = Annotated[str | None, AfterValidator(_check_subdivision)]


class Block(BaseModel):
    """One part of the on-call window, in local wall-clock time."""

    start: WallClockTime
    end: WallClockTime


class ProfessionSettings(BaseModel):
    """How a profession's on-call shifts are cut into bookable slots."""

    model_config = ConfigDict(from_attributes=True)

    profession: Profession
    slot_minutes: int = Field(ge=5, le=240)
    free_slots_per_shift: int = Field(ge=0, le=48)


SETTINGS_EXAMPLE: JsonDict = {
    "name": "CPTS Vénissieux",
    "timezone": "Europe/Paris",
    "holiday_subdivision": None,
    "oncall_start": "14:00:00",
    "oncall_end": "20:00:00",
    "blocks": [{"start": "14:00:00", "end": "17:00:00"}, {"start": "17:00:00", "end": "20:00:00"}],
    "min_notice_minutes": 30,
    "retention_days": 30,
    "min_rest_days": 1,
    "allow_multiple_blocks_per_day": False,
    "swap_requires_approval": False,
    "reminder_time": "08:00:00",
    "professions": [{"profession": "gp", "slot_minutes": 15, "free_slots_per_shift": 4}],
}


class SettingsUpdate(BaseModel):
    """Fields to change; blocks must tile the on-call window exactly, in order."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [SETTINGS_EXAMPLE]})

    name: Annotated[Text | None, NotNull] = Field(default=None, min_length=1, max_length=200)
    timezone: Annotated[TimezoneName | None, NotNull] = None
    holiday_subdivision: HolidaySubdivision = None
    oncall_start: Annotated[WallClockTime | None, NotNull] = None
    oncall_end: Annotated[WallClockTime | None, NotNull] = None
    blocks: Annotated[list[Block] | None, NotNull] = Field(default=None, max_length=12)
    min_notice_minutes: Annotated[int | None, NotNull] = Field(default=None, ge=0, le=24 * 60)
    retention_days: Annotated[int | None, NotNull] = Field(default=None, ge=1, le=3650)
    min_rest_days: Annotated[int | None, NotNull] = Field(
        default=None, ge=0, le=14, description="full days off between two on-call days"
    )
    allow_multiple_blocks_per_day: Annotated[bool | None, NotNull] = None
    swap_requires_approval: Annotated[bool | None, NotNull] = None
    reminder_time: Annotated[WallClockTime | None, NotNull] = Field(
        default=None, description="local time from which the day-before reminders are sent"
    )
    professions: Annotated[list[ProfessionSettings] | None, NotNull] = None


class SettingsPublic(BaseModel):
    """A CPTS's on-call organisation as the service applies it."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"id": 1, **SETTINGS_EXAMPLE}]})

    id: int
    name: str
    timezone: str
    holiday_subdivision: str | None
    oncall_start: time
    oncall_end: time
    blocks: list[Block]
    min_notice_minutes: int
    retention_days: int
    min_rest_days: int
    allow_multiple_blocks_per_day: bool
    swap_requires_approval: bool
    reminder_time: time
    professions: list[ProfessionSettings]


class CptsCreate(BaseModel):
    """A new territory (bootstrap CLI)."""

    name: Text = Field(min_length=1, max_length=200)
    timezone: TimezoneName = "Europe/Paris"
    holiday_subdivision: HolidaySubdivision = None


SECTOR_EXAMPLE: JsonDict = {"name": "Nord", "communes": ["Vénissieux", "Saint-Fons"]}


class SectorCreate(BaseModel):
    """A group of communes."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [SECTOR_EXAMPLE]})

    name: Text = Field(min_length=1, max_length=120)
    communes: list[Annotated[Text, Field(min_length=1, max_length=120)]] = []


class SectorUpdate(BaseModel):
    """Fields of a sector to change."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [SECTOR_EXAMPLE]})

    name: Annotated[Text | None, NotNull] = Field(default=None, min_length=1, max_length=120)
    communes: Annotated[
        list[Annotated[Text, Field(min_length=1, max_length=120)]] | None, NotNull
    ] = None


class SectorPublic(BaseModel):
    """A sector as stored."""

    model_config = ConfigDict(
        from_attributes=True, json_schema_extra={"examples": [{"id": 3, **SECTOR_EXAMPLE}]}
    )

    id: int
    name: str
    communes: list[str]
