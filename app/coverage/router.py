"""HTTP routes for coverage rules: the coordinator writes, practitioners may read."""

from fastapi import APIRouter, status

from app.auth import Coordinator, CoordinatorOrPractitioner
from app.coverage import service
from app.coverage.schemas import (
    CoverageRuleCreate,
    CoverageRulePublic,
    CoverageRuleSet,
    CoverageRuleUpdate,
    DayKind,
)
from app.db import SessionDep
from app.errors import Conflict, Forbidden, NotFound, RuleViolation, error_responses
from app.pagination import Page, PageDep
from app.professions import Profession
from app.types import EntityId

router = APIRouter(
    prefix="/v1/coverage-rules", tags=["coverage rules"], responses=error_responses(Forbidden)
)


@router.get("", summary="List coverage rules", response_model=Page[CoverageRulePublic])
def list_rules(
    session: SessionDep,
    user: CoordinatorOrPractitioner,
    page: PageDep,
    day_kind: DayKind | None = None,
    profession: Profession | None = None,
    sector_id: EntityId | None = None,
) -> Page[CoverageRulePublic]:
    """The territory's coverage rules, Monday to holiday (coordinator or practitioner)."""
    rows, total = service.list_rules(
        session,
        cpts_id=user.cpts_id,
        day_kind=day_kind,
        profession=profession,
        sector_id=sector_id,
        page=page,
    )
    items = [CoverageRulePublic.model_validate(r) for r in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.post(
    "",
    summary="Add a coverage rule",
    response_model=CoverageRulePublic,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(RuleViolation, Conflict),
)
def create_rule(
    session: SessionDep, user: Coordinator, data: CoverageRuleCreate
) -> CoverageRulePublic:
    """Add a rule for one day kind, profession and sector or whole territory (coordinator)."""
    rule = service.create_rule(session, cpts_id=user.cpts_id, data=data)
    return CoverageRulePublic.model_validate(rule)


@router.put(
    "",
    summary="Replace every coverage rule at once",
    response_model=list[CoverageRulePublic],
    responses=error_responses(RuleViolation, Conflict),
)
def replace_rules(
    session: SessionDep, user: Coordinator, data: CoverageRuleSet
) -> list[CoverageRulePublic]:
    """Replace every rule at once; one bad item and nothing changes (coordinator)."""
    rules = service.replace_rules(session, cpts_id=user.cpts_id, data=data)
    return [CoverageRulePublic.model_validate(r) for r in rules]


@router.get(
    "/{rule_id}",
    summary="Read a coverage rule",
    response_model=CoverageRulePublic,
    responses=error_responses(NotFound),
)
def read_rule(
    session: SessionDep, user: CoordinatorOrPractitioner, rule_id: EntityId
) -> CoverageRulePublic:
    """One coverage rule (coordinator or practitioner)."""
    rule = service.get_rule(session, cpts_id=user.cpts_id, rule_id=rule_id)
    return CoverageRulePublic.model_validate(rule)


@router.patch(
    "/{rule_id}",
    summary="Change how many practitioners a rule asks for",
    response_model=CoverageRulePublic,
    responses=error_responses(NotFound),
)
def update_rule(
    session: SessionDep, user: Coordinator, rule_id: EntityId, data: CoverageRuleUpdate
) -> CoverageRulePublic:
    """Change how many practitioners a rule asks for (coordinator)."""
    rule = service.update_rule(session, cpts_id=user.cpts_id, rule_id=rule_id, data=data)
    return CoverageRulePublic.model_validate(rule)


@router.delete(
    "/{rule_id}",
    summary="Remove a coverage rule",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(NotFound),
)
def delete_rule(session: SessionDep, user: Coordinator, rule_id: EntityId) -> None:
    """Remove a rule: that scope then needs nobody (coordinator)."""
    service.delete_rule(session, cpts_id=user.cpts_id, rule_id=rule_id)
