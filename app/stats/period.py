"""A period of local dates in a CPTS's timezone, and the instants that bound it."""

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.errors import RuleViolation
from app.rotations.solving import days_between
from app.types import MONTH_PATTERN

MAX_PERIOD_DAYS = 366


@dataclass(frozen=True)
class Period:
    """The local dates ``first``..``last`` (inclusive) of a CPTS in ``timezone``."""

    first: date
    last: date
    timezone: ZoneInfo

    @classmethod
    def between(cls, first: date, last: date, *, timezone: str) -> "Period":
        """A checked period: ``last`` (``to``) not before ``first``, a year at most."""
        if last < first:
            raise RuleViolation("must not be before from", field="to")
        if (last - first).days + 1 > MAX_PERIOD_DAYS:
            raise RuleViolation(f"the period is limited to {MAX_PERIOD_DAYS} days", field="to")
        return cls(first, last, ZoneInfo(timezone))

    @classmethod
    def month(cls, month: str, *, timezone: str) -> "Period":
        """The calendar month ``YYYY-MM``."""
        if not re.match(MONTH_PATTERN, month):
            raise RuleViolation("must be a month written YYYY-MM", field="month")
        year, number = int(month[:4]), int(month[5:])
        last_day = calendar.monthrange(year, number)[1]
        return cls(date(year, number, 1), date(year, number, last_day), ZoneInfo(timezone))

    @property
    def starts_at(self) -> datetime:
        """Local midnight starting ``first``, in UTC."""
        return self._midnight(self.first)

    @property
    def ends_at(self) -> datetime:
        """Local midnight ending ``last`` (exclusive bound), in UTC."""
        return self._midnight(self.last + timedelta(days=1))

    @property
    def days(self) -> list[date]:
        """Every date of the period."""
        return days_between(self.first, self.last)

    def local(self, instant: datetime) -> datetime:
        """``instant`` in the CPTS's wall-clock time."""
        return instant.astimezone(self.timezone)

    def _midnight(self, day: date) -> datetime:
        return datetime.combine(day, time(0), tzinfo=self.timezone).astimezone(UTC)
