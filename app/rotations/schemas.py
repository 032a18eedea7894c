"""Request and response shapes for rotations, shifts, gaps, loads and jobs."""

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.config import JsonDict

from app.rotations.models import JobKind, JobStatus, RotationStatus, ShiftStatus
from app.types import CalendarDate, EntityId, MultilineText, Text

MAX_PERIOD_DAYS = 92
Seed = Annotated[int, Field(ge=0, le=2**31 - 1, description="the solver's random seed")]

ROTATION_EXAMPLE: JsonDict = {"period_start": "2027-01-01", "period_end": "2027-01-31"}


class RotationCreate(BaseModel):
    """A period (inclusive dates, at most three months) to plan."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [ROTATION_EXAMPLE]})

    period_start: CalendarDate
    period_end: CalendarDate

    @model_validator(mode="after")
    def _period_is_sane(self) -> "RotationCreate":
        if self.period_end < self.period_start:
            raise ValueError("period_end must not be before period_start")
        if (self.period_end - self.period_start).days + 1 > MAX_PERIOD_DAYS:
            raise ValueError(f"a rotation covers at most {MAX_PERIOD_DAYS} days")
        return self


class SolveRequest(BaseModel):
    """How long the solver may search, and its seed (same seed, same roster)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"time_limit_s": 10, "seed": 0}]}
    )

    time_limit_s: float = Field(default=10.0, gt=0, le=300)
    seed: Seed = 0


class JobPublic(BaseModel):
    """A background solve or repair and, once done, the solver's figures."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 5,
                    "rotation_id": 2,
                    "kind": "solve",
                    "status": "done",
                    "progress": 1.0,
                    "created_at": "2026-11-25T08:00:00Z",
                    "started_at": "2026-11-25T08:00:01Z",
                    "finished_at": "2026-11-25T08:00:03Z",
                    "result": {"status": "optimal", "objective": 0, "gap": 0.0, "uncovered": 0},
                    "error": None,
                }
            ]
        },
    )

    id: int
    rotation_id: int
    kind: JobKind
    status: JobStatus
    progress: float
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    result: dict[str, Any] | None = Field(
        description="While the job runs, the figures so far: `parts` (independent parts of "
        "the territory), `parts_covered` (parts whose best coverage is fixed), `parts_done` "
        "and `uncovered` (demand left uncovered by the parts covered). Once done, the "
        "solver's figures (status, objective, gap, uncovered…)."
    )
    error: str | None


class GapPublic(BaseModel):
    """Demand left uncovered, and why."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "day": "2027-01-20",
                    "block": "14:00-20:00",
                    "profession": "physio",
                    "sector_id": 2,
                    "missing": 1,
                    "reason": "4 masseurs-kinésithérapeutes du secteur Sud : 2 absent·es, "
                    "1 au maximum de gardes du mois, 1 de garde la veille",
                }
            ]
        },
    )

    day: date
    block: str
    profession: str
    sector_id: int | None
    missing: int
    reason: str


class LoadPublic(BaseModel):
    """A practitioner's on-call load in the rotation against their fair share."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "practitioner_id": 7,
                    "profession": "gp",
                    "fte": 0.5,
                    "weekday_shifts": 2,
                    "special_shifts": 1,
                    "weekday_fair_share": 2.1,
                    "special_fair_share": 0.6,
                    "load_per_fte": 6.0,
                }
            ]
        }
    )

    practitioner_id: int
    profession: str
    fte: float
    weekday_shifts: int
    special_shifts: int
    weekday_fair_share: float | None
    special_fair_share: float | None
    load_per_fte: float


class RotationPublic(BaseModel):
    """A rotation's status and the last solve's figures."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 2,
                    "status": "draft",
                    "published_at": None,
                    "solver_figures": None,
                    **ROTATION_EXAMPLE,
                }
            ]
        },
    )

    id: int
    period_start: date
    period_end: date
    status: RotationStatus
    published_at: datetime | None
    solver_figures: dict[str, Any] | None


class RotationDetail(RotationPublic):
    """A rotation with its gaps, the load of every practitioner and its latest job."""

    gaps: list[GapPublic]
    loads: list[LoadPublic]
    latest_job: JobPublic | None


class ShiftPublic(BaseModel):
    """A shift; times in the CPTS's timezone with their UTC offset."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 81,
                    "rotation_id": 2,
                    "practitioner_id": 7,
                    "practitioner_name": "Claire Martin",
                    "profession": "gp",
                    "sector_id": 1,
                    "day": "2027-03-28",
                    "block": "14:00-20:00",
                    "starts_at": "2027-03-28T14:00:00+02:00",
                    "ends_at": "2027-03-28T20:00:00+02:00",
                    "locked": False,
                    "status": "active",
                    "sequence": 0,
                }
            ]
        }
    )

    id: int
    rotation_id: int
    practitioner_id: int
    practitioner_name: str
    profession: str
    sector_id: int | None
    day: date
    block: str
    starts_at: datetime
    ends_at: datetime
    locked: bool
    status: ShiftStatus
    sequence: int


class ChangeReason(BaseModel):
    """Why a change is made; ``force`` overrides a hard rule and then needs a reason."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "arrêt maladie"}]}
    )

    force: bool = False
    reason: MultilineText | None = Field(default=None, max_length=500)


class ShiftAssign(ChangeReason):
    """Put a practitioner on call on a day (and block; default the first one)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"practitioner_id": 7, "day": "2027-01-12", "sector_id": 1, "locked": True}
            ]
        },
    )

    practitioner_id: EntityId
    day: CalendarDate
    block: Text | None = None
    sector_id: EntityId | None = None
    locked: bool = False


class ShiftReplace(ChangeReason):
    """Give a shift to another practitioner."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"practitioner_id": 9, "reason": "arrêt maladie"}]},
    )

    practitioner_id: EntityId


class ShiftLock(BaseModel):
    """Whether a re-solve or repair must keep this shift as it is."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"locked": True}]})

    locked: bool


class RepairRequest(BaseModel):
    """Re-solve a published rotation from ``from_day`` (default: tomorrow) on."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"from_day": "2027-01-15", "reason": "absence of Dr Martin"}]
        },
    )

    from_day: CalendarDate | None = None
    reason: MultilineText | None = Field(default=None, max_length=500)
    time_limit_s: float = Field(default=10.0, gt=0, le=300)
    seed: Seed = 0


class ChangePublic(BaseModel):
    """One recorded change: who, when, why and which shifts moved."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 4,
                    "kind": "replace",
                    "actor_user_id": 1,
                    "at": "2027-01-19T09:12:00Z",
                    "reason": "arrêt maladie",
                    "forced": False,
                    "details": {
                        "added_shift_ids": [90],
                        "cancelled_shift_ids": [81],
                        "broken_rules": [],
                    },
                }
            ]
        },
    )

    id: int
    kind: str
    actor_user_id: int | None
    at: datetime
    reason: str | None
    forced: bool
    details: dict[str, Any]


class CoverageFigure(BaseModel):
    """Required versus covered on-call blocks for one profession in one sector."""

    profession: str
    sector_id: int | None
    required: int
    covered: int
    coverage_pct: float


class BalanceFigure(BaseModel):
    """How evenly one profession's load per FTE is spread."""

    profession: str
    practitioners: int
    min_load_per_fte: float
    max_load_per_fte: float
    spread: float
    overloaded_practitioner_ids: list[int]


class PreferenceFigure(BaseModel):
    """How far the roster follows what practitioners asked."""

    shifts_on_preferred_days: int
    shifts_of_practitioners_with_preferred_days: int
    shifts_on_avoided_days: int


class QualityReport(BaseModel):
    """Coverage, load balance and preferences of a rotation as it stands."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "rotation_id": 2,
                    "coverage": [
                        {
                            "profession": "gp",
                            "sector_id": 1,
                            "required": 21,
                            "covered": 20,
                            "coverage_pct": 95.24,
                        }
                    ],
                    "balance": [
                        {
                            "profession": "gp",
                            "practitioners": 14,
                            "min_load_per_fte": 1.0,
                            "max_load_per_fte": 2.0,
                            "spread": 1.0,
                            "overloaded_practitioner_ids": [],
                        }
                    ],
                    "preferences": {
                        "shifts_on_preferred_days": 6,
                        "shifts_of_practitioners_with_preferred_days": 8,
                        "shifts_on_avoided_days": 0,
                    },
                }
            ]
        }
    )

    rotation_id: int
    coverage: list[CoverageFigure]
    balance: list[BalanceFigure]
    preferences: PreferenceFigure
