"""Response shapes of the indicators: counts, and rates in percent (0 when nothing to divide).

Every rate is ``100 * numerator / denominator`` rounded to 2 decimals, and 0.0 when its
denominator is 0; the denominator is always reported next to it, so a 0 % of nothing can be
told from a real 0 %.
"""

from datetime import date

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from app.rotations.schemas import CoverageFigure

STATS_EXAMPLE: JsonDict = {
    "from": "2027-03-01",
    "to": "2027-03-31",
    "timezone": "Europe/Paris",
    "coverage": {
        "required": 23,
        "covered": 22,
        "coverage_pct": 95.65,
        "by_profession_and_sector": [
            {
                "profession": "gp",
                "sector_id": 1,
                "required": 23,
                "covered": 22,
                "coverage_pct": 95.65,
            }
        ],
    },
    "oncall_hours": [{"practitioner_id": 7, "profession": "gp", "shifts": 5, "hours": 30.0}],
    "slots": {"offered": 46, "booked": 30, "expired": 12, "blocked": 3, "open": 1, "withdrawn": 2},
}


class CoverageSummary(BaseModel):
    """Required versus covered on-call blocks of published rotations, overall and in detail."""

    required: int
    covered: int
    coverage_pct: float = Field(description="0.0 when no block was required")
    by_profession_and_sector: list[CoverageFigure]


class OnCallHours(BaseModel):
    """Active on-call shifts of one practitioner in published rotations, and their hours."""

    practitioner_id: int
    profession: str
    shifts: int
    hours: float


class SlotFigures(BaseModel):
    """Slots starting in the period. ``offered`` counts every slot not withdrawn with its
    shift: booked + blocked + expired (open and begun, never booked) + still open."""

    offered: int
    booked: int
    expired: int
    blocked: int
    open: int
    withdrawn: int


class CountBy(BaseModel):
    """A number of referrals under one key (a profession, a weekday, an hour)."""

    key: str
    referrals: int


class PharmacyCount(BaseModel):
    """Referrals made by one pharmacy."""

    pharmacy_id: int
    name: str
    referrals: int


class ReferralFigures(BaseModel):
    """Referrals whose slot starts in the period (cancelled ones only in ``cancelled``).

    Weekdays (``mon``..``sun``) and hours (``00``..``23``) are those of the slot in the CPTS's
    local time; every weekday and hour is listed, with 0 where nothing happened.
    """

    total: int = Field(description="referrals not cancelled")
    cancelled: int
    by_profession: list[CountBy]
    by_pharmacy: list[PharmacyCount]
    by_weekday: list[CountBy]
    by_hour: list[CountBy]
    seen_within_24h: int = Field(description="seen, with a slot at most 24 h after the booking")
    seen_within_24h_pct: float = Field(description="of ``total``; 0.0 when total is 0")
    seen: int
    no_show: int
    no_show_pct: float = Field(
        description="no_show / (seen + no_show): of recorded outcomes; 0.0 when none"
    )
    median_delay_minutes: float = Field(
        description="median of booking → slot start over ``total`` referrals; 0.0 when total is 0"
    )


class StatsPublic(BaseModel):
    """The SNP activity of a period, anonymous, for the CPAM and the ARS."""

    model_config = ConfigDict(
        populate_by_name=True, json_schema_extra={"examples": [STATS_EXAMPLE]}
    )

    period_from: date = Field(alias="from")
    period_to: date = Field(alias="to")
    timezone: str
    coverage: CoverageSummary
    oncall_hours: list[OnCallHours]
    slots: SlotFigures
    referrals: ReferralFigures
