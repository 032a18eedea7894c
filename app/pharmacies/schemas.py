"""Request and response shapes for pharmacies."""

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from app.crud import reject_null
from app.identifiers import finess_problem
from app.practitioners.schemas import Address, Latitude, Longitude, Phone
from app.types import EntityId, Text


def _check_finess(value: str) -> str:
    problem = finess_problem(value)
    if problem:
        raise ValueError(f"invalid FINESS number {value!r}: {problem}")
    return value


Finess = Annotated[str, AfterValidator(_check_finess)]
PharmacyName = Annotated[Text, Field(min_length=1, max_length=200)]
NotNull = AfterValidator(reject_null)

PHARMACY_EXAMPLE: JsonDict = {
    "finess": "690001235",
    "name": "Pharmacie du Centre",
    "address": "3 place Léon Sublet, 69200 Vénissieux",
    "phone": "+33 4 78 70 00 00",
    "latitude": 45.698,
    "longitude": 4.887,
    "sector_id": 3,
}


class PharmacyCreate(BaseModel):
    """A pharmacy; latitude and longitude come together or not at all."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [PHARMACY_EXAMPLE]})

    finess: Finess = Field(description="9 characters (2A/2B allowed for Corsica), last a key")
    name: PharmacyName
    address: Address | None = None
    phone: Phone | None = None
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    sector_id: EntityId | None = None


class PharmacyUpdate(BaseModel):
    """Fields of a pharmacy to change; ``sector_id: null`` takes it out of any sector."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"phone": "+33 4 78 70 11 11"}]}
    )

    finess: Annotated[Finess | None, NotNull] = None
    name: Annotated[PharmacyName | None, NotNull] = None
    address: Address | None = None
    phone: Phone | None = None
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    sector_id: EntityId | None = None


class PharmacyPublic(BaseModel):
    """A pharmacy as stored."""

    model_config = ConfigDict(
        from_attributes=True, json_schema_extra={"examples": [{"id": 5, **PHARMACY_EXAMPLE}]}
    )

    id: int
    finess: str
    name: str
    address: str | None
    phone: str | None
    latitude: float | None
    longitude: float | None
    sector_id: int | None


class PharmacyFilters(BaseModel):
    """Query-string filters of the pharmacy list; all optional, combined with AND."""

    sector_id: EntityId | None = Field(default=None, description="In this sector")
    q: Text | None = Field(
        default=None, min_length=1, max_length=100, description="Words found in name or address"
    )
