"""Stand-ins for ``solver.solve`` that fail the way a real solver process can.

They run in the spawned solver process, so they live in a module that imports little.
"""

import os
import signal
import threading

import solver


def refuse(instance: solver.Instance, config: solver.SolverConfig) -> solver.Result:
    """Raise, as a solver bug would."""
    raise RuntimeError("the model could not be built")


def die(instance: solver.Instance, config: solver.SolverConfig) -> solver.Result:
    """The process is killed mid-solve (as by the out-of-memory killer)."""
    os.kill(os.getpid(), signal.SIGKILL)
    raise AssertionError("unreachable: the process was killed")


def hang_in_january(instance: solver.Instance, config: solver.SolverConfig) -> solver.Result:
    """Never return for a period starting in January; solve any other period for real."""
    if instance.days[0].date.month == 1:
        threading.Event().wait()
    return solver.solve(instance, config)
