"""Request and response shapes for invitations."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from app.notifications.schemas import EmailAddress


class InvitationCreate(BaseModel):
    """Invite a user by e-mail: the address becomes their e-mail channel."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"email": "dr.martin@exemple.fr"}]}
    )

    email: EmailAddress


class InvitationPublic(BaseModel):
    """An invitation sent (its link is in the e-mail only)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    user_id: int
    email: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None
