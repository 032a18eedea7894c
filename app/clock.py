"""The current instant as a dependency, so tests can move time instead of sleeping."""

from datetime import datetime
from typing import Annotated

from fastapi import Depends

from app.base import utcnow


async def get_now() -> datetime:
    """Now, in UTC (overridden in tests through ``app.dependency_overrides``)."""
    return utcnow()


NowDep = Annotated[datetime, Depends(get_now)]
