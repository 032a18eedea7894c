"""How far a solve has gone, told while it runs: parts covered, parts done, demand uncovered."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Progress:
    """Where a solve stands, sent to `solve`'s `report` callback after every part's stage.

    The territory is solved in `parts` independent parts (see `components.py`); a part is
    *covered* once its coverage stage is done (its best coverage is then fixed) and *done*
    once every stage is. `uncovered` counts the demand left uncovered by the parts covered
    so far: it only grows as more parts are covered, and is final when all are.
    """

    parts: int
    parts_covered: int
    parts_done: int
    uncovered: int

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-compatible representation."""
        return asdict(self)


Report = Callable[[Progress], None]


class ProgressTracker:
    """Adds up the parts' stages, from the threads that solve them, and reports each step."""

    def __init__(self, parts: int, report: Report | None) -> None:
        self._report = report
        self._lock = threading.Lock()
        self._state = Progress(parts=parts, parts_covered=0, parts_done=0, uncovered=0)

    def covered(self, uncovered: int) -> None:
        """One more part has its best coverage, leaving `uncovered` demand uncovered."""
        self._step(covered=1, done=0, uncovered=uncovered)

    def done(self) -> None:
        """One more part has run every stage."""
        self._step(covered=0, done=1, uncovered=0)

    def _step(self, *, covered: int, done: int, uncovered: int) -> None:
        if self._report is None:
            return
        with self._lock:
            state = self._state
            self._state = Progress(
                parts=state.parts,
                parts_covered=state.parts_covered + covered,
                parts_done=state.parts_done + done,
                uncovered=state.uncovered + uncovered,
            )
            self._report(self._state)
