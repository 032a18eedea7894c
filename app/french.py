"""French words for everything a user reads: dates, and every enum value shown in e-mails,
pages and calendars (professions, modes, reasons, statuses, roles). One place, so a page
and an e-mail never name the same thing differently."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
PROFESSIONS = {"gp": "médecin", "physio": "kinésithérapeute", "nurse": "infirmier·ère"}
PROFESSIONS_PLURAL = {
    "gp": "Médecins généralistes",
    "physio": "Kinésithérapeutes",
    "nurse": "Infirmiers",
}
MODES = {
    "in_practice": "au cabinet",
    "home_visit": "visite à domicile",
    "teleconsultation": "téléconsultation",
}
REASONS = {
    "infection": "infection",
    "acute_pain": "douleur aiguë",
    "minor_trauma": "traumatisme bénin",
    "skin": "problème cutané",
    "respiratory": "problème respiratoire",
    "digestive": "problème digestif",
    "wound_care": "soin de plaie",
    "musculoskeletal": "problème ostéo-articulaire",
    "other": "autre motif",
}
REFERRAL_STATUSES = {
    "booked": "réservé",
    "cancelled": "annulé",
    "seen": "patient vu",
    "no_show": "patient absent",
}
SLOT_STATUSES = {
    "open": "libre",
    "booked": "réservé",
    "blocked": "bloqué",
    "withdrawn": "retiré",
}
SWAP_STATUSES = {
    "open": "proposé",
    "pending_approval": "en attente de la coordination",
    "done": "échangé",
    "rejected": "refusé",
    "withdrawn": "retiré",
}
PREFERENCE_KINDS = {"prefer": "de préférence", "avoid": "à éviter"}
ROLES = {"coordinator": "coordination", "practitioner": "praticien", "pharmacist": "pharmacie"}


def word(table: dict[str, str], value: str) -> str:
    """The French word for an enum value, or the value itself if the table lacks it."""
    return table.get(value, value)


def french_day(day: date) -> str:
    """``mardi 12 janvier 2027``."""
    return f"{WEEKDAYS[day.weekday()]} {day.day} {MONTHS[day.month - 1]} {day.year}"


def french_time(moment: datetime) -> str:
    """``16 h 30`` (``16 h`` on the hour), as said aloud."""
    return f"{moment.hour} h" if moment.minute == 0 else f"{moment.hour} h {moment.minute:02d}"


def spoken_instant(instant: datetime, *, zone: ZoneInfo, now: datetime) -> str:
    """``aujourd'hui 16 h 30``, ``demain 14 h 15``, else ``jeudi 14 janvier 9 h``: local time."""
    local = instant.astimezone(zone)
    days = (local.date() - now.astimezone(zone).date()).days
    if days == 0:
        prefix = "aujourd'hui"
    elif days == 1:
        prefix = "demain"
    else:
        prefix = f"{WEEKDAYS[local.weekday()]} {local.day} {MONTHS[local.month - 1]}"
    return f"{prefix} {french_time(local)}"
