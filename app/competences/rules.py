"""Competence rules: how many on-call practitioners with a competence a kind of day needs."""

from collections.abc import Iterable, Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

import solver
from app.competences.models import CatalogueItem, CompetenceRule, ItemKind, practitioner_items
from app.competences.schemas import CompetenceRuleCreate, CompetenceRulePublic
from app.coverage.models import DAY_KINDS
from app.errors import Conflict, RuleViolation
from app.tenancy import get_owned, owned


def rule_public(rule: CompetenceRule, item: CatalogueItem) -> CompetenceRulePublic:
    """A rule as the API shows it, with its competence's profession and label."""
    return CompetenceRulePublic(
        id=rule.id,
        competence_id=rule.competence_id,
        profession=item.profession,
        competence=item.label,
        day_kind=rule.day_kind,
        required=rule.required,
        months=rule.months,
    )


def list_rules(session: Session, *, cpts_id: int) -> list[tuple[CompetenceRule, CatalogueItem]]:
    """Every competence rule of the CPTS, with its competence, by competence then day."""
    rows = session.execute(
        select(CompetenceRule, CatalogueItem)
        .join(CatalogueItem, CatalogueItem.id == CompetenceRule.competence_id)
        .where(CompetenceRule.cpts_id == cpts_id)
        .order_by(CatalogueItem.label, CompetenceRule.id)
    )
    return [(rule, item) for rule, item in rows]


def create_rule(
    session: Session, *, cpts_id: int, data: CompetenceRuleCreate
) -> tuple[CompetenceRule, CatalogueItem]:
    """Add a rule; the competence must be one of the catalogue (422), and a competence has
    one rule per kind of day (409)."""
    item = session.scalar(
        owned(CatalogueItem, cpts_id).where(CatalogueItem.id == data.competence_id)
    )
    if item is None or item.kind != ItemKind.competence.value:
        raise RuleViolation(
            f"competence {data.competence_id} is not in this CPTS's catalogue",
            field="competence_id",
        )
    taken = session.scalar(
        owned(CompetenceRule, cpts_id).where(
            CompetenceRule.competence_id == item.id, CompetenceRule.day_kind == data.day_kind
        )
    )
    if taken is not None:
        raise Conflict(
            f"{item.label!r} already has a rule for {data.day_kind.value}", field="day_kind"
        )
    rule = CompetenceRule(
        cpts_id=cpts_id,
        competence_id=item.id,
        day_kind=data.day_kind.value,
        required=data.required,
        months=sorted(set(data.months)),
    )
    session.add(rule)
    session.flush()
    return rule, item


def delete_rule(session: Session, *, cpts_id: int, rule_id: int) -> None:
    """Remove a competence rule."""
    session.delete(get_owned(session, CompetenceRule, rule_id, cpts_id=cpts_id))
    session.flush()


def competence_demands(
    rules: Sequence[tuple[CompetenceRule, CatalogueItem]],
    *,
    days: Iterable[date],
    holidays: frozenset[date],
    blocks: Iterable[str],
) -> list[solver.CompetenceDemand]:
    """The competence demand of every block of ``days``: a day's weekday rules, or on a
    public holiday its holiday rules, in their months."""
    demands = []
    block_names = list(blocks)
    for day in days:
        kind = "holiday" if day in holidays else DAY_KINDS[day.weekday()]
        for rule, item in rules:
            if rule.day_kind != kind or (rule.months and day.month not in rule.months):
                continue
            demands += [
                solver.CompetenceDemand(day, block, str(item.profession), item.label, rule.required)
                for block in block_names
            ]
    return demands


def declared_competences(session: Session, *, cpts_id: int) -> dict[int, tuple[str, ...]]:
    """The competence labels each practitioner of the CPTS declares."""
    rows = session.execute(
        select(practitioner_items.c.practitioner_id, CatalogueItem.label)
        .join(CatalogueItem, CatalogueItem.id == practitioner_items.c.item_id)
        .where(
            CatalogueItem.cpts_id == cpts_id,
            CatalogueItem.kind == ItemKind.competence.value,
        )
        .order_by(CatalogueItem.label)
    )
    found: dict[int, tuple[str, ...]] = {}
    for practitioner_id, label in rows:
        found[practitioner_id] = (*found.get(practitioner_id, ()), label)
    return found
