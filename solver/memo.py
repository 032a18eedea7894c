"""Memoisation per instance: what follows from an `Instance` alone is computed once.

An `Instance` is frozen, so the candidate shifts, fair shares and bands of one instance
never change; the model, the greedy and the result all ask for them, several times per
part. Values are kept in the instance's own `__dict__` (as `functools.cached_property`
does), so they live exactly as long as the instance, and a part (a new instance) gets
its own.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

from solver.instance import Instance

T = TypeVar("T")


def per_instance(compute: Callable[[Instance], T]) -> Callable[[Instance], T]:
    """`compute`, called once per instance; later calls return the first value (which
    callers must not mutate)."""
    key = f"_memo:{compute.__module__}.{compute.__qualname__}"

    @functools.wraps(compute)
    def cached(instance: Instance) -> T:
        store = instance.__dict__
        if key not in store:
            store[key] = compute(instance)
        return store[key]

    return cached
