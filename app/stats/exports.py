"""CSV exports: UTF-8 with a header row; comma, or semicolon for French spreadsheets.

With ``semicolon`` numbers use a decimal comma and the text starts with a byte-order mark,
so a French Excel opens the file with its accents and numbers right.

Names come from users, so a text cell that a spreadsheet would run as a formula (starting
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is prefixed with a single quote,
as OWASP recommends against CSV injection; the ``csv`` module quotes separators, quotes and
line breaks. Number cells are written by this module from numbers, never from user text, so
a negative number stays a number.
"""

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import datetime
from enum import StrEnum

from sqlalchemy.orm import Session

from app import audit
from app.auth import Principal
from app.cpts.models import Cpts
from app.referrals.models import Referral
from app.rotations.models import Gap
from app.rotations.solving import TERRITORY
from app.stats import service
from app.stats.period import Period
from app.stats.service import WEEKDAYS, PractitionerHours, booking_delay

Cell = str | int | float | None


class Separator(StrEnum):
    """The field separator of a CSV export."""

    comma = "comma"
    semicolon = "semicolon"


ONCALL_HOURS_HEADER = ("month", "rpps", "last_name", "first_name", "profession", "shifts", "hours")
REFERRALS_HEADER = (
    "referral_id",
    "booked_at",
    "slot_starts_at",
    "slot_weekday",
    "slot_hour",
    "profession",
    "practitioner_id",
    "pharmacy_id",
    "pharmacy",
    "referrer_practitioner_id",
    "mode",
    "reason_category",
    "status",
    "outcome_at",
    "booking_to_slot_minutes",
)
GAPS_HEADER = ("day", "weekday", "block", "profession", "sector", "missing", "reason")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(text: str) -> str:
    """``text`` as a cell no spreadsheet runs as a formula: a leading single quote if needed."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def _cell(value: Cell, separator: Separator) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        text = f"{value:.2f}"
        return text.replace(".", ",") if separator == Separator.semicolon else text
    if isinstance(value, int):
        return str(value)
    return neutralised(value)


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Cell]], separator: Separator) -> str:
    """The CSV text of ``rows`` under ``header``."""
    buffer = io.StringIO()
    if separator == Separator.semicolon:
        buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=";" if separator == Separator.semicolon else ",")
    writer.writerow(header)
    writer.writerows([_cell(value, separator) for value in row] for row in rows)
    return buffer.getvalue()


def _local(period: Period, instant: datetime | None) -> str | None:
    return None if instant is None else f"{period.local(instant):%Y-%m-%d %H:%M}"


def _oncall_hours_rows(month: str, hours: Iterable[PractitionerHours]) -> list[list[Cell]]:
    """One row per practitioner: identity for indemnification (RPPS, name), shifts, hours."""
    return [
        [
            month,
            h.practitioner.rpps,
            h.practitioner.last_name,
            h.practitioner.first_name,
            h.practitioner.profession,
            h.shifts,
            h.hours,
        ]
        for h in hours
    ]


def _referral_rows(
    period: Period, referrals: Iterable[Referral], pharmacies: dict[int, str]
) -> list[list[Cell]]:
    """One anonymous row per referral: times in local CPTS time, never patient identity."""
    rows: list[list[Cell]] = []
    for r in referrals:
        slot = period.local(r.slot_starts_at)
        rows.append(
            [
                r.id,
                _local(period, r.created_at),
                _local(period, r.slot_starts_at),
                WEEKDAYS[slot.weekday()],
                f"{slot.hour:02d}",
                r.profession,
                r.practitioner_id,
                r.pharmacy_id,
                pharmacies.get(r.pharmacy_id or 0, ""),
                r.referrer_practitioner_id,
                r.mode,
                r.reason_category,
                r.status,
                _local(period, r.outcome_at),
                round(booking_delay(r).total_seconds() / 60),
            ]
        )
    return rows


def _gap_rows(gaps: Iterable[Gap], sectors: dict[int, str]) -> list[list[Cell]]:
    """One row per uncovered block: the day, what is missing and why."""
    return [
        [
            g.day.isoformat(),
            WEEKDAYS[g.day.weekday()],
            g.block,
            g.profession,
            TERRITORY if g.sector_id is None else sectors.get(g.sector_id, ""),
            g.missing,
            g.reason,
        ]
        for g in gaps
    ]


def oncall_hours_csv(session: Session, *, cpts: Cpts, month: str, separator: Separator) -> str:
    """On-call hours per practitioner for the month ``YYYY-MM``, for indemnification."""
    period = Period.month(month, timezone=cpts.timezone)
    hours = service.oncall_hours(session, cpts_id=cpts.id, period=period)
    return to_csv(ONCALL_HOURS_HEADER, _oncall_hours_rows(month, hours), separator)


def referrals_csv(
    session: Session, *, principal: Principal, cpts: Cpts, period: Period, separator: Separator
) -> str:
    """Every referral whose slot starts in the period, anonymous; the export is audited."""
    referrals = service.referrals_in(session, cpts_id=cpts.id, period=period)
    names = service.pharmacy_names(
        session, cpts_id=cpts.id, ids={r.pharmacy_id for r in referrals if r.pharmacy_id}
    )
    audit.record(
        session,
        actor=principal,
        cpts_id=cpts.id,
        action="export",
        subject_type="referral",
        subject_id=None,
        details={
            "from": period.first.isoformat(),
            "to": period.last.isoformat(),
            "referral_ids": [r.id for r in referrals],
        },
    )
    return to_csv(REFERRALS_HEADER, _referral_rows(period, referrals, names), separator)


def coverage_gaps_csv(session: Session, *, cpts: Cpts, period: Period, separator: Separator) -> str:
    """Uncovered on-call blocks of published rotations in the period."""
    gaps = service.gaps_in(session, cpts_id=cpts.id, period=period)
    sectors = service.sector_names(session, cpts_id=cpts.id)
    return to_csv(GAPS_HEADER, _gap_rows(gaps, sectors), separator)
