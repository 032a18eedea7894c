"""Period edges: shifts fixed outside the horizon (context), monthly maxima, stale hints."""

import datetime as dt
from collections import Counter

import pytest

from solver import Assignment, Day, Instance, InstanceError, Rules, SolverConfig, check, solve
from tests.solver.factories import gp, one_a_day

FAST = SolverConfig(time_limit_s=5, workers=1, seed=1)
MONDAY_30_MARCH = dt.date(2026, 3, 30)
THURSDAY_2_APRIL = dt.date(2026, 4, 2)


def days_from(first: dt.date, n: int) -> tuple[Day, ...]:
    return tuple(Day(first + dt.timedelta(days=i)) for i in range(n))


def shift(pid: str, day: dt.date) -> Assignment:
    return Assignment(pid, day, "14-20", "Nord")


def rules_broken(instance: Instance, roster: list[Assignment]) -> list[tuple[str, str, dt.date]]:
    return [(v.rule, v.practitioner, v.day) for v in check(instance, roster)]


def week_from_thursday() -> Instance:
    """Thursday 2 to Sunday 5 April, no rest rule; `a` already on call Monday 30 and
    Tuesday 31 March."""
    return one_a_day(
        days=days_from(THURSDAY_2_APRIL, 4),
        practitioners=(gp("a", max_shifts_per_week=2), gp("b", max_shifts_per_week=2)),
        rules=Rules(min_rest_days=0),
        context=(shift("a", MONDAY_30_MARCH), shift("a", MONDAY_30_MARCH + dt.timedelta(days=1))),
    )


def test_context_shifts_count_toward_the_weekly_maximum() -> None:
    instance = week_from_thursday()
    result = solve(instance, FAST)
    assert check(instance, result.assignments) == []
    assert Counter(a.practitioner for a in result.assignments) == {"b": 2}
    assert result.uncovered == 2
    assert {g.breakdown.get("at weekly maximum") for g in result.gaps} == {2}


def test_checker_reports_a_week_over_the_maximum_with_context() -> None:
    instance = week_from_thursday()
    assert rules_broken(instance, [shift("a", THURSDAY_2_APRIL)]) == [
        ("max_per_week", "a", THURSDAY_2_APRIL)
    ]
    (violation,) = check(instance, [shift("a", THURSDAY_2_APRIL)])
    assert "2 fixed outside the horizon" in violation.detail


def test_context_shifts_count_toward_the_rest_rule_on_both_sides() -> None:
    days = days_from(THURSDAY_2_APRIL, 3)
    before, after = THURSDAY_2_APRIL - dt.timedelta(days=1), days[-1].date + dt.timedelta(days=1)
    instance = one_a_day(
        days=days,
        practitioners=(gp("a"), gp("b"), gp("c")),
        context=(shift("a", before), shift("b", after)),
    )
    result = solve(instance, FAST)
    assert check(instance, result.assignments) == []
    held = {(a.practitioner, a.day) for a in result.assignments}
    assert ("a", THURSDAY_2_APRIL) not in held and ("b", days[-1].date) not in held
    assert rules_broken(instance, [shift("a", THURSDAY_2_APRIL), shift("b", days[-1].date)]) == [
        ("min_rest", "a", THURSDAY_2_APRIL),
        ("min_rest", "b", days[-1].date),
    ]


def test_monthly_maximum_holds_per_calendar_month_with_context() -> None:
    """Three weeks over March and April, at most 3 shifts a month, 1 already on 20 April."""
    days = days_from(dt.date(2026, 3, 23), 21)
    practitioners = tuple(gp(p, max_shifts_per_month=3) for p in "abcd")
    context = (shift("a", dt.date(2026, 4, 20)),)
    instance = one_a_day(
        days=days, practitioners=practitioners, context=context, rules=Rules(min_rest_days=0)
    )
    result = solve(instance, FAST)
    assert check(instance, result.assignments) == []
    per_month = Counter((a.practitioner, a.day.month) for a in result.assignments)
    assert max(per_month.values()) <= 3
    assert per_month[("a", 4)] <= 2
    assert result.uncovered == 12 - (3 * 3 + 2), "9 March days covered, 12 April days for 11"


def test_checker_reports_a_month_over_the_maximum() -> None:
    days = days_from(dt.date(2026, 3, 30), 4)
    instance = one_a_day(
        days=days,
        practitioners=(gp("a", max_shifts_per_month=1),),
        rules=Rules(min_rest_days=0),
        context=(shift("a", dt.date(2026, 3, 2)),),
    )
    roster = [shift("a", d.date) for d in days]
    assert rules_broken(instance, roster) == [
        ("max_per_month", "a", dt.date(2026, 3, 30)),
        ("max_per_month", "a", dt.date(2026, 4, 2)),
    ]


def test_context_inside_the_horizon_is_refused() -> None:
    with pytest.raises(InstanceError) as refused:
        one_a_day(
            days=days_from(THURSDAY_2_APRIL, 2),
            practitioners=(gp("a"),),
            context=(shift("a", THURSDAY_2_APRIL),),
        )
    assert refused.value.field == "context[0].day"


def test_a_previous_roster_that_no_longer_fits_is_repaired_not_rejected() -> None:
    """Unknown practitioner, a sector they left, a day off the horizon: ignored hints."""
    days = days_from(THURSDAY_2_APRIL, 2)
    stale = (
        Assignment("gone", THURSDAY_2_APRIL, "14-20", "Nord"),
        Assignment("a", THURSDAY_2_APRIL, "14-20", "Sud"),
        Assignment("a", dt.date(2026, 5, 1), "14-20", "Nord"),
        Assignment("b", days[1].date, "14-20", "Nord"),
    )
    instance = one_a_day(days=days, practitioners=(gp("a"), gp("b")), previous_roster=stale)
    result = solve(instance, FAST)
    assert check(instance, result.assignments) == []
    assert result.uncovered == 0
    assert shift("b", days[1].date) in result.assignments
