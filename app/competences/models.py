"""The catalogue of competences and equipment, and what each practitioner declares."""

from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, Column, ForeignKey, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.base import Base, IdMixin, TenantMixin, TimestampMixin


class ItemKind(StrEnum):
    """A competence belongs to one profession; an equipment item to any practice."""

    competence = "competence"
    equipment = "equipment"


class CatalogueItem(IdMixin, TenantMixin, TimestampMixin, Base):
    """A competence (of one profession) or an equipment item of the CPTS's catalogue."""

    __tablename__ = "catalogue_items"
    __table_args__ = (
        UniqueConstraint("cpts_id", "kind", "label"),
        CheckConstraint(
            "(kind = 'competence' AND profession IS NOT NULL) "
            "OR (kind = 'equipment' AND profession IS NULL)",
            name="kind_profession",
        ),
    )

    kind: Mapped[str] = mapped_column(String(16))
    profession: Mapped[str | None] = mapped_column(String(32))
    label: Mapped[str] = mapped_column(String(120))


practitioner_items = Table(
    "practitioner_catalogue_items",
    Base.metadata,
    Column(
        "practitioner_id",
        ForeignKey("practitioners.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column(
        "item_id",
        ForeignKey("catalogue_items.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)
"""The competences and equipment a practitioner declares."""


class CompetenceRule(IdMixin, TenantMixin, TimestampMixin, Base):
    """At least ``required`` on-call practitioners declaring ``competence_id`` in each block
    of a ``day_kind`` (``mon``..``sun``, ``holiday``), in the listed ``months`` (1-12;
    empty: every month), anywhere in the territory."""

    __tablename__ = "competence_rules"
    __table_args__ = (
        CheckConstraint(
            "day_kind IN ('mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun', 'holiday')",
            name="day_kind_known",
        ),
        CheckConstraint("required >= 1", name="required_positive"),
        UniqueConstraint("cpts_id", "competence_id", "day_kind"),
    )

    competence_id: Mapped[int] = mapped_column(
        ForeignKey("catalogue_items.id", ondelete="CASCADE"), index=True
    )
    day_kind: Mapped[str] = mapped_column(String(8))
    required: Mapped[int]
    months: Mapped[list[int]] = mapped_column(JSON, default=list)
