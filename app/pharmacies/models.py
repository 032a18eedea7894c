"""Community pharmacies that refer patients to on-call slots."""

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.base import Base, IdMixin, TenantMixin, TimestampMixin


class Pharmacy(IdMixin, TenantMixin, TimestampMixin, Base):
    """A pharmacy (officine) of the territory, identified by its FINESS number."""

    __tablename__ = "pharmacies"
    __table_args__ = (
        UniqueConstraint("cpts_id", "finess"),
        CheckConstraint("latitude BETWEEN -90 AND 90", name="latitude_range"),
        CheckConstraint("longitude BETWEEN -180 AND 180", name="longitude_range"),
    )

    finess: Mapped[str] = mapped_column(String(9))
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(300))
    phone: Mapped[str | None] = mapped_column(String(32))
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    sector_id: Mapped[int | None] = mapped_column(
        ForeignKey("sectors.id", ondelete="SET NULL"), index=True
    )
