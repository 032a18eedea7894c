"""Stand-ins for ``solver.solve`` that fail the way a real solver process can.

They run in the spawned solver process, so they live in a module that imports little.
"""

import os
import signal
import threading

import solver
from solver.progress import Report


def refuse(
    instance: solver.Instance, config: solver.SolverConfig, report: Report | None = None
) -> solver.Result:
    """Raise, as a solver bug would."""
    raise RuntimeError("the model could not be built")


def die(
    instance: solver.Instance, config: solver.SolverConfig, report: Report | None = None
) -> solver.Result:
    """The process is killed mid-solve (as by the out-of-memory killer)."""
    os.kill(os.getpid(), signal.SIGKILL)
    raise AssertionError("unreachable: the process was killed")


def hang_in_january(
    instance: solver.Instance, config: solver.SolverConfig, report: Report | None = None
) -> solver.Result:
    """Never return for a period starting in January; solve any other period for real."""
    if instance.days[0].date.month == 1:
        threading.Event().wait()
    return solver.solve(instance, config, report)


PROGRESS = solver.Progress(parts=2, parts_covered=1, parts_done=0, uncovered=3)
"""What `report_then_hang` reports: one part of two covered, leaving 3 demands uncovered."""


def report_then_hang(
    instance: solver.Instance, config: solver.SolverConfig, report: Report | None = None
) -> solver.Result:
    """Report `PROGRESS` as a solve does after its first stage, then never return."""
    if report is not None:
        report(PROGRESS)
    threading.Event().wait()
    raise AssertionError("unreachable: the wait never ends")
