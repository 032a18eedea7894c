"""Request and response shapes for calendar feed tokens."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict
from pydantic.config import JsonDict

from app.feeds.models import FeedKind
from app.professions import Profession
from app.types import EntityId

TOKEN_EXAMPLE: JsonDict = {
    "id": 3,
    "kind": "practitioner",
    "practitioner_id": 7,
    "profession": None,
    "sector_id": None,
    "created_at": "2027-01-12T11:00:00Z",
    "revoked_at": None,
}


class CptsFeedCreate(BaseModel):
    """What the CPTS-wide feed shows: every on-call shift, or one profession's, one sector's."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"profession": "gp", "sector_id": 2}]}
    )

    profession: Profession | None = None
    sector_id: EntityId | None = None


class FeedTokenPublic(BaseModel):
    """A feed token's metadata; its secret is never shown again."""

    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [TOKEN_EXAMPLE]})

    id: int
    kind: FeedKind
    practitioner_id: int | None
    profession: Profession | None
    sector_id: int | None
    created_at: datetime
    revoked_at: datetime | None


class FeedTokenIssued(FeedTokenPublic):
    """A freshly issued feed: the secret and both subscription links, shown this once only."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **TOKEN_EXAMPLE,
                    "token": "snpcal_Zm9vYmFy...",
                    "url": "https://snp.example.org/ical/practitioners/snpcal_Zm9vYmFy....ics",
                    "webcal_url": "webcal://snp.example.org/ical/practitioners/snpcal_Zm9vYmFy....ics",
                }
            ]
        }
    )

    token: str
    url: str
    webcal_url: str
