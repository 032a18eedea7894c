"""While it runs, the solver tells how far it has gone: parts covered, parts done, uncovered."""

import itertools

from solver import Progress, SolverConfig, solve
from solver.components import split
from solver.generate import generate


def test_progress_is_reported_after_every_stage_and_ends_with_the_result() -> None:
    instance = generate(
        seed=3,
        n_days=14,
        staff={"gp": 3, "physio": 2, "nurse": 4},
        sectors=("Nord", "Sud"),
        absence_rate=0.3,
    )
    reports: list[Progress] = []
    result = solve(instance, SolverConfig(time_limit_s=5, workers=2), report=reports.append)
    parts = len(split(instance))
    assert parts > 1
    assert reports[-1] == Progress(
        parts=parts, parts_covered=parts, parts_done=parts, uncovered=result.uncovered
    )
    assert result.uncovered > 0
    assert len(reports) == 2 * parts
    for before, after in itertools.pairwise(reports):
        assert after.parts_covered >= before.parts_covered
        assert after.parts_done >= before.parts_done
        assert after.uncovered >= before.uncovered
    assert all(r.parts_done <= r.parts_covered for r in reports)
