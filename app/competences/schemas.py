"""Request and response shapes for the catalogue, declarations and home-visit zones."""

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from app.competences.models import ItemKind
from app.coverage.schemas import DayKind
from app.crud import NotNull
from app.professions import Profession
from app.slots.schemas import ConsultationMode
from app.types import EntityId, Text

INSEE_PATTERN = re.compile(r"^(\d{2}|2A|2B)\d{3}$")
MAX_RADIUS_KM = 100.0

Label = Annotated[Text, Field(min_length=1, max_length=120)]
ItemIds = Annotated[list[EntityId], Field(max_length=100)]


def _check_insee(value: str) -> str:
    if not INSEE_PATTERN.match(value):
        raise ValueError(
            f"invalid INSEE code {value!r}: 5 characters, digits, the first two may be 2A or 2B"
        )
    return value


InseeCode = Annotated[str, AfterValidator(_check_insee)]
"""A commune's INSEE code: 5 digits, or 2A/2B then 3 digits (Corsica)."""


class CatalogueItemCreate(BaseModel):
    """A competence (with its profession) or an equipment item (without)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "kind": "competence",
                    "profession": "physio",
                    "label": "Kinésithérapie respiratoire (bronchiolite)",
                },
                {"kind": "equipment", "label": "Ondes de choc"},
            ]
        },
    )

    kind: ItemKind
    profession: Profession | None = Field(
        default=None, description="Required for a competence, absent for equipment"
    )
    label: Label


class CatalogueItemUpdate(BaseModel):
    """A new label."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"label": "Lombalgie aiguë"}]}
    )

    label: Annotated[Label | None, NotNull] = None


class CatalogueItemPublic(BaseModel):
    """An item of the catalogue."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 3,
                    "kind": "competence",
                    "profession": "physio",
                    "label": "Kinésithérapie respiratoire (bronchiolite)",
                }
            ]
        },
    )

    id: int
    kind: ItemKind
    profession: Profession | None
    label: str


class Declarations(BaseModel):
    """The competences and equipment a practitioner declares; each list replaces the old."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"competence_ids": [1, 3], "equipment_ids": [13]}]},
    )

    competence_ids: ItemIds = []
    equipment_ids: ItemIds = []


class DeclarationsPublic(BaseModel):
    """A practitioner's declared competences and equipment."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "practitioner_id": 7,
                    "competences": [
                        {
                            "id": 1,
                            "kind": "competence",
                            "profession": "physio",
                            "label": "Kinésithérapie respiratoire (bronchiolite)",
                        }
                    ],
                    "equipment": [
                        {
                            "id": 13,
                            "kind": "equipment",
                            "profession": None,
                            "label": "Ondes de choc",
                        }
                    ],
                }
            ]
        }
    )

    practitioner_id: int
    competences: list[CatalogueItemPublic]
    equipment: list[CatalogueItemPublic]


class Commune(BaseModel):
    """A commune by its INSEE code and name."""

    model_config = ConfigDict(extra="forbid")

    insee_code: InseeCode = Field(description="5 characters: digits, or 2A/2B then 3 digits")
    name: Annotated[Text, Field(min_length=1, max_length=120)]


ZONES_EXAMPLE: JsonDict = {
    "communes": [
        {"insee_code": "69259", "name": "Vénissieux"},
        {"insee_code": "69199", "name": "Saint-Fons"},
    ],
    "radius_km": 3.0,
}


class Zones(BaseModel):
    """Where a practitioner visits patients at home: listed communes, and/or every place
    within ``radius_km`` of their practice (which then needs its coordinates)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [ZONES_EXAMPLE]})

    communes: Annotated[list[Commune], Field(max_length=100)] = []
    radius_km: Annotated[float | None, Field(gt=0, le=MAX_RADIUS_KM)] = None


class ZonesPublic(Zones):
    """A practitioner's home-visit zones."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"practitioner_id": 7, **ZONES_EXAMPLE}]}
    )

    practitioner_id: int


class DirectoryEntry(BaseModel):
    """A practitioner as the directory shows them to every role of the CPTS. ``phone`` is
    hidden from pharmacists unless the practitioner is on call today."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 7,
                    "name": "Claire Martin",
                    "profession": "physio",
                    "phone": "+33 4 78 00 00 00",
                    "practice_address": "12 avenue Jean Jaurès, 69200 Vénissieux",
                    "latitude": 45.697,
                    "longitude": 4.886,
                    "sector_ids": [3],
                    "modes": ["in_practice", "home_visit"],
                    "competences": [
                        {
                            "id": 1,
                            "kind": "competence",
                            "profession": "physio",
                            "label": "Kinésithérapie respiratoire (bronchiolite)",
                        }
                    ],
                    "equipment": [],
                    "zones": ZONES_EXAMPLE,
                    "on_call_today": True,
                }
            ]
        }
    )

    id: int
    name: str
    profession: Profession
    phone: str | None
    practice_address: str | None
    latitude: float | None
    longitude: float | None
    sector_ids: list[int]
    modes: list[ConsultationMode]
    competences: list[CatalogueItemPublic]
    equipment: list[CatalogueItemPublic]
    zones: Zones
    on_call_today: bool


Month = Annotated[int, Field(ge=1, le=12)]


class CompetenceRuleCreate(BaseModel):
    """At least ``required`` on-call practitioners declaring a competence in each on-call
    block of a kind of day, in the listed months (none: all year), anywhere in the CPTS."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"competence_id": 1, "day_kind": "sat", "required": 1, "months": [11, 12, 1, 2]}
            ]
        },
    )

    competence_id: EntityId
    day_kind: DayKind
    required: Annotated[int, Field(ge=1, le=50)] = 1
    months: Annotated[list[Month], Field(max_length=12)] = []


class CompetenceRulePublic(CompetenceRuleCreate):
    """A competence rule, with its competence's profession and label."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 4,
                    "competence_id": 1,
                    "profession": "physio",
                    "competence": "Kinésithérapie respiratoire (bronchiolite)",
                    "day_kind": "sat",
                    "required": 1,
                    "months": [1, 2, 11, 12],
                }
            ]
        }
    )

    id: int
    profession: Profession
    competence: str
