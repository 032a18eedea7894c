"""Request and response shapes for practitioners."""

from typing import Annotated, Any

from pydantic import AfterValidator, AliasChoices, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.config import JsonDict

from app.crud import NotNull
from app.identifiers import rpps_problem
from app.professions import Profession
from app.types import EntityId, Text


def _check_rpps(value: str) -> str:
    problem = rpps_problem(value)
    if problem:
        raise ValueError(f"invalid RPPS number {value!r}: {problem}")
    return value


def _ids(items: list[Any]) -> list[int]:
    return [item if isinstance(item, int) else item.id for item in items]


Rpps = Annotated[str, AfterValidator(_check_rpps)]
Name = Annotated[Text, Field(min_length=1, max_length=100)]
Phone = Annotated[str, Field(min_length=6, max_length=32, pattern=r"^\+?[0-9 .()-]+$")]
Email = Annotated[Text, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
Address = Annotated[Text, Field(min_length=1, max_length=300)]
Latitude = Annotated[float, Field(ge=-90, le=90)]
Longitude = Annotated[float, Field(ge=-180, le=180)]
ShiftsPerMonth = Annotated[int, Field(ge=0, le=31)]
ShiftsPerWeek = Annotated[int, Field(ge=0, le=7)]
Fte = Annotated[float, Field(gt=0, le=1, description="Working-time weight, 0 < fte <= 1")]
SectorIds = Annotated[list[EntityId], Field(max_length=50)]

PRACTITIONER_EXAMPLE: JsonDict = {
    "rpps": "10003456786",
    "first_name": "Claire",
    "last_name": "Martin",
    "profession": "gp",
    "phone": "+33 4 78 00 00 00",
    "email": "claire.martin@example.org",
    "practice_address": "12 avenue Jean Jaurès, 69200 Vénissieux",
    "latitude": 45.697,
    "longitude": 4.886,
    "home_visits": True,
    "teleconsultation": False,
    "max_shifts_per_month": 6,
    "max_shifts_per_week": 2,
    "fte": 0.8,
    "active": True,
    "sector_ids": [3],
}
SELF_UPDATE_EXAMPLE: JsonDict = {"phone": "+33 6 12 34 56 78", "home_visits": False}


class PractitionerCreate(BaseModel):
    """A practitioner who may be on call; latitude and longitude come together or not at all."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [PRACTITIONER_EXAMPLE]}
    )

    rpps: Rpps = Field(description="11 digits, the last one a Luhn check key")
    first_name: Name
    last_name: Name
    profession: Profession
    phone: Phone | None = None
    email: Email | None = None
    practice_address: Address | None = None
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    home_visits: bool = False
    teleconsultation: bool = False
    max_shifts_per_month: ShiftsPerMonth = 6
    max_shifts_per_week: ShiftsPerWeek = 2
    fte: Fte = 1.0
    active: bool = True
    sector_ids: SectorIds = []


class PractitionerSelfUpdate(BaseModel):
    """What practitioners may change on their own record: contact and capabilities."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [SELF_UPDATE_EXAMPLE]})

    phone: Phone | None = None
    practice_address: Address | None = None
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    home_visits: Annotated[bool | None, NotNull] = None
    teleconsultation: Annotated[bool | None, NotNull] = None


class PractitionerUpdate(PractitionerSelfUpdate):
    """Fields to change; the coordinator may change all of them, a practitioner only
    those of :class:`PractitionerSelfUpdate`. ``sector_ids`` replaces the whole list."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"fte": 0.5, "sector_ids": [3, 4]}]}
    )

    rpps: Annotated[Rpps | None, NotNull] = None
    first_name: Annotated[Name | None, NotNull] = None
    last_name: Annotated[Name | None, NotNull] = None
    profession: Annotated[Profession | None, NotNull] = None
    email: Email | None = None
    max_shifts_per_month: Annotated[ShiftsPerMonth | None, NotNull] = None
    max_shifts_per_week: Annotated[ShiftsPerWeek | None, NotNull] = None
    fte: Annotated[Fte | None, NotNull] = None
    active: Annotated[bool | None, NotNull] = None
    sector_ids: Annotated[SectorIds | None, NotNull] = None


class PractitionerPublic(BaseModel):
    """A practitioner as stored, with the ids of the sectors they serve."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={"examples": [{"id": 7, **PRACTITIONER_EXAMPLE}]},
    )

    id: int
    rpps: str
    first_name: str
    last_name: str
    profession: Profession
    phone: str | None
    email: str | None
    practice_address: str | None
    latitude: float | None
    longitude: float | None
    home_visits: bool
    teleconsultation: bool
    max_shifts_per_month: int
    max_shifts_per_week: int
    fte: float
    active: bool
    sector_ids: Annotated[list[int], BeforeValidator(_ids)] = Field(
        validation_alias=AliasChoices("sector_ids", "sectors")
    )


class PractitionerFilters(BaseModel):
    """Query-string filters of the practitioner list; all optional, combined with AND."""

    profession: Profession | None = None
    sector_id: EntityId | None = Field(default=None, description="Serves this sector")
    active: bool | None = None
    q: Text | None = Field(
        default=None, min_length=1, max_length=100, description="Words found in the name"
    )
