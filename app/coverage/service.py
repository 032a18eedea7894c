"""Coverage rules: how many practitioners each kind of day needs, and the demand of a date."""

from collections.abc import Iterable, Sequence
from datetime import date

from sqlalchemy import Select, case
from sqlalchemy.orm import Session

from app.coverage.models import DAY_KINDS, CoverageRule
from app.coverage.schemas import (
    CoverageRuleCreate,
    CoverageRuleSet,
    CoverageRuleUpdate,
    DayKind,
)
from app.cpts.models import Sector
from app.errors import Conflict, RuleViolation
from app.pagination import PageParams, paginate
from app.professions import Profession
from app.tenancy import get_owned, owned

Scope = tuple[str, str, int | None]
"""What a rule applies to: day kind, profession, sector (None: the whole territory)."""

Demand = dict[tuple[str, int | None], int]
"""Practitioners needed per block, by (profession, sector or None for the whole territory)."""

_DAY_ORDER = case(
    {kind: position for position, kind in enumerate(DAY_KINDS)}, value=CoverageRule.day_kind
)


def required_on(rules: Iterable[CoverageRule], *, day: date, is_holiday: bool) -> Demand:
    """The demand of ``day``: its weekday's rules, or on a public holiday the holiday rules.

    Holiday rules replace the weekday ones entirely; with no holiday rule a holiday needs
    nobody. Rules asking for zero practitioners are left out.
    """
    kind = DayKind.holiday if is_holiday else DAY_KINDS[day.weekday()]
    return {
        (rule.profession, rule.sector_id): rule.required
        for rule in rules
        if rule.day_kind == kind and rule.required > 0
    }


def _scope_of(rule: CoverageRule | CoverageRuleCreate) -> Scope:
    return (str(rule.day_kind), str(rule.profession), rule.sector_id)


def _describe(scope: Scope) -> str:
    day_kind, profession, sector_id = scope
    where = "the whole territory" if sector_id is None else f"sector {sector_id}"
    return f"{profession} on {day_kind} in {where}"


def _field(index: int | None, name: str) -> str:
    return name if index is None else f"items.{index}.{name}"


def _check_sectors(
    session: Session, *, cpts_id: int, rules: Sequence[CoverageRuleCreate], bulk: bool
) -> None:
    known = set(session.scalars(owned(Sector, cpts_id).with_only_columns(Sector.id)))
    for index, rule in enumerate(rules):
        if rule.sector_id is not None and rule.sector_id not in known:
            raise RuleViolation(
                f"unknown sector {rule.sector_id} in this CPTS",
                field=_field(index if bulk else None, "sector_id"),
            )


def _check_no_repeat(rules: Sequence[CoverageRuleCreate]) -> None:
    seen: set[Scope] = set()
    for index, rule in enumerate(rules):
        scope = _scope_of(rule)
        if scope in seen:
            raise Conflict(
                f"two rules for {_describe(scope)}; give one rule per scope",
                field=_field(index, "day_kind"),
            )
        seen.add(scope)


def _new_rule(cpts_id: int, data: CoverageRuleCreate) -> CoverageRule:
    return CoverageRule(cpts_id=cpts_id, **data.model_dump(mode="json"))


def _in_display_order(query: Select[CoverageRule]) -> Select[CoverageRule]:
    return query.order_by(
        _DAY_ORDER,
        CoverageRule.profession,
        CoverageRule.sector_id.is_not(None),
        CoverageRule.sector_id,
        CoverageRule.id,
    )


def create_rule(session: Session, *, cpts_id: int, data: CoverageRuleCreate) -> CoverageRule:
    """Add a rule; one per day kind, profession and sector (or whole territory)."""
    _check_sectors(session, cpts_id=cpts_id, rules=[data], bulk=False)
    same_scope = owned(CoverageRule, cpts_id).where(
        CoverageRule.day_kind == data.day_kind.value,
        CoverageRule.profession == data.profession.value,
        CoverageRule.sector_id.is_not_distinct_from(data.sector_id),
    )
    if session.scalars(same_scope.limit(1)).first() is not None:
        raise Conflict(f"a rule for {_describe(_scope_of(data))} already exists", field="day_kind")
    rule = _new_rule(cpts_id, data)
    session.add(rule)
    session.flush()
    return rule


def list_rules(
    session: Session,
    *,
    cpts_id: int,
    day_kind: DayKind | None,
    profession: Profession | None,
    sector_id: int | None,
    page: PageParams,
) -> tuple[list[CoverageRule], int]:
    """A page of the territory's rules, Monday to holiday, optionally filtered."""
    query = _in_display_order(owned(CoverageRule, cpts_id))
    if day_kind is not None:
        query = query.where(CoverageRule.day_kind == day_kind.value)
    if profession is not None:
        query = query.where(CoverageRule.profession == profession.value)
    if sector_id is not None:
        query = query.where(CoverageRule.sector_id == sector_id)
    return paginate(session, query, page)


def get_rule(session: Session, *, cpts_id: int, rule_id: int) -> CoverageRule:
    """One rule of the territory (404 if it belongs to another)."""
    return get_owned(session, CoverageRule, rule_id, cpts_id=cpts_id)


def update_rule(
    session: Session, *, cpts_id: int, rule_id: int, data: CoverageRuleUpdate
) -> CoverageRule:
    """Change how many practitioners a rule asks for."""
    rule = get_rule(session, cpts_id=cpts_id, rule_id=rule_id)
    rule.required = data.required
    session.flush()
    return rule


def delete_rule(session: Session, *, cpts_id: int, rule_id: int) -> None:
    """Remove a rule: that scope then needs nobody."""
    session.delete(get_rule(session, cpts_id=cpts_id, rule_id=rule_id))
    session.flush()


def replace_rules(session: Session, *, cpts_id: int, data: CoverageRuleSet) -> list[CoverageRule]:
    """Make ``data`` the territory's whole rule set, all or nothing.

    Every item is checked before anything is written. Rules whose scope stays keep their id;
    rules absent from ``data`` are removed.
    """
    _check_sectors(session, cpts_id=cpts_id, rules=data.items, bulk=True)
    _check_no_repeat(data.items)
    current = {_scope_of(rule): rule for rule in session.scalars(owned(CoverageRule, cpts_id))}
    for item in data.items:
        kept = current.pop(_scope_of(item), None)
        if kept is None:
            session.add(_new_rule(cpts_id, item))
        else:
            kept.required = item.required
    for gone in current.values():
        session.delete(gone)
    session.flush()
    return list(session.scalars(_in_display_order(owned(CoverageRule, cpts_id))))
