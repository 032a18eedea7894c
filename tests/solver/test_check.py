"""The independent checker catches every kind of hard-rule violation on hand-made rosters."""

import datetime as dt

import pytest

from solver import Assignment, Demand, History, Instance, Practitioner, Rules, check
from tests.solver.factories import MONDAY, gp, one_a_day, weekdays

TUESDAY = MONDAY + dt.timedelta(days=1)


def shift(
    pid: str, day: dt.date = MONDAY, block: str = "14-20", sector: str = "Nord"
) -> Assignment:
    return Assignment(pid, day, block, sector)


def rules_broken(instance: Instance, roster: list[Assignment]) -> list[tuple[str, str, dt.date]]:
    return [(v.rule, v.practitioner, v.day) for v in check(instance, roster)]


def test_a_valid_roster_has_no_violation() -> None:
    instance = one_a_day(days=weekdays(2), practitioners=(gp("a"), gp("b")))
    assert check(instance, [shift("a"), shift("b", TUESDAY)]) == []


def test_unknown_practitioner_is_reported() -> None:
    instance = one_a_day(days=weekdays(1), practitioners=(gp("a"),))
    assert rules_broken(instance, [shift("ghost")]) == [("reference", "ghost", MONDAY)]


def test_absent_practitioner_is_reported() -> None:
    instance = one_a_day(days=weekdays(1), practitioners=(gp("a", unavailable_days=(MONDAY,)),))
    assert rules_broken(instance, [shift("a")]) == [("availability", "a", MONDAY)]


def test_unavailable_block_is_reported() -> None:
    a = gp("a", unavailable_blocks=((MONDAY, "14-20"),))
    instance = one_a_day(days=weekdays(1), practitioners=(a,))
    assert rules_broken(instance, [shift("a")]) == [("availability", "a", MONDAY)]


def test_serving_outside_ones_sectors_is_reported() -> None:
    instance = Instance(
        days=weekdays(1),
        blocks=("14-20",),
        demands=(Demand(MONDAY, "14-20", "gp", "Sud", 1),),
        practitioners=(gp("a"),),
    )
    assert rules_broken(instance, [shift("a", sector="Sud")]) == [
        ("profession_sector", "a", MONDAY)
    ]


def test_more_than_demanded_is_reported() -> None:
    instance = one_a_day(days=weekdays(1), practitioners=(gp("a"), gp("b")))
    assert rules_broken(instance, [shift("a"), shift("b")]) == [("demand", "b", MONDAY)]


def test_serving_a_demand_of_another_profession_is_reported() -> None:
    instance = one_a_day(days=weekdays(1), practitioners=(gp("a"),), profession="nurse")
    assert rules_broken(instance, [shift("a")]) == [("demand", "a", MONDAY)]


def test_two_sectors_in_one_block_is_reported() -> None:
    a = gp("a", sectors=("Nord", "Sud"))
    demands = tuple(Demand(MONDAY, "14-20", "gp", s, 1) for s in ("Nord", "Sud"))
    instance = Instance(days=weekdays(1), blocks=("14-20",), demands=demands, practitioners=(a,))
    assert rules_broken(instance, [shift("a"), shift("a", sector="Sud")]) == [
        ("one_shift_per_block", "a", MONDAY)
    ]


@pytest.mark.parametrize(("multiple", "expected"), [(False, 1), (True, 0)])
def test_two_blocks_in_a_day_is_reported_unless_allowed(multiple: bool, expected: int) -> None:
    demands = tuple(Demand(MONDAY, b, "gp", "Nord", 1) for b in ("14-17", "17-20"))
    instance = Instance(
        days=weekdays(1),
        blocks=("14-17", "17-20"),
        demands=demands,
        practitioners=(gp("a"),),
        rules=Rules(allow_multiple_blocks_per_day=multiple),
    )
    roster = [shift("a", block="14-17"), shift("a", block="17-20")]
    assert rules_broken(instance, roster) == [("one_block_per_day", "a", MONDAY)] * expected


def test_period_maximum_is_reported_on_the_first_shift_too_many() -> None:
    instance = one_a_day(
        days=weekdays(3), practitioners=(gp("a", max_shifts_per_period=1),),
        rules=Rules(min_rest_days=0),
    )  # fmt: skip
    roster = [shift("a"), shift("a", TUESDAY)]
    assert rules_broken(instance, roster) == [("max_per_period", "a", TUESDAY)]


def test_weekly_maximum_is_reported_within_an_iso_week_only() -> None:
    days = weekdays(8)
    instance = one_a_day(
        days=days, practitioners=(gp("a", max_shifts_per_week=1),), rules=Rules(min_rest_days=0)
    )
    sunday, next_monday = days[6].date, days[7].date
    assert rules_broken(instance, [shift("a", sunday), shift("a", next_monday)]) == []
    assert rules_broken(instance, [shift("a"), shift("a", sunday)]) == [
        ("max_per_week", "a", sunday)
    ]


def test_consecutive_afternoons_break_the_rest_rule() -> None:
    instance = one_a_day(days=weekdays(3), practitioners=(gp("a"),))
    assert rules_broken(instance, [shift("a"), shift("a", TUESDAY)]) == [("min_rest", "a", TUESDAY)]


def test_rest_rule_carries_over_from_the_previous_period() -> None:
    a = gp("a", history=History(last_on_call=MONDAY - dt.timedelta(days=1)))
    instance = one_a_day(days=weekdays(1), practitioners=(a,))
    assert rules_broken(instance, [shift("a")]) == [("min_rest", "a", MONDAY)]


def test_missing_locked_assignment_is_reported() -> None:
    instance = one_a_day(days=weekdays(1), practitioners=(gp("a"), gp("b")), locked=(shift("a"),))
    assert rules_broken(instance, [shift("b")]) == [("locked", "a", MONDAY)]


def test_every_violation_names_rule_practitioner_and_day() -> None:
    absent = Practitioner("a", "gp", ("Nord",), unavailable_days=(MONDAY,))
    instance = one_a_day(days=weekdays(1), practitioners=(absent,))
    (violation,) = check(instance, [shift("a")])
    assert str(violation).startswith("availability: a on 2026-03-02")
