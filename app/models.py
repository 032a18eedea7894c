"""Imports every domain's tables so that ``Base.metadata`` is complete (for Alembic)."""

from app.availability.models import Absence, Preference
from app.base import Base
from app.coverage.models import CoverageRule
from app.cpts.models import Cpts, ProfessionSetting, Sector
from app.pharmacies.models import Pharmacy
from app.practitioners.models import Practitioner, practitioner_sectors
from app.users.models import ApiToken, User

__all__ = [
    "Absence",
    "ApiToken",
    "Base",
    "CoverageRule",
    "Cpts",
    "Pharmacy",
    "Practitioner",
    "Preference",
    "ProfessionSetting",
    "Sector",
    "User",
    "practitioner_sectors",
]
