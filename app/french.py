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
CARE_REQUEST_STATUSES = {
    "open": "en attente",
    "accepted": "acceptée",
    "cancelled": "annulée",
    "expired": "expirée sans réponse",
}
WISHED_DELAYS = {"today": "aujourd'hui", "24h": "dans les 24 h", "48h": "dans les 48 h"}
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
ROTATION_STATUSES = {"draft": "brouillon", "published": "publié", "archived": "archivé"}
JOB_STATUSES = {
    "queued": "en file d'attente",
    "running": "calcul en cours",
    "done": "terminé",
    "failed": "échoué",
}
JOB_KINDS = {"solve": "calcul du planning", "repair": "réparation du planning"}
SOLVER_STATUSES = {
    "optimal": "optimale (prouvée)",
    "feasible": "réalisable (optimalité non prouvée)",
    "infeasible": "impossible",
    "unknown": "inconnue",
}
CHANGE_KINDS = {
    "publish": "publication",
    "assign": "affectation",
    "unassign": "annulation",
    "replace": "remplacement",
    "lock": "verrouillage",
    "unlock": "déverrouillage",
    "repair": "réparation",
    "swap": "échange",
    "swap_offer": "échange proposé",
    "swap_accept": "échange accepté",
    "swap_reject": "échange refusé",
    "swap_withdraw": "échange retiré",
}
DAY_KINDS = {"weekday": "semaine", "weekend": "week-end", "holiday": "jour férié"}
RULES = {
    "availability": ("disponibilité", "{who} est absent·e"),
    "profession_sector": ("secteur d'exercice", "{who} n'exerce pas dans ce secteur"),
    "demand": ("besoin du jour", "le besoin de ce créneau est déjà couvert sans {who}"),
    "one_shift_per_block": ("une garde à la fois", "{who} est déjà de garde sur ce créneau"),
    "one_block_per_day": ("une garde par jour", "{who} est déjà de garde ce jour-là"),
    "max_per_period": ("maximum de gardes de la période", "{who} dépasserait son maximum"),
    "max_per_month": ("maximum de gardes par mois", "{who} dépasserait son maximum du mois"),
    "max_per_week": (
        "maximum de gardes par semaine",
        "{who} dépasserait son maximum de la semaine",
    ),
    "min_rest": ("repos entre deux gardes", "{who} n'aurait pas assez de repos entre deux gardes"),
    "locked": ("garde verrouillée", "une garde verrouillée de {who} disparaîtrait"),
    "reference": ("données du planning", "{who} ne peut pas être de garde à cette date"),
}
"""Each hard rule of the solver's checker: its French name, and what breaking it means."""
COVERAGE_DAYS = {
    "mon": "lundi",
    "tue": "mardi",
    "wed": "mercredi",
    "thu": "jeudi",
    "fri": "vendredi",
    "sat": "samedi",
    "sun": "dimanche",
    "holiday": "jour férié",
}
SHIFT_STATUSES = {"active": "assurée", "cancelled": "annulée"}


def word(table: dict[str, str], value: str) -> str:
    """The French word for an enum value, or the value itself if the table lacks it."""
    return table.get(value, value)


def french_day(day: date) -> str:
    """``mardi 12 janvier 2027``."""
    return f"{WEEKDAYS[day.weekday()]} {day.day} {MONTHS[day.month - 1]} {day.year}"


def rule_sentence(rule: str, *, who: str, day: date) -> str:
    """A broken hard rule as a sentence naming it: ``Claire Martin est absent·e le mercredi
    10 février 2027 (règle : disponibilité).``"""
    name, what = RULES.get(rule, (rule, "{who} ne peut pas prendre cette garde"))
    text = what.format(who=who)
    return f"{text[0].upper()}{text[1:]} le {french_day(day)} (règle : {name})."


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
