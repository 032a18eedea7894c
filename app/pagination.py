"""One pagination shape for every list endpoint."""

from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from app.types import Offset, Text

MAX_PAGE_SIZE = 200

T = TypeVar("T")


class PageParams(BaseModel):
    """Offset pagination with a hard maximum page size."""

    limit: int = 50
    offset: int = 0


async def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Page size")] = 50,
    offset: Annotated[Offset, Query(description="Rows to skip")] = 0,
) -> PageParams:
    """Read ``limit``/``offset`` from the query string."""
    return PageParams(limit=limit, offset=offset)


PageDep = Annotated[PageParams, Depends(page_params)]
SearchQuery = Annotated[
    Text | None,
    Query(min_length=1, max_length=100, description="Words found in the name (any order)"),
]


class Page(BaseModel, Generic[T]):
    """A page of results with the total count of matching rows."""

    items: list[T]
    total: int
    limit: int
    offset: int


def paginate(session: Session, query: Select[T], params: PageParams) -> tuple[list[T], int]:
    """Run ``query`` for one page and count all its rows."""
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = session.scalars(query.limit(params.limit).offset(params.offset)).all()
    return list(rows), int(total or 0)
