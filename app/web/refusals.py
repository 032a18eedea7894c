"""A service's refusal as the French sentence a coordinator reads: each broken hard rule
named, with who and which day; other refusals in the words of the action tried."""

import re
from datetime import date

from sqlalchemy.orm import Session

from app import french
from app.errors import DomainError
from app.rotations.amendments import RulesBroken
from app.web.views import practitioner_names

STORED_RULE = re.compile(r"^(\w+): (\S+) on (\d{4}-\d{2}-\d{2}):")
"""A broken rule as the history stores it (the checker's ``str(violation)``)."""


def _names(session: Session, cpts_id: int, ids: set[str]) -> dict[str, str]:
    wanted = {int(i) for i in ids if i.isdigit() and len(i) < 12}
    names = practitioner_names(session, cpts_id=cpts_id, ids=wanted)
    return {str(pid): name for pid, name in names.items()}


def rule_sentences(session: Session, *, cpts_id: int, error: RulesBroken) -> list[str]:
    """One sentence per broken rule, naming the practitioner by name."""
    names = _names(session, cpts_id, {v.practitioner for v in error.violations})
    return [
        french.rule_sentence(v.rule, who=names.get(v.practitioner, "ce praticien"), day=v.day)
        for v in error.violations
    ]


def refusal(session: Session, *, cpts_id: int, error: DomainError, otherwise: str) -> list[str]:
    """What to tell the coordinator about a refused action: the rules it breaks, or
    ``otherwise`` (the action's own words) for any other refusal.

    The action's writes are rolled back first; a 404 (an id of nothing the caller may
    see) is raised again, for the 404 page.
    """
    if error.status == 404:
        raise error
    session.rollback()
    if isinstance(error, RulesBroken):
        return rule_sentences(session, cpts_id=cpts_id, error=error)
    return [otherwise]


def stored_rule_sentences(session: Session, *, cpts_id: int, stored: list[str]) -> list[str]:
    """The broken rules a forced change recorded in the history, as sentences."""
    matches = [STORED_RULE.match(text) for text in stored]
    names = _names(session, cpts_id, {m.group(2) for m in matches if m})
    return [
        french.rule_sentence(
            m.group(1),
            who=names.get(m.group(2), "ce praticien"),
            day=date.fromisoformat(m.group(3)),
        )
        if m
        else text
        for m, text in zip(matches, stored, strict=True)
    ]
