"""Small helpers shared by the domain services for plain create/update/delete."""

from typing import Any, TypeVar

from pydantic import AfterValidator, BaseModel
from sqlalchemy import ColumnElement, and_, or_, select, true
from sqlalchemy.orm import QueryableAttribute, Session

from app.errors import Conflict, RuleViolation

T = TypeVar("T")


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


def reject_null(value: T | None) -> T:
    """For update schemas: an explicit ``null`` on a required field is refused (422).

    Use as ``Annotated[X | None, AfterValidator(reject_null)]``: leaving the field out keeps
    its value, sending ``null`` names the field instead of failing in the database.
    """
    if value is None:
        raise ValueError("may not be null; leave the field out to keep its value")
    return value


NotNull = AfterValidator(reject_null)


def ensure_paired(row: Any, first: str, second: str) -> None:
    """422 naming the missing field when only one of two fields that go together is set."""
    first_set = getattr(row, first) is not None
    if first_set != (getattr(row, second) is not None):
        missing = second if first_set else first
        raise RuleViolation(
            f"{first} and {second} go together: give both or neither", field=missing
        )


def matches_words(text: str, *columns: QueryableAttribute[Any]) -> ColumnElement[bool]:
    """Condition: every word of ``text`` appears, case-insensitively, in one of ``columns``."""
    conditions = [
        or_(*(column.ilike(f"%{_escape_like(word)}%", escape="\\") for column in columns))
        for word in text.split()
    ]
    return and_(true(), *conditions)


def _escape_like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
