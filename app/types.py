"""Shared types for what clients send: ids, dates, instants, months and text.

Every id, date and free text of a request goes through one of these, so a value the
databases cannot store or the calendar code cannot handle is a 422 naming its field,
never an overflow, an encoding error or a 500.
"""

import re
from datetime import date, datetime, time
from typing import Annotated

from pydantic import AfterValidator, Field

MAX_ID = 2**31 - 1
"""The largest id: PostgreSQL ``integer`` columns (SQLite's 2**63 - 1 is wider)."""

EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2100, 12, 31)
"""Dates and instants outside this window are refused: no rotation, absence or period of
the service is that far, and day arithmetic near years 1 and 9999 overflows."""

MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"

# Control characters: PostgreSQL refuses NUL in text, and none belongs in a name or a note.
# Lone surrogates cannot be encoded in UTF-8 at all.
_LINE_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_MULTILINE_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def _date_window_message() -> str:
    return f"must be between {EARLIEST_DATE.isoformat()} and {LATEST_DATE.isoformat()}"


def check_date(value: date) -> date:
    """``value`` if within the service's date window (422 naming the field otherwise)."""
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise ValueError(_date_window_message())
    return value


def check_instant(value: datetime) -> datetime:
    """``value`` if it carries a UTC offset and its date is within the service's window.

    An instant without an offset (``2027-01-12`` or ``2027-01-12T15:00:00``) names no
    moment: it would be compared with stored UTC times at an unknown offset.
    """
    if value.tzinfo is None:
        raise ValueError("must carry a UTC offset, e.g. 2027-01-12T15:00:00+01:00")
    check_date(value.date())
    return value


def check_month(value: str) -> str:
    """A ``YYYY-MM`` month (already matched by :data:`MONTH_PATTERN`) within the window."""
    if not EARLIEST_DATE.year <= int(value[:4]) <= LATEST_DATE.year:
        raise ValueError(
            f"must be a month between {EARLIEST_DATE.year}-01 and {LATEST_DATE.year}-12"
        )
    return value


def check_wall_clock(value: time) -> time:
    """``value`` if it is a plain local time, without a UTC offset."""
    if value.tzinfo is not None:
        raise ValueError("must be a local wall-clock time, without a UTC offset")
    return value


def _unprintable(value: str, forbidden: re.Pattern[str]) -> str:
    found = forbidden.search(value)
    if found is not None:
        position = found.start()
        raise ValueError(
            f"contains a control character (U+{ord(found.group()):04X}) at position {position}"
        )
    return value


def check_line(value: str) -> str:
    """``value`` if it has no control character (tab and line breaks included)."""
    return _unprintable(value, _LINE_FORBIDDEN)


def check_multiline(value: str) -> str:
    """``value`` if its only control characters are tabs and line breaks."""
    return _unprintable(value, _MULTILINE_FORBIDDEN)


EntityId = Annotated[int, Field(ge=1, le=MAX_ID)]
"""The id of a stored row, in a path, a query string or a body."""

Offset = Annotated[int, Field(ge=0, le=MAX_ID)]
"""Rows to skip in a list."""

CalendarDate = Annotated[date, AfterValidator(check_date)]
"""A calendar date within 2000-01-01 .. 2100-12-31."""

Instant = Annotated[datetime, AfterValidator(check_instant)]
"""A date and time with its UTC offset, within 2000-01-01 .. 2100-12-31."""

Month = Annotated[str, Field(pattern=MONTH_PATTERN), AfterValidator(check_month)]
"""A calendar month written ``YYYY-MM``, within 2000 .. 2100."""

WallClockTime = Annotated[time, AfterValidator(check_wall_clock)]
"""A time of day in the CPTS's local wall-clock time (no UTC offset)."""

Text = Annotated[str, AfterValidator(check_line)]
"""One line of text: a name, a label, an address; no control character."""

MultilineText = Annotated[str, AfterValidator(check_multiline)]
"""Free text that may hold tabs and line breaks (a note, a reason), no other control."""
