"""The one way to read tenant-owned rows: always filtered on the caller's CPTS."""

from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.errors import NotFound

ModelT = TypeVar("ModelT")

_LABELS = {
    "practitioners": "practitioner",
    "pharmacies": "pharmacy",
    "sectors": "sector",
    "absences": "absence",
    "preferences": "preference",
    "coverage_rules": "coverage rule",
    "users": "user",
    "api_tokens": "token",
}


def label(model: type[Any]) -> str:
    """Human name of a table's rows, for error messages."""
    table: str = model.__tablename__
    return _LABELS.get(table, table)


def owned(model: type[ModelT], cpts_id: int) -> Select[ModelT]:
    """``SELECT`` of ``model`` rows that belong to ``cpts_id``."""
    return select(model).where(model.cpts_id == cpts_id)  # type: ignore[attr-defined]


def get_owned(session: Session, model: type[ModelT], object_id: int, *, cpts_id: int) -> ModelT:
    """The row with ``object_id`` if it belongs to ``cpts_id``; 404 otherwise (never 403)."""
    id_column = model.id  # type: ignore[attr-defined]
    row = session.scalar(owned(model, cpts_id).where(id_column == object_id))
    if row is None:
        raise NotFound(f"{label(model)} {object_id} not found")
    return row
