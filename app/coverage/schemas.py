"""Request and response shapes for coverage rules."""

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from app.professions import Profession
from app.types import EntityId

MAX_REQUIRED = 100
MAX_RULES = 2000


class DayKind(StrEnum):
    """A weekday, or any public holiday (whose rules replace the weekday's)."""

    mon = "mon"
    tue = "tue"
    wed = "wed"
    thu = "thu"
    fri = "fri"
    sat = "sat"
    sun = "sun"
    holiday = "holiday"


RULE_EXAMPLE: JsonDict = {"day_kind": "mon", "profession": "gp", "sector_id": 3, "required": 2}


class CoverageRuleCreate(BaseModel):
    """Practitioners of a profession needed in each on-call block of a kind of day.

    ``sector_id`` null means the whole territory.
    """

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [RULE_EXAMPLE]})

    day_kind: DayKind
    profession: Profession
    sector_id: EntityId | None = Field(default=None, description="Null: the whole territory")
    required: int = Field(ge=0, le=MAX_REQUIRED)


class CoverageRuleUpdate(BaseModel):
    """The new number of practitioners needed; the rule's scope never changes."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"required": 3}]})

    required: int = Field(ge=0, le=MAX_REQUIRED)


class CoverageRuleSet(BaseModel):
    """Every coverage rule of the territory, replacing the current ones all at once."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        RULE_EXAMPLE,
                        {
                            "day_kind": "tue",
                            "profession": "nurse",
                            "sector_id": None,
                            "required": 1,
                        },
                    ]
                }
            ]
        },
    )

    items: list[CoverageRuleCreate] = Field(max_length=MAX_RULES)


class CoverageRulePublic(BaseModel):
    """A coverage rule as stored."""

    model_config = ConfigDict(
        from_attributes=True, json_schema_extra={"examples": [{"id": 11, **RULE_EXAMPLE}]}
    )

    id: int
    day_kind: DayKind
    profession: Profession
    sector_id: int | None
    required: int
