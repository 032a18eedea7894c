"""Professions known to the service and their on-call defaults."""

from enum import StrEnum


class Profession(StrEnum):
    """Professions that take on-call shifts. Extend here (and by migration) for new ones."""

    gp = "gp"
    physio = "physio"
    nurse = "nurse"


PROFESSION_LABELS: dict[str, str] = {
    Profession.gp: "médecin généraliste",
    Profession.physio: "masseur-kinésithérapeute",
    Profession.nurse: "infirmier·ère",
}
"""A profession's name in French, singular."""
PROFESSION_PLURALS: dict[str, str] = {
    Profession.gp: "médecins généralistes",
    Profession.physio: "masseurs-kinésithérapeutes",
    Profession.nurse: "infirmiers·ères",
}
"""A profession's name in French, plural."""

DEFAULT_SLOT_MINUTES: dict[Profession, int] = {
    Profession.gp: 15,
    Profession.physio: 30,
    Profession.nurse: 30,
}
DEFAULT_FREE_SLOTS_PER_SHIFT = 2
