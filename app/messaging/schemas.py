"""Messages in and out, unread counts and read marks, with OpenAPI examples."""

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from app.types import EntityId, MultilineText

MAX_MESSAGE_LENGTH = 2000


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must contain some text, not only spaces")
    return value


MessageText = Annotated[
    MultilineText,
    Field(min_length=1, max_length=MAX_MESSAGE_LENGTH),
    AfterValidator(_not_blank),
]


class MessageCreate(BaseModel):
    """A new message: 1 to 2,000 characters (line breaks allowed)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"body": "La patiente aura dix minutes de retard."}]},
    )

    body: MessageText


class MessageMeta(BaseModel):
    """That a message exists, when and from whom (role): what the coordinator sees of a
    referral's thread."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 41,
                    "thread": "referral:12",
                    "author_role": "pharmacist",
                    "created_at": "2027-01-12T13:05:00Z",
                }
            ]
        },
    )

    id: int
    thread: str
    author_role: str
    created_at: datetime


class MessagePublic(MessageMeta):
    """A message with its author and text (``null`` once purged with the referral)."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 41,
                    "thread": "referral:12",
                    "author_role": "pharmacist",
                    "author_user_id": 7,
                    "author_name": "Pharmacie du Centre",
                    "body": "La patiente aura dix minutes de retard.",
                    "created_at": "2027-01-12T13:05:00Z",
                }
            ]
        },
    )

    author_user_id: int | None
    author_name: str
    body: str | None


class MarkRead(BaseModel):
    """Mark a thread read up to a message (by default its latest)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"up_to": 41}]})

    up_to: EntityId | None = None


class ThreadUnread(BaseModel):
    """How many messages of one thread the caller has not read."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"thread": "referral:12", "unread": 2, "latest_at": "2027-01-12T13:05:00Z"}
            ]
        }
    )

    thread: str
    unread: int
    latest_at: datetime | None


class UnreadSummary(BaseModel):
    """The caller's unread messages: in total and per thread (referral threads they take
    part in, and today's on-call channel)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "total": 3,
                    "threads": [
                        {"thread": "referral:12", "unread": 2, "latest_at": "2027-01-12T13:05:00Z"},
                        {
                            "thread": "channel:2027-01-12",
                            "unread": 1,
                            "latest_at": "2027-01-12T12:40:00Z",
                        },
                    ],
                }
            ]
        }
    )

    total: int
    threads: list[ThreadUnread]

    def count(self, prefix: str) -> int:
        """Unread messages of the threads whose key starts with ``prefix`` (``channel:``)."""
        return sum(t.unread for t in self.threads if t.thread.startswith(prefix))

    def of(self, thread: str) -> int:
        """Unread messages of one thread."""
        return sum(t.unread for t in self.threads if t.thread == thread)
