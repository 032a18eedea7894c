"""Request and response shapes for users and API tokens."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.config import JsonDict

from app.types import EntityId, Text
from app.users.models import Role

USER_EXAMPLE: JsonDict = {
    "role": "practitioner",
    "display_name": "Dr Claire Martin",
    "practitioner_id": 7,
}


class UserCreate(BaseModel):
    """A user bound to one practitioner (role practitioner) or pharmacy (role pharmacist)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [USER_EXAMPLE]})

    role: Role
    display_name: Text = Field(min_length=1, max_length=200)
    practitioner_id: EntityId | None = None
    pharmacy_id: EntityId | None = None

    @model_validator(mode="after")
    def _binding_matches_role(self) -> "UserCreate":
        needs = {Role.practitioner: "practitioner_id", Role.pharmacist: "pharmacy_id"}
        for role, field in needs.items():
            given = getattr(self, field) is not None
            if self.role == role and not given:
                raise ValueError(f"{field} is required for role {role.value}")
            if self.role != role and given:
                raise ValueError(f"{field} is only allowed for role {role.value}")
        return self


class UserUpdate(BaseModel):
    """Rename or (de)activate a user; an inactive user's tokens stop working."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"display_name": "Dr C. Martin"}]}
    )

    display_name: Text | None = Field(default=None, min_length=1, max_length=200)
    active: bool | None = None


class UserPublic(BaseModel):
    """A user as stored."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [{"id": 12, "active": True, "pharmacy_id": None, **USER_EXAMPLE}]
        },
    )

    id: int
    role: Role
    display_name: str
    practitioner_id: int | None
    pharmacy_id: int | None
    active: bool


class TokenCreate(BaseModel):
    """A label to recognise the token later (e.g. the device it is used on)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"label": "laptop"}]})

    label: Text = Field(default="", max_length=120)


class TokenPublic(BaseModel):
    """A token's metadata; the secret itself is never shown again."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 4,
                    "user_id": 12,
                    "label": "laptop",
                    "created_at": "2026-11-25T08:00:00Z",
                    "revoked_at": None,
                }
            ]
        },
    )

    id: int
    user_id: int
    label: str
    created_at: datetime
    revoked_at: datetime | None


class TokenIssued(TokenPublic):
    """A freshly issued token: ``token`` is shown this once only."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 4,
                    "user_id": 12,
                    "label": "laptop",
                    "created_at": "2026-11-25T08:00:00Z",
                    "revoked_at": None,
                    "token": "snp_Zm9vYmFy...",
                }
            ]
        }
    )

    token: str
