"""The French catalogue every new CPTS starts with (the coordinator then edits it)."""

from sqlalchemy.orm import Session

from app.competences.models import CatalogueItem
from app.professions import Profession

SEED_COMPETENCES: dict[Profession, tuple[str, ...]] = {
    Profession.physio: (
        "Kinésithérapie respiratoire (bronchiolite)",
        "Entorse et traumatologie",
        "Lombalgie aiguë",
        "Rééducation post-opératoire",
    ),
    Profession.nurse: (
        "Pansement complexe",
        "Injection",
        "Prélèvement",
        "Surveillance post-opératoire",
    ),
    Profession.gp: ("Suture", "ECG", "Petite chirurgie"),
}
"""Competences by profession, as labels."""

SEED_EQUIPMENT: tuple[str, ...] = (
    "Électrocardiographe (ECG)",
    "Ondes de choc",
    "Table de verticalisation",
    "Aspirateur de mucosités",
)
"""Equipment items a practice may have."""


def seed_rows(cpts_id: int) -> list[dict[str, object]]:
    """The seed catalogue of one CPTS as rows of ``catalogue_items`` (kind, profession, label)."""
    rows: list[dict[str, object]] = [
        {"cpts_id": cpts_id, "kind": "competence", "profession": profession.value, "label": label}
        for profession, labels in SEED_COMPETENCES.items()
        for label in labels
    ]
    rows += [
        {"cpts_id": cpts_id, "kind": "equipment", "profession": None, "label": label}
        for label in SEED_EQUIPMENT
    ]
    return rows


def seed_catalogue(session: Session, *, cpts_id: int) -> None:
    """Give a new CPTS the French seed catalogue."""
    session.add_all(CatalogueItem(**row) for row in seed_rows(cpts_id))
