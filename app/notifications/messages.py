"""French plain-text messages. No patient identity anywhere: e-mail is not a secure channel
and webhooks go to tools we do not control, so a referral is told by its slot, referrer
(pharmacy or practitioner), reason category and number only; the practitioner reads the
rest in the application."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from app.care_requests.models import CareRequest
from app.french import MODES, PROFESSIONS, REASONS, french_day
from app.notifications.models import Event
from app.referrals.models import Referral
from app.rotations.models import Rotation, Shift

SIGNATURE = "\n\n-- \nService SNP de votre CPTS. Message automatique, merci de ne pas y répondre."


@dataclass(frozen=True)
class Message:
    """What one notification says: subject and body for e-mail, data for webhooks."""

    event: Event
    subject: str
    body: str
    data: dict[str, Any] = field(default_factory=dict)


def french_instant(instant: datetime, zone: ZoneInfo) -> str:
    """``mardi 12 janvier 2027 à 16:00`` in the CPTS's timezone."""
    local = instant.astimezone(zone)
    return f"{french_day(local.date())} à {local:%H:%M}"


def _message(event: Event, subject: str, lines: Iterable[str], data: dict[str, Any]) -> Message:
    return Message(event, subject, "\n".join(lines) + SIGNATURE, data)


def _referral_data(referral: Referral, referrer: str) -> dict[str, Any]:
    return {
        "referral_id": referral.id,
        "practitioner_id": referral.practitioner_id,
        "pharmacy_id": referral.pharmacy_id,
        "referrer_practitioner_id": referral.referrer_practitioner_id,
        "referrer_name": referrer,
        "slot_starts_at": referral.slot_starts_at.isoformat(),
        "reason_category": referral.reason_category,
        "mode": referral.mode,
    }


def _referred_by(referral: Referral, referrer: str) -> str:
    return f"La pharmacie {referrer}" if referral.pharmacy_id is not None else referrer


def referral_booked(referral: Referral, *, referrer: str, zone: ZoneInfo) -> Message:
    """To the practitioner: a patient is coming (details in the application only)."""
    when = french_instant(referral.slot_starts_at, zone)
    return _message(
        Event.referral_booked,
        f"Nouveau patient orienté : {when}",
        [
            "Bonjour,",
            "",
            f"{_referred_by(referral, referrer)} vous oriente un patient en soins non programmés.",
            "",
            f"Créneau : {when}",
            f"Modalité : {MODES.get(referral.mode, referral.mode)}",
            f"Motif : {REASONS.get(referral.reason_category, referral.reason_category)}",
            f"Orientation n° {referral.id}",
            "",
            "Les coordonnées du patient sont à consulter dans l'application SNP.",
        ],
        _referral_data(referral, referrer),
    )


def referral_cancelled(referral: Referral, *, referrer: str, zone: ZoneInfo) -> Message:
    """To the practitioner: the patient will not come; the slot reopens if still ahead."""
    when = french_instant(referral.slot_starts_at, zone)
    return _message(
        Event.referral_cancelled,
        f"Orientation annulée : {when}",
        [
            "Bonjour,",
            "",
            f"L'orientation n° {referral.id} ({referrer}) du {when} est annulée.",
            "Le créneau est de nouveau libre s'il n'est pas encore passé.",
        ],
        _referral_data(referral, referrer),
    )


def _care_request_data(request: CareRequest) -> dict[str, Any]:
    return {
        "care_request_id": request.id,
        "profession": request.profession,
        "status": request.status,
        "deadline": request.deadline.isoformat(),
        "accepted_by_practitioner_id": request.accepted_by_practitioner_id,
    }


def care_request_accepted(request: CareRequest, *, acceptor: str, zone: ZoneInfo) -> Message:
    """To the requester: a practitioner accepted their request and will call the patient."""
    return _message(
        Event.care_request_accepted,
        f"Demande n° {request.id} acceptée",
        [
            "Bonjour,",
            "",
            f"Votre demande n° {request.id} ({request.act}) est acceptée par {acceptor}.",
            f"Acceptée le {french_instant(request.accepted_at or request.deadline, zone)}.",
            "",
            "Les coordonnées du praticien sont à consulter dans l'application SNP.",
        ],
        _care_request_data(request),
    )


def care_request_expired(request: CareRequest, *, zone: ZoneInfo) -> Message:
    """To the requester: nobody accepted their request before its deadline."""
    return _message(
        Event.care_request_expired,
        f"Demande n° {request.id} expirée sans réponse",
        [
            "Bonjour,",
            "",
            f"Votre demande n° {request.id} ({request.act}) n'a été acceptée par aucun "
            f"{PROFESSIONS.get(request.profession, request.profession)} avant son échéance, "
            f"le {french_instant(request.deadline, zone)}.",
            "Cherchez un autre créneau ou contactez la coordination de la CPTS.",
        ],
        _care_request_data(request),
    )


def _shift_line(shift: Shift, zone: ZoneInfo) -> str:
    start, end = shift.starts_at.astimezone(zone), shift.ends_at.astimezone(zone)
    return f"- {french_day(start.date())}, de {start:%H:%M} à {end:%H:%M}"


def _shift_data(shift: Shift) -> dict[str, Any]:
    return {
        "shift_id": shift.id,
        "day": shift.day.isoformat(),
        "block": shift.block,
        "starts_at": shift.starts_at.isoformat(),
        "ends_at": shift.ends_at.isoformat(),
    }


def _period(rotation: Rotation) -> str:
    return f"du {french_day(rotation.period_start)} au {french_day(rotation.period_end)}"


def rotation_published(rotation: Rotation, shifts: list[Shift], *, zone: ZoneInfo) -> Message:
    """To a practitioner of the rotation: their on-call afternoons."""
    return _message(
        Event.rotation_published,
        f"Planning d'astreinte publié {_period(rotation)}",
        [
            "Bonjour,",
            "",
            f"Le planning d'astreinte {_period(rotation)} est publié.",
            f"Vous êtes d'astreinte {len(shifts)} fois :",
            *(_shift_line(s, zone) for s in shifts),
        ],
        {"rotation_id": rotation.id, "shifts": [_shift_data(s) for s in shifts]},
    )


CHANGE_SUBJECTS = {
    Event.shift_changed: "Votre planning d'astreinte a été modifié",
    Event.shift_swapped: "Échange d'astreinte effectué",
    Event.shift_repaired: "Votre planning d'astreinte a été réajusté",
}


def shifts_changed(
    event: Event, rotation: Rotation, *, added: list[Shift], removed: list[Shift], zone: ZoneInfo
) -> Message:
    """To a practitioner whose shifts moved: what they gained and what they lost."""
    lines = ["Bonjour,", "", f"Votre planning d'astreinte {_period(rotation)} change."]
    if added:
        lines += ["", "Nouvelles astreintes :", *(_shift_line(s, zone) for s in added)]
    if removed:
        lines += ["", "Astreintes retirées :", *(_shift_line(s, zone) for s in removed)]
    data = {
        "rotation_id": rotation.id,
        "added": [_shift_data(s) for s in added],
        "removed": [_shift_data(s) for s in removed],
    }
    return _message(event, CHANGE_SUBJECTS[event], lines, data)


def shift_reminder(shift: Shift, *, zone: ZoneInfo) -> Message:
    """To the practitioner on call tomorrow."""
    start = shift.starts_at.astimezone(zone)
    return _message(
        Event.shift_reminder,
        f"Rappel : astreinte demain, {french_day(start.date())}",
        [
            "Bonjour,",
            "",
            "Rappel : vous êtes d'astreinte demain.",
            _shift_line(shift, zone),
            "",
            "Pensez à garder vos créneaux libres pour les patients orientés.",
        ],
        {"rotation_id": shift.rotation_id, "shift": _shift_data(shift)},
    )


@dataclass(frozen=True)
class GapNotice:
    """An uncovered need, as the coordinator reads it."""

    day: date
    block: str
    profession: str
    sector: str | None
    missing: int

    def line(self) -> str:
        """One line of the message."""
        who = PROFESSIONS.get(self.profession, self.profession)
        where = f", secteur {self.sector}" if self.sector else ""
        return f"- {french_day(self.day)} ({self.block}) : {self.missing} {who} manquant{where}"


def coverage_gaps(rotation: Rotation, gaps: list[GapNotice]) -> Message:
    """To the coordinators: a published rotation now leaves these needs uncovered."""
    return _message(
        Event.coverage_gap,
        f"Trou de couverture dans le planning publié {_period(rotation)}",
        [
            "Bonjour,",
            "",
            "Suite à une modification, le planning publié ne couvre plus :",
            *(g.line() for g in gaps),
            "",
            "Vous pouvez affecter un remplaçant ou lancer une réparation du planning.",
        ],
        {
            "rotation_id": rotation.id,
            "gaps": [
                {
                    "day": g.day.isoformat(),
                    "block": g.block,
                    "profession": g.profession,
                    "sector": g.sector,
                    "missing": g.missing,
                }
                for g in gaps
            ],
        },
    )


def invitation(*, cpts_name: str, display_name: str, link: str, valid_hours: float) -> Message:
    """To an invited user: the single-use link that opens their first web session."""
    return _message(
        Event.invitation,
        f"Invitation au service SNP de la {cpts_name}",
        [
            f"Bonjour {display_name},",
            "",
            f"La coordination de la {cpts_name} vous invite au service de soins non programmés.",
            "Ouvrez ce lien pour vous connecter (il ne sert qu'une fois, "
            f"pendant {valid_hours:g} heures) :",
            "",
            link,
            "",
            "Ensuite, demandez un lien de connexion à tout moment depuis la page de connexion.",
        ],
        {},
    )


def sign_in_link(*, cpts_name: str, link: str, valid_minutes: float) -> Message:
    """To a user who asked for it: the single-use sign-in link."""
    return _message(
        Event.sign_in_link,
        "Votre lien de connexion au service SNP",
        [
            "Bonjour,",
            "",
            f"Voici votre lien de connexion au service SNP de la {cpts_name}. Il ne sert "
            f"qu'une fois, pendant {valid_minutes:g} minutes :",
            "",
            link,
            "",
            "Si vous n'avez pas demandé ce lien, ignorez ce message.",
        ],
        {},
    )


def message_unread(
    referral: Referral, *, author_name: str, posted_at: datetime, zone: ZoneInfo
) -> Message:
    """To a participant of a referral's thread: a message waits unread (never its text)."""
    return _message(
        Event.message_unread,
        f"Message non lu sur l'orientation n° {referral.id}",
        [
            "Bonjour,",
            "",
            f"{author_name} vous a écrit le {french_instant(posted_at, zone)} au sujet de "
            f"l'orientation n° {referral.id} ; ce message n'est pas encore lu.",
            "",
            "Le message est à lire dans l'application SNP.",
        ],
        {"referral_id": referral.id, "posted_at": posted_at.isoformat()},
    )
