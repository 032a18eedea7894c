"""Small helpers shared by the domain services for plain create/update/delete."""

from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import Conflict


def apply_changes(row: Any, changes: BaseModel, *, skip: frozenset[str] = frozenset()) -> None:
    """Copy the fields the client actually sent onto ``row``."""
    for name, value in changes.model_dump(exclude_unset=True).items():
        if name not in skip:
            setattr(row, name, value)


def ensure_unique(
    session: Session,
    model: type[Any],
    *,
    cpts_id: int,
    field: str,
    value: object,
    exclude_id: int | None = None,
) -> None:
    """409 naming ``field`` when another row of this CPTS already holds ``value``."""
    query = select(model.id).where(model.cpts_id == cpts_id, getattr(model, field) == value)
    if exclude_id is not None:
        query = query.where(model.id != exclude_id)
    if session.scalar(query) is not None:
        raise Conflict(f"{field} {value!r} is already used in this CPTS", field=field)
