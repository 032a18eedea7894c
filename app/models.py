"""Imports every domain's tables so that ``Base.metadata`` is complete (for Alembic)."""

from app.audit import AuditEntry
from app.availability.models import Absence, Preference
from app.base import Base
from app.care_requests.models import CareRequest
from app.competences.models import CatalogueItem, CompetenceRule, practitioner_items
from app.coverage.models import CoverageRule
from app.cpts.models import Cpts, ProfessionSetting, Sector
from app.events.models import StreamEvent
from app.feeds.models import FeedToken
from app.messaging.models import Message, ThreadRead
from app.notifications.models import Notification, NotificationChannel
from app.pharmacies.models import Pharmacy
from app.practitioners.models import Practitioner, practitioner_sectors
from app.ratelimits.models import RateCount
from app.referrals.models import Referral
from app.rotations.models import FairShare, Gap, Job, Rotation, RotationChange, Shift, SwapOffer
from app.signin.models import SignInLink, SignInRequest, WebSession
from app.slots.models import Slot
from app.users.models import ApiToken, User

__all__ = [
    "Absence",
    "ApiToken",
    "AuditEntry",
    "Base",
    "CareRequest",
    "CatalogueItem",
    "CompetenceRule",
    "CoverageRule",
    "Cpts",
    "FairShare",
    "FeedToken",
    "Gap",
    "Job",
    "Message",
    "Notification",
    "NotificationChannel",
    "Pharmacy",
    "Practitioner",
    "Preference",
    "ProfessionSetting",
    "RateCount",
    "Referral",
    "Rotation",
    "RotationChange",
    "Sector",
    "Shift",
    "SignInLink",
    "SignInRequest",
    "Slot",
    "StreamEvent",
    "SwapOffer",
    "ThreadRead",
    "User",
    "WebSession",
    "practitioner_items",
    "practitioner_sectors",
]
