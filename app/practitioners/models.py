"""Practitioners who take on-call shifts, and the sectors they serve."""

from sqlalchemy import JSON, CheckConstraint, Column, ForeignKey, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.base import Base, IdMixin, TenantMixin, TimestampMixin
from app.cpts.models import Sector

practitioner_sectors = Table(
    "practitioner_sectors",
    Base.metadata,
    Column(
        "practitioner_id",
        ForeignKey("practitioners.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("sector_id", ForeignKey("sectors.id", ondelete="CASCADE"), primary_key=True),
)


class Practitioner(IdMixin, TenantMixin, TimestampMixin, Base):
    """A GP, physio or nurse of the territory who may be on call."""

    __tablename__ = "practitioners"
    __table_args__ = (
        UniqueConstraint("cpts_id", "rpps"),
        CheckConstraint("profession IN ('gp', 'physio', 'nurse')", name="profession_known"),
        CheckConstraint("fte > 0 AND fte <= 1", name="fte_range"),
        CheckConstraint("max_shifts_per_month >= 0", name="max_month_not_negative"),
        CheckConstraint("max_shifts_per_week >= 0", name="max_week_not_negative"),
        CheckConstraint("latitude BETWEEN -90 AND 90", name="latitude_range"),
        CheckConstraint("longitude BETWEEN -180 AND 180", name="longitude_range"),
        CheckConstraint("zone_radius_km > 0", name="zone_radius_positive"),
    )

    rpps: Mapped[str] = mapped_column(String(11))
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    profession: Mapped[str] = mapped_column(String(32), index=True)
    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(254))
    practice_address: Mapped[str | None] = mapped_column(String(300))
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    home_visits: Mapped[bool] = mapped_column(default=False)
    teleconsultation: Mapped[bool] = mapped_column(default=False)
    max_shifts_per_month: Mapped[int] = mapped_column(default=6)
    max_shifts_per_week: Mapped[int] = mapped_column(default=2)
    fte: Mapped[float] = mapped_column(default=1.0)
    active: Mapped[bool] = mapped_column(default=True)
    zone_communes: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    """Communes visited at home: ``{"insee_code", "name"}`` each."""
    zone_radius_km: Mapped[float | None]
    """Home visits within this distance of the practice, besides ``zone_communes``."""

    sectors: Mapped[list[Sector]] = relationship(
        secondary=practitioner_sectors, lazy="selectin", order_by=Sector.id
    )
